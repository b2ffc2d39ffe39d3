"""What the CLI shows on the console, and its shared options: log formats, verbosity, the
wording of summaries and errors, and the terminal-only progress bar.

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
from feeds.ignorable import ignorable_pattern
from feeds.model import Problem
from feeds.reporting import Progress, fields, no_progress
from feeds.scaffold import CONFIG_FILE

if TYPE_CHECKING:
    from feeds.engine import Outcome
    from feeds.publish import PublishReport
    from feeds.watch import Rebuild

log = logging.getLogger("feeds")
DEFAULT_CONFIG = Path(CONFIG_FILE)

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


class FeedsGroup(click.Group):
    """The `feeds` command group: with `--log-format json` among the arguments, a usage
    error (an unknown option or command, a bad value) is a JSON line too, for the log
    collector that reads every other line; its exit status stays 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The group's context, knowing whether the arguments ask for JSON logs."""
        wants_json = "--log-format=json" in args or any(
            args[n : n + 2] == ["--log-format", "json"] for n in range(len(args))
        )
        with _as_json(wants_json):
            context = super().make_context(info_name, args, parent, **extra)
        context.meta[_JSON] = wants_json
        return context

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command named, its usage errors as JSON when asked."""
        with _as_json(bool(ctx.meta.get(_JSON))):
            return super().invoke(ctx)


_JSON = "feeds.log_format_json"


@contextmanager
def _as_json(wanted: bool) -> Iterator[None]:
    try:
        yield
    except click.UsageError as exc:
        if not wanted:
            raise
        line = {"level": "error", "message": exc.format_message(), "exit_code": exc.exit_code}
        click.echo(json.dumps(line, ensure_ascii=False), err=True)
        raise click.exceptions.Exit(exc.exit_code) from exc


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


SUMMARY = (
    "%(files_read)d article files read, %(published)d published, %(rejected)d rejected; "
    "%(feeds)d feeds, %(files_written)d files written, %(files_unchanged)d unchanged"
)
# From an article store: its rows where a folder has files (the fields keep their names).
STORE_SUMMARY = SUMMARY.replace("article files read", "rows read")


def summary_fields(outcome: Outcome) -> dict[str, object]:
    """Every count of a build, by name: the summary line's, and with --log-format json
    its keys (the outcome's other counts too)."""
    report = outcome.report
    return fields(
        files_read=report.files_found,
        articles_valid=report.articles_valid,
        published=report.articles_selected,
        rejected=report.rejected_files,
        feeds=outcome.feeds_rendered + outcome.feeds_skipped,
        files_written=len(report.written),
        files_unchanged=len(report.unchanged),
        files_deleted=len(outcome.deleted),
        files_parsed=outcome.files_parsed,
        files_cached=outcome.files_cached,
        feeds_rendered=outcome.feeds_rendered,
        feeds_unchanged=outcome.feeds_skipped,
        archive_pages_rendered=outcome.pages_rendered,
        archive_pages_unchanged=outcome.pages_skipped,
    )


def log_summary(outcome: Outcome, verbose: bool, from_store: bool = False) -> None:
    """The summary line (shown on a terminal or with -v), and with -v the timings;
    `from_store`: the articles are an article store's rows."""
    log.info(STORE_SUMMARY if from_store else SUMMARY, summary_fields(outcome))
    if outcome.deleted:
        log.info("%d files of feeds that no longer exist deleted", len(outcome.deleted))
    if verbose:
        log.info("%s", timing_line(outcome, "rows" if from_store else "files"))


def timing_line(outcome: Outcome, read: str = "files") -> str:
    """'scan 0.1 s, parse 1.2 s, ...; 12 feeds rendered, 4,580 unchanged' (and
    '; 3 archive pages rendered, 950 unchanged' when there are any)."""
    stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in outcome.timings)
    archives = (
        f"; {outcome.pages_rendered:,} archive pages rendered, {outcome.pages_skipped:,} unchanged"
        if outcome.pages_rendered + outcome.pages_skipped
        else ""
    )
    return (
        f"{stages}; {outcome.files_parsed:,} {read} parsed, "
        f"{outcome.files_cached:,} from cache; {outcome.feeds_rendered:,} feeds rendered, "
        f"{outcome.feeds_skipped:,} unchanged{archives}"
    )


def publish_summary(report: PublishReport) -> str:
    """One line: where, and how many keys were uploaded, unchanged, deleted, failed."""
    # Imported here: importing the feeds.publish package imports boto3 (~0.17 s), which
    # every run that does not publish would pay for.
    from feeds.publish.plan import Action

    skipped = sum(1 for step in report.plan.steps if step.action is Action.SKIP)
    return (
        f"s3://{report.bucket}/{report.prefix}: {len(report.uploaded)} uploaded, "
        f"{skipped} unchanged, {len(report.deleted)} deleted, {len(report.failed)} failed"
    )


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
        from_store = rebuild.config is not None and rebuild.config.content.database is not None
        log_summary(rebuild.outcome, verbose, from_store)
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
# could start a forged line (`\nError: ...`) or drive the terminal (ESC). Default-ignorable
# characters (RLO, zero-width space) are escaped too: they would make a name read in
# another order than it is written, or hide that two names differ.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What JSON leaves as it is (it escapes only C0) and a terminal or log viewer would act on.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with each control or default-ignorable character written as an escape:
    newline as `\\n`, ESC as `\\x1b`, a line separator as `\\u2028`, RLO as `\\u202e`."""
    text = _CONTROLS.sub(_escape, text)
    return text if text.isascii() else ignorable_pattern().sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def json_line(data: Mapping[str, Any]) -> str:
    """`data` as one line of JSON, UTF-8 text as it is but for the characters a reader of
    the log would not see: C1 controls, DEL, line separators and default-ignorable
    characters are `\\u` escapes (surrogate pairs past U+FFFF), as ensure_ascii would."""
    line = _JSON_UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False, default=str))
    return line if line.isascii() else ignorable_pattern().sub(_json_escape, line)


def _json_escape(match: re.Match[str]) -> str:
    # Outside strings a JSON line is ASCII: every match is inside a string.
    return json.dumps(match[0])[1:-1]


def _escaped(value: object) -> object:
    return value if value is None or isinstance(value, int | float) else escape_controls(str(value))


class TextFormatter(logging.Formatter):
    """`warning: MESSAGE`, `error: MESSAGE`, or `feeds: MESSAGE` (`websub: ` of its logger).

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
        if isinstance(record.args, Mapping):  # the fields of feeds.reporting.fields
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
        return json_line(data)


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
