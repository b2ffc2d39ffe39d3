"""The membership index: which feeds each published article is in, kept up to date from
what changed, so that a run's work follows its change set rather than the archive.

It lives in the cache database (`feeds.cache`, which declares its tables), beside the
records it is made of:
- `files.win` marks the record that wins its id (the later `publishedDateTime`, on a tie
  the greater path), as duplicates were always resolved;
- `members` holds one row per feed a winning, published article joins
  (`feeds.members`), keyed by (feed, sort key, id) in the feed's order, with the spelling
  the article names the feed with;
- `feeds` holds each feed's running total and name, `spellings` the counts its name is
  the most common of, and both are patched by the rows a run adds and removes;
- `state` holds the config the index was made for and the clock of its last update.

A run takes in the paths whose records changed (`pending`, filled in the transaction that
stores each record), re-decides the ids they had and have, recomputes the memberships of
those paths and of the articles the clock moved across an edge since the last update, and
returns which feeds have a changed member. A full build is the same update of an empty
index; a config other than the index's empties it first.
"""

from __future__ import annotations

import itertools
import logging
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feeds.cache import INDEX_TABLES, ParseCache
from feeds.config import Config
from feeds.members import Grouping, Membership, clock_edges, grouping, memberships_of, moved_between
from feeds.model import GroupKind, Stub
from feeds.records import unpack_stub
from feeds.reporting import fields

_BATCH = 500  # values per `IN (...)` query
_SUBJECTS = 5000  # articles whose memberships are recomputed per batch of writes

# One stored membership: its feed, sort keys (negated, so that the key's ascending order
# is the feed's order: greatest rank first, then newest, then by id), id and path.
Row = tuple[int, float, int, str, str]


log = logging.getLogger("feeds")


class CorruptIndex(Exception):
    """A stored index row that cannot be what the index writes: it is rebuilt."""


def log_rebuild(reason: CorruptIndex) -> None:
    """The one log line for an index rebuilt because a row of it did not hold together."""
    log.warning(
        "the index does not hold together (%(reason)s); rebuilding it from the records",
        fields(reason=str(reason)),
    )


def blob(text: str) -> bytes:
    """Text as the index stores names: UTF-8, whose bytes sort as the code points do
    (a lone surrogate, which only the pure-Python parser lets through, included)."""
    return text.encode("utf-8", "surrogatepass")


def unblob(value: object) -> str:
    """The text `blob` stored. Raises CorruptIndex when it is not such a value."""
    if not isinstance(value, bytes):
        msg = f"expected a name, got {type(value).__name__}"
        raise CorruptIndex(msg)
    try:
        return value.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise CorruptIndex(str(exc)) from exc


@dataclass(slots=True)
class FeedState:
    """One feed of the index as this run changes it."""

    feed: int
    kind: GroupKind
    key: str
    total: int
    name: str
    slug: str | None  # where the last run wrote it (None: not written)
    updated: int | None  # its live items' newest publication time, when written
    fp: str | None  # its fingerprint when last written
    spellings: Counter[str] = field(default_factory=Counter)  # this run's changes
    changed: list[tuple[float, int, str]] = field(default_factory=list)  # keys out or in
    resized: bool = False  # a member came or went (not only changed in place)
    renamed: bool = False  # its most common spelling changed


@dataclass(slots=True)
class Update:
    """What one update of the index changed."""

    feeds: dict[tuple[GroupKind, str], FeedState]
    touched: set[int]  # feeds with a member added, removed or changed
    rebuilt: bool  # the index was empty or made for another config


