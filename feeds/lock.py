"""One build at a time per output folder: an exclusive `flock` on `<out_dir>/.feeds.lock`.

The lock lives in the folder it protects, so two configs that share one output folder
also exclude each other. `flock` locks belong to the open file: the kernel drops them
when the holder exits, however it exits (even `kill -9`), so a stale lock file left
behind by a killed run never blocks the next one. The file itself is never deleted:
deleting it would let a third run lock a fresh inode while a second still holds the old.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.errors import FeedsError, OutputError

LOCK_FILE = ".feeds.lock"
_POLL_SECONDS = 0.1


class LockedError(FeedsError):
    """Another run holds the output folder's lock (the CLI exits with EX_TEMPFAIL)."""


@contextmanager
def output_lock(out_dir: Path, wait: float = 0.0) -> Iterator[Path]:
    """Hold the exclusive lock on `out_dir` for the body of the `with`; yield the lock path.

    Creates `out_dir` if needed. Raises LockedError at once when another process holds it,
    or after `wait` seconds of retrying.
    """
    lock_path = out_dir / LOCK_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError.from_os_error(lock_path, "create the lock file", exc) from exc
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait:g} s" if wait > 0 else ""
                    msg = (
                        f"{out_dir}: another feeds run holds {LOCK_FILE}{waited}; "
                        "try again later (or pass --wait SECONDS)"
                    )
                    raise LockedError(msg) from None
                time.sleep(_POLL_SECONDS)
        yield lock_path
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)
