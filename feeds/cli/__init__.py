"""The `feeds` command: a thin click shell over `feeds.engine` and `feeds.publish`.

Cron mails whatever a job prints, so a clean run prints nothing: report lines go to
stderr as `warning: PATH: FIELD: REASON`, and the summary only to a terminal or with -v.
"""

from __future__ import annotations

import logging
import shlex
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from feeds import __version__
from feeds.cache import clear_cache
from feeds.cli.console import (
    DEFAULT_CONFIG,
    FeedsGroup,
    config_option,
    fail,
    finite,
    log_summary,
    print_plan,
    publish_summary,
    report_problems,
    report_rebuild,
    setup_logging,
    terminal_progress,
    with_log_options,
)
from feeds.config import Config, checks, load_config
from feeds.engine import Options, Outcome
from feeds.engine import build as engine_build
from feeds.errors import FeedsError, InputError
from feeds.lock import LockedError
from feeds.reporting import fields

if TYPE_CHECKING:
    from feeds.publish import PublishReport

log = logging.getLogger("feeds")
EX_TEMPFAIL = 75  # sysexits.h: "try again later", what cron wrappers expect for "busy"


@click.group(cls=FeedsGroup)
@click.version_option(__version__, prog_name="feeds")
def cli() -> None:
    """Turn a folder of news articles into RSS, Atom and JSON feeds."""


def _ping(config: Config, changed_paths: Sequence[str]) -> None:
    """Tell the WebSub hub, if there is one, about the feed files among `changed_paths`."""
    if config.site.websub_hub and changed_paths:
        from feeds.publish.websub import changed_feed_urls, ping_hub

        urls = changed_feed_urls(config.site, changed_paths)
        ping_hub(config.site.websub_hub, urls, budget=config.site.websub_budget)


def _plan_summary(report: PublishReport) -> str:
    plan = report.plan
    return (
        f"s3://{report.bucket}/{report.prefix}: {len(plan.uploads)} to upload, "
        f"{len(plan.steps) - len(plan.uploads) - len(plan.deletes)} to skip, "
        f"{len(plan.deletes)} to delete"
    )


def _publish_and_ping(config: Config, dry_run: bool, log_format: str) -> None:
    """Sync the output folder, ping the hub about uploaded feeds; exit 1 if a key failed."""
    # Imported here: boto3 takes a quarter of a second to import, and most runs never publish.
    from feeds.publish import publish as run_publish

    try:
        report = run_publish(config, dry_run=dry_run)
    except LockedError as exc:
        fail(str(exc), EX_TEMPFAIL, log_format)
    except FeedsError as exc:
        fail(str(exc), 1, log_format)
    if dry_run:
        for step in report.plan.steps:
            click.echo(str(step))
        click.echo(f"dry run: {_plan_summary(report)}; nothing was changed")
        return
    log.info("published %s", publish_summary(report))
    _ping(config, report.uploaded)
    if report.failed or report.not_attempted:
        for failure in report.failed:
            log.error("%(key)s: %(reason)s", fields(key=failure.key, reason=failure.reason))
        untried = f", {len(report.not_attempted)} not attempted" if report.not_attempted else ""
        msg = (
            f"{len(report.failed)} key(s) failed to publish{untried} ({publish_summary(report)}); "
            "the next run retries them"
        )
        fail(msg, 1, log_format)