def update(cache: ParseCache, config: Config, config_fp: str, now: datetime) -> Update:
    """Take the pending records in (all of them when the index is not this config's) and
    the articles the clock moved since the last update; run inside a transaction."""
    db = cache.db
    state = dict(db.execute("SELECT name, value FROM state"))
    rebuilt = state.get("config") != config_fp
    if rebuilt:
        for table in INDEX_TABLES:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM pending")
        subjects = _decide_all_winners(cache)
    else:
        rows = db.execute("SELECT path, aid FROM pending").fetchall()
        db.execute("DELETE FROM pending")
        pending = {path for path, _ in rows}
        aids = {aid for _, aid in rows if aid is not None}
        aids |= {aid for (aid,) in cache.select_in("SELECT aid FROM files WHERE path IN", pending)}
        subjects = pending | _decide_winners(cache, sorted(a for a in aids if a is not None))
    last_clock = state.get("clock")
    if isinstance(last_clock, float | int):
        subjects |= _moved(cache, clock_edges(config), float(last_clock), now.timestamp())
    feeds = _load_feeds(cache)
    touched = _apply(cache, grouping(config, now), feeds, sorted(subjects), rebuilt)
    db.executemany(
        "INSERT OR REPLACE INTO state VALUES (?, ?)",
        [("config", config_fp), ("clock", now.timestamp())],
    )
    return Update(feeds, touched, rebuilt)


# The record that wins each id, as `_decide_winners` decides it (the greatest
# publication time, then the greatest path), for every id at once in SQL.
_WINNERS = (
    "SELECT path FROM (SELECT path, row_number() OVER (PARTITION BY aid "
    "ORDER BY at DESC, path DESC) AS n FROM files WHERE aid IS NOT NULL) WHERE n = 1"
)


def _decide_all_winners(cache: ParseCache) -> set[str]:
    """Mark the record that wins each id, over every record (the index is rebuilt);
    return the winners' paths."""
    cache.db.execute("UPDATE files SET win = 0 WHERE win")
    cache.db.execute(f"UPDATE files SET win = 1 WHERE path IN ({_WINNERS})")
    return {path for (path,) in cache.db.execute("SELECT path FROM files WHERE win")}


def _decide_winners(cache: ParseCache, aids: Sequence[str]) -> set[str]:
    """Mark the record that wins each of `aids`; return the paths whose mark changed."""
    flipped: list[tuple[int, str]] = []
    for start in range(0, len(aids), _BATCH):
        batch = aids[start : start + _BATCH]
        rows = sorted(cache.select_in("SELECT aid, at, path, win FROM files WHERE aid IN", batch))
        for _, versions in itertools.groupby(rows, key=lambda row: row[0]):
            found = list(versions)
            winner = max(found, key=lambda row: (row[1], row[2]))
            for _, _, path, win in found:
                if bool(win) != (path == winner[2]):
                    flipped.append((int(path == winner[2]), path))
    cache.db.executemany("UPDATE files SET win = ? WHERE path = ?", flipped)
    return {path for _, path in flipped}


def _moved(cache: ParseCache, edges: Sequence[int], before: float, now: float) -> set[str]:
    """The winners whose publication time an edge of the clock passed between runs."""
    query = "SELECT path FROM files WHERE win AND at BETWEEN ? AND ?"
    found: set[str] = set()
    for low, high in moved_between(edges, before, now):
        found |= {path for (path,) in cache.db.execute(query, (math.floor(low), math.ceil(high)))}
    return found


def _load_feeds(cache: ParseCache) -> dict[tuple[GroupKind, str], FeedState]:
    """Every feed the index knows (a few thousand rows, whatever the archive's size)."""
    query = "SELECT feed, kind, key, total, name, slug, updated, fp FROM feeds"
    feeds: dict[tuple[GroupKind, str], FeedState] = {}
    for feed, kind, key, total, name, slug, updated, fp in cache.db.execute(query):
        try:
            state = FeedState(
                feed, GroupKind(kind), unblob(key), int(total), unblob(name), slug, updated, fp
            )
        except (ValueError, TypeError) as exc:
            raise CorruptIndex(str(exc)) from exc
        if state.total < 0:
            msg = f"feed {feed} has {total} members"
            raise CorruptIndex(msg)
        feeds[state.kind, state.key] = state
    return feeds


