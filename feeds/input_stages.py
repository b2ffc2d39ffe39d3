"""The input stages: which files there are, which the cache vouches for, parsing the rest,
and what the articles select into feeds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from feeds import codec, index
from feeds.cache import folder_of
from feeds.errors import InputError
from feeds.fingerprint import config_fingerprint, inputs_fingerprint
from feeds.group import lost_duplicate
from feeds.listing import list_feeds, moved_feeds
from feeds.manifest import Manifest, files_in_place, load_manifest
from feeds.members import clock_edges
from feeds.model import GroupKind, Problem
from feeds.pool import MIN_PARALLEL_FILES, PARSE_CHUNK, parse_chunk
from feeds.records import NO_IDENTITY, FileIdentity, Record, unpack_problems, unpack_stub
from feeds.scan import Scan, scan
from feeds.stages import Context, Parsed, Scanned, Selection, StoreRead, Summary


def scan_files(ctx: Context) -> Scanned:
    """Scan, and fingerprint what this run reads (the config and every file's identity)."""
    started_ns = time.time_ns()
    found = scan(ctx.config.content)
    config_fp = config_fingerprint(ctx.config)
    inputs_fp = inputs_fingerprint(config_fp, ctx.parser, found.folder_digests, found.problems)
    return Scanned(found, config_fp, inputs_fp, started_ns)


@dataclass(frozen=True, slots=True)
class _Changes:
    """What the cache says of the scan: the files to parse (those it has no record of for
    their identity), the cached paths whose files are gone, the folders it compared and
    how many files it vouches for."""

    to_parse: list[tuple[str, FileIdentity | None]]
    gone: tuple[str, ...]
    compared: tuple[str, ...]
    vouched: int


def _changes(ctx: Context, found: Scan) -> _Changes:
    """Compare the scan with the cache folder by folder: a folder whose digest the cache
    stored is vouched for unread; the records of the others, and of folders gone, are
    compared path by path. Folders that could not be listed keep their records."""
    stored, digests, unlisted = ctx.cache.folder_digests(), found.folder_digests, found.unlisted
    compared = [f for f in found.folders if stored.get(f.prefix) != digests[f.prefix]]
    gone = [
        prefix
        for prefix in stored
        if prefix not in digests and not (unlisted and prefix.startswith(unlisted))
    ]
    cached = dict(ctx.cache.identities([*(folder.prefix for folder in compared), *gone]))
    to_parse = []
    for folder in compared:
        for path, identity in folder.files():
            # A file whose stat failed (None) is parsed, to report why.
            if identity is None or cached.pop(path, None) != identity:
                to_parse.append((path, identity))
    # What is left was not listed in its folder: those files are gone.
    vouched = found.count - len(to_parse)
    return _Changes(to_parse, tuple(cached), tuple(f.prefix for f in compared), vouched)


def unchanged_since_last_run(ctx: Context, scanned: Scanned) -> tuple[Summary, Manifest] | None:
    """The last run's summary and manifest when its inputs are this run's, the selection
    cannot have changed since (no article came of age or expired) and its files are all
    in place: then there is nothing to parse, group, render or write."""
    if isinstance(scanned.source, StoreRead) and not scanned.source.nothing_changed:
        return None
    last = ctx.cache.last_run()
    if last is None or last[0] != scanned.inputs_fp:
        return None
    try:
        summary = codec.unpack(Summary, last[1])
    except codec.Undecodable:
        return None
    if ctx.strict and summary.rejected_files:
        return None  # the full path refuses the run, as --strict asks
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
    caching each chunk's records as it arrives: a run holds in memory only a chunk."""
    found = scanned.source
    assert isinstance(found, Scan), "the stages of an article store are in feeds.store_input"
    changes = _changes(ctx, found)
    identity_of = dict(changes.to_parse)
    # Records of files changed within racy_seconds of the scan are stored without their
    # file's identity (Options), so the next run parses them again.
    racy = scanned.started_ns - int(ctx.racy_seconds * 1e9)
    uncertain: set[str] = set()  # the folders of such records
    parallel = len(changes.to_parse) >= MIN_PARALLEL_FILES
    with ctx.progress("parsing", len(changes.to_parse)) as bar:
        for chunk in ctx.workers.map(parse_chunk, changes.to_parse, PARSE_CHUNK, parallel):
            kept = [_trusted(record, identity_of[record.path], racy) for record in chunk]
            uncertain.update(folder_of(record.path) for record in kept if record.size < 0)
            ctx.cache.update(kept, ())
            bar.advance(len(chunk))
    if changes.gone:
        ctx.cache.update((), changes.gone)
    digests = found.folder_digests
    ctx.cache.vouch({p: digests[p] for p in changes.compared if p not in uncertain})
    # A record not trusted must make the next run look at its file again.
    trusted = not uncertain and not found.unlisted
    return Parsed(trusted, len(changes.to_parse), changes.vouched, found.count)


def _trusted(record: Record, identity: FileIdentity | None, racy: int) -> Record:
    """The record as stored: without its file's identity when that may not say whether
    the file changed again (its stat failed, or it changed just before the scan)."""
    if identity is not None and record.newest_ns < racy:
        return record
    size, mtime_ns, ctime_ns, ino = NO_IDENTITY
    return record._replace(size=size, mtime_ns=mtime_ns, ctime_ns=ctime_ns, ino=ino)


def select_feeds(ctx: Context, scanned: Scanned, parsed: Parsed) -> Selection:
    """Take the changes into the index (in one transaction, which a dry run rolls back),
    then list the feeds to write and what the articles came to. Raises InputError, before
    anything changes, when `strict` and a file was rejected."""
    config, now, cache = ctx.config, ctx.now, ctx.cache
    with cache.transaction():
        if isinstance(scanned.source, StoreRead):
            cache.set_store_cursor(scanned.source.cursor.stamp)
        changes = index.update(cache, config, scanned.config_fp, now)
        problems = _report_lines(ctx, scanned)
        feed_list = list_feeds(cache, config, scanned.config_fp, changes)
        problems += moved_feeds(cache, feed_list)
        everything = changes.feeds.get((GroupKind.ALL, ""))
        summary = Summary(
            built_at=int(now.timestamp()),
            valid_until=index.next_edge(cache, clock_edges(config), now.timestamp()),
            files_found=parsed.found,
            articles_valid=index.counts(cache),
            articles_selected=everything.total if everything is not None else 0,
            rejected_files=len({problem.path for problem in problems if problem.rejected}),
            feeds=len(feed_list.feeds),
            problems=tuple(sorted(problems, key=lambda problem: problem.path)),
            archive_pages=sum(len(feed.pages) for feed in feed_list.feeds),
        )
    return Selection(summary, feed_list)


def _report_lines(ctx: Context, scanned: Scanned) -> list[Problem]:
    """What the scan skipped, every stored record's problems and every lost duplicate.
    Raises InputError when `strict` and a file was rejected."""
    problems: list[Problem] = [*scanned.skipped]
    for path, packed in index.stored_problems(ctx.cache):
        problems += unpack_problems(path, packed)
    for path, packed, winner in index.lost_duplicates(ctx.cache):
        problems.append(lost_duplicate(unpack_stub(path, packed), winner))
    rejected = {problem.path for problem in problems if problem.rejected}
    if ctx.strict and rejected:
        msg = f"{len(rejected)} article file(s) rejected and --strict is set; nothing written"
        report: tuple[Problem, ...] = tuple(sorted(problems, key=lambda problem: problem.path))
        raise InputError(msg, report)
    return problems
