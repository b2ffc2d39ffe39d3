"""Write rendered files into the output folder atomically, leaving unchanged files alone."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from feeds.errors import OutputError
from feeds.model import RenderedFile, WriteResult


def safe_target(out_dir: Path, relative: str) -> Path:
    """The absolute path of `relative` inside out_dir; OutputError if it would land outside."""
    target = (out_dir / relative).resolve()
    if not target.is_relative_to(out_dir.resolve()) or target == out_dir.resolve():
        msg = f"{relative}: refusing to write outside the output folder {out_dir}"
        raise OutputError(msg)
    return target


def _same_bytes(path: Path, content: bytes) -> bool:
    try:
        if path.stat().st_size != len(content):
            return False
        return path.read_bytes() == content
    except OSError:
        return False


def write_atomic(path: Path, content: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `content` so readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk (unless
    `fsync` is False: the caller then syncs once for a whole batch), then renamed over
    the target (rename is atomic within one file system).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(content)
            if fsync:
                temp.flush()
                os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; a web server must read it
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_files(files: Iterable[RenderedFile], out_dir: Path) -> WriteResult:
    """Write every file whose bytes differ from what is on disk; return what was written.

    Raises OutputError for a path outside out_dir or a file that can't be written.
    """
    written: list[str] = []
    unchanged: list[str] = []
    for file in files:
        target = safe_target(out_dir, file.path)
        if _same_bytes(target, file.content):
            unchanged.append(file.path)
            continue
        try:
            write_atomic(target, file.content)
        except OSError as exc:
            msg = f"{target}: cannot write: {exc.strerror or exc}"
            raise OutputError(msg) from exc
        written.append(file.path)
    return WriteResult(tuple(written), tuple(unchanged))
