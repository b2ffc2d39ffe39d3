"""Exceptions for a run as a whole; a bad article file is a `Problem`, never an exception."""

from __future__ import annotations

import errno
from collections.abc import Sequence


class FeedsError(Exception):
    """Base class: the run cannot go on, and the message says why and what to do."""


class ConfigError(FeedsError):
    """The config file is missing, unreadable or invalid; `problems` lists every finding."""

    def __init__(self, path: object, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: invalid config:\n{lines}")

    @classmethod
    def unreadable(cls, path: object, problem: str) -> ConfigError:
        """A config file that cannot be read: `problem` says so, and is the whole message
        (the file is not invalid; there is none to read)."""
        error = cls(path, [problem])
        error.args = (problem,)
        return error


class InputError(FeedsError):
    """The articles as a whole cannot be used (no files found, or rejected ones with --strict).

    `problems` carries the per-file findings that led here, for the CLI to print first.
    """

    def __init__(self, message: str, problems: Sequence[object] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)


class OutputError(FeedsError):
    """The output folder cannot be written as asked (collision, escape, I/O failure)."""

    @classmethod
    def from_os_error(cls, what: object, action: str, exc: OSError) -> OutputError:
        """'PATH: cannot ACTION: REASON; WHAT TO DO', for an operator reading cron mail."""
        reason = exc.strerror or str(exc)
        return cls(f"{what}: cannot {action}: {reason}; {_REMEDIES.get(exc.errno or 0, _CHECK)}")


_CHECK = "check the folder and its file system, then run again"
_REMEDIES = {
    errno.ENOSPC: "free some disk space, then run again (the next run finishes the job)",
    errno.EDQUOT: "raise the disk quota or free space, then run again",
    errno.EROFS: "the file system is mounted read-only; point output.dir at a writable folder",
    errno.EACCES: "give the user running feeds write access to it",
    errno.EPERM: "give the user running feeds write access to it",
}


class PublishError(FeedsError):
    """The bucket cannot be read or written at all (credentials, bucket, network)."""


class StoreError(FeedsError):
    """An article store cannot be opened, read or written (connection, missing table, SQL)."""
