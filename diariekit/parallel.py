"""Run I/O-bound work (copying, hashing) over many files in worker threads, in order.

``hashlib`` and file reads and writes release the GIL for large buffers, so a few threads
hash and copy several files at once. Results come back in the order of the input, so
callers stay deterministic, and only a small window of work is in flight at a time, so
memory stays flat however many files there are.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["default_workers", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker threads for file work: ``min(4, os.cpu_count() or 2)``."""
    return min(4, os.cpu_count() or 2)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None,
                window: int | None = None) -> Generator[R, None, None]:
    """``fn`` over ``items`` in ``workers`` threads; results in input order.

    At most ``window`` (default ``2 * workers``) items are submitted and not yet taken.
    The first exception raised by ``fn`` (in input order) is raised here; work not yet
    started is cancelled and work already running is waited for before it propagates, so
    no thread is still writing when the caller cleans up. With one worker, ``fn`` runs in
    the calling thread. Close the iterator (``contextlib.closing``) when it may be left
    before its end.
    """
    count = default_workers() if workers is None else workers
    if count <= 1:
        for item in items:
            yield fn(item)
        return
    limit = max(window or 2 * count, 1)
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="diariekit-io") as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