@cli.command()
@config_option
@click.option("--strict", is_flag=True, help="Write nothing if any article file is rejected.")
@click.option("--no-cache", is_flag=True, help="Parse every file; ignore the parse cache.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--publish", "and_publish", is_flag=True, help="Then publish, as `feeds publish`.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    callback=finite,
    default=0,
    metavar="SECONDS",
    help="If another run holds the output folder, wait up to this long (default: exit 75).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Delete every topic and provider feed if no article selects one (else exit 1).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Processes for parsing and rendering; 0 (default): one per core, 1: no pool.",
)
@with_log_options
def build(
    config_path: Path,
    strict: bool,
    no_cache: bool,
    dry_run: bool,
    and_publish: bool,
    wait: float,
    allow_empty: bool,
    jobs: int,
    verbose: bool,
    quiet: bool,
    log_format: str,
) -> None:
    """Build every feed into the output folder, redoing only what changed.

    Example: feeds build --config config/feeds.yaml --publish

    Exit status: 0 feeds written (rejected files reported), 1 config, input or output
    error or an emptying run refused (nothing written; see --allow-empty) or, with
    --publish, a publish error, 2 usage error, 75 another run holds the output folder.
    """
    setup_logging(verbose, quiet, log_format)
    options = Options(
        use_cache=not no_cache,
        dry_run=dry_run,
        strict=strict,
        wait=wait,
        workers=jobs,
        allow_empty=allow_empty,
        progress=terminal_progress,
    )
    config, outcome = _build_or_fail(config_path, options, log_format)
    if dry_run:
        print_plan(outcome)
        return
    log_summary(outcome, verbose, config.content.database is not None)
    # The build has released the output lock by now; publishing takes it again.
    if and_publish:
        _publish_and_ping(config, dry_run=False, log_format=log_format)
    elif config.publish is None:
        # No publish section: the output folder is what is served, so the bytes are live.
        _ping(config, outcome.report.written)


def _build_or_fail(config_path: Path, options: Options, log_format: str) -> tuple[Config, Outcome]:
    """Load the config and run the engine; print the article problems; exit on an error."""
    try:
        config = load_config(config_path)
        outcome = engine_build(config, now=datetime.now(UTC), options=options)
    except InputError as exc:
        report_problems(exc.problems)
        fail(str(exc), 1, log_format)
    except LockedError as exc:
        fail(str(exc), EX_TEMPFAIL, log_format)
    except FeedsError as exc:
        fail(str(exc), 1, log_format)
    report_problems(outcome.report.problems)
    return config, outcome


@cli.command()
@config_option
@with_log_options
def check(config_path: Path, verbose: bool, quiet: bool, log_format: str) -> None:
    """Check the config and every article by the build's rules; write nothing.

    Prints each rejected file and why. Exit status: 0 every article is fine, 1 the config
    is invalid or an article is rejected.
    """
    setup_logging(verbose, quiet, log_format)
    options = Options(validate_only=True, progress=terminal_progress)
    _, outcome = _build_or_fail(config_path, options, log_format)
    report = outcome.report
    log.info(
        "%(files_checked)d article files checked, %(rejected)d rejected",
        fields(files_checked=report.files_found, rejected=report.rejected_files),
    )
    if report.rejected_files:
        sys.exit(1)


@cli.command()
@config_option
def doctor(config_path: Path) -> None:
    """Print versions, the YAML parser in use, the cache state and the articles and feeds."""
    from feeds.doctor import doctor_lines  # imported here: builds never need it

    for line in doctor_lines(config_path):
        click.echo(line)


@cli.group()
def cache() -> None:
    """Manage the parse cache."""


@cache.command("clear")
@config_option
def cache_clear(config_path: Path) -> None:
    """Delete the parse cache's files (the next build parses every file once)."""
    try:
        config = load_config(config_path)
    except FeedsError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        removed = clear_cache(config.cache.dir)
    except OSError as exc:
        msg = f"{exc.filename}: cannot delete it: {exc.strerror or exc}"
        raise click.ClickException(msg) from exc
    for path in removed:
        click.echo(f"deleted {path}")
    if not removed:
        click.echo(f"no cache at {config.cache.dir}")


@cli.command()
@config_option
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (upload/skip/delete); change nothing."
)
@with_log_options
def publish(config_path: Path, dry_run: bool, verbose: bool, quiet: bool, log_format: str) -> None:
    """Upload the output folder's changed files to the bucket in publish.s3.

    Example: feeds publish --config config/feeds.yaml --dry-run

    Exit status: 0 published (or nothing to do), 1 config error, no output, bucket
    unreachable, any key that failed to upload (each is named) or was not attempted
    (above a failed rank, or past publish.s3.budget), 2 usage error, 75 another run holds
    the output folder.
    """
    setup_logging(verbose, quiet, log_format)
    try:
        config = load_config(config_path)
    except FeedsError as exc:
        fail(str(exc), 1, log_format)
    _publish_and_ping(config, dry_run, log_format)


