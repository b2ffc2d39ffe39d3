"""The input stages: which files there are, which the cache vouches for, parsing the rest,
and what the articles select into feeds."""

from __future__ import annotations

import time
from dataclasses import replace

from feeds import codec
from feeds.archive import archive_pages, page_size
from feeds.cache import CorruptRecord, ParsedFile, Record, decode, log_corrupt
from feeds.fingerprint import (
    config_fingerprint,
    inputs_fingerprint,
)
from feeds.group import make_groups, moved_feeds, provider_feeds
from feeds.manifest import Manifest, files_in_place, load_manifest
from feeds.pool import (
    MIN_PARALLEL_FILES,
    PARSE_CHUNK,
    parse_chunk,
)
from feeds.scan import Scan, scan
from feeds.select import decide, selection_horizon
from feeds.stages import Context, Parsed, Scanned, Selection, Summary


def scan_files(ctx: Context) -> Scanned:
    """Scan, and fingerprint what this run reads (the config and every file's identity)."""
    started_ns = time.time_ns()
    if ctx.cache is None or ctx.cache.empty():
        ctx.workers.start()  # every file will be parsed: the pool starts while we scan
    found = scan(ctx.config.content)
    config_fp = config_fingerprint(ctx.config)
    inputs_fp = inputs_fingerprint(config_fp, ctx.parser, found.paths, found.keys)
    return Scanned(found, config_fp, inputs_fp, started_ns)


def _vouched(ctx: Context, found: Scan) -> tuple[tuple[ParsedFile, ...], tuple[str, ...]]:
    """The cached files that are unchanged, and the cached paths that are gone. Files in
    a folder that could not be listed keep their records; a record that does not decode
    is a miss."""
    cached: list[ParsedFile] = []
    stale: list[str] = []
    corrupt = 0
    unlisted = found.unlisted
    for record in ctx.cache.records() if ctx.cache is not None else ():
        unseen = bool(unlisted) and record.path.startswith(unlisted)
        if record.path not in found.keys and not unseen:
            stale.append(record.path)
        elif unseen or record.key == found.keys[record.path]:
            try:
                cached.append(decode(record))
            except CorruptRecord:
                corrupt += 1
    if corrupt:
        log_corrupt(corrupt)
    return tuple(cached), tuple(stale)


def unchanged_since_last_run(ctx: Context, scanned: Scanned) -> tuple[Summary, Manifest] | None:
    """The last run's summary and manifest when its inputs are this run's, the selection
    cannot have changed since (no article came of age or expired) and its files are all
    in place: then there is nothing to parse, group, render or write."""
    last = ctx.cache.last_run() if ctx.cache is not None else None
    if last is None or last[0] != scanned.inputs_fp:
        return None
    try:
        summary = codec.unpack(Summary, last[1])
    except codec.Undecodable:
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
    return summary, manifest


def parse_changed(ctx: Context, scanned: Scanned) -> Parsed:
    """Parse the files the cache does not vouch for (in the pool when there are many),
    caching each chunk's records as it arrives: a run holds in memory only the articles
    the cache can't take."""
    keys = scanned.scan.keys
    cached, stale = _vouched(ctx, scanned.scan)
    vouched = {file.path for file in cached}
    changed = [(path, keys[path]) for path in scanned.scan.paths if path not in vouched]
    # A file changed within racy_seconds of the scan might change again within the same
    # timestamp tick, keeping its size: its record serves this run but is not cached.
    racy = scanned.started_ns - int(ctx.racy_seconds * 1e9)
    files: list[ParsedFile] = list(cached)
    held: dict[str, bytes] = {}
    uncached = 0
    parallel = len(changed) >= MIN_PARALLEL_FILES
    with ctx.progress("parsing", len(changed)) as bar:
        for chunk in ctx.workers.map(parse_chunk, changed, PARSE_CHUNK, parallel):
            keep = [r for r in chunk if keys[r.path] is not None and r.newest_ns < racy]
            stored = _store(ctx, keep)
            held |= {r.path: r.article for r in chunk if r.article and r.path not in stored}
            uncached += len(chunk) - len(keep)
            files += map(decode, chunk)
            bar.advance(len(chunk))
    if ctx.cache is not None and stale:
        ctx.cache.update((), stale)
    # A record not cached must make the next run look at its file again.
    trusted = not uncached and None not in keys.values() and not scanned.scan.unlisted
    files.sort(key=lambda file: file.path)
    return Parsed(tuple(files), held, trusted, parsed=len(changed), cached=len(cached))


def _store(ctx: Context, records: list[Record]) -> set[str]:
    """Cache the records, when the cache can take them; the paths stored."""
    if ctx.cache is None or not ctx.cache.writable or not records:
        return set()
    ctx.cache.update(records, ())
    return {record.path for record in records}


def select_feeds(ctx: Context, scanned: Scanned, parsed: Parsed) -> Selection:
    """One version per id, the config's selection rules, then the feeds, on stubs only."""
    config, now, files = ctx.config, ctx.now, parsed.files
    problems = [*scanned.scan.problems, *(problem for file in files for problem in file.problems)]
    stubs = [file.stub for file in files if file.stub is not None]
    decision = decide(stubs, problems, config.select, now, strict=ctx.strict)
    grouped = make_groups(decision.selected, config.feeds, config.site.title, now)
    size = page_size(config.feeds)
    pages = tuple(page for group in grouped for page in archive_pages(group, size))
    groups = tuple(replace(group, older=()) for group in grouped)  # the pages hold them now
    moved = moved_feeds(groups)
    report = sorted([*decision.problems, *moved], key=lambda problem: problem.path)
    summary = Summary(
        built_at=int(now.timestamp()),
        valid_until=selection_horizon(decision.winners, config, now),
        files_found=len(scanned.scan.paths),
        articles_valid=len(stubs),
        articles_selected=len(decision.selected),
        rejected_files=len(decision.rejected),
        feeds=len(groups),
        problems=tuple(report),
        archive_pages=len(pages),
    )
    digests = {file.path: file.digest for file in files if file.digest}
    sources = provider_feeds(decision.selected, groups)
    return Selection(summary, groups, digests, pages, sources)