def _apply(
    cache: ParseCache,
    how: Grouping,
    feeds: dict[tuple[GroupKind, str], FeedState],
    subjects: Sequence[str],
    rebuilt: bool,
) -> set[int]:
    """Recompute the memberships of `subjects`, in batches; patch totals and spellings.
    Into an emptied index (`rebuilt`), rows are only added, and which of them changed
    is not kept: every feed is fingerprinted whole."""
    touched: set[int] = set()
    for start in range(0, len(subjects), _SUBJECTS):
        batch = subjects[start : start + _SUBJECTS]
        old = [] if rebuilt else list(cache.select_in(_MEMBERS_OF, batch))
        new = list(_new_rows(cache, how, feeds, batch))
        new.sort()
        if not rebuilt:
            cache.db.executemany("DELETE FROM members WHERE path = ?", ((p,) for p in batch))
        cache.db.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)", new)
        touched |= _patch(feeds, old, new, keep_changes=not rebuilt)
    _store_counts(cache, feeds, touched)
    return touched


_MEMBERS_OF = "SELECT feed, minus_rank, minus_at, aid, path, spelling FROM members WHERE path IN"


def _new_rows(
    cache: ParseCache,
    how: Grouping,
    feeds: dict[tuple[GroupKind, str], FeedState],
    paths: Sequence[str],
) -> Iterator[tuple[int, float, int, str, str, bytes]]:
    """The membership rows of the winners among `paths`, as of this run."""
    query = "SELECT path, stub FROM files WHERE win AND stub IS NOT NULL AND path IN"
    for path, packed in cache.select_in(query, paths):
        stub = unpack_stub(path, packed)
        minus_at = -int(stub.published_at.timestamp())
        for member in memberships_of(stub, how):
            feed = _feed_id(cache, feeds, member)
            yield (feed, -member.rank, minus_at, stub.id, path, blob(member.spelling))


def _feed_id(
    cache: ParseCache, feeds: dict[tuple[GroupKind, str], FeedState], member: Membership
) -> int:
    return feed_state(cache, feeds, member.kind, member.key).feed


def feed_state(
    cache: ParseCache, feeds: dict[tuple[GroupKind, str], FeedState], kind: GroupKind, key: str
) -> FeedState:
    """The feed of that kind and key, made (empty) when the index lacks it."""
    found = feeds.get((kind, key))
    if found is None:
        cursor = cache.db.execute(
            "INSERT INTO feeds (kind, key, total, name) VALUES (?, ?, 0, ?)",
            (kind.value, blob(key), blob("")),
        )
        assert cursor.lastrowid is not None
        found = FeedState(cursor.lastrowid, kind, key, 0, "", None, None, None)
        feeds[kind, key] = found
    return found


def _patch(
    feeds: dict[tuple[GroupKind, str], FeedState],
    old: list[tuple[int, float, int, str, str, bytes]],
    new: list[tuple[int, float, int, str, str, bytes]],
    keep_changes: bool,
) -> set[int]:
    """Patch each feed's total, spelling counts and (when `keep_changes`) changed keys by
    the rows that left (`old`) and came (`new`); return the feeds touched."""
    by_id = {state.feed: state for state in feeds.values()}
    for rows, sign in ((old, -1), (new, 1)):
        for feed, minus_rank, minus_at, aid, _, spelling in rows:
            state = by_id.get(feed)
            if state is None:
                msg = f"a member of feed {feed}, which the index lacks"
                raise CorruptIndex(msg)
            state.total += sign
            state.spellings[unblob(spelling)] += sign
            if keep_changes:
                state.changed.append((minus_rank, minus_at, aid))
    if keep_changes:  # a member come or gone shifts the feed's later archive pages
        for feed, *_ in {row[:4] for row in old} ^ {row[:4] for row in new}:
            by_id[feed].resized = True
    return {row[0] for row in old} | {row[0] for row in new}