@cli.command()
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=lambda _ctx, _param, host: _listen_host(host),
    help="The address to listen on (0.0.0.0: every IPv4 interface).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to listen on (0: any free one).",
)
@click.option("--no-watch", is_flag=True, help="Do not rebuild when articles or the config change.")
@with_log_options
def serve(
    config_path: Path,
    host: str,
    port: int,
    no_watch: bool,
    verbose: bool,
    quiet: bool,
    log_format: str,
) -> None:
    """Build, then serve the output folder over HTTP for previewing, until Ctrl-C or SIGTERM.

    Rebuilds when an article file or the config changes, and open pages then reload.

    Example: feeds serve --config config/feeds.yaml --port 8000
    """
    from feeds.serve import PreviewServer, serve_until_stopped  # only here: serving, watching
    from feeds.watch import REBUILD_WAIT, Rebuild, watch

    setup_logging(verbose, quiet, log_format)
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C
    options = Options(wait=REBUILD_WAIT, progress=terminal_progress)
    try:
        config, outcome = _build_or_fail(config_path, options, log_format)
    except KeyboardInterrupt:
        sys.exit(0)  # Ctrl-C is how serving ends, even before it began
    log_summary(outcome, verbose, config.content.database is not None)
    try:
        server = PreviewServer(
            host, port, config.output.dir, config.site.base_url, log_requests=verbose
        )
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1, log_format)

    def rebuilt(result: Rebuild) -> None:
        report_rebuild(result, verbose, log_format)
        server.after(result)

    def announce(url: str) -> None:
        click.echo(f"Serving {config.output.dir} at {url} (Ctrl-C to stop)")

    watcher = None if no_watch else partial(watch, config_path, config, on_rebuild=rebuilt)
    serve_until_stopped(server, announce, watcher)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _listen_host(host: str) -> str:
    """`--host` as given; an empty one would listen on every interface, unasked."""
    if not host.strip():
        msg = "empty; give 0.0.0.0 to listen on every interface"
        raise click.BadParameter(msg)
    return host


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite the files that are there already.")
def init(folder: Path, force: bool) -> None:
    """Start a site in FOLDER (default: here): a commented config, two example articles in
    content/ and a .gitignore. Existing files are kept (exit 1) unless --force is given."""
    from feeds.scaffold import CONFIG_FILE, existing, starter_files, write_starter

    files = starter_files()
    taken = existing(folder, files)
    if taken and not force:
        names = ", ".join(str(path) for path in taken)
        fail(f"{names}: already there; nothing written (--force overwrites them)", 1, "text")
    try:
        for path in write_starter(folder, files):
            click.echo(f"wrote {path}")
    except FeedsError as exc:
        fail(str(exc), 1, "text")
    config = folder / CONFIG_FILE
    option = "" if config == DEFAULT_CONFIG else f" --config {shlex.quote(str(config))}"
    click.echo("Build the feeds, then preview them at http://127.0.0.1:8000/ as you edit:")
    click.echo(f"  feeds build{option}\n  feeds serve{option}")


def _store_url(_ctx: click.Context, _param: click.Parameter, value: str) -> Path | str:
    """`--to`: a store URL as `content.database` takes it, a SQLite path relative to here."""
    try:
        database = checks.store_url(value)
    except checks.Invalid as exc:
        raise click.BadParameter(str(exc)) from exc
    return database.resolve() if isinstance(database, Path) else database


@cli.command(name="import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--to",
    "database",
    required=True,
    callback=_store_url,
    help="The store: sqlite:///articles.db (relative to here) or postgresql://user@host/db.",
)
@with_log_options
def import_(
    folder: Path, database: Path | str, verbose: bool, quiet: bool, log_format: str
) -> None:
    """Load the article files under FOLDER into an article store (table `articles`),
    creating the table when it is not there. Rejected files are reported and left out.

    Example: feeds import content --to sqlite:///articles.db
    """
    from feeds.store.importer import import_folder  # only here: the store's drivers

    setup_logging(verbose, quiet, log_format)
    try:
        imported = import_folder(folder, database)
    except InputError as exc:
        report_problems(exc.problems)
        fail(str(exc), 1, log_format)
    except FeedsError as exc:
        fail(str(exc), 1, log_format)
    report_problems(imported.problems)
    log.info(
        "%(rows)d articles imported, %(rejected)d files left out",
        fields(rows=imported.rows, rejected=sum(p.rejected for p in imported.problems)),
    )
