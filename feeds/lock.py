"""The output folder's lock: one build or publish at a time per output folder.

An `fcntl.flock` on `<out_dir>/.feeds.lock`: the kernel drops it when the process dies,
so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.errors import FeedsError

LOCK_FILE = ".feeds.lock"
_POLL_SECONDS = 0.1


class LockedError(FeedsError):
    """Another run holds the output folder's lock (the CLI exits 75, EX_TEMPFAIL)."""


@contextmanager
def output_lock(out_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock on `out_dir` for the `with` block; wait up to `wait` seconds for it.

    Raises LockedError when another process still holds it after `wait` seconds.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    msg = f"{path}: another feeds run is using {out_dir}; try again later"
                    raise LockedError(msg) from None
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
