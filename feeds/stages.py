"""The values the build's stages pass along, and the `Context` every stage may use.

The stages are functions of the `Context` and of the values the stages before them
returned: the input side in `feeds.input_stages`, the output side in `feeds.output_stages`;
`feeds.engine` runs them in order (the README's Architecture lists them). None of
them prints or decides wording, and none knows whether it runs for real or as a dry run
(the writer and the cache it is given know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from feeds.archive import folder_of
from feeds.cache import ParseCache
from feeds.config import Config
from feeds.listing import FeedList
from feeds.manifest import SITE_KEY, FeedEntry, Manifest
from feeds.model import Problem
from feeds.pool import Workers
from feeds.reporting import ProgressFactory
from feeds.scan import Scan
from feeds.store import Changes, Cursor, Store, StoreRow
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
    cache: ParseCache
    workers: Workers
    allow_empty: bool = False  # let a run delete every topic and provider feed
    store: Store | None = None  # the article store, when the config reads one


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
    archive_pages: int = 0


@dataclass(frozen=True, slots=True)
class StoreRead:
    """What a run reads of an article store: the rows written since the cursor the
    records are up to date with (`since`; None: every row), from one snapshot, whose
    cursor (`cursor`; `since` again when no row changed) the run stores with the index."""

    since: Cursor | None
    cursor: Cursor
    first: list[StoreRow]  # the first batch, taken to see whether any row changed
    changes: Changes  # the read, open, with the batches after the first
    # Every live key, when the table has no tombstones and deletions are found by
    # sweeping them (read in the same snapshot); None otherwise.
    live_keys: frozenset[str] | None

    @property
    def nothing_changed(self) -> bool:
        """Whether the records are up to date with the store as this run reads it."""
        return self.since is not None and not self.first and self.live_keys is None


@dataclass(frozen=True, slots=True)
class Scanned:
    """What this run reads, a folder's scan or an article store's changes, and the
    fingerprints of it."""

    source: Scan | StoreRead
    config_fp: str
    inputs_fp: str
    started_ns: int  # when the scan began (time.time_ns())

    @property
    def skipped(self) -> tuple[Problem, ...]:
        """What the scan skipped with a warning (nothing, for a store)."""
        return self.source.problems if isinstance(self.source, Scan) else ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """What reading the files did: every record is in the cache now; `trusted` when
    all are cached for the next run to vouch for."""

    trusted: bool
    parsed: int  # files (or rows) read and parsed
    cached: int  # files (or rows) the cache vouched for
    found: int  # article files found (rows held, for a store)


@dataclass(frozen=True, slots=True)
class Selection:
    """The feeds to write, fingerprinted from the index, with their archive pages."""

    summary: Summary
    feeds: FeedList

    def folders(self) -> list[str]:
        """The manifest key of every feed and archive page: its folder."""
        return [unit.folder for unit in self.units()]

    def units(self) -> list[Unit]:
        """Every feed's live documents and each of its archive pages."""
        return [
            Unit(index, number, folder_of(feed.listing, number))
            for index, feed in enumerate(self.feeds.feeds)
            for number in range(len(feed.pages) + 1)
        ]


@dataclass(frozen=True, slots=True)
class Unit:
    """A feed's live documents (`number` 0) or one of its archive pages."""

    index: int  # into the selection's feeds
    number: int
    folder: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """Which feeds and archive pages to render: those whose fingerprint or files are not
    in place."""

    old: Manifest
    to_render: tuple[Unit, ...]
    site_fp: str
    site_current: bool

    def rewriting(self) -> set[str]:
        """The manifest keys whose files this run rewrites."""
        keys = {unit.folder for unit in self.to_render}
        return keys if self.site_current else keys | {SITE_KEY}


@dataclass(frozen=True, slots=True)
class Written:
    """The files this run wrote or compared, and the manifest entries they make."""

    results: tuple[FileResult, ...]
    entries: Mapping[str, FeedEntry]
