"""Benchmark bulk registration (diarieföring i bulk) against raw sqlite3 executemany.

Generates a synthetic registration CSV of N rows (no files), then, each in its own
subprocess so that peak RSS is that run's own:

* baseline: ``csv.reader`` over the same file and one ``sqlite3`` ``executemany`` of the
  same fields into one plain table, one transaction, in the same folder;
* registration: ``register_rows(read_intake(csv))`` on a fresh SQLite registry with two
  organisations (ks, sn) and their sample plans;
* registration again under ``tracemalloc`` for the Python heap peak (its time is not used);
* schema baseline: the rows that registration wrote (cases, documents, files, secrecy
  markings, events; every value, ids and hashes included, read beforehand from the timed
  run's registry) inserted again with raw ``sqlite3`` ``executemany``, one per table in
  foreign-key order, one ``BEGIN IMMEDIATE`` transaction, into a copy of the registry as it
  was before the timed run (same schema, indexes, triggers, organisations and plans;
  foreign keys on). It is the floor for any
  implementation that writes this schema; the plain baseline is the issue's target.

Both baselines use the registry's own SQLite settings (WAL, ``synchronous = FULL``, the page
cache of ``diariekit.registry.engine.SQLITE_CACHE_KIB``), so every side runs SQLite alike.

Both sizes N/10 and N are measured, to show whether memory stays flat as N grows.
Wall times give the ratios; each worker's CPU time (``time.process_time``) is printed too,
since on a shared machine other processes stretch wall times far more than CPU times.

    python bench/bench_register.py                 # 100 000 rows
    python bench/bench_register.py --rows 10000 --profile
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _util import spawn  # noqa: E402  (bench/ is the script's folder)

REPO = Path(__file__).resolve().parents[1]
PLANS = REPO / "retention_plans"

# The registration CSV header of tests/registration/conftest.py (HEAD).
HEAD = ["Externt id", "Serie", "Ärendenyckel", "Ärendemening", "Klass", "Handlingstyp",
        "Riktning", "Datum", "Avsändare/Mottagare", "Beskrivning", "Handläggare", "Filer",
        "Sekretess", "Personnummer"]
BASELINE_COLUMNS = ["external_id", "series", "case_key", "case_title", "class_code",
                    "record_type", "direction", "date", "counterpart", "description", "officer",
                    "files", "secrecy", "person_ref"]

SEED = 20260101
FOLLOW_UP_SHARE = 1 / 3   # rows that add a document to a case opened earlier (Ärendenyckel)
SN_SHARE = 0.3            # rows in Socialnämnden's series; the rest go to Kommunstyrelsen
RECENT_CASES = 5000       # follow-ups go to one of the most recently opened cases

COUNTERPARTS = ["Länsstyrelsen i Exempellän", "Trafikverket", "Skatteverket", "Region Exempel",
                "Boverket", "Naturvårdsverket", "Exempelbygg AB", "Advokatfirman Lag & Rätt",
                "Föreningen Hembygden", "Kommunrevisionen", "Försäkringskassan",
                "Anna Andersson", "Erik Ek", "Maria Lind", "Johan Berg", "Sara Öberg"]
SUBJECTS = ["detaljplan för kvarteret Åkern", "regional vattenplan", "bidrag till förening",
            "upphandling av skolskjuts", "remiss om ny avfallsplan", "tillsyn av livsmedel",
            "anställning av handläggare", "överklagande av beslut", "begäran om allmän handling",
            "synpunkter på gång- och cykelväg", "försörjningsstöd", "ekonomiskt bistånd",
            "orosanmälan", "insats enligt SoL", "medborgarförslag om lekplats"]
DOC_WORDS = ["Ansökan", "Remiss", "Yttrande", "Beslut", "Skrivelse", "Kompletterande uppgifter",
             "Tjänsteanteckning", "Protokollsutdrag", "Begäran", "Svar", "Kvittens",
             "Underrättelse"]
OFFICERS = ["AA", "BB", "CC", "DD", "EE", "FF"]
DIRECTIONS = ["Inkommande", "Inkommande", "Upprättad", "Utgående"]


# --- setup -----------------------------------------------------------------------------


def make_registry(folder: Path) -> Any:
    """A fresh SQLite registry with orgs ks and sn and their sample plans (as the tests')."""
    from diariekit.config import OrganisationConfig, SeriesConfig, load_config
    from diariekit.plans.loading import load_plan
    from diariekit.plans.store import import_plan
    from diariekit.registry.engine import sqlite_url_for_path
    from diariekit.setup import init_registry

    orgs = (
        OrganisationConfig("ks", "Kommunstyrelsen", "nämnd", "212000-9999", None, None,
                           (SeriesConfig("KS", "{series} {year}/{number:04d}"),)),
        OrganisationConfig("sn", "Socialnämnden", "nämnd", "212000-9999", None, None,
                           (SeriesConfig("SN", "{series}-{year}-{number:05d}"),)),
    )
    url = sqlite_url_for_path(folder / "registry.sqlite")
    result = init_registry(folder, orgs, registry_url=url, default_organisation="ks")
    config = load_config(result.config_path)
    for name, org in (("kommunstyrelse.yaml", "ks"), ("socialnamnd.yaml", "sn")):
        plan = load_plan(PLANS / name).plan
        assert plan is not None
        import_plan(config, plan, org_id=org, actor="bench")
    return config


def record_types(config: Any) -> dict[str, list[tuple[str, str | None]]]:
    """(row_ref, class_code) of the record types in force, per series code."""
    import sqlalchemy as sa

    from diariekit.clock import today
    from diariekit.plans.store import active_version_ids
    from diariekit.registry.engine import connect, open_engine
    from diariekit.registry.schema import organisation, record_type

    out: dict[str, list[tuple[str, str | None]]] = {}
    engine = open_engine(config.registry_url)
    with connect(engine) as conn:
        for code, series_code in (("ks", "KS"), ("sn", "SN")):
            org_id = conn.execute(sa.select(organisation.c.id)
                                  .where(organisation.c.code == code)).scalar_one()
            ids = active_version_ids(conn, org_id, today())
            rows = conn.execute(sa.select(record_type.c.row_ref, record_type.c.class_code)
                                .where(record_type.c.plan_version_id.in_(ids))
                                .order_by(record_type.c.row_ref)).all()
            out[series_code] = [(r.row_ref, r.class_code) for r in rows]
    engine.dispose()
    return out


def synthetic_rows(n: int, types: dict[str, list[tuple[str, str | None]]]
                   ) -> Iterator[list[str]]:
    """N realistic rows; about a third add a document to a recently opened case."""
    rng = random.Random(SEED)
    recent: list[tuple[str, str]] = []  # (case key, series): a bounded window
    start = date(2025, 1, 2)
    opened = 0
    for i in range(n):
        ext = f"INK-{i + 1:08d}"
        follow_up = recent and rng.random() < FOLLOW_UP_SHARE
        if follow_up:
            key, series = rng.choice(recent)
            title = ""
        else:
            series = "SN" if rng.random() < SN_SHARE else "KS"
            opened += 1
            key = f"{series.lower()}-{opened:07d}"
            title = f"{rng.choice(SUBJECTS).capitalize()} ({opened})"
            recent.append((key, series))
            if len(recent) > RECENT_CASES:
                recent.pop(0)
        row_ref, class_code = rng.choice(types[series])
        klass = "" if follow_up else (class_code or "")
        when = start + timedelta(days=rng.randrange(450))
        person = ""
        secrecy = ""
        if series == "SN":
            person = (f"19{rng.randrange(40, 99)}{rng.randrange(1, 13):02d}"
                      f"{rng.randrange(1, 29):02d}-{rng.randrange(10000):04d}")
            if rng.random() < 0.5:
                secrecy = "OSL 26:1"
        yield [ext, series, key, title, klass, row_ref, rng.choice(DIRECTIONS), when.isoformat(),
               rng.choice(COUNTERPARTS), f"{rng.choice(DOC_WORDS)} – {rng.choice(SUBJECTS)}",
               rng.choice(OFFICERS), "", secrecy, person]


def write_csv(path: Path, n: int, types: dict[str, list[tuple[str, str | None]]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(HEAD)
        writer.writerows(synthetic_rows(n, types))


# --- workers (each in its own process) -------------------------------------------------


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _registry_pragmas(db: sqlite3.Connection) -> None:
    """The registry's own connection settings (diariekit/registry/engine.py), so that the
    baselines and the registration run SQLite alike: WAL, synchronous FULL, its page cache."""
    from diariekit.registry.engine import SQLITE_CACHE_KIB

    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def worker_baseline(csv_path: Path, db_path: Path) -> dict[str, Any]:
    start_rss = _rss_kib()
    db = sqlite3.connect(db_path, isolation_level=None)
    _registry_pragmas(db)
    cols = ", ".join(f"{c} TEXT" for c in BASELINE_COLUMNS)
    db.execute(f"CREATE TABLE row_ (line INTEGER PRIMARY KEY, {cols})")
    sql = f"INSERT INTO row_ VALUES ({', '.join('?' * (len(BASELINE_COLUMNS) + 1))})"

    def rows() -> Iterator[list[object]]:
        with csv_path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=";")
            next(reader)
            for line, cells in enumerate(reader, start=2):
                yield [line, *(c.strip() or None for c in cells)]

    t0, c0 = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(sql, rows())
    db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    count = db.execute("SELECT count(*) FROM row_").fetchone()[0]
    db.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": count, "rss_start_kib": start_rss,
            "rss_peak_kib": _rss_kib()}


# The tables bulk registration writes, in foreign-key order, with the rows it wrote.
SCHEMA_TABLES = (
    ("case_", "1"),
    ("document", "1"),
    ("file", "1"),
    ("secrecy_marking", "1"),
    ("event", "kind IN ('case_opened', 'document_registered')"),
)


def worker_schema(source_db: Path, target_db: Path) -> dict[str, Any]:
    """Raw executemany of the registration's own rows into the registry copied before it."""
    src = sqlite3.connect(source_db)
    loaded: list[tuple[str, list[tuple[Any, ...]]]] = []
    for table, where in SCHEMA_TABLES:
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        if table == "event":
            cols.remove("seq")  # AUTOINCREMENT: the target numbers its own
            order = "seq"
        else:
            order = "rowid"
        names = ", ".join(cols)
        rows = src.execute(f"SELECT {names} FROM {table} WHERE {where} ORDER BY {order}")
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
        loaded.append((sql, rows.fetchall()))
    src.close()
    db = sqlite3.connect(target_db, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    _registry_pragmas(db)
    t0, c0 = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    for sql, values in loaded:
        db.executemany(sql, values)
    db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    db.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "table_rows": {t: len(v) for (t, _), (_, v)
                                               in zip(SCHEMA_TABLES, loaded, strict=True)}}


def worker_register(csv_path: Path, config_path: Path, mode: str) -> dict[str, Any]:
    """``mode``: "time" (wall time, RSS), "trace" (tracemalloc peak) or "profile"."""
    from diariekit.config import load_config
    from diariekit.registration.intake import read_intake
    from diariekit.registration.register import register_rows
    from diariekit.registry.engine import open_engine

    config = load_config(config_path)
    engine = open_engine(config.registry_url)
    start_rss = _rss_kib()
    out: dict[str, Any] = {}

    def run() -> Any:
        return register_rows(config, read_intake(csv_path), engine=engine,
                             source=str(csv_path), actor="bench")

    if mode == "trace":
        import tracemalloc

        tracemalloc.start()
        report = run()
        out["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elif mode == "profile":
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        report = profiler.runcall(run)
        out["seconds"] = time.perf_counter() - t0
        for key, limit in (("cumulative", 25), ("tottime", 20)):
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(key).print_stats(limit)
            out[f"profile_{key}"] = buf.getvalue()
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        report = run()
        out["seconds"] = time.perf_counter() - t0
        out["cpu_seconds"] = time.process_time() - c0
    if not report.committed or report.errors:
        first = "; ".join(f"{f.location}: {f.message}" for f in report.findings[:5])
        raise SystemExit(f"registration failed ({report.errors} errors): {first}")
    summary = report.to_dict()["summary"]
    out.update(rows=summary["rows"], registered=summary["registered"],
               cases=summary["cases_opened"], rss_start_kib=start_rss, rss_peak_kib=_rss_kib())
    return out


def _worker_main(args: argparse.Namespace) -> None:
    if args.worker == "baseline":
        result = worker_baseline(Path(args.csv), Path(args.db))
    elif args.worker == "schema":
        result = worker_schema(Path(args.source_db), Path(args.db))
    else:
        result = worker_register(Path(args.csv), Path(args.config), args.worker)
    print(json.dumps(result))


# --- driver ----------------------------------------------------------------------------


def _spawn(*argv: str) -> dict[str, Any]:
    return spawn(__file__, *argv)


def measure(n: int, work: Path, types: dict[str, list[tuple[str, str | None]]], *,
            trace: bool, profile: bool) -> dict[str, Any]:
    folder = work / f"n{n}"
    folder.mkdir()
    csv_path = folder / "intake.csv"
    write_csv(csv_path, n, types)
    result: dict[str, Any] = {"n": n, "csv_bytes": csv_path.stat().st_size}
    result["baseline"] = _spawn("--worker", "baseline", "--csv", str(csv_path),
                                "--db", str(folder / "baseline.sqlite"))
    modes = ["time"] + (["trace"] if trace else []) + (["profile"] if profile else [])
    for mode in modes:
        config = make_registry(folder / f"reg-{mode}")
        if mode == "time":  # the same registry before the run, for the schema baseline
            shutil.copytree(folder / "reg-time", folder / "reg-schema")
        result[mode] = _spawn("--worker", mode, "--csv", str(csv_path),
                              "--config", str(config.path))
        if mode == "time":
            if result[mode]["rows"] != n or result[mode]["registered"] != n:
                raise SystemExit(f"registered {result[mode]['registered']} of {n} rows")
            result["schema"] = _spawn("--worker", "schema",
                                      "--source-db", str(folder / "reg-time" / "registry.sqlite"),
                                      "--db", str(folder / "reg-schema" / "registry.sqlite"))
            shutil.rmtree(folder / "reg-schema")
        shutil.rmtree(folder / f"reg-{mode}")
    return result


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def print_table(results: list[dict[str, Any]]) -> None:
    head = ("rows", "baseline s", "schema baseline s", "register s", "ratio",
            "ratio (schema)", "baseline rows/s", "register rows/s", "RSS start MiB",
            "RSS peak MiB", "tracemalloc peak MiB")
    lines: list[tuple[str, ...]] = [head]
    for r in results:
        b, t = r["baseline"], r["time"]
        traced = (f"{r['trace']['tracemalloc_peak_bytes'] / 2**20:.1f}" if "trace" in r
                  else "–")
        sb = r["schema"]["seconds"]
        lines.append((f"{r['n']:,}", f"{b['seconds']:.3f}", f"{sb:.3f}", f"{t['seconds']:.2f}",
                      f"{t['seconds'] / b['seconds']:.1f}×", f"{t['seconds'] / sb:.1f}×",
                      f"{r['n'] / b['seconds']:,.0f}", f"{r['n'] / t['seconds']:,.0f}",
                      _mib(t["rss_start_kib"]), _mib(t["rss_peak_kib"]), traced))
    _print_rows(lines)


def print_cpu_table(results: list[dict[str, Any]]) -> None:
    """The same runs in CPU time of each worker (``time.process_time``): on a shared machine
    other processes stretch the wall times, much less the CPU times."""
    lines = [("rows", "baseline CPU s", "schema baseline CPU s", "register CPU s",
              "CPU ratio", "CPU ratio (schema)")]
    for r in results:
        b, sb, t = (r[k]["cpu_seconds"] for k in ("baseline", "schema", "time"))
        lines.append((f"{r['n']:,}", f"{b:.3f}", f"{sb:.3f}", f"{t:.2f}", f"{t / b:.1f}×",
                      f"{t / sb:.1f}×"))
    _print_rows(lines)


def _print_rows(lines: list[tuple[str, ...]]) -> None:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for k, line in enumerate(lines):
        print("| " + " | ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows at the large size")
    parser.add_argument("--profile", action="store_true",
                        help="also run the registration of --rows rows under cProfile")
    parser.add_argument("--no-trace", action="store_true",
                        help="skip the tracemalloc runs (they take about twice as long)")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="folder for the temporary files (default: the system's)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    parser.add_argument("--worker", choices=["baseline", "schema", "time", "trace", "profile"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--source-db", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args)
        return

    work = Path(tempfile.mkdtemp(prefix="diariekit-bench-", dir=args.tmp))
    try:
        probe = make_registry(work / "probe")
        types = record_types(probe)
        shutil.rmtree(work / "probe")
        sizes = [max(args.rows // 10, 1), args.rows]
        results = []
        for n in sizes:
            print(f"measuring {n:,} rows …", file=sys.stderr, flush=True)
            results.append(measure(n, work, types, trace=not args.no_trace,
                                   profile=args.profile and n == args.rows))
        print(f"diariekit registration benchmark: Python {sys.version.split()[0]}, "
              f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs")
        print("baseline = csv.reader + one sqlite3 executemany into one plain table, "
              "one transaction, the registry's SQLite settings (WAL, synchronous FULL, "
              "cache_size)")
        print("schema baseline = sqlite3 executemany of the registration's own rows (values "
              "computed beforehand) into a copy of the registry's tables, one transaction\n")
        print_table(results)
        print("\nCPU time of the same runs (the machine may be shared; wall time above):\n")
        print_cpu_table(results)
        small, large = results
        print(f"\npeak RSS of the registration: {_mib(small['time']['rss_peak_kib'])} MiB at "
              f"{small['n']:,} rows, {_mib(large['time']['rss_peak_kib'])} MiB at "
              f"{large['n']:,} rows (RSS after imports: {_mib(large['time']['rss_start_kib'])} "
              "MiB)")
        if "trace" in small:
            grow = (large["trace"]["tracemalloc_peak_bytes"]
                    / small["trace"]["tracemalloc_peak_bytes"])
            print(f"tracemalloc peak grows {grow:.1f}× for {large['n'] / small['n']:.0f}× "
                  "the rows (flat would be ≈1×)")
        ratio = large["time"]["seconds"] / large["baseline"]["seconds"]
        print(f"ratio at {large['n']:,} rows: {ratio:.1f}× the baseline (target ≤ 3×: "
              f"{'met' if ratio <= 3 else 'missed'})")
        schema_ratio = large["time"]["seconds"] / large["schema"]["seconds"]
        print(f"ratio at {large['n']:,} rows: {schema_ratio:.1f}× the schema baseline "
              f"({large['schema']['table_rows']})")
        if "profile" in large:
            print(f"\ncProfile of the registration of {large['n']:,} rows "
                  f"({large['profile']['seconds']:.1f} s under the profiler), "
                  "top 25 by cumulative time:")
            print(large["profile"]["profile_cumulative"])
            print("top 20 by own time:")
            print(large["profile"]["profile_tottime"])
        if args.json:
            print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
