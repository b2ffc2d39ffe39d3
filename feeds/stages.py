"""The build's stages, each a function of the run's `Context` and the frozen values the
stages before it returned. `feeds.engine` runs them in order.

Each stage glues the modules that do the work (scan, parse, select, group, fingerprint,
render, site, write) to the parse cache and the pool; none of them prints or decides
wording, and none knows whether it runs for real or as a dry run (the writer and the
cache it is given know).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from feeds import codec
from feeds.cache import ParseCache, Record, record_problems, record_stub, unpack_article
from feeds.config import Config
from feeds.fingerprint import (
    config_fingerprint,
    feed_fingerprint,
    inputs_fingerprint,
    site_fingerprint,
)
from feeds.group import make_groups
from feeds.manifest import SITE_KEY, FeedEntry, Manifest, files_in_place, load_manifest
from feeds.model import FeedGroup, GroupKind, Problem, Stub
from feeds.pool import (
    MIN_PARALLEL_FEEDS,
    MIN_PARALLEL_FILES,
    PARSE_CHUNK,
    RENDER_CHUNK,
    ParseTask,
    RenderTask,
    Workers,
    parse_chunk,
    render_chunk,
)
from feeds.progress import ProgressFactory
from feeds.scan import Scan, scan
from feeds.select import decide, selection_horizon
from feeds.write import FileResult, Writer


@dataclass(frozen=True, slots=True)
class Context:
    """What every stage may use: the config, the clock, and the run's machinery."""

    config: Config
    now: datetime
    parser: str
    strict: bool
    racy_seconds: float
    progress: ProgressFactory
    writer: Writer
    cache: ParseCache | None
    workers: Workers


@dataclass(frozen=True, slots=True)
class Summary:
    """What the articles came to; the cache keeps the last complete run's, for the
    no-change path to report again."""

    built_at: int  # POSIX seconds
    valid_until: int | None  # when the same inputs may select differently
    files_found: int
    articles_valid: int
    articles_selected: int
    rejected_files: int
    feeds: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Scanned:
    """The scan, and which files the parse cache vouches for."""

    scan: Scan
    config_fp: str
    inputs_fp: str
    cached: tuple[Record, ...]  # records of unchanged files
    stale: tuple[str, ...]  # cached paths that are gone
    changed: tuple[ParseTask, ...]  # files to parse
    started_ns: int  # when the scan began (time.time_ns())


@dataclass(frozen=True, slots=True)
class Parsed:
    """Every file's record, sorted by path; `trusted` when all are cached for next time."""

    records: tuple[Record, ...]
    fresh: Mapping[str, bytes]  # packed articles this run parsed (the rest are cached)
    trusted: bool


@dataclass(frozen=True, slots=True)
class Selection:
    """The feeds to build, with the article digests their fingerprints are made of."""

    summary: Summary
    groups: tuple[FeedGroup[Stub], ...]
    digests: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    """Which feeds to render: those whose fingerprint or files are not in place."""

    old: Manifest
    fingerprints: tuple[str, ...]  # one per group
    to_render: tuple[int, ...]  # indexes into the groups
    site_fp: str
    site_current: bool

    def rewriting(self, groups: tuple[FeedGroup[Stub], ...]) -> set[str]:
        """The manifest keys whose files this run rewrites."""
        keys = {groups[index].folder for index in self.to_render}
        return keys if self.site_current else keys | {SITE_KEY}


@dataclass(frozen=True, slots=True)
class Written:
    """The files this run wrote or compared, and the manifest entries they make."""

    results: tuple[FileResult, ...]
    entries: Mapping[str, FeedEntry]


def scan_files(ctx: Context) -> Scanned:
    """Scan, and split the files into those the cache vouches for and those to parse."""
    started_ns = time.time_ns()
    if ctx.cache is None or ctx.cache.empty():
        ctx.workers.start()  # every file will be parsed: the pool starts while we scan
    found = scan(ctx.config.content)
    config_fp = config_fingerprint(ctx.config)
    inputs_fp = inputs_fingerprint(config_fp, ctx.parser, found.paths, found.keys)
    cached: list[Record] = []
    stale: list[str] = []
    for record in ctx.cache.records() if ctx.cache is not None else ():
        if record.path not in found.keys:
            stale.append(record.path)
        elif record.key == found.keys[record.path]:
            cached.append(record)
    vouched = {record.path for record in cached}
    changed = tuple((p, found.keys[p]) for p in found.paths if p not in vouched)
    return Scanned(found, config_fp, inputs_fp, tuple(cached), tuple(stale), changed, started_ns)