def _store_counts(
    cache: ParseCache, feeds: dict[tuple[GroupKind, str], FeedState], touched: set[int]
) -> None:
    """Write the touched feeds' totals, spelling counts and names."""
    db = cache.db
    for state in feeds.values():
        if state.feed not in touched:
            continue
        if state.total < 0:
            msg = f"feed {state.feed} would have {state.total} members"
            raise CorruptIndex(msg)
        changes = [(n, state.feed, blob(s)) for s, n in state.spellings.items() if n]
        db.executemany(
            "INSERT INTO spellings VALUES (?2, ?3, ?1) "
            "ON CONFLICT (feed, spelling) DO UPDATE SET n = n + ?1",
            changes,
        )
        db.execute("DELETE FROM spellings WHERE feed = ? AND n <= 0", (state.feed,))
        top = db.execute(
            "SELECT spelling FROM spellings WHERE feed = ? ORDER BY n DESC, spelling LIMIT 1",
            (state.feed,),
        ).fetchone()
        name = unblob(top[0]) if top else ""
        state.renamed, state.name = name != state.name, name
        db.execute(
            "UPDATE feeds SET total = ?, name = ? WHERE feed = ?",
            (state.total, blob(state.name), state.feed),
        )


def members_of_feeds(cache: ParseCache, feed_ids: Iterable[int]) -> set[int]:
    """Every feed that shares an article with one of `feed_ids`."""
    query = (
        "SELECT DISTINCT other.feed FROM members AS own JOIN members AS other "
        "ON other.path = own.path WHERE own.feed = ?"
    )
    found: set[int] = set()
    for feed in feed_ids:
        found |= {other for (other,) in cache.db.execute(query, (feed,))}
    return found


def newest_paths(cache: ParseCache, feed: int, count: int, skip: int = 0) -> list[str]:
    """The paths of a feed's members in its order, `count` of them after the first
    `skip`."""
    query = "SELECT path FROM members WHERE feed = ? ORDER BY minus_rank, minus_at, aid "
    query += "LIMIT ? OFFSET ?"
    return _all_there(
        feed, count, [path for (path,) in cache.db.execute(query, (feed, count, skip))]
    )


def oldest_paths(cache: ParseCache, feed: int, count: int, skip: int) -> list[str]:
    """The paths of a feed's members from its oldest, `count` of them after the first
    `skip`, newest first."""
    query = "SELECT path FROM members WHERE feed = ? "
    query += "ORDER BY minus_rank DESC, minus_at DESC, aid DESC LIMIT ? OFFSET ?"
    paths = [path for (path,) in cache.db.execute(query, (feed, count, skip))]
    return _all_there(feed, count, paths[::-1])


def _all_there(feed: int, count: int, paths: list[str]) -> list[str]:
    """`paths`, when they are the `count` members asked for: the feed's stored total says
    how many it has, so fewer rows mean the index lost some."""
    if len(paths) != count:
        msg = f"feed {feed} has fewer members than its total"
        raise CorruptIndex(msg)
    return paths


def older_than(cache: ParseCache, feed: int, key: tuple[float, int, str], total: int) -> int:
    """How many members of the feed come after `key` in its order (are older): counted
    from whichever end is nearer, so a new article costs what is newer than it."""
    half = total // 2 + 1
    newer = "SELECT count(*) FROM (SELECT 1 FROM members WHERE feed = ? "
    newer += "AND (minus_rank, minus_at, aid) <= (?, ?, ?) LIMIT ?)"
    (count,) = cache.db.execute(newer, (feed, *key, half)).fetchone()
    if count < half:
        return total - int(count)
    older = (
        "SELECT count(*) FROM members WHERE feed = ? AND (minus_rank, minus_at, aid) > (?, ?, ?)"
    )
    (count,) = cache.db.execute(older, (feed, *key)).fetchone()
    return int(count)


def stubs(cache: ParseCache, paths: Iterable[str]) -> dict[str, tuple[Stub, str]]:
    """The stubs and digests of `paths`. Raises CorruptIndex when a path has no record:
    the index names an article the cache does not hold."""
    wanted = set(paths)
    query = "SELECT path, stub, digest FROM files WHERE stub IS NOT NULL AND path IN"
    found = {
        path: (unpack_stub(path, packed), digest)
        for path, packed, digest in cache.select_in(query, wanted)
    }
    if len(found) != len(wanted):
        msg = f"{len(wanted) - len(found)} members have no record"
        raise CorruptIndex(msg)
    return found


