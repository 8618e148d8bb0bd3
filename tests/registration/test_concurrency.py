"""Four registrars at once, as four processes, into one SQLite file or one PostgreSQL
database: every case number is unique and the numbers are gapless."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sqlalchemy as sa
from cli import SCRIPT

from diariekit.config import Config
from diariekit.events import verify_chain
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, document

HEAD = "Externt id;Serie;Ärendemening;Klass;Handlingstyp;Riktning;Datum;Avsändare/Mottagare;" \
       "Beskrivning\n"
PROCESSES = 4
ROWS = 30


def test_four_processes_get_unique_gapless_numbers(registry: Config, tmp_path: Path) -> None:
    inputs = []
    for p in range(PROCESSES):
        path = tmp_path / f"batch-{p}.csv"
        path.write_text(HEAD + "".join(
            f"p{p}-{i};KS;Medborgarförslag {p}-{i};1.1.2;ks-1.1.2-03;Inkommande;"
            f"2026-03-0{1 + i % 9};Medborgare {i};Förslag\n" for i in range(ROWS)),
            encoding="utf-8")
        inputs.append(path)
    env = {**os.environ, "DIARIEKIT_CONFIG": str(registry.path)}
    procs = [subprocess.Popen([str(SCRIPT), "register", str(path), "--quiet"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for path in inputs]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + err
    with connect(open_engine(registry.registry_url)) as conn:
        numbers = sorted(conn.execute(sa.select(case_.c.number)).scalars())
        assert numbers == list(range(1, PROCESSES * ROWS + 1))
        refs = conn.execute(sa.select(document.c.ref)).scalars().all()
        assert len(refs) == len(set(refs)) == PROCESSES * ROWS
        assert verify_chain(conn).ok
