"""Files in the output folder: where a relative path may land, and replacing one atomically."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from feeds.errors import OutputError

_temp_names = itertools.count()


def safe_target(out_dir: Path, relative: str) -> Path:
    """The absolute path of `relative` inside out_dir; OutputError if it would land outside."""
    target = (out_dir / relative).resolve()
    if not target.is_relative_to(out_dir.resolve()) or target == out_dir.resolve():
        msg = f"{relative}: refusing to write outside the output folder {out_dir}"
        raise OutputError(msg)
    return target


def temp_name(name: str) -> str:
    """The temporary file a replacement of `name` is written to first: '.<name>.<id>.tmp',
    the shape the sweep after a killed run looks for."""
    return f".{name}.{os.getpid()}x{next(_temp_names)}.tmp"


def write_atomic(target: Path, content: bytes, *, fsync: bool = False) -> None:
    """Replace `target` with `content` so readers see the old file or the new one, never half.

    The bytes go to a temporary file beside it, then are renamed over it (atomic within
    one file system). Without `fsync` this survives kill -9, which is what a cron job
    meets; fsync adds power-loss durability at ~1.4 ms a file. The folder is made only
    when the temporary file can't be (this is the hot loop of a build).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        temp = target.with_name(temp_name(target.name))
        try:
            fd = os.open(temp, flags, 0o644)
            break
        except FileExistsError:
            continue  # left by a killed run that had the same process id
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            os.fchmod(fd, 0o644)  # whatever the umask: a web server must read it
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def same_bytes(path: Path, content: bytes) -> bool:
    """Whether the file at path holds exactly `content`."""
    try:
        if os.stat(path).st_size != len(content):
            return False
        with open(path, "rb") as file:
            return file.read() == content
    except OSError:
        return False
