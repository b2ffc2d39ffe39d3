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
from feeds.config import Config, load_config
from feeds.errors import FeedsError, InputError
from feeds.lock import LockedError
from feeds.model import BuildReport, Problem
from feeds.pipeline import build as run_build
from feeds.publish import PublishReport
from feeds.publish import publish as run_publish
from feeds.websub import changed_feed_urls, ping_hub

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


class _Locked(click.ClickException):
    """Another run holds the output folder: exit 75 (EX_TEMPFAIL), cron tries again later."""

    exit_code = 75


def _publish_and_ping(config: Config, dry_run: bool) -> None:
    """Sync the output folder, ping the hub about uploaded feeds; exit 1 if a key failed."""
    try:
        report = run_publish(config, dry_run=dry_run)
    except LockedError as exc:
        raise _Locked(str(exc)) from exc
    except FeedsError as exc:
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        for step in report.plan.steps:
            click.echo(str(step))
        click.echo(f"dry run: {_plan_summary(report)}; nothing was changed")
        return
    log.info("feeds: published %s", report.summary())
    ping_hub(config.site.websub_hub, changed_feed_urls(config.site, report.uploaded))
    if report.failed:
        for failure in report.failed:
            click.echo(f"error: {failure}", err=True)
        msg = (
            f"{len(report.failed)} key(s) failed to publish ({report.summary()}); "
            "the next run retries them"
        )
        raise click.ClickException(msg)


def _plan_summary(report: PublishReport) -> str:
    plan = report.plan
    return (
        f"s3://{report.bucket}/{report.prefix}: {len(plan.uploads)} to upload, "
        f"{len(plan.steps) - len(plan.uploads) - len(plan.deletes)} to skip, "
        f"{len(plan.deletes)} to delete"
    )


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
@click.option("--publish", "and_publish", is_flag=True, help="Then publish, as `feeds publish`.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Print a summary line even when not on a terminal."
)
def build(config_path: Path, strict: bool, and_publish: bool, verbose: bool) -> None:
    """Build every feed into the output folder.

    Example: feeds build --config config/feeds.yaml --publish

    Exit status: 0 feeds written (rejected files reported), 1 config, input or output
    error (nothing written) or, with --publish, a publish error, 2 usage error,
    75 another run holds the output folder.
    """
    _setup_logging(verbose)
    try:
        config = load_config(config_path)
        report = run_build(config, now=datetime.now(UTC), strict=strict)
    except InputError as exc:
        _report_problems(exc.problems)
        raise click.ClickException(str(exc)) from exc
    except FeedsError as exc:
        raise click.ClickException(str(exc)) from exc
    _report_problems(report.problems)
    log.info("feeds: %s", _summary(report))
    if and_publish:
        _publish_and_ping(config, dry_run=False)
    elif config.publish is None:
        # No publish section: the output folder is what is served, so the bytes are live.
        ping_hub(config.site.websub_hub, changed_feed_urls(config.site, report.written))


@cli.command()
@config_option
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (upload/skip/delete); change nothing."
)
@click.option("-v", "--verbose", is_flag=True, help="Print a summary line and each hub ping.")
def publish(config_path: Path, dry_run: bool, verbose: bool) -> None:
    """Upload the output folder's changed files to the bucket in publish.s3.

    Example: feeds publish --config config/feeds.yaml --dry-run

    Exit status: 0 published (or nothing to do), 1 config error, no output, bucket
    unreachable or any key that failed to upload (each is named; the rest were tried),
    2 usage error, 75 another run holds the output folder.
    """
    _setup_logging(verbose)
    try:
        config = load_config(config_path)
    except FeedsError as exc:
        raise click.ClickException(str(exc)) from exc
    _publish_and_ping(config, dry_run)
