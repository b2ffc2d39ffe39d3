"""The input stages: which files there are, which the cache vouches for, parsing the rest,
and what the articles select into feeds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from feeds import codec
from feeds.archive import archive_pages, page_size
from feeds.cache import CorruptRecord, Record, decode, log_corrupt
from feeds.fingerprint import (
    config_fingerprint,
    inputs_fingerprint,
)
from feeds.group import decide, make_groups, moved_feeds, provider_feeds, selection_horizon
from feeds.manifest import Manifest, files_in_place, load_manifest
from feeds.model import Problem, Stub
from feeds.pool import (
    MIN_PARALLEL_FILES,
    PARSE_CHUNK,
    parse_chunk,
)
from feeds.scan import Scan, scan
from feeds.stages import Context, Parsed, Scanned, Selection, Summary


def scan_files(ctx: Context) -> Scanned:
    """Scan, and fingerprint what this run reads (the config and every file's identity)."""
    started_ns = time.time_ns()
    found = scan(ctx.config.content)
    config_fp = config_fingerprint(ctx.config)
    inputs_fp = inputs_fingerprint(
        config_fp, ctx.parser, found.paths, found.identities, found.problems
    )
    return Scanned(found, config_fp, inputs_fp, started_ns)


@dataclass(slots=True)
class _Decoded:
    """What the records of a run decode to: the articles' stubs and digests (by path), and
    every file's problems."""

    stubs: list[Stub] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, record: Record) -> None:
        """Decode one record. Raises CorruptRecord when it does not decode."""
        stub, problems = decode(record)
        if stub is not None:
            self.stubs.append(stub)
            self.digests[stub.path] = record.digest
        self.problems += problems


def _vouched(ctx: Context, found: Scan, decoded: _Decoded) -> tuple[set[str], tuple[str, ...]]:
    """Decode the cached records of unchanged files; return their paths, and the cached
    paths that are gone. Files in a folder that could not be listed keep their records;
    a record that does not decode is a miss."""
    vouched: set[str] = set()
    stale: list[str] = []
    corrupt = 0
    identity_of, unlisted = found.identity_of, found.unlisted
    for record in ctx.cache.records() if ctx.cache is not None else ():
        path = record.path
        unseen = bool(unlisted) and path.startswith(unlisted)
        if path not in identity_of and not unseen:
            stale.append(path)
        elif unseen or record.identity == identity_of[path]:
            try:
                decoded.add(record)
            except CorruptRecord:
                corrupt += 1
                continue
            vouched.add(path)
    if corrupt:
        log_corrupt(corrupt)
    return vouched, tuple(stale)


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
    identity_of = scanned.scan.identity_of
    decoded = _Decoded()
    vouched, stale = _vouched(ctx, scanned.scan, decoded)
    changed = [(path, identity_of[path]) for path in scanned.scan.paths if path not in vouched]
    # Records of files changed within racy_seconds of the scan are not cached (Options).
    racy = scanned.started_ns - int(ctx.racy_seconds * 1e9)
    held: dict[str, bytes] = {}
    uncached = 0
    parallel = len(changed) >= MIN_PARALLEL_FILES
    with ctx.progress("parsing", len(changed)) as bar:
        for chunk in ctx.workers.map(parse_chunk, changed, PARSE_CHUNK, parallel):
            keep = [r for r in chunk if identity_of[r.path] is not None and r.newest_ns < racy]
            stored = _store(ctx, keep)
            held |= {r.path: r.article for r in chunk if r.article and r.path not in stored}
            uncached += len(chunk) - len(keep)
            for record in chunk:
                decoded.add(record)
            bar.advance(len(chunk))
    if ctx.cache is not None and stale:
        ctx.cache.update((), stale)
    # A record not cached must make the next run look at its file again.
    trusted = not uncached and None not in identity_of.values() and not scanned.scan.unlisted
    return Parsed(
        tuple(decoded.stubs),
        tuple(decoded.problems),
        decoded.digests,
        held,
        trusted,
        parsed=len(changed),
        cached=len(vouched),
    )


def _store(ctx: Context, records: list[Record]) -> set[str]:
    """Cache the records, when the cache can take them; the paths stored."""
    if ctx.cache is None or not ctx.cache.writable or not records:
        return set()
    ctx.cache.update(records, ())
    return {record.path for record in records}


def select_feeds(ctx: Context, scanned: Scanned, parsed: Parsed) -> Selection:
    """One version per id, the config's selection rules, then the feeds, on stubs only."""
    config, now, stubs = ctx.config, ctx.now, parsed.stubs
    problems = [*scanned.scan.problems, *parsed.problems]
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
    sources = provider_feeds([*groups, *(page.feed for page in pages)])
    return Selection(summary, groups, parsed.digests, pages, sources)