def store_feed(
    cache: ParseCache, state: FeedState, slug: str | None, updated: int | None, fp: str | None
) -> None:
    """Remember where a feed was written, its newest date and fingerprint."""
    state.slug, state.updated, state.fp = slug, updated, fp
    cache.db.execute(
        "UPDATE feeds SET slug = ?, updated = ?, fp = ? WHERE feed = ?",
        (slug, updated, fp, state.feed),
    )


def page_fingerprints(cache: ParseCache, feed: int) -> list[str]:
    """The stored fingerprints of a feed's archive pages, oldest page first."""
    query = "SELECT number, fp FROM pages WHERE feed = ? ORDER BY number"
    rows = cache.db.execute(query, (feed,)).fetchall()
    if [number for number, _ in rows] != list(range(1, len(rows) + 1)):
        msg = f"feed {feed} has pages {[number for number, _ in rows]}"
        raise CorruptIndex(msg)
    return [fp for _, fp in rows]


def store_pages(cache: ParseCache, feed: int, fps: Sequence[str]) -> None:
    """Replace the stored fingerprints of a feed's archive pages."""
    cache.db.execute("DELETE FROM pages WHERE feed = ?", (feed,))
    rows = [(feed, number, fp) for number, fp in enumerate(fps, start=1)]
    cache.db.executemany("INSERT INTO pages VALUES (?, ?, ?)", rows)


def lost_duplicates(cache: ParseCache) -> Iterator[tuple[str, bytes, str]]:
    """Each record that lost its id: its path, stub and the winner's path."""
    # Left to itself, the planner walks every id (files_aid) to find the few that lost.
    query = (
        "SELECT lost.path, lost.stub, won.path FROM files AS lost INDEXED BY files_lost "
        "JOIN files AS won ON won.aid = lost.aid AND won.win "
        "WHERE lost.aid IS NOT NULL AND NOT lost.win"
    )
    return iter(cache.db.execute(query).fetchall())


def stored_problems(cache: ParseCache) -> Iterator[tuple[str, bytes]]:
    """The path and packed problems of every record that has some."""
    query = "SELECT path, problems FROM files WHERE problems IS NOT NULL"
    return iter(cache.db.execute(query).fetchall())


def next_edge(cache: ParseCache, edges: Sequence[int], now: float) -> int | None:
    """The first moment from `now` on at which an edge of the clock reaches a winner."""
    query = "SELECT min(at) FROM files WHERE win AND at >= ?"
    moments = []
    for edge in edges:
        (first,) = cache.db.execute(query, (math.ceil(now - edge),)).fetchone()
        if first is not None:
            moments.append(int(first) + edge)
    upcoming = [moment for moment in moments if moment >= now]
    return min(upcoming) if upcoming else None


def counts(cache: ParseCache) -> int:
    """How many valid articles the cache holds."""
    (valid,) = cache.db.execute("SELECT count(*) FROM files WHERE aid IS NOT NULL").fetchone()
    return int(valid)


@dataclass(frozen=True, slots=True)
class Audit:
    """What `feeds doctor` finds in the index: its size, and the rows no run checks
    (that would take reading it whole): feeds whose total is not their member count,
    members of no published record."""

    feeds: int
    members: int
    miscounted: int
    stray: int


def audit(path: Path) -> Audit:
    """Read the index of the cache database at `path` whole, without changing it;
    sqlite3.DatabaseError when it is unusable."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (feeds,) = db.execute("SELECT count(*) FROM feeds").fetchone()
        (members,) = db.execute("SELECT count(*) FROM members").fetchone()
        (miscounted,) = db.execute(
            "SELECT count(*) FROM feeds WHERE total != "
            "(SELECT count(*) FROM members WHERE members.feed = feeds.feed)"
        ).fetchone()
        (stray,) = db.execute(
            "SELECT count(*) FROM members WHERE NOT EXISTS "
            "(SELECT 1 FROM files WHERE files.path = members.path AND win)"
        ).fetchone()
    finally:
        db.close()
    return Audit(int(feeds), int(members), int(miscounted), int(stray))
