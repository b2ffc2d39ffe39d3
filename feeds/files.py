"""Files in the output folder: where a relative path may land, and replacing one atomically."""

from __future__ import annotations

import errno
import itertools
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from feeds.errors import OutputError

NOT_REGULAR = "not a regular file (a FIFO, socket or device)"

_temp_names = itertools.count()
# Names Windows cannot give a file or folder, whatever follows a dot ('con', 'NUL.txt');
# the output may be synced to a Windows machine.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))]
)


def windows_device(name: str) -> bool:
    """Whether Windows reserves this file name for a device ('con', 'nul.txt', 'COM1')."""
    return name.split(".", 1)[0].lower() in _WINDOWS_DEVICES


def safe_target(out_dir: Path, relative: str) -> Path:
    """The path of `relative` inside out_dir, never resolved through a symbolic link.

    The final name is not followed: whatever is there, a link included, is replaced by a
    rename, never written through. A folder on the way that is a link is refused, so
    nothing is ever written or deleted outside the folders the config names. Raises
    OutputError for either, and for a path that would leave out_dir.
    """
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts or "." in parts:
        msg = f"{relative}: refusing to write outside the output folder {out_dir}"
        raise OutputError(msg)
    folder = out_dir
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            msg = f"{folder}: a symbolic link inside the output folder; remove it"
            raise OutputError(msg)
    return folder / parts[-1]


def safe_targets(out_dir: Path, relatives: Iterable[str]) -> list[Path]:
    """`safe_target` of each path (raising as it does), each folder checked once.

    A render writes four files into every feed folder, and checking a folder costs a
    `stat` per level on the way; the files of a folder already checked only need a name
    that is not '', '.' or '..'. The folder is keyed by the text before the name, slash
    included, so '/x' is never taken for 'x'.
    """
    folders: dict[str, Path] = {}
    targets: list[Path] = []
    for relative in relatives:
        cut = relative.rfind("/") + 1
        folder, name = relative[:cut], relative[cut:]
        checked = folders.get(folder)
        if checked is not None and name not in ("", ".", ".."):
            targets.append(checked / name)
            continue
        target = safe_target(out_dir, relative)
        if name not in ("", ".", ".."):  # 'a/' names folder a itself, not a file in it
            folders[folder] = target.parent
        targets.append(target)
    return targets


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


def is_regular_file(path: Path) -> bool:
    """Whether path is a regular file itself (not a link to one, not a FIFO or device)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def regular_size(path: str | Path) -> int | None:
    """The size of the regular file at path; None for a link, a special file or nothing."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def read_regular(path: Path) -> bytes | None:
    """The bytes of path if it is a regular file; None for a link, a FIFO, a device or nothing.

    Callers check with lstat first (opening a device can have effects); the open itself
    neither blocks (a FIFO swapped in meanwhile would wait for a writer forever) nor
    follows a link, and fstat checks what was opened. Raises OSError if a regular file
    can't be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP):  # gone, or a link (O_NOFOLLOW)
            return None
        raise
    with open(fd, "rb") as file:
        return file.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None


def same_bytes(path: Path, content: bytes) -> bool:
    """Whether path is a regular file (not a link) holding exactly `content`."""
    if regular_size(path) != len(content):
        return False
    try:
        return read_regular(path) == content
    except OSError:
        return False
