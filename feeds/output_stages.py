"""The output stages: which feeds to render, rendering and writing them in the one order
that is safe under kill -9, and committing the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from feeds import codec
from feeds.errors import InputError
from feeds.fingerprint import site_fingerprint
from feeds.formats import is_page_folder
from feeds.listing import IndexedFeed, live_group, page_group
from feeds.manifest import SITE_KEY, FeedEntry, Manifest, files_in_place, load_manifest
from feeds.model import FeedGroup, GroupKind, Stub
from feeds.pool import MIN_PARALLEL_FEEDS, RENDER_BATCH, RENDER_CHUNK, RenderTask, render_chunk
from feeds.records import unpack_article
from feeds.stages import Context, Parsed, Plan, Scanned, Selection, Summary, Unit, Written
from feeds.write import FileResult

# The manifest keys of topic and provider feeds, as `FeedGroup.folder` makes them.
_GROUP_FOLDERS = tuple(kind.folders for kind in GroupKind if kind.per_group)


def plan_feeds(ctx: Context, scanned: Scanned, selection: Selection) -> Plan:
    """Compare each feed's and archive page's fingerprint with the manifest's: one that
    matches and whose files are in place with their recorded sizes is not rendered."""
    out_dir = ctx.config.output.dir
    old = load_manifest(out_dir)

    def current(key: str, fingerprint: str) -> bool:
        entry = old.feeds.get(key)
        return (
            entry is not None
            and entry.fingerprint == fingerprint
            and files_in_place(out_dir, entry.files)
        )

    feeds = selection.feeds.feeds
    to_render = tuple(
        unit
        for unit in selection.units()
        if not current(unit.folder, _fingerprint(feeds[unit.index], unit.number))
    )
    site_fp = site_fingerprint(
        scanned.config_fp, [feed.listing for feed in feeds], _everything_fp(selection)
    )
    return Plan(old, to_render, site_fp, current(SITE_KEY, site_fp))


def _fingerprint(feed: IndexedFeed, number: int) -> str:
    return feed.pages[number - 1] if number else feed.fingerprint


def _everything_fp(selection: Selection) -> str:
    """The all-articles feed's fingerprint: the front page shows its items."""
    return next(
        (feed.fingerprint for feed in selection.feeds.feeds if feed.listing.kind is GroupKind.ALL),
        "",
    )


def refuse_emptying(ctx: Context, selection: Selection, plan: Plan) -> None:
    """Raise InputError, before anything changes, when this run would delete every topic
    and provider feed the last run wrote: a clock set far back or a rule that selects
    nothing must not empty the site, unless the run allows it."""
    if ctx.allow_empty or any(feed.listing.kind.per_group for feed in selection.feeds.feeds):
        return
    had = sum(key.startswith(_GROUP_FOLDERS) and not is_page_folder(key) for key in plan.old.feeds)
    if had:
        msg = (
            f"refusing to delete all {had} topic and provider feeds of the last run: "
            f"{selection.summary.articles_selected} articles selected as of "
            f"{ctx.now.isoformat()}; nothing was changed. Check the clock and the select "
            "rules, or run with --allow-empty if that is intended"
        )
        raise InputError(msg, selection.summary.problems)


def announce(ctx: Context, selection: Selection, plan: Plan) -> None:
    """The first change to the output: the temporary files a killed run left are swept,
    then the manifest is marked incomplete and stops vouching for the feeds about to be
    rewritten (the files this run creates are journaled as they are written)."""
    ctx.writer.sweep(plan.old)
    rewriting = plan.rewriting()
    if not rewriting:
        return
    intent = {
        key: entry if key not in rewriting else FeedEntry("", entry.files)
        for key, entry in plan.old.feeds.items()
    }
    ctx.writer.announce(Manifest(intent, complete=False))


def render_feeds(ctx: Context, selection: Selection, plan: Plan) -> Written:
    """Render the planned feeds and archive pages (in the pool when there are many) and
    write their files whose bytes changed. Their items are read from the index and their
    articles unpacked RENDER_BATCH feeds at a time: a first build with archives renders
    every article."""
    units = plan.to_render
    parallel = len(units) >= MIN_PARALLEL_FEEDS
    results: list[FileResult] = []
    entries: dict[str, FeedEntry] = {}
    feeds = selection.feeds.feeds
    with ctx.progress("rendering", len(units)) as bar:
        for start in range(0, len(units), RENDER_BATCH):
            batch = units[start : start + RENDER_BATCH]
            tasks = _tasks(ctx, selection, batch)
            chunks = ctx.workers.map(render_chunk, tasks, RENDER_CHUNK, parallel)
            done = (feed for chunk in chunks for feed in chunk)
            for unit, feed_results in zip(batch, done, strict=True):
                fingerprint = _fingerprint(feeds[unit.index], unit.number)
                entries[unit.folder] = FeedEntry(fingerprint, _sizes(feed_results))
                results += feed_results
                bar.advance(1)
    return Written(tuple(results), entries)


