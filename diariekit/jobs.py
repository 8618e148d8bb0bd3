"""Scheduled jobs (schemalagda jobb) for cron and systemd timers.

``diariekit job run NAME`` runs one job; the jobs and their options (``[jobs.NAME]`` in
``diariekit.toml``, see :mod:`diariekit.config`) are:

``package-due``
    Build transfer packages (överföringspaket) for every closed case past its delivery
    deadline (leveransfrist) on the run's date and not yet in a transfer that was not
    rejected; validate each package. Options: ``org`` (default: every organisation),
    ``out`` (default ``transfer`` beside the config), ``format`` (dir, zip, tar; default
    dir), ``profile``, ``schemas`` (schema folder for validation), ``actor``.
``audit-verify``
    Verify the hash chain of the event log (diariehändelser).
``secrecy-review``
    Secrecy markings (sekretessmarkeringar) whose maximum time runs out before the run's
    date + ``within_days`` (default 30). Option ``org``.
``disposal-propose``
    Propose a disposal batch (gallringsomgång) of everything due on the run's date; a
    person approves it. Options ``org``, ``actor``.
``retention-recompute``
    Re-compute and store every document's retention and delivery dates (gallrings- och
    leveransfrister) as of the run's date, so that a plan version coming into force shows
    in the stored dates before ``package-due`` and ``disposal-propose`` read them (it runs
    before both by default). A person is needed when a change makes documents disposable
    sooner than their stored date said (a new version shortened a rule): check it with
    ``retention show``. The report counts every change and lists the first 100 per
    organisation. Options ``org``, ``actor``.

Every job also takes ``schedule`` (cron's five fields) and ``on_calendar`` (systemd), used
by ``diariekit job cron``.

**Safe under cron.** A run takes a lock per job: ``fcntl.flock`` (non-blocking) on
``<lock_dir>/<job>.lock`` and, on a PostgreSQL registry, also a session advisory lock
(``pg_try_advisory_lock``), so that runs on two machines cannot overlap either. A run that
finds the lock taken changes nothing, writes no report and exits 5 at once.

**Quiet.** A run prints nothing unless a person is needed (an error, a finding to act on).
Each run that got its lock writes a JSON report (job, started, finished, exit code, result,
attention, error) atomically into the report folder, named
``<started UTC, YYYYmmddTHHMMSSffffffZ>-<job>-<pid>.json`` so the names sort by time.

**Exit codes** of ``job run`` (style.md §5):

====  =====================================================================================
0     ran; nothing needs a person (this includes: nothing was due)
1     ran, and a person is needed: the audit chain is broken, a package is not valid or was
      already recorded, secrecy markings to review, a disposal batch awaits approval
2     usage: unknown job name (the known ones are listed), bad ``--as-of``
3     configuration: no or bad ``diariekit.toml`` or ``[jobs]``, report folder not
      writable, a job's module missing from this installation
4     input cannot be read (e.g. a file of the content store)
5     registry error (cannot connect, needs migration) or **locked**: another run of the
      job holds its lock; nothing was done and no report written
6     refused by policy (e.g. a package of the same id already lies in the output folder)
130   interrupted; the report says so
====  =====================================================================================
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import shlex
import socket
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from diariekit.atomic import atomic_open
from diariekit.clock import today
from diariekit.config import JOB_OPTIONS, Config
from diariekit.errors import (
    ConfigError,
    DiariekitError,
    ExitCode,
    InvalidInputError,
    Location,
    RegistryError,
    UsageError,
)
from diariekit.events import current_actor, verify_chain
from diariekit.findings import Severity
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import transfer, transfer_package, utc_now
from diariekit.registry.session import open_registry

__all__ = [
    "JOBS",
    "JobContext",
    "JobLockedError",
    "JobReport",
    "JobSpec",
    "cron_text",
    "job_lock",
    "job_names",
    "lock_dir",
    "report_dir",
    "run_job",
]

# The first key of the two-key advisory lock: "dkjb", apart from events.py's chain lock.
_PG_LOCK_CLASS = 0x646B_6A62


class JobLockedError(RegistryError):
    """Another run of the same job holds its lock (exit 5, style.md "locked")."""


@dataclass
class JobContext:
    """What a job gets: the config, its options, the run's date; it fills ``result`` as it
    goes (so a report after an error still shows what was done) and ``attention`` with one
    line per thing a person must act on."""

    config: Config
    name: str
    options: Mapping[str, Any]
    as_of: date
    result: dict[str, Any] = field(default_factory=dict)
    attention: list[str] = field(default_factory=list)

    def organisations(self) -> list[str]:
        """The configured ``org``, else every organisation of the config."""
        org = self.options.get("org")
        return [str(org)] if org else [o.id for o in self.config.organisations]


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its name, what it does, when it runs by default, and its code."""

    name: str
    title: str
    schedule: str
    on_calendar: str
    run: Callable[[JobContext], None]


