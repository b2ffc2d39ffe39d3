"""The input stages of a build from an article store, in place of the scan and parse of
a folder: what changed since the last run, read from one snapshot, and parsing it.

A row is a file to the rest of the build: its record is named `table/key` where a file's
is named by its path, made as a file's is (validation of its document, which is the
front matter as JSON), and stored in the cache with the cursor of the read, which the
select stage stores in the transaction that takes the records into the index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from feeds.fingerprint import config_fingerprint, store_inputs_fingerprint
from feeds.pool import MIN_PARALLEL_FILES, PARSE_CHUNK, parse_rows
from feeds.reporting import fields
from feeds.stages import Context, Parsed, Scanned, StoreRead
from feeds.store import Cursor, Store, StoreRow, row_name

log = logging.getLogger("feeds")


def read_store(ctx: Context) -> Scanned:
    """Open the read of the rows written since the cursor the cache holds (every row when
    it holds none), take its first batch, and fingerprint what the run reads."""
    started_ns = time.time_ns()
    store = _store(ctx)
    stamp = ctx.cache.store_cursor()
    since = None if stamp is None else Cursor(stamp)
    changes = store.read_changes(since)
    try:
        # The sweep reads the keys in the read's snapshot, before its rows end it.
        live = None if store.table.columns.deleted else frozenset(store.keys())
        first = next(changes.batches, [])
    except BaseException:
        changes.close()
        raise
    # Nothing read: the records are up to date with the store as of `since` still.
    cursor = since if since is not None and not first else changes.cursor
    config_fp = config_fingerprint(ctx.config)
    inputs_fp = store_inputs_fingerprint(config_fp, cursor.stamp)
    return Scanned(StoreRead(since, cursor, first, changes, live), config_fp, inputs_fp, started_ns)


def parse_read(ctx: Context, scanned: Scanned) -> Parsed:
    """Parse the rows read (in the pool when a batch has many), caching each batch's
    records and forgetting the keys tombstoned, then those the sweep did not find: a run
    holds in memory a batch of rows at a time."""
    read = scanned.source
    assert isinstance(read, StoreRead), "the stages of a folder are in feeds.input_stages"
    table = _store(ctx).table.name
    # A first read gives every row, tombstones too: records of keys it did not give are
    # of rows deleted outright since the records were made (if there are records: a
    # first build has none, and need not hold every key).
    seen: set[str] | None = set() if read.since is None and ctx.cache.count() else None
    parsed = rows = 0
    with ctx.progress("parsing", 0) as bar:
        for batch in _batches(read):
            live = [row for row in batch if not row.deleted]
            records = []
            for chunk in ctx.workers.map(
                parse_rows, live, PARSE_CHUNK, len(live) >= MIN_PARALLEL_FILES
            ):
                records += chunk
            ctx.cache.update(records, [row_name(table, r.key) for r in batch if r.deleted])
            if seen is not None:
                seen.update(row_name(table, row.key) for row in batch)
            parsed += len(live)
            rows += len(batch)
            bar.advance(len(batch))
    if read.live_keys is not None:
        seen = {row_name(table, key) for key in read.live_keys}
    if seen is not None:
        ctx.cache.update((), [path for path in ctx.cache.paths() if path not in seen])
    log.info(
        "read %(rows)d rows of %(table)s changed since cursor %(since)s (snapshot %(snapshot)s)",
        fields(
            rows=rows,
            table=table,
            since="none" if read.since is None else read.since.stamp,
            snapshot=read.changes.snapshot,
        ),
    )
    found = ctx.cache.count()
    return Parsed(trusted=True, parsed=parsed, cached=max(found - parsed, 0), found=found)


def _batches(read: StoreRead) -> Iterator[list[StoreRow]]:
    """The read's rows, a batch at a time; the read ends with them."""
    with read.changes:
        if read.first:
            yield read.first
        yield from read.changes.batches


def _store(ctx: Context) -> Store:
    assert ctx.store is not None, "a build from a folder has no store"
    return ctx.store
