"""ordered_map: worker threads, results in input order, bounded window, errors after cleanup."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from diariekit.parallel import ordered_map


def test_results_in_input_order_with_threads() -> None:
    seen: set[str] = set()

    def work(i: int) -> int:
        seen.add(threading.current_thread().name)
        time.sleep(0.001 * (i % 3))  # later items may finish first
        return i * i

    assert list(ordered_map(work, range(50), workers=3)) == [i * i for i in range(50)]
    assert any(name.startswith("diariekit-io") for name in seen)


def test_one_worker_runs_inline() -> None:
    names = list(ordered_map(lambda _: threading.current_thread().name, range(3), workers=1))
    assert names == [threading.current_thread().name] * 3


def test_window_bounds_work_in_flight() -> None:
    taken = 0

    def items() -> Iterator[int]:
        nonlocal taken
        for i in range(100):
            taken += 1
            yield i

    results = ordered_map(lambda i: i, items(), workers=2, window=4)
    assert next(results) == 0
    assert taken <= 4
    assert list(results) == list(range(1, 100))


def test_error_waits_for_running_work_and_cancels_the_rest() -> None:
    finished: list[int] = []

    def work(i: int) -> int:
        if i == 2:
            raise OSError("disk full")
        time.sleep(0.02)
        finished.append(i)
        return i

    with pytest.raises(OSError, match="disk full"), \
            closing(ordered_map(work, range(1000), workers=2, window=4)) as results:
        for _ in results:
            pass
    count = len(finished)
    time.sleep(0.1)
    assert len(finished) == count  # nothing still running after the error surfaced
    assert count < 20