def _group(ctx: Context, selection: Selection, unit: Unit) -> FeedGroup[Stub]:
    feed = selection.feeds.feeds[unit.index]
    if unit.number:
        return page_group(ctx.cache, ctx.config, feed, unit.number)
    return live_group(ctx.cache, ctx.config, feed)


def _tasks(ctx: Context, selection: Selection, units: Sequence[Unit]) -> list[RenderTask]:
    """What a worker needs to render each feed or archive page: the feed without its
    items, the page number, its whole articles (packed) and their providers' feeds."""
    groups = [_group(ctx, selection, unit) for unit in units]
    blobs = ctx.cache.articles({item.path for group in groups for item in group.items})
    tasks: list[RenderTask] = []
    for unit, group in zip(units, groups, strict=True):
        sources = selection.feeds.provider_folders(group.items)
        tasks.append(
            (
                replace(group, items=()),
                unit.number,
                tuple(blobs[item.path] for item in group.items),
                tuple(sources.get(item.path, "") for item in group.items),
            )
        )
    return tasks


def render_site(ctx: Context, selection: Selection, plan: Plan) -> Written:
    """Write the site-wide files (OPML, front page, style sheet, `_headers`) unless current."""
    if plan.site_current:
        return Written((), {SITE_KEY: plan.old.feeds[SITE_KEY]})
    # Imported here: it imports feedgen, which a run that changes nothing should not pay.
    from feeds.render.site import render_site_files

    # The front page shows the all-articles feed's whole items; other feeds are only
    # named, counted and dated there, from the index's listing.
    everything = None
    for feed in selection.feeds.feeds:
        if feed.listing.kind is GroupKind.ALL:
            group = live_group(ctx.cache, ctx.config, feed)
            blobs = ctx.cache.articles(item.path for item in group.items)
            everything = group.filled(tuple(unpack_article(blobs[i.path]) for i in group.items))
    listings = [feed.listing for feed in selection.feeds.feeds]
    files = render_site_files(listings, everything, ctx.config)
    results = tuple(ctx.writer.write(files))
    return Written(results, {SITE_KEY: FeedEntry(plan.site_fp, _sizes(results))})


def next_manifest(
    scanned: Scanned, selection: Selection, plan: Plan, *written: Written
) -> Manifest:
    """The manifest after this run: every current feed's entry, rewritten or kept."""
    kept = {key: plan.old.feeds[key] for key in selection.folders() if key in plan.old.feeds}
    entries = kept | {key: e for part in written for key, e in part.entries.items()}
    return Manifest(entries, inputs=scanned.inputs_fp)


def commit(
    ctx: Context, scanned: Scanned, parsed: Parsed, summary: Summary, plan: Plan, new: Manifest
) -> tuple[str, ...]:
    """Delete the files of feeds that are gone, then replace the manifest; remember the
    run for the no-change path. Returns the paths deleted."""
    deleted = ctx.writer.prune(plan.old.all_files() - new.all_files())
    ctx.writer.commit(new)
    trusted = parsed.trusted and ctx.cache.count() == parsed.found
    inputs = scanned.inputs_fp if trusted else None
    ctx.cache.set_last_run(inputs, codec.pack(summary))
    return tuple(deleted)


def file_changes(
    selection: Selection, plan: Plan, new: Manifest, *written: Written
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files whose bytes this run changed, and every other file the manifest lists."""
    results = [result for part in written for result in part.results]
    rewriting = plan.rewriting()
    untouched = sorted(
        path for key, entry in new.feeds.items() if key not in rewriting for path in entry.files
    )
    changed = tuple(result.path for result in results if result.changed)
    unchanged = tuple(result.path for result in results if not result.changed)
    return changed, unchanged + tuple(untouched)


def _sizes(results: tuple[FileResult, ...] | list[FileResult]) -> dict[str, int]:
    return {result.path: result.size for result in results}