def unchanged_since_last_run(ctx: Context, scanned: Scanned) -> Summary | None:
    """The last run's summary when its inputs are this run's, the selection cannot have
    changed since (no article came of age or expired) and its files are all in place:
    then there is nothing to parse, group, render or write."""
    last = ctx.cache.last_run() if ctx.cache is not None else None
    if last is None or last[0] != scanned.inputs_fp:
        return None
    try:
        summary = codec.unpack(Summary, last[1])
    except (ValueError, EOFError, TypeError):
        return None
    now = ctx.now.timestamp()
    if now < summary.built_at or (summary.valid_until is not None and now >= summary.valid_until):
        return None
    out_dir = ctx.config.output.dir
    manifest = load_manifest(out_dir)
    if not manifest.complete or manifest.inputs != scanned.inputs_fp:
        return None
    if not all(files_in_place(out_dir, entry.files) for entry in manifest.feeds.values()):
        return None
    return summary


def parse_changed(ctx: Context, scanned: Scanned) -> Parsed:
    """Parse the changed files (in the pool when there are many); cache their records."""
    fresh: list[Record] = []
    parallel = len(scanned.changed) >= MIN_PARALLEL_FILES
    with ctx.progress("parsing", len(scanned.changed)) as bar:
        for chunk in ctx.workers.map(parse_chunk, scanned.changed, PARSE_CHUNK, parallel):
            fresh += chunk
            bar.advance(len(chunk))
    keys = scanned.scan.keys
    # A file changed within racy_seconds of the scan might change again within the same
    # timestamp tick, keeping its size: its record serves this run but is not cached.
    racy = scanned.started_ns - int(ctx.racy_seconds * 1e9)
    keep = [r for r in fresh if keys[r.path] is not None and max(r.mtime_ns, r.ctime_ns) < racy]
    if ctx.cache is not None and (fresh or scanned.stale):
        ctx.cache.update(keep, scanned.stale)
    trusted = len(keep) == len(fresh) and all(key is not None for key in keys.values())
    records = tuple(sorted([*scanned.cached, *fresh], key=lambda record: record.path))
    blobs = {r.path: r.article for r in fresh if r.article is not None}
    return Parsed(records, blobs, trusted)


def select_feeds(ctx: Context, scanned: Scanned, parsed: Parsed) -> Selection:
    """One version per id, the config's selection rules, then the feeds, on stubs only."""
    config, now, records = ctx.config, ctx.now, parsed.records
    problems = [problem for record in records for problem in record_problems(record)]
    stubs = [stub for record in records if (stub := record_stub(record)) is not None]
    decision = decide(stubs, problems, config.select, now, strict=ctx.strict)
    groups = make_groups(decision.selected, config.feeds, all_name=config.site.title)
    summary = Summary(
        built_at=int(now.timestamp()),
        valid_until=selection_horizon(decision.winners, config.select, now),
        files_found=len(scanned.scan.paths),
        articles_valid=len(stubs),
        articles_selected=len(decision.selected),
        rejected_files=len(decision.rejected),
        feeds=len(groups),
        problems=decision.problems,
    )
    digests = {record.path: record.digest for record in records if record.digest}
    return Selection(summary, groups, digests)


def plan_feeds(ctx: Context, scanned: Scanned, selection: Selection) -> Plan:
    """Compare each feed's fingerprint with the manifest's: a feed that matches and whose
    files are in place with their recorded sizes is not rendered."""
    out_dir = ctx.config.output.dir
    old = load_manifest(out_dir)
    ctx.writer.sweep(old)

    def current(key: str, fingerprint: str) -> bool:
        entry = old.feeds.get(key)
        return (
            entry is not None
            and entry.fingerprint == fingerprint
            and files_in_place(out_dir, entry.files)
        )

    groups, config_fp = selection.groups, scanned.config_fp
    fps = tuple(feed_fingerprint(group, selection.digests, config_fp) for group in groups)
    to_render = tuple(i for i, g in enumerate(groups) if not current(g.folder, fps[i]))
    site_fp = site_fingerprint(config_fp, fps)
    return Plan(old, fps, to_render, site_fp, current(SITE_KEY, site_fp))


def announce(ctx: Context, selection: Selection, plan: Plan) -> None:
    """Before any file changes: a manifest marked incomplete that no longer vouches for
    the feeds about to be rewritten (the files this run creates are journaled as written)."""
    rewriting = plan.rewriting(selection.groups)
    if not rewriting:
        return
    intent = {
        key: entry if key not in rewriting else FeedEntry("", entry.files)
        for key, entry in plan.old.feeds.items()
    }
    ctx.writer.announce(Manifest(intent, complete=False))


