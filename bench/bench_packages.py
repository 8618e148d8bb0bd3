"""Benchmark building and validating a transfer package (SIP) against plain SHA-256 reads.

Generates N files of varied sizes (default 10 000 files, 2 GiB in all; unique content),
registers them as the documents of ONE case through the ordinary registration
(``register_rows`` on a CSV, 100 files per document row; not timed) into a fresh SQLite
registry, closes the case, and then measures, each in its own subprocess so that peak RSS is
that run's own:

* hash baseline: one ``hashlib.sha256`` read (1 MiB chunks, one thread) of the content-store
  objects the build reads, i.e. the same bytes;
* copy floor: a plain copy of the same objects (one thread, no hash) made durable the way the
  build does it (one ``syncfs``);
* build: ``build_case_packages(..., fmt="dir")`` of that case (copy + hash, worker threads,
  streamed METS/PREMIS/ERMS, one ``syncfs``);
* validate: ``validate_package`` of the built folder, checksums on, no schemas;
* bagit-python (benchmark-only dependency: ``pip install bagit``): ``make_bag(dir,
  processes=2, checksums=["sha256"])`` on a copy of the same files, then
  ``Bag(dir).validate(processes=2)``.

"cold" runs first evict the files they read from the page cache with
``posix_fadvise(POSIX_FADV_DONTNEED)`` (after an fsync; only this benchmark's files, never a
global ``drop_caches``); "warm" runs read files the previous run left in the cache. On a VM
the host may still cache what the guest evicted, so "cold" is cold-ish.

``--small`` generates 100 000 files of 1–4 KiB instead and reports peak RSS of the build and
the validation (target ≤ 300 MB).

    python bench/bench_packages.py                         # 10 000 files, 2 GiB
    python bench/bench_packages.py --files 2000 --total-mb 400
    python bench/bench_packages.py --small --files 100000

``setup()`` and ``measure()`` are separate, so a set-up registry can be measured again.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import spawn  # noqa: E402  (bench/ is the script's folder)
from bench_register import HEAD, make_registry, record_types  # noqa: E402

SEED = 20261127
FILES_PER_ROW = 100
CASE_KEY = "bench-pkg-1"
CHUNK = 1 << 20
BLOCK = 64 << 20  # random bytes that file contents are cut from


# --- setup -----------------------------------------------------------------------------


def file_sizes(n: int, total: int, small: bool, rng: random.Random) -> list[int]:
    """N sizes: 1–4 KiB for --small, else log-uniform from 1 KiB to 8 MiB scaled to total."""
    if small:
        return [rng.randint(1024, 4096) for _ in range(n)]
    raw = [2 ** rng.uniform(10, 23) for _ in range(n)]
    scale = total / sum(raw)
    sizes = [max(64, int(s * scale)) for s in raw]
    sizes[-1] += total - sum(sizes)
    if sizes[-1] < 64:
        sizes[-1] = 64
    return sizes


def generate(src: Path, sizes: list[int], rng: random.Random) -> list[str]:
    """Write the files (unique content: a header with the index, then random bytes)."""
    block = rng.randbytes(BLOCK)
    names = []
    for i, size in enumerate(sizes):
        rel = f"f{i // 1000:03d}/doc-{i:06d}.bin"
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"diariekit bench file {i} of {len(sizes)}\n".encode()
        with path.open("wb") as fh:
            fh.write(header[:size])
            left = size - min(len(header), size)
            pos = rng.randrange(BLOCK)
            while left:
                take = min(left, BLOCK - pos)
                fh.write(block[pos:pos + take])
                left -= take
                pos = 0
        names.append(rel)
    return names


def write_intake(src: Path, names: list[str], types: dict[str, list[tuple[str, str | None]]]
                 ) -> Path:
    """A registration CSV: one case (Ärendenyckel), FILES_PER_ROW files per document row."""
    row_ref, class_code = types["KS"][0]
    path = src / "intake.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(HEAD)
        for k in range(0, len(names), FILES_PER_ROW):
            first = k == 0
            writer.writerow([
                f"PKG-{k // FILES_PER_ROW + 1:06d}", "KS", CASE_KEY,
                "Benchmark: ett ärende med många filer" if first else "",
                (class_code or "") if first else "", row_ref, "Inkommande", "2026-01-15",
                "Exempelbygg AB", f"Bilagor {k + 1}–{min(k + FILES_PER_ROW, len(names))}",
                "AA", "|".join(names[k:k + FILES_PER_ROW]), "", ""])
    return path


def setup(work: Path, n: int, total: int, small: bool) -> dict[str, Any]:
    from diariekit.cases import close_case
    from diariekit.registration.intake import read_intake
    from diariekit.registration.register import register_rows
    from diariekit.registry.engine import open_engine

    rng = random.Random(SEED)
    sizes = file_sizes(n, total, small, rng)
    src = work / "src"
    t0 = time.perf_counter()
    names = generate(src, sizes, rng)
    t_gen = time.perf_counter() - t0
    config = make_registry(work / "reg")
    intake = write_intake(src, names, record_types(config))
    t0 = time.perf_counter()
    engine = open_engine(config.registry_url)
    report = register_rows(config, read_intake(intake), engine=engine, source=str(intake),
                           actor="bench")
    engine.dispose()
    if not report.committed or report.errors:
        first = "; ".join(f"{f.location}: {f.message}" for f in report.findings[:5])
        raise SystemExit(f"registration failed ({report.errors} errors): {first}")
    dnr = report.outcomes[0].case
    if dnr is None:
        raise SystemExit("registration opened no case")
    close_case(config, dnr, org_id="ks", actor="bench")
    t_reg = time.perf_counter() - t0
    (src / "intake.csv").unlink()
    return {"files": n, "bytes": sum(sizes), "config": str(config.path), "dnr": dnr,
            "src": str(src), "generate_s": t_gen, "register_s": t_reg,
            "storage": str(config.storage_path)}


# --- page cache ------------------------------------------------------------------------


def _files_under(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            yield Path(dirpath) / f


def evict(root: Path) -> None:
    """Drop this folder's files from the page cache (fsync first: dirty pages stay)."""
    for path in _files_under(root):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