@dataclass(frozen=True)
class JobReport:
    """One run of a job, as written to the report folder."""

    job: str
    as_of: date
    started: datetime
    finished: datetime
    exit_code: int
    result: Mapping[str, Any]
    attention: tuple[str, ...]
    error: Mapping[str, Any] | None
    path: Path | None = None

    @property
    def needs_person(self) -> bool:
        return self.exit_code != ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON shape (also ``job run --json``)."""
        return {"job": self.job, "as_of": self.as_of.isoformat(),
                "started": self.started.isoformat(), "finished": self.finished.isoformat(),
                "exit_code": self.exit_code, "host": socket.gethostname(), "pid": os.getpid(),
                "result": dict(self.result), "attention": list(self.attention),
                "error": dict(self.error) if self.error else None,
                "report": str(self.path) if self.path else None}


# --- folders and locks -----------------------------------------------------------------------


def report_dir(config: Config) -> Path:
    """``[jobs] report_dir``, default ``job-reports`` beside the config file."""
    return config.jobs.report_dir or config.path.parent / "job-reports"


def lock_dir(config: Config) -> Path:
    """``[jobs] lock_dir``, default ``job-locks`` beside the config file."""
    return config.jobs.lock_dir or config.path.parent / "job-locks"


def _make_dir(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the {what} folder: {exc.strerror}",
                          Location(str(folder))) from None
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"the {what} folder is not writable", Location(str(folder)))


def _pg_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) & 0x7FFF_FFFF


@contextmanager
def _registry_lock(config: Config, name: str) -> Iterator[None]:
    """On PostgreSQL, a session advisory lock per job for the whole run (other machines)."""
    if not config.registry_url.startswith(("postgresql", "postgres")):
        yield
        return
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            args = {"a": _PG_LOCK_CLASS, "b": _pg_key(name)}
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"), args).scalar()
            conn.commit()
            if not got:
                raise JobLockedError(f"job {name} is locked: another run holds it on the "
                                     "registry (PostgreSQL advisory lock); nothing done")
            try:
                yield
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), args)
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def job_lock(config: Config, name: str) -> Iterator[Path]:
    """Hold job ``name``'s lock for the block, or raise :class:`JobLockedError` at once.

    The lock file is never removed (removing it would let two runs lock different files);
    it holds the pid, host and start time of the run that has it.
    """
    folder = lock_dir(config)
    _make_dir(folder, "lock")
    path = folder / f"{name}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(f"cannot open the lock file: {exc.strerror}",
                          Location(str(path))) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise JobLockedError(f"job {name} is locked: another run holds {path}"
                                 + (f" ({holder})" if holder else "") + "; nothing done"
                                 ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                      f"{utc_now().isoformat()}\n".encode(), 0)
        with _registry_lock(config, name):
            yield path
    finally:
        os.close(fd)  # releases the flock


# --- reports ---------------------------------------------------------------------------------


def _write_report(folder: Path, report: JobReport) -> Path:
    """Write the report atomically (temporary name, fsync, rename) and return its path."""
    stamp = report.started.strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{report.job}-{os.getpid()}.json"
    data = {**report.to_dict(), "report": str(path)}
    with atomic_open(path, error=ConfigError) as f:
        json.dump(data, f, ensure_ascii=False, indent=2, default=str)
        f.write("\n")
    return path


def job_names() -> tuple[str, ...]:
    return tuple(JOBS)


def _spec(name: str) -> JobSpec:
    spec = JOBS.get(name)
    if spec is None:
        raise UsageError(f"unknown job '{name}' (known jobs: {', '.join(JOBS)})")
    return spec


def run_job(config: Config, name: str, *, as_of: date | None = None) -> JobReport:
    """Run job ``name`` under its lock and write its report; return the report.

    Raises :class:`UsageError` for an unknown job, :class:`JobLockedError` when another
    run holds the lock (nothing done, no report), :class:`ConfigError` when the report
    folder cannot be written. Errors of the job itself are caught and reported: the
    report's ``exit_code`` is the error's code and ``error`` describes it.
    """
    spec = _spec(name)
    day = as_of or today()
    reports = report_dir(config)
    with job_lock(config, name):
        _make_dir(reports, "report")
        ctx = JobContext(config, name, config.jobs.job_options(name), day)
        started = utc_now()
        error: dict[str, Any] | None = None
        interrupted = False
        try:
            spec.run(ctx)
            code = int(ExitCode.INVALID if ctx.attention else ExitCode.OK)
        except DiariekitError as exc:
            code, error = int(exc.exit_code), exc.to_dict()
        except KeyboardInterrupt:
            code, interrupted = int(ExitCode.INTERRUPTED), True
            error = {"error": "KeyboardInterrupt", "message": "interrupted",
                     "exit_code": code}
        report = JobReport(job=name, as_of=day, started=started, finished=utc_now(),
                           exit_code=code, result=ctx.result, attention=tuple(ctx.attention),
                           error=error)
        path = _write_report(reports, report)
        if interrupted:
            raise KeyboardInterrupt
        return replace(report, path=path)


# --- the jobs --------------------------------------------------------------------------------


def _package_due(ctx: JobContext) -> None:
    # lxml and the package builder load only when this job runs
    from diariekit.packages.build import Selection, build_case_packages
    from diariekit.packages.schemas import SchemaSet
    from diariekit.packages.validate import validate_package

    opts = ctx.options
    out = Path(opts.get("out") or ctx.config.path.parent / "transfer")
    fmt = str(opts.get("format", "dir"))
    schemas_path = opts.get("schemas")
    schema_set = SchemaSet.find(Path(schemas_path) if schemas_path else None)
    packages: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    ctx.result.update({"as_of": ctx.as_of.isoformat(), "out": str(out), "format": fmt,
                       "schemas": str(schema_set.folder) if schema_set else None,
                       "transfers": transfers, "packages": packages})
    for org in ctx.organisations():
        try:
            built = build_case_packages(
                ctx.config, org_id=org, select=Selection(delivery_due_by=ctx.as_of),
                out_dir=out, fmt=fmt, profile=opts.get("profile"),
                schema_dir=Path(schemas_path) if schemas_path else None,
                actor=opts.get("actor") or current_actor())
        except InvalidInputError as exc:
            if exc.message.startswith("no closed case matches"):
                continue  # nothing due for this organisation
            raise
        if built.transfer_id:
            transfers.append({"org": org, "transfer_id": built.transfer_id,
                              "submission_ref": built.submission_ref})
        for p in built.packages:
            report = validate_package(p.path, schemas=schema_set)
            errors = sorted(report.codes(Severity.ERROR))
            packages.append({"org": org, **p.to_dict(), "valid": report.valid,
                             "counts": report.counts(), "errors": errors,
                             "skipped": list(report.skipped)})
            if not report.valid:
                ctx.attention.append(f"package {p.package_id} (case {p.dnr}) is not valid: "
                                     f"{', '.join(errors)}; see `diariekit package validate "
                                     f"{p.path}`")
            if not p.recorded:
                ctx.attention.append(
                    f"package {p.package_id} (case {p.dnr}) was built again but its id is "
                    f"already recorded{_transfer_of(ctx.config, p.package_id)}: check the "
                    "case and `diariekit transfer show " + p.package_id + "`")


def _transfer_of(config: Config, package_id: str) -> str:
    with connect(open_registry(config)) as conn:
        row = conn.execute(
            sa.select(transfer.c.submission_ref, transfer.c.status)
            .join(transfer_package, transfer_package.c.transfer_id == transfer.c.id)
            .where(transfer_package.c.package_id == package_id)).first()
    return f" in transfer {row.submission_ref} ({row.status})" if row else ""


def _audit_verify(ctx: JobContext) -> None:
    with connect(open_registry(ctx.config)) as conn:
        report = verify_chain(conn)
    ctx.result.update(report.to_dict())
    for f in report.findings:
        where = f"{f.location}: " if str(f.location) else ""
        ctx.attention.append(f"audit: {where}{f.message} [{f.code}]")


def _module(job: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ConfigError(f"job {job} needs {name}, which this installation of diariekit "
                          "does not have yet") from None


def _secrecy_review(ctx: JobContext) -> None:
    markings = _module(ctx.name, "diariekit.markings")
    within = int(ctx.options.get("within_days", 30))
    before = ctx.as_of + timedelta(days=within)
    org = ctx.options.get("org")  # None: every organisation in the registry
    ctx.result.update({"before": before.isoformat(), "within_days": within, "org": org})
    rows = [dict(r) for r in markings.review_markings(ctx.config, before=before, org_id=org)]
    ctx.result.update({"count": len(rows), "markings": rows})
    if rows:
        scope = f" --org {org}" if org else ""
        ctx.attention.append(
            f"{len(rows)} secrecy marking(s) reach their maximum time before "
            f"{before.isoformat()}: review them with `diariekit secrecy review{scope} "
            f"--expiring-before {before.isoformat()}`")


def _disposal_propose(ctx: JobContext) -> None:
    disposal = _module(ctx.name, "diariekit.disposal")
    actor = str(ctx.options.get("actor") or current_actor())
    batches: list[dict[str, Any]] = []
    ctx.result.update({"as_of": ctx.as_of.isoformat(), "batches": batches})
    for org in ctx.organisations():
        res = disposal.propose_batch(ctx.config, as_of=ctx.as_of, org_id=org, actor=actor)
        batches.append({"org": org, **res.to_dict()})
        if res.batch_id and res.item_count:
            ctx.attention.append(
                f"disposal batch {res.batch_id} of {org} with {res.item_count} item(s) awaits "
                f"approval: `diariekit disposal show {res.batch_id}`, then `diariekit "
                f"disposal approve {res.batch_id} --by NAME`")


#: Changes listed per organisation in a retention-recompute report (all are counted).
_SHOWN_IN_REPORT = 100


def _retention_recompute(ctx: JobContext) -> None:
    from diariekit.retention_dates import recompute_due_dates

    actor = str(ctx.options.get("actor") or current_actor())
    runs: list[dict[str, Any]] = []
    ctx.result.update({"as_of": ctx.as_of.isoformat(), "organisations": runs})
    for org in ctx.organisations():
        res = recompute_due_dates(ctx.config, org_id=org, on=ctx.as_of, actor=actor)
        shown = res.to_dict()
        runs.append({**shown, "changes": shown["changes"][:_SHOWN_IN_REPORT]})
        if res.earlier:
            ctx.attention.append(
                f"{res.earlier} document(s) of {org} became disposable sooner than their "
                f"stored retention date said ({res.changed} date(s) changed as of "
                f"{ctx.as_of.isoformat()}): check the rules in force with `diariekit "
                "retention show DOC` before the next `disposal propose`")


JOBS: Mapping[str, JobSpec] = {s.name: s for s in (
    JobSpec("package-due", "Build and validate packages for cases past their delivery "
            "deadline (leveransfrist)", "30 2 * * *", "*-*-* 02:30:00", _package_due),
    JobSpec("audit-verify", "Verify the hash chain of the event log", "15 3 * * *",
            "*-*-* 03:15:00", _audit_verify),
    JobSpec("secrecy-review", "Secrecy markings whose maximum time runs out soon",
            "0 6 * * 1", "Mon *-*-* 06:00:00", _secrecy_review),
    JobSpec("disposal-propose", "Propose a disposal batch (gallringsomgång) for approval",
            "0 4 1 * *", "*-*-01 04:00:00", _disposal_propose),
    JobSpec("retention-recompute", "Re-compute stored retention and delivery dates "
            "(gallrings- och leveransfrister)", "30 1 * * *", "*-*-* 01:30:00",
            _retention_recompute),
)}
assert set(JOBS) == set(JOB_OPTIONS), "config.JOB_OPTIONS and JOBS must name the same jobs"


def job_table(config: Config) -> list[dict[str, Any]]:
    """Every job with what it does, its schedule and its configured options."""
    out: list[dict[str, Any]] = []
    for spec in JOBS.values():
        opts = dict(config.jobs.job_options(spec.name))
        out.append({"job": spec.name, "title": spec.title,
                    "schedule": opts.pop("schedule", spec.schedule),
                    "on_calendar": opts.pop("on_calendar", spec.on_calendar),
                    "options": {k: str(v) if isinstance(v, Path) else v
                                for k, v in opts.items()}})
    return out


def cron_text(config: Config, executable: str) -> dict[str, Any]:
    """Crontab lines for every job, and a systemd service template with a timer per job."""
    base = f"{shlex.quote(executable)} --config {shlex.quote(str(config.path))}"
    jobs = job_table(config)
    crontab = [
        "# diariekit scheduled jobs (crontab -e, as the user that owns the registry).",
        "# Quiet unless a person is needed; cron mails any output. Exit codes: "
        "`diariekit job run --help`.",
        *(f"{j['schedule']} {base} job run {j['job']}" for j in jobs),
    ]
    service = "\n".join([
        "# /etc/systemd/system/diariekit-job@.service",
        "[Unit]",
        "Description=diariekit scheduled job %i",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={config.path.parent}",
        f"ExecStart={base} job run %i",
    ])
    timers = {j["job"]: "\n".join([
        f"# /etc/systemd/system/diariekit-job@{j['job']}.timer",
        "[Unit]",
        f"Description=diariekit job {j['job']}",
        "",
        "[Timer]",
        f"OnCalendar={j['on_calendar']}",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]) for j in jobs}
    enable = [f"systemctl enable --now diariekit-job@{j['job']}.timer" for j in jobs]
    return {"crontab": crontab, "systemd": {"service": service, "timers": timers,
                                            "enable": enable}}
