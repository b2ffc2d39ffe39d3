"""The `feeds` command: a thin click shell over `feeds.pipeline`.

Cron mails whatever a job prints, so a clean run prints nothing: report lines go to
stderr as `warning: PATH: FIELD: REASON`, and the summary only to a terminal or with -v.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from feeds import __version__
from feeds.config import load_config
from feeds.errors import FeedsError, InputError
from feeds.model import BuildReport, Problem
from feeds.pipeline import build as run_build

log = logging.getLogger("feeds")
DEFAULT_CONFIG = Path("config/feeds.yaml")


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO if verbose or sys.stderr.isatty() else logging.WARNING)


def _report_problems(problems: tuple[Problem, ...] | tuple[object, ...]) -> None:
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


def _summary(report: BuildReport) -> str:
    feeds = sum(1 for _ in report.groups)
    return (
        f"{report.files_found} article files read, {report.articles_selected} published, "
        f"{report.rejected_files} rejected; {feeds} feeds, "
        f"{len(report.written)} files written, {len(report.unchanged)} unchanged"
    )


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The YAML config file.",
)


@click.group()
@click.version_option(__version__, prog_name="feeds")
def cli() -> None:
    """Turn a folder of news articles into RSS, Atom and JSON feeds."""


@cli.command()
@config_option
@click.option("--strict", is_flag=True, help="Write nothing if any article file is rejected.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Print a summary line even when not on a terminal."
)
def build(config_path: Path, strict: bool, verbose: bool) -> None:
    """Build every feed into the output folder.

    Example: feeds build --config config/feeds.yaml

    Exit status: 0 feeds written (rejected files reported), 1 config, input or output
    error (nothing written), 2 usage error.
    """
    _setup_logging(verbose)
    try:
        report = run_build(load_config(config_path), now=datetime.now(UTC), strict=strict)
    except InputError as exc:
        _report_problems(exc.problems)
        raise click.ClickException(str(exc)) from exc
    except FeedsError as exc:
        raise click.ClickException(str(exc)) from exc
    _report_problems(report.problems)
    log.info("feeds: %s", _summary(report))