# --- workers (each in its own process) -------------------------------------------------


def _rss_kib() -> int:
    """Peak RSS of this process (VmHWM, KiB). Not ``ru_maxrss``: Linux carries that over
    from the parent across fork + exec, so a worker would report the driver's peak."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _object_paths(storage: Path) -> list[Path]:
    """The content-store objects (what the build reads), sorted, temporaries left out."""
    from diariekit.files.store import ContentStore

    store = ContentStore(storage)
    return [store.path_for(sha) for sha in store.iter_objects()]


def worker_hash(storage: Path) -> dict[str, Any]:
    paths = _object_paths(storage)
    start_rss = _rss_kib()
    t0 = time.perf_counter()
    total = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while count := fh.readinto(buf):
                digest.update(view[:count])
                total += count
        digest.hexdigest()
    return {"seconds": time.perf_counter() - t0, "files": len(paths), "bytes": total,
            "rss_start_kib": start_rss, "rss_peak_kib": _rss_kib()}


def worker_copy(storage: Path, out: Path) -> dict[str, Any]:
    """The write floor: copy the same objects (1 MiB chunks, one thread, no hash), then make
    them durable as the build does (one ``syncfs`` of the file system)."""
    from diariekit.packages.build import _sync_filesystem

    paths = _object_paths(storage)
    start_rss = _rss_kib()
    t0 = time.perf_counter()
    out.mkdir(parents=True)
    copies = []
    for k, path in enumerate(paths):
        dest = out / f"{k:07d}"
        with open(path, "rb") as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        copies.append(dest)
    _sync_filesystem(out)
    return {"seconds": time.perf_counter() - t0, "files": len(paths),
            "rss_start_kib": start_rss, "rss_peak_kib": _rss_kib()}


def worker_build(config_path: Path, dnr: str, out: Path, link: bool = False) -> dict[str, Any]:
    from diariekit.clock import STOCKHOLM
    from diariekit.config import load_config
    from diariekit.packages.build import Selection, build_case_packages

    config = load_config(config_path)
    start_rss = _rss_kib()
    t0 = time.perf_counter()
    result = build_case_packages(config, org_id="ks", select=Selection(cases=(dnr,)),
                                 out_dir=out, fmt="dir", actor="bench", link=link,
                                 created=datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM))
    seconds = time.perf_counter() - t0
    pkg = result.packages[0]
    return {"seconds": seconds, "files": pkg.files, "package": str(pkg.path),
            "size": pkg.size, "rss_start_kib": start_rss, "rss_peak_kib": _rss_kib()}


def worker_validate(package: Path) -> dict[str, Any]:
    from diariekit.packages.validate import validate_package

    start_rss = _rss_kib()
    t0 = time.perf_counter()
    report = validate_package(package, schemas=None, checksums=True)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "valid": report.valid, "files": report.files_checked,
            "bytes": report.bytes_checked, "errors": [f.message for f in report.findings
                                                      if f.severity.name == "ERROR"][:3],
            "rss_start_kib": start_rss, "rss_peak_kib": _rss_kib()}


def worker_bag(folder: Path, mode: str) -> dict[str, Any]:
    import logging

    import bagit

    logging.disable(logging.CRITICAL)
    start_rss = _rss_kib()
    t0 = time.perf_counter()
    if mode == "make":
        bagit.make_bag(str(folder), processes=2, checksums=["sha256"])
    else:
        bagit.Bag(str(folder)).validate(processes=2)
    seconds = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "rss_start_kib": start_rss, "rss_peak_kib": _rss_kib(),
            "rss_children_peak_kib": children, "bagit": bagit.VERSION}


def _worker_main(args: argparse.Namespace) -> None:
    if args.worker == "hash":
        result = worker_hash(Path(args.storage))
    elif args.worker == "copy":
        result = worker_copy(Path(args.storage), Path(args.out))
    elif args.worker in ("build", "build-link"):
        result = worker_build(Path(args.config), args.dnr, Path(args.out),
                              link=args.worker == "build-link")
    elif args.worker == "validate":
        result = worker_validate(Path(args.package))
    else:
        result = worker_bag(Path(args.folder), args.worker.removeprefix("bag-"))
    print(json.dumps(result))


# --- driver ----------------------------------------------------------------------------


def _spawn(*argv: str) -> dict[str, Any]:
    return spawn(__file__, *argv)


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(work: Path, n: int, total: int, small: bool, bag: bool) -> dict[str, Any]:
    _say(f"generating and registering {n:,} files, {total / 2**20:,.0f} MiB …")
    info = setup(work, n, total, small)
    _say(f"setup done (generate {info['generate_s']:.1f} s, register {info['register_s']:.1f} s)")
    return measure(work, info, bag)


def measure(work: Path, info: dict[str, Any], bag: bool) -> dict[str, Any]:
    """The timed runs on a set-up registry (``setup``'s result), outputs under ``work``."""
    storage = Path(info["storage"])
    r: dict[str, Any] = {"setup": info}
    # Flush what the setup wrote (source files too), so that no writeback overlaps the runs.
    evict(Path(info["src"]))
    evict(storage)
    r["hash_cold"] = _spawn("--worker", "hash", "--storage", str(storage))
    r["hash_warm"] = _spawn("--worker", "hash", "--storage", str(storage))
    _say(f"hash cold {r['hash_cold']['seconds']:.2f} s, warm {r['hash_warm']['seconds']:.2f} s")
    r["copy_warm"] = _spawn("--worker", "copy", "--storage", str(storage), "--out",
                            str(work / "copy"))
    shutil.rmtree(work / "copy")
    _say(f"copy + syncfs warm {r['copy_warm']['seconds']:.2f} s")
    evict(storage)
    r["build_cold"] = _spawn("--worker", "build", "--config", info["config"], "--dnr",
                             info["dnr"], "--out", str(work / "out-cold"))
    r["build_warm"] = _spawn("--worker", "build", "--config", info["config"], "--dnr",
                             info["dnr"], "--out", str(work / "out-warm"))
    _say(f"build cold {r['build_cold']['seconds']:.2f} s, warm {r['build_warm']['seconds']:.2f} s")
    shutil.rmtree(work / "out-cold")
    # --link: the data files are hard-linked from the store (read once to check the hash).
    evict(storage)
    r["link_cold"] = _spawn("--worker", "build-link", "--config", info["config"], "--dnr",
                            info["dnr"], "--out", str(work / "link-cold"))
    r["link_warm"] = _spawn("--worker", "build-link", "--config", info["config"], "--dnr",
                            info["dnr"], "--out", str(work / "link-warm"))
    _say(f"build --link cold {r['link_cold']['seconds']:.2f} s, "
         f"warm {r['link_warm']['seconds']:.2f} s")
    shutil.rmtree(work / "link-cold")
    shutil.rmtree(work / "link-warm")
    package = Path(r["build_warm"]["package"])
    evict(package)
    r["validate_cold"] = _spawn("--worker", "validate", "--package", str(package))
    r["validate_warm"] = _spawn("--worker", "validate", "--package", str(package))
    _say(f"validate cold {r['validate_cold']['seconds']:.2f} s, "
         f"warm {r['validate_warm']['seconds']:.2f} s")
    for key in ("validate_cold", "validate_warm"):
        if not r[key]["valid"]:
            raise SystemExit(f"the built package does not validate: {r[key]['errors']}")
    shutil.rmtree(work / "out-warm")
    if bag:
        folder = work / "bag"
        shutil.copytree(info["src"], folder)
        r["bag_make"] = _spawn("--worker", "bag-make", "--folder", str(folder))
        r["bag_validate_warm"] = _spawn("--worker", "bag-validate", "--folder", str(folder))
        evict(folder)
        r["bag_validate_cold"] = _spawn("--worker", "bag-validate", "--folder", str(folder))
        _say(f"bagit make {r['bag_make']['seconds']:.2f} s, validate warm "
             f"{r['bag_validate_warm']['seconds']:.2f} s, cold "
             f"{r['bag_validate_cold']['seconds']:.2f} s")
        shutil.rmtree(folder)
    return r


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def report(r: dict[str, Any], small: bool) -> None:
    s = r["setup"]
    print(f"diariekit package benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{s['files']:,} files, {s['bytes'] / 2**20:,.1f} MiB in one case"
          f"{' (--small)' if small else ''}")
    print(f"setup (not timed below): generate {s['generate_s']:.1f} s, register + close "
          f"{s['register_s']:.1f} s\n")
    hc, hw = r["hash_cold"]["seconds"], r["hash_warm"]["seconds"]
    rows = [("run", "cache", "seconds", "MiB/s", "× hash (same cache)", "peak RSS MiB")]

    def add(name: str, key: str, cache: str, base: float | None) -> None:
        if key not in r:
            return
        x = r[key]
        ratio = f"{x['seconds'] / base:.2f}×" if base else "–"
        rows.append((name, cache, f"{x['seconds']:.2f}",
                     f"{s['bytes'] / 2**20 / x['seconds']:,.0f}", ratio,
                     _mib(x["rss_peak_kib"])))

    add("hashlib.sha256 read (1 thread)", "hash_cold", "cold", None)
    add("hashlib.sha256 read (1 thread)", "hash_warm", "warm", None)
    add("copy + syncfs, no hash (1 thread)", "copy_warm", "warm", hw)
    add("diariekit build (dir)", "build_cold", "cold", hc)
    add("diariekit build (dir)", "build_warm", "warm", hw)
    add("diariekit build (dir, --link)", "link_cold", "cold", hc)
    add("diariekit build (dir, --link)", "link_warm", "warm", hw)
    add("diariekit validate", "validate_cold", "cold", hc)
    add("diariekit validate", "validate_warm", "warm", hw)
    add("bagit make_bag (2 processes)", "bag_make", "warm", hw)
    add("bagit validate (2 processes)", "bag_validate_cold", "cold", hc)
    add("bagit validate (2 processes)", "bag_validate_warm", "warm", hw)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths, strict=True)))
              + " |")
        if k == 0:
            print("|" + "|".join(("-" * (w + 2)) if i < 2 else ("-" * (w + 1) + ":")
                                 for i, w in enumerate(widths)) + "|")
    bw, vw = r["build_warm"]["seconds"] / hw, r["validate_warm"]["seconds"] / hw
    bc, vc = r["build_cold"]["seconds"] / hc, r["validate_cold"]["seconds"] / hc
    print(f"\nbuild / hash: {bw:.2f}× warm, {bc:.2f}× cold (target ≤ 1.25×: "
          f"{'met' if max(bw, bc) <= 1.25 else 'met warm only' if bw <= 1.25 else 'missed'})")
    if "link_warm" in r:
        lw, lc = r["link_warm"]["seconds"] / hw, r["link_cold"]["seconds"] / hc
        print(f"build --link / hash: {lw:.2f}× warm, {lc:.2f}× cold (target ≤ 1.25×: "
              f"{'met' if max(lw, lc) <= 1.25 else 'met warm only' if lw <= 1.25 else 'missed'})")
    if "copy_warm" in r:
        print(f"build / copy + syncfs (warm): "
              f"{r['build_warm']['seconds'] / r['copy_warm']['seconds']:.2f}×")
    print(f"validate / hash: {vw:.2f}× warm, {vc:.2f}× cold (target ≤ 1.15×: "
          f"{'met' if max(vw, vc) <= 1.15 else 'met warm only' if vw <= 1.15 else 'missed'})")
    if "bag_make" in r:
        print(f"build / bagit make_bag: {r['build_warm']['seconds'] / r['bag_make']['seconds']:.2f}"
              f"×; validate / bagit validate (warm): "
              f"{r['validate_warm']['seconds'] / r['bag_validate_warm']['seconds']:.2f}×; "
              f"bagit {r['bag_make']['bagit']}, children's peak RSS "
              f"{_mib(r['bag_make']['rss_children_peak_kib'])} MiB")
    peak = max(r[k]["rss_peak_kib"] for k in ("build_cold", "build_warm", "validate_cold",
                                               "validate_warm"))
    print(f"peak RSS of build/validate: {_mib(peak)} MiB (target ≤ 300 MB for 100k small "
          f"files: {'met' if peak * 1024 <= 300e6 else 'missed'}); RSS after imports "
          f"{_mib(r['build_warm']['rss_start_kib'])} MiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=None,
                        help="number of files (default 10 000; 100 000 with --small)")
    parser.add_argument("--total-mb", type=float, default=2048,
                        help="total size in MiB (default 2048; ignored with --small)")
    parser.add_argument("--small", action="store_true",
                        help="small files (1–4 KiB) for peak RSS; default 100 000 files")
    parser.add_argument("--no-bagit", action="store_true", help="skip the bagit runs")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"),
                        help="folder for the temporary files (default /tmp)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    parser.add_argument("--worker", choices=["hash", "copy", "build", "build-link", "validate",
                                             "bag-make",
                                             "bag-validate"], help=argparse.SUPPRESS)
    for name in ("--storage", "--config", "--dnr", "--out", "--package", "--folder"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args)
        return
    n = args.files or (100_000 if args.small else 10_000)
    total = n * 2560 if args.small else int(args.total_mb * 2**20)
    bag = not args.no_bagit
    if bag:
        try:
            import bagit  # noqa: F401
        except ImportError:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "bagit"], check=True)
    # source + store + 2 packages (cold and warm build exist together) + a bag copy, +10 %.
    need = int(total * (5 if bag else 4) * 1.1) + n * 4096 * 5
    free = shutil.disk_usage(args.tmp).free
    if need > free:
        factor = free / need * 0.9
        n, total = max(int(n * factor), 10), int(total * factor)
        print(f"only {free / 2**30:.1f} GiB free under {args.tmp} but about "
              f"{need / 2**30:.1f} GiB needed: scaled down to {n:,} files, "
              f"{total / 2**20:,.0f} MiB", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="diariekit-bench-pkg-", dir=args.tmp))
    try:
        result = run(work, n, total, args.small, bag)
        report(result, args.small)
        if args.json:
            print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
