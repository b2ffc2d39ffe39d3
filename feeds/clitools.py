"""Helpers for the CLI: its shared options, log formats, verbosity, the wording of summaries
and errors, and the terminal-only progress bar.

Cron mails whatever a job prints, so off a terminal a clean run prints nothing: only
`warning:` lines and errors (and with --quiet, errors only).
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from feeds.errors import FeedsError, InputError
from feeds.model import BuildReport, Problem
from feeds.progress import Progress, no_progress

if TYPE_CHECKING:
    from feeds.engine import Outcome
    from feeds.watch import Rebuild

log = logging.getLogger("feeds")
DEFAULT_CONFIG = Path("config/feeds.yaml")

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The YAML config file.",
)

log_options = [
    click.option("-v", "--verbose", is_flag=True, help="Print a summary and per-stage timings."),
    click.option("-q", "--quiet", is_flag=True, help="Print errors only, no warnings."),
    click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json: one JSON object per line, for log collectors.",
    ),
]


def with_log_options(function: Any) -> Any:
    """Add -v, -q and --log-format to a command."""
    for option in reversed(log_options):
        function = option(function)
    return function


def finite(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """A number option's value, refusing NaN and infinity (FloatRange lets both through;
    `--wait nan` would wait forever)."""
    if not math.isfinite(value):
        msg = f"expected a finite number, got {value}"
        raise click.BadParameter(msg)
    return value


def say_error(message: str, log_format: str, **extra: object) -> None:
    """'Error: MESSAGE' on stderr, or a JSON error line carrying `extra` as keys."""
    if log_format == "json":
        log.error("%s", message, extra={"fields": extra})
    else:
        click.echo(f"Error: {message}", err=True)


def fail(message: str, code: int, log_format: str) -> NoReturn:
    """End the command with `code`: 'Error: MESSAGE' on stderr, or a JSON error line."""
    say_error(message, log_format, exit_code=code)
    sys.exit(code)


def summary(report: BuildReport, feeds: int) -> str:
    """The one-line summary of a build."""
    return (
        f"{report.files_found} article files read, {report.articles_selected} published, "
        f"{report.rejected_files} rejected; {feeds} feeds, "
        f"{len(report.written)} files written, {len(report.unchanged)} unchanged"
    )


def log_summary(outcome: Outcome, verbose: bool) -> None:
    """The summary line (shown on a terminal or with -v), and with -v the timings."""
    log.info("%s", summary(outcome.report, outcome.feeds_rendered + outcome.feeds_skipped))
    if outcome.deleted:
        log.info("%d files of feeds that no longer exist deleted", len(outcome.deleted))
    if verbose:
        log.info("%s", outcome.timing_line())


def print_plan(outcome: Outcome) -> None:
    """A dry run's plan on stdout: each file that would be written or deleted."""
    report = outcome.report
    for path in report.written:
        click.echo(f"would write {path}")
    for path in outcome.deleted:
        click.echo(f"would delete {path}")
    click.echo(
        f"dry run: {len(report.written)} to write, {len(outcome.deleted)} to delete, "
        f"{len(report.unchanged)} unchanged"
    )


def report_rebuild(rebuild: Rebuild, verbose: bool, log_format: str) -> None:
    """What `feeds serve` prints after a rebuild: its problems and summary as `build` does,
    or its error, followed by what is served meanwhile."""
    if rebuild.outcome is not None:
        report_problems(rebuild.outcome.report.problems)
        log_summary(rebuild.outcome, verbose)
    elif rebuild.error is not None:
        if isinstance(rebuild.error, InputError):
            report_problems(rebuild.error.problems)
        error = rebuild.error
        if isinstance(error, FeedsError):
            say_error(f"{error}\n(still serving the last good output)", log_format)
        else:  # a bug: one line without a traceback, naming what it was
            what = escape_controls(f"{type(error).__name__}: {error}")
            say_error(f"rebuild failed: {what} (still serving the last good output)", log_format)


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
