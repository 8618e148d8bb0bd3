"""The configuration file ``diariekit.toml``: organisations, series, registry, storage.

One registry can serve a whole kommun: the config lists one or more organisations
(arkivbildare: each nämnd or styrelse, with name and organisation number — nämnder of
one kommun share the kommun's number), each with its own diarium series (KS, SN, BUN …)
and their diarienummer formats.

Example::

    [registry]
    url = "sqlite:///registry.sqlite"   # relative paths are relative to this file

    [storage]
    path = "store"

    default_organisation = "ks"

    [[organisations]]
    id = "ks"
    name = "Kommunstyrelsen"
    kind = "nämnd"
    org_number = "212000-9999"
    municipality = "Exempelby kommun"

    [[organisations.series]]
    code = "KS"
    dnr_format = "{series} {year}/{number:04d}"
    doc_suffix = "-{seq}"

    [plans.column_map]
    "Gallringsregel" = "retention"

    [registration.column_map]        # input headings diariekit does not know
    "Diarienr" = "case"

    [[classification]]               # when a row gives no record type
    org = "ks"
    counterpart = "Länsstyrelsen*"
    record_type = "ks-1.1.4-01"

    [jobs]                           # scheduled jobs (schemalagda jobb), all optional
    report_dir = "job-reports"       # one JSON report per run
    lock_dir = "job-locks"           # lock files (a local folder)

    [jobs.package-due]
    out = "leverans"                 # where packages are written
    format = "zip"                   # dir, zip or tar
    org = "ks"                       # default: every organisation
    schedule = "30 2 * * *"          # for `diariekit job cron`
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from diariekit.errors import ConfigError, Location
from diariekit.plans.headings import FIELDS

CONFIG_NAME = "diariekit.toml"
# Keys of a [[classification]] rule: the record type to give, and patterns that must all match.
RULE_KEYS = frozenset({"record_type", "org", "series", "counterpart", "description", "file",
                       "folder"})
ORG_KINDS = ("kommun", "region", "nämnd", "statlig_myndighet", "kommunalförbund",
             "kommunalt_bolag")
_ORGNR = re.compile(r"^\d{6}-\d{4}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SERIES = re.compile(r"^[A-ZÅÄÖ0-9][A-ZÅÄÖ0-9_-]*$")
#: Scheduled jobs (schemalagda jobb) and the options each takes in ``[jobs.<name>]``, with
#: their types. ``schedule`` (cron's five fields) and ``on_calendar`` (systemd) are for
#: ``diariekit job cron``; ``out`` and ``schemas`` are paths relative to the config file.
JOB_OPTIONS: Mapping[str, Mapping[str, type]] = MappingProxyType({
    "package-due": MappingProxyType({"org": str, "out": str, "format": str, "profile": str,
                                     "schemas": str, "actor": str, "schedule": str,
                                     "on_calendar": str}),
    "audit-verify": MappingProxyType({"schedule": str, "on_calendar": str}),
    "secrecy-review": MappingProxyType({"org": str, "within_days": int, "schedule": str,
                                        "on_calendar": str}),
    "disposal-propose": MappingProxyType({"org": str, "actor": str, "schedule": str,
                                          "on_calendar": str}),
    "retention-recompute": MappingProxyType({"org": str, "actor": str, "schedule": str,
                                             "on_calendar": str}),
})
_JOB_PATHS = frozenset({"out", "schemas"})


@dataclass(frozen=True)
class SeriesConfig:
    """A diarium series (diarieserie) with its number format."""

    code: str
    dnr_format: str = "{series} {year}/{number:04d}"
    doc_suffix: str = "-{seq}"
    reset: str = "yearly"
    title: str | None = None

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "dnr_format": self.dnr_format,
                               "doc_suffix": self.doc_suffix, "reset": self.reset}
        if self.title:
            out["title"] = self.title
        return out


@dataclass(frozen=True)
class OrganisationConfig:
    """An organisation (arkivbildare): a nämnd, styrelse or myndighet."""

    id: str
    name: str
    kind: str = "nämnd"
    org_number: str | None = None
    municipality: str | None = None
    archive_creator_id: str | None = None
    series: tuple[SeriesConfig, ...] = ()

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        for key in ("org_number", "municipality", "archive_creator_id"):
            value = getattr(self, key)
            if value:
                out[key] = value
        out["series"] = [s.to_toml() for s in self.series]
        return out


@dataclass(frozen=True)
class JobsConfig:
    """The ``[jobs]`` section: where scheduled jobs write reports and keep their locks, and
    each job's options (``[jobs.package-due]`` …). ``None`` folders mean the defaults
    ``job-reports`` and ``job-locks`` beside the config file."""

    report_dir: Path | None = None
    lock_dir: Path | None = None
    options: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}))

    def job_options(self, name: str) -> Mapping[str, Any]:
        """The options configured for job ``name`` (empty when none)."""
        return self.options.get(name, MappingProxyType({}))

    def to_toml(self, base: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.report_dir is not None:
            out["report_dir"] = _relative_path(self.report_dir, base)
        if self.lock_dir is not None:
            out["lock_dir"] = _relative_path(self.lock_dir, base)
        for name, opts in self.options.items():
            out[name] = {k: (_relative_path(v, base) if isinstance(v, Path) else v)
                         for k, v in opts.items()}
        return out


@dataclass(frozen=True)
class Config:
    """A loaded ``diariekit.toml``; paths are absolute."""

    path: Path
    registry_url: str
    storage_path: Path
    organisations: tuple[OrganisationConfig, ...]
    default_organisation: str | None = None
    column_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    classification_rules: tuple[Mapping[str, str], ...] = ()
    registration_column_map: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}))
    jobs: JobsConfig = field(default_factory=JobsConfig)
    #: ``[reports] font``: the TrueType font embedded in PDF/A reports (the disposal log);
    #: None means the first system font found (:data:`diariekit.pdfa.FONT_CANDIDATES`).
    report_font: Path | None = None

    def organisation(self, org_id: str | None = None) -> OrganisationConfig:
        """The organisation ``org_id``, or the default / only one (``--org``)."""
        wanted = org_id or self.default_organisation
        if wanted is None:
            if len(self.organisations) == 1:
                return self.organisations[0]
            ids = ", ".join(o.id for o in self.organisations)
            raise ConfigError(f"several organisations ({ids}): choose one with --org",
                              Location(str(self.path)))
        for org in self.organisations:
            if org.id == wanted:
                return org
        ids = ", ".join(o.id for o in self.organisations)
        raise ConfigError(f"unknown organisation '{wanted}' (configured: {ids})",
                          Location(str(self.path)))

    def to_toml(self) -> dict[str, Any]:
        base = self.path.parent
        out: dict[str, Any] = {
            "registry": {"url": _relative_url(self.registry_url, base)},
            "storage": {"path": _relative_path(self.storage_path, base)},
        }
        if self.default_organisation:
            out["default_organisation"] = self.default_organisation
        out["organisations"] = [o.to_toml() for o in self.organisations]
        if self.column_map:
            out["plans"] = {"column_map": dict(self.column_map)}
        if self.registration_column_map:
            out["registration"] = {"column_map": dict(self.registration_column_map)}
        if self.classification_rules:
            out["classification"] = [dict(r) for r in self.classification_rules]
        jobs = self.jobs.to_toml(base)
        if jobs:
            out["jobs"] = jobs
        if self.report_font is not None:
            out["reports"] = {"font": _relative_path(self.report_font, base)}
        return out


def _relative_path(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _relative_url(url: str, base: Path) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return url
    if url.startswith("sqlite:////"):
        return "sqlite:///" + _relative_path(Path(url[len("sqlite:///"):]), base)
    return url


def resolve_registry_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against the config's folder."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url[len("sqlite:///"):]
        if rel and rel != ":memory:":
            return "sqlite:///" + str((base / rel).resolve())
    return url


def find_config(start: Path | None = None) -> Path | None:
    """``$DIARIEKIT_CONFIG``, else ``diariekit.toml`` here or in a parent folder."""
    env = os.environ.get("DIARIEKIT_CONFIG")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None) -> Config:
    """Load and check the config; raise :class:`ConfigError` (exit 3) on any problem."""
    found = path or find_config()
    if found is None:
        raise ConfigError(f"no {CONFIG_NAME} here or in a parent folder: run `diariekit init` "
                          "or give --config")
    try:
        raw = tomllib.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found", Location(str(found))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", Location(str(found))) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", Location(str(found))) from None
    return parse_config(raw, found.resolve())


def parse_config(raw: Mapping[str, Any], path: Path) -> Config:
    """Build a :class:`Config` from parsed TOML, checking every field."""
    file = str(path)
    base = path.parent

    def fail(msg: str, where: str) -> ConfigError:
        return ConfigError(msg, Location(file, None, where))

    registry = raw.get("registry", {})
    url = registry.get("url") if isinstance(registry, dict) else None
    if not isinstance(url, str) or not url:
        raise fail("registry.url is missing (e.g. \"sqlite:///registry.sqlite\")", "registry.url")
    storage = raw.get("storage", {})
    store = storage.get("path", "store") if isinstance(storage, dict) else "store"
    if not isinstance(store, str):
        raise fail("storage.path must be a string", "storage.path")

    orgs_raw = raw.get("organisations")
    if not isinstance(orgs_raw, list) or not orgs_raw:
        raise fail("no [[organisations]] configured", "organisations")
    orgs: list[OrganisationConfig] = []
    for i, o in enumerate(orgs_raw):
        where = f"organisations[{i}]"
        if not isinstance(o, dict):
            raise fail("must be a table", where)
        oid, name = o.get("id"), o.get("name")
        if not isinstance(oid, str) or not _ID.match(oid):
            raise fail("id must be a short lowercase key such as \"ks\"", f"{where}.id")
        if not isinstance(name, str) or not name.strip():
            raise fail("name is missing", f"{where}.name")
        kind = o.get("kind", "nämnd")
        if kind not in ORG_KINDS:
            raise fail(f"kind must be one of {', '.join(ORG_KINDS)}", f"{where}.kind")
        orgnr = o.get("org_number")
        if orgnr is not None and (not isinstance(orgnr, str) or not _ORGNR.match(orgnr)):
            raise fail("org_number must look like 212000-1234", f"{where}.org_number")
        series: list[SeriesConfig] = []
        for j, s in enumerate(o.get("series", [])):
            swhere = f"{where}.series[{j}]"
            code = s.get("code") if isinstance(s, dict) else None
            if not isinstance(code, str) or not _SERIES.match(code):
                raise fail("series code must be upper case letters or digits such as \"KS\"",
                           f"{swhere}.code")
            fmt = s.get("dnr_format", "{series} {year}/{number:04d}")
            if not isinstance(fmt, str) or "{number" not in fmt:
                raise fail("dnr_format must contain {number}", f"{swhere}.dnr_format")
            reset = s.get("reset", "yearly")
            if reset not in ("yearly", "never"):
                raise fail("reset must be \"yearly\" or \"never\"", f"{swhere}.reset")
            if reset == "yearly" and "{year" not in fmt and "{yy" not in fmt:
                raise fail("a yearly series needs {year} or {yy} in dnr_format",
                           f"{swhere}.dnr_format")
            if any(x.code == code for x in series):
                raise fail(f"series {code} is configured twice", f"{swhere}.code")
            series.append(SeriesConfig(code, fmt, s.get("doc_suffix", "-{seq}"), reset,
                                       s.get("title")))
        if any(x.id == oid for x in orgs):
            raise fail(f"organisation id '{oid}' is used twice", f"{where}.id")
        orgs.append(OrganisationConfig(oid, name.strip(), kind, orgnr, o.get("municipality"),
                                       o.get("archive_creator_id"), tuple(series)))

    default = raw.get("default_organisation")
    if default is not None and default not in {o.id for o in orgs}:
        raise fail(f"default_organisation '{default}' is not configured", "default_organisation")
    plans = raw.get("plans", {})
    column_map = plans.get("column_map", {}) if isinstance(plans, dict) else {}
    for heading, target in column_map.items():
        if target not in FIELDS:
            raise fail(f"column_map maps '{heading}' to unknown field '{target}' "
                       f"(known: {', '.join(FIELDS)})", "plans.column_map")
    from diariekit.registration.intake import FIELDS as INTAKE_FIELDS

    registration = raw.get("registration", {})
    reg_map = registration.get("column_map", {}) if isinstance(registration, dict) else {}
    for heading, target in reg_map.items():
        if target not in INTAKE_FIELDS:
            raise fail(f"registration column_map maps '{heading}' to unknown field '{target}' "
                       f"(known: {', '.join(INTAKE_FIELDS)})", "registration.column_map")
    rules: list[Mapping[str, str]] = []
    for i, rule in enumerate(raw.get("classification", [])):
        where = f"classification[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("record_type"), str):
            raise fail("a classification rule needs record_type", where)
        unknown = set(rule) - RULE_KEYS
        if unknown:
            raise fail(f"unknown keys {', '.join(sorted(unknown))} (known: "
                       f"{', '.join(sorted(RULE_KEYS))})", where)
        if not all(isinstance(v, str) for v in rule.values()):
            raise fail("rule values must be strings (patterns such as \"*.xml\")", where)
        rules.append(MappingProxyType(dict(rule)))
    jobs = _parse_jobs(raw.get("jobs", {}), base, fail, {o.id for o in orgs})
    reports = raw.get("reports", {})
    if not isinstance(reports, dict) or set(reports) - {"font"}:
        raise fail("[reports] takes one key, font (a TrueType .ttf file)", "reports")
    font = reports.get("font")
    if font is not None and (not isinstance(font, str) or not font):
        raise fail("font must be the path of a TrueType .ttf file", "reports.font")
    return Config(
        path=path,
        registry_url=resolve_registry_url(url, base),
        storage_path=(base / store).resolve(),
        organisations=tuple(orgs),
        default_organisation=default,
        column_map=MappingProxyType(dict(column_map)),
        classification_rules=tuple(rules),
        registration_column_map=MappingProxyType(dict(reg_map)),
        jobs=jobs,
        report_font=(base / Path(font).expanduser()).resolve() if font else None,
    )


def _parse_jobs(raw: Any, base: Path, fail: Callable[[str, str], ConfigError],
                org_ids: set[str]) -> JobsConfig:
    """The ``[jobs]`` section; unknown jobs or options are configuration errors."""
    if not isinstance(raw, dict):
        raise fail("[jobs] must be a table", "jobs")
    folders: dict[str, Path | None] = {}
    for key in ("report_dir", "lock_dir"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise fail(f"{key} must be a folder path", f"jobs.{key}")
        folders[key] = (base / value).resolve() if value else None
    options: dict[str, Mapping[str, Any]] = {}
    for name, table in raw.items():
        if name in ("report_dir", "lock_dir"):
            continue
        known = JOB_OPTIONS.get(name)
        if known is None:
            raise fail(f"unknown job '{name}' (known: {', '.join(JOB_OPTIONS)}, and the keys "
                       "report_dir, lock_dir)", f"jobs.{name}")
        if not isinstance(table, dict):
            raise fail("must be a table of options", f"jobs.{name}")
        opts: dict[str, Any] = {}
        for key, value in table.items():
            kind = known.get(key)
            if kind is None:
                raise fail(f"unknown option '{key}' (known: {', '.join(known)})",
                           f"jobs.{name}.{key}")
            if not isinstance(value, kind) or isinstance(value, bool):
                raise fail(f"must be {'a whole number' if kind is int else 'a string'}",
                           f"jobs.{name}.{key}")
            if key == "org" and value not in org_ids:
                raise fail(f"organisation '{value}' is not configured", f"jobs.{name}.org")
            if key == "format" and value not in ("dir", "zip", "tar"):
                raise fail("format must be dir, zip or tar", f"jobs.{name}.format")
            if key == "schedule" and len(str(value).split()) != 5:
                raise fail("schedule takes cron's five fields, e.g. \"30 2 * * *\"",
                           f"jobs.{name}.schedule")
            opts[key] = (base / str(value)).resolve() if key in _JOB_PATHS else value
        options[name] = MappingProxyType(opts)
    return JobsConfig(folders["report_dir"], folders["lock_dir"], MappingProxyType(options))


def write_config(config: Config) -> None:
    """Write ``config`` to its path atomically (temporary name, then rename)."""
    data = tomli_w.dumps(config.to_toml())
    tmp = config.path.with_name(config.path.name + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, config.path)
