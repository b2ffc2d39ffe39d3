"""Output helpers for the CLI: log formats, verbosity and the terminal-only progress bar.

Cron mails whatever a job prints, so off a terminal a clean run prints nothing: only
`warning:` lines and errors (and with --quiet, errors only).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import click

from feeds.model import Problem
from feeds.progress import Progress, no_progress

log = logging.getLogger("feeds")


def _prefix(record: logging.LogRecord) -> str:
    """The CLI's wording before a message: `error: `, `warning: `, else who speaks (`feeds: `)."""
    if record.levelno >= logging.ERROR:
        return "error: "
    if record.levelno >= logging.WARNING:
        return "warning: "
    return record.name.rpartition(".")[2] + ": "


# C0 and C1 controls, DEL and the Unicode line separators: in a value (a file name) they
# could start a forged line (`\nError: ...`) or drive the terminal (ESC).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """`text` with each control character written as an escape: newline as `\\n`, ESC
    as `\\x1b`, a line separator as `\\u2028`."""
    return _CONTROLS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def _escaped(value: object) -> object:
    return value if value is None or isinstance(value, int | float) else escape_controls(str(value))


class TextFormatter(logging.Formatter):
    """`warning: MESSAGE`, `error: MESSAGE`, or `feeds: MESSAGE` (`websub: ` from feeds.websub).

    The message's values (paths, reasons, problems) have their control characters escaped,
    so that each record is one line whatever a file is named.
    """

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, Mapping):
            args = {key: _escaped(value) for key, value in args.items()}
        elif args:
            args = tuple(_escaped(value) for value in args)
        escaped = logging.makeLogRecord({**record.__dict__, "args": args})
        return _prefix(record) + super().format(escaped)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: the level, the message, its fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"level": record.levelname.lower(), "message": record.getMessage()}
        if isinstance(record.args, Mapping):  # the fields of feeds.logs.fields
            data.update(record.args)
        problem = getattr(record, "problem", None)
        if isinstance(problem, Problem):
            data |= {
                "path": problem.path,
                "field": problem.field,
                "reason": problem.message,
                "rejected": problem.rejected,
            }
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(verbose: bool, quiet: bool = False, log_format: str = "text") -> None:
    """Send the 'feeds' logger to stderr at the level the flags ask for."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    handler.setFormatter(formatter)
    log.handlers[:] = [handler]
    log.propagate = False
    if quiet:
        level = logging.ERROR
    elif verbose or sys.stderr.isatty():
        level = logging.INFO
    else:
        level = logging.WARNING
    log.setLevel(level)


def report_problems(problems: tuple[object, ...]) -> None:
    """One `warning: PATH: FIELD: REASON` line per problem (dropped by --quiet)."""
    for problem in problems:
        log.warning("%s", problem, extra={"problem": problem})


class _Bar:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def advance(self, n: int) -> None:
        self.bar.update(n)


@contextmanager
def _click_bar(label: str, length: int) -> Iterator[Progress]:
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield _Bar(bar)


def terminal_progress(label: str, length: int) -> AbstractContextManager[Progress]:
    """A progress bar on stderr, only when it is a terminal and the work is worth one."""
    if length < 100 or not sys.stderr.isatty():
        return no_progress(label, length)
    return _click_bar(label, length)