def render_feeds(ctx: Context, parsed: Parsed, selection: Selection, plan: Plan) -> Written:
    """Render the planned feeds (in the pool when there are many) and write their files
    whose bytes changed."""
    groups = [selection.groups[index] for index in plan.to_render]
    blobs = _articles(ctx, parsed, {item.path for group in groups for item in group.items})
    tasks: list[RenderTask] = [
        (replace(group, items=()), tuple(blobs[item.path] for item in group.items))
        for group in groups
    ]
    parallel = len(tasks) >= MIN_PARALLEL_FEEDS
    results: list[FileResult] = []
    entries: dict[str, FeedEntry] = {}
    chunks = ctx.workers.map(render_chunk, tasks, RENDER_CHUNK, parallel)
    feeds = iter(zip(groups, plan.to_render, strict=True))
    with ctx.progress("rendering", len(tasks)) as bar:
        for feed_results in (feed for chunk in chunks for feed in chunk):
            group, index = next(feeds)
            entries[group.folder] = FeedEntry(plan.fingerprints[index], _sizes(feed_results))
            results += feed_results
            bar.advance(1)
    return Written(tuple(results), entries)


def render_site(ctx: Context, parsed: Parsed, selection: Selection, plan: Plan) -> Written:
    """Write the site-wide files (OPML, front page, style sheet, `_headers`) unless current."""
    if plan.site_current:
        return Written((), {SITE_KEY: plan.old.feeds[SITE_KEY]})
    # Imported here: it imports feedgen, which a run that changes nothing should not pay.
    from feeds.site import render_site_files

    # The front page shows the all-articles feed's whole items; other feeds are only
    # named, counted and dated there, so they stay stubs (unpacking 100,000 articles for
    # that would cost ~1 s).
    everything = None
    for group in selection.groups:
        if group.kind is GroupKind.ALL:
            blobs = _articles(ctx, parsed, {item.path for item in group.items})
            everything = group.filled(tuple(unpack_article(blobs[i.path]) for i in group.items))
    files = render_site_files(selection.groups, everything, ctx.config)
    results = tuple(ctx.writer.write(files))
    return Written(results, {SITE_KEY: FeedEntry(plan.site_fp, _sizes(results))})


def next_manifest(
    scanned: Scanned, selection: Selection, plan: Plan, *written: Written
) -> Manifest:
    """The manifest after this run: every current feed's entry, rewritten or kept."""
    kept = {
        group.folder: plan.old.feeds[group.folder]
        for group in selection.groups
        if group.folder in plan.old.feeds
    }
    entries = kept | {key: e for part in written for key, e in part.entries.items()}
    return Manifest(entries, inputs=scanned.inputs_fp)


def commit(
    ctx: Context, scanned: Scanned, parsed: Parsed, summary: Summary, plan: Plan, new: Manifest
) -> tuple[str, ...]:
    """Delete the files of feeds that are gone, then replace the manifest; remember the
    run for the no-change path. Returns the paths deleted."""
    deleted = ctx.writer.prune(plan.old.all_files() - new.all_files())
    ctx.writer.commit(new)
    if ctx.cache is not None:
        trusted = parsed.trusted and ctx.cache.count() == len(scanned.scan.paths)
        inputs = scanned.inputs_fp if trusted else None
        ctx.cache.set_last_run(inputs, codec.pack(summary))
    return tuple(deleted)


def file_changes(
    selection: Selection, plan: Plan, new: Manifest, *written: Written
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files whose bytes this run changed, and every other file the manifest lists."""
    results = [result for part in written for result in part.results]
    rewriting = plan.rewriting(selection.groups)
    untouched = sorted(
        path for key, entry in new.feeds.items() if key not in rewriting for path in entry.files
    )
    changed = tuple(result.path for result in results if result.changed)
    unchanged = tuple(result.path for result in results if not result.changed)
    return changed, unchanged + tuple(untouched)


def _articles(ctx: Context, parsed: Parsed, paths: set[str]) -> dict[str, bytes]:
    """The packed whole articles of `paths`: parsed by this run, or from the cache."""
    found = {path: parsed.fresh[path] for path in paths if path in parsed.fresh}
    missing = paths - found.keys()
    if missing and ctx.cache is not None:
        found |= ctx.cache.articles(missing)
    return found


def _sizes(results: tuple[FileResult, ...] | list[FileResult]) -> dict[str, int]:
    return {result.path: result.size for result in results}
