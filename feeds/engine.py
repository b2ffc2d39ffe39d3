"""The build: locked, cached, parallel, incremental and kill-safe. `feeds build`, `check`
and `doctor` all run `build`, and so do the tests; there is no other way to build.

`_run` is the list of stages (functions of `feeds.input_stages` and
`feeds.output_stages`), each timed under its name, and `_outcome` the one place their
outcome is put together.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from feeds.cache import ParseCache, log_corrupt, open_cache
from feeds.config import Config
from feeds.errors import FeedsError, OutputError
from feeds.fingerprint import parse_settings
from feeds.index import CorruptIndex, log_rebuild
from feeds.input_stages import parse_changed, scan_files, select_feeds, unchanged_since_last_run
from feeds.load import PARSER
from feeds.lock import LOCK_FILE, output_lock
from feeds.model import BuildReport, Listing
from feeds.output_stages import (
    announce,
    commit,
    file_changes,
    next_manifest,
    plan_feeds,
    refuse_emptying,
    render_feeds,
    render_site,
)
from feeds.pool import Job, Workers, cpu_count
from feeds.records import CorruptRecord
from feeds.reporting import ProgressFactory, no_progress
from feeds.stages import Context, Plan, Summary
from feeds.store import Table, open_store
from feeds.store_input import parse_read, read_store
from feeds.write import DryRun, Writer

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Options:
    """How to run a build (the CLI's flags)."""

    use_cache: bool = True
    dry_run: bool = False
    strict: bool = False
    wait: float = 0.0
    workers: int = 0  # 0: one per core
    parser: str = PARSER
    progress: ProgressFactory = no_progress
    # A file changed this close to the start of a run might change again within the same
    # file-system timestamp tick (keeping its size) after it was read: its record serves
    # this run but is not cached, so the next run parses it again (git's "racy" rule).
    racy_seconds: float = 1.0
    # Stop after selection and grouping (`feeds check`): nothing rendered or compared.
    validate_only: bool = False
    # Let a run whose articles select no topic or provider feed delete those the last
    # run wrote (refused otherwise: a broken clock or rule must not empty the site).
    allow_empty: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """A build's report plus what the incremental machinery did."""

    report: BuildReport
    files_parsed: int = 0
    files_cached: int = 0
    feeds_rendered: int = 0
    feeds_skipped: int = 0
    pages_rendered: int = 0  # archive pages
    pages_skipped: int = 0
    deleted: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    dry_run: bool = False


def build(config: Config, *, now: datetime, options: Options = Options()) -> Outcome:
    """Build (or with `dry_run`, plan) every feed of `config` as of `now`.

    Raises LockedError when another run holds the output folder, InputError when no
    article file is found (or, with `strict`, any is rejected), OutputError when the
    output can't be written. A dry run takes no lock and writes nothing anywhere.
    """
    out_dir = config.output.dir
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"output.dir {out_dir} exists and is not a folder"
        raise OutputError(msg)
    if options.dry_run or options.validate_only:
        with _no_cycle_collection():
            return _guarded(config, now, options, DryRun(out_dir))
    created = not out_dir.exists()
    try:
        with output_lock(out_dir, options.wait), _no_cycle_collection():
            return _guarded(config, now, options, Writer(out_dir))
    except FeedsError:
        if created:
            _remove_if_only_lock(out_dir)
        raise


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. A run makes millions of objects that
    hold no reference cycles and live until its end (records, stubs, groups), which the
    collector would walk again and again: ~10% of a one-edit run at 100,000 articles.
    Reference counting frees them as usual; a run leaves a few hundred objects in cycles,
    collected once it is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _guarded(config: Config, now: datetime, options: Options, writer: Writer) -> Outcome:
    """`_run`, with the failures of the machine (disk, database) as one FeedsError that
    says what to do, never a traceback."""
    try:
        try:
            return _run(config, now, options, writer)
        except CorruptRecord:
            # An article stored in the cache does not decode. Forget the records that
            # don't (their files are parsed again) and run once more: the first attempt
            # left the output as a killed run would, which the second one handles.
            return _run(config, now, _without_corrupt_records(config, options, writer), writer)
        except CorruptIndex as exc:
            # A row of the index is not one it writes: rebuild it from the records.
            log_rebuild(exc)
            return _run(config, now, _without_index(config, options, writer), writer)
    except sqlite3.Error as exc:
        msg = f"{config.cache.dir}: the parse cache failed ({exc}); free some disk space "
        msg += "or delete it with `feeds cache clear`, then run again"
        raise FeedsError(msg) from exc
    except OSError as exc:
        raise OutputError.from_os_error(exc.filename or config.output.dir, "write", exc) from exc


def _without_corrupt_records(config: Config, options: Options, writer: Writer) -> Options:
    """Options for a run that meets no undecodable record: the same, once the cache has
    forgotten them; without the cache for a dry run, which may not change it."""
    if not options.use_cache or isinstance(writer, DryRun):
        return replace(options, use_cache=False)
    with _open_cache(config, options, writer) as cache:
        log_corrupt(cache.drop_corrupt())
    return options


def _without_index(config: Config, options: Options, writer: Writer) -> Options:
    """Options for a run that rebuilds the index: the same, once the cache has forgotten
    it; without the cache for a dry run, which may not change it."""
    if not options.use_cache or isinstance(writer, DryRun):
        return replace(options, use_cache=False)
    with _open_cache(config, options, writer) as cache:
        cache.forget_index()
    return options


def _remove_if_only_lock(out_dir: Path) -> None:
    """Undo the folder a failed first run made for its lock: "nothing written" means it.

    The race this opens (another run waiting on the lock file being deleted) needs two
    more runs racing a first-ever run that fails; they would merely both build.
    """
    try:
        if [p.name for p in out_dir.iterdir()] == [LOCK_FILE]:
            (out_dir / LOCK_FILE).unlink()
            out_dir.rmdir()
    except OSError:
        pass


class _Timer:
    """Times each stage, by the stage's name (as the README's Architecture lists them)."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []

    def run(self, name: str, stage: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`stage(*args, **kwargs)`, its seconds recorded under `name`."""
        start = time.perf_counter()
        try:
            return stage(*args, **kwargs)
        finally:
            self.stages.append((name, time.perf_counter() - start))


def _run(config: Config, now: datetime, options: Options, writer: Writer) -> Outcome:
    """The stages in order. The output changes only from `announce` on, in the one order
    that is safe under kill -9 at any instant: (1) the manifest stops vouching for the
    feeds about to change, (2) each file is journaled, then (3) replaced by a rename,
    (4) files of gone feeds are deleted, (5) the complete manifest is written last. A
    killed run thus leaves every file old or new, journaled if new, and a manifest that
    never vouches for a file it does not match; the next run redoes what is needed."""
    timer = _Timer()
    with ExitStack() as stack:
        ctx = _context(stack, config, now, options, writer)
        # A folder is scanned and its changed files parsed; a store is read by what
        # changed since the last run, and those rows parsed (feeds.store_input).
        read, parse = (scan_files, parse_changed) if ctx.store is None else (read_store, parse_read)
        scanned = timer.run("scan", read, ctx)
        last = unchanged_since_last_run(ctx, scanned)
        if last is not None:
            summary, manifest = last
            unchanged = tuple(sorted(manifest.all_files()))
            return _outcome(ctx, timer, summary, unchanged=unchanged, cached=summary.files_found)
        parsed = timer.run("parse", parse, ctx, scanned)
        selection = timer.run("select", select_feeds, ctx, scanned, parsed)
        listings = tuple(feed.listing for feed in selection.feeds.feeds)
        if options.validate_only:
            return _outcome(
                ctx,
                timer,
                selection.summary,
                groups=listings,
                parsed=parsed.parsed,
                cached=parsed.cached,
            )
        plan = timer.run("plan", plan_feeds, ctx, scanned, selection)
        refuse_emptying(ctx, selection, plan)
        timer.run("announce", announce, ctx, selection, plan)  # (1)
        feeds = timer.run("render", render_feeds, ctx, selection, plan)  # (2), (3)
        site = timer.run("site", render_site, ctx, selection, plan)  # (2), (3)
        new = next_manifest(scanned, selection, plan, feeds, site)
        deleted = timer.run(
            "commit", commit, ctx, scanned, parsed, selection.summary, plan, new
        )  # (4), (5)
        written, unchanged = file_changes(selection, plan, new, feeds, site)
        return _outcome(
            ctx,
            timer,
            selection.summary,
            groups=listings,
            written=written,
            unchanged=unchanged,
            deleted=deleted,
            plan=plan,
            parsed=parsed.parsed,
            cached=parsed.cached,
        )


def _context(
    stack: ExitStack, config: Config, now: datetime, options: Options, writer: Writer
) -> Context:
    """The run's machinery: a pool (shut down on leaving `stack`, whatever happens) and
    the parse cache (closed likewise)."""
    job = Job(config, options.parser, writer)
    workers = stack.enter_context(Workers(job, options.workers or cpu_count()))
    cache = _open_cache(config, options, writer, stack)
    stack.callback(cache.close)
    content = config.content
    store = None
    if content.database is not None:
        table = Table(content.table, content.columns)
        store = stack.enter_context(open_store(content.database, table))
    return Context(
        config=config,
        now=now,
        parser=options.parser,
        strict=options.strict,
        racy_seconds=options.racy_seconds,
        progress=options.progress,
        writer=writer,
        cache=cache,
        workers=workers,
        allow_empty=options.allow_empty,
        store=store,
    )


def _outcome(
    ctx: Context,
    timer: _Timer,
    summary: Summary,
    *,
    groups: tuple[Listing, ...] = (),
    written: tuple[str, ...] = (),
    unchanged: tuple[str, ...] = (),
    deleted: tuple[str, ...] = (),
    parsed: int = 0,
    cached: int = 0,
    plan: Plan | None = None,
) -> Outcome:
    """The one place a run's outcome is put together; `plan` says what was rendered."""
    units = plan.to_render if plan is not None else ()
    pages = sum(1 for unit in units if unit.number)
    rendered = len(units) - pages
    report = BuildReport(
        files_found=summary.files_found,
        articles_valid=summary.articles_valid,
        articles_selected=summary.articles_selected,
        rejected_files=summary.rejected_files,
        problems=summary.problems,
        groups=groups,
        written=written,
        unchanged=unchanged,
    )
    return Outcome(
        report=report,
        files_parsed=parsed,
        files_cached=cached,
        feeds_rendered=rendered,
        feeds_skipped=summary.feeds - rendered,
        pages_rendered=pages,
        pages_skipped=summary.archive_pages - pages,
        deleted=deleted,
        timings=tuple(timer.stages),
        dry_run=isinstance(ctx.writer, DryRun),
    )


def _open_cache(
    config: Config, options: Options, writer: Writer, stack: ExitStack | None = None
) -> ParseCache:
    """The parse cache; for a dry run, one whose changes are rolled back. Without the
    cache (--no-cache) a build still keeps its records and index in a database, a
    temporary one in a folder that `stack` deletes, rather than every article in memory."""
    settings = parse_settings(config, options.parser)
    writable = not isinstance(writer, DryRun)
    if options.use_cache:
        return open_cache(config.cache.dir, settings, writable=writable)
    folder = tempfile.mkdtemp(prefix="feeds-records-")
    if stack is not None:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
    return open_cache(Path(folder), settings)
