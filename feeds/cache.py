"""The parse cache: each article file's validated record, keyed by the file's identity.

An SQLite database (stdlib `sqlite3`, WAL journal) under `cache.dir`. A row is keyed by
the file's relative path and holds its size, `st_mtime_ns`, `st_ctime_ns` and inode at the
time it was read; when all four still match, the file is not opened again. `st_ctime_ns`
cannot be set back by a program (unlike mtime), so an edit that restores the mtime is
still seen.

A row keeps three things apart so that a no-change run stays cheap:
- the article's `Stub` (what selection and grouping read), small and always loaded;
- the whole `Article`, only unpacked when one of its feeds must be rendered;
- the article's content digest, which feed fingerprints are made of.
Stub and article are packed by `feeds.codec` from the dataclass fields; the format below includes a
digest of those fields, so changing one retires every cache made before.

SQLite commits are atomic and survive `kill -9`; the database also records the format
and a hash of everything that changes how a file is parsed. A database that cannot be
opened, is corrupt or was made with other settings is deleted and rebuilt (with a log
line); the cache is only ever a shortcut, never a source of truth.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from feeds import codec
from feeds.model import Article, Problem, Stub
from feeds.reporting import fields

CACHE_FILE = "parse.sqlite3"
LAST_RUN_FILE = "last-run"  # the last complete run's inputs and summary
LAST_RUN_TEMPORARY = "last-run.tmp"  # its next version, until renamed
# Bump the number when what validation produces changes; field changes bump the digest.
CACHE_FORMAT = f"7-{codec.layout_digest(Article, Stub, Problem)}"

log = logging.getLogger("feeds")

FileIdentity = tuple[int, int, int, int]  # size, st_mtime_ns, st_ctime_ns, st_ino
NO_IDENTITY: FileIdentity = (-1, -1, -1, -1)  # a file whose stat failed: never matches


_META_QUERY = "SELECT name, value FROM meta"
_COUNT_QUERY = "SELECT count(*) FROM files"


def usable_meta(settings: str) -> dict[str, str]:
    """The `meta` table of a cache this program can use with these parse settings."""
    return {"format": CACHE_FORMAT, "settings": settings}


# The identity a cached record is valid for, from a file's stat. An attrgetter: the scan
# maps it over every file of a folder at C speed.
file_identity: Callable[[os.stat_result], FileIdentity] = operator.attrgetter(
    "st_size", "st_mtime_ns", "st_ctime_ns", "st_ino"
)


@dataclass(frozen=True, slots=True)
class Problems:
    """One file's problems, as one packable value."""

    items: tuple[Problem, ...]


class Record(NamedTuple):
    """One file's parse outcome, as stored (and as a pool worker returns it)."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    digest: str  # of the Article ('' when rejected)
    problems: bytes | None  # packed `Problems`, None when there are none
    stub: bytes | None  # packed `Stub`, None when rejected
    article: bytes | None  # packed `Article`, None when rejected
    # What deciding between duplicates reads, as columns the index can query: the
    # article's id and publication time (POSIX seconds); None when rejected.
    aid: str | None = None
    at: int | None = None

    @property
    def identity(self) -> FileIdentity:
        """The file identity this record was made from."""
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino)

    @property
    def newest_ns(self) -> int:
        """When the file last changed: its mtime or its ctime, whichever is later."""
        return max(self.mtime_ns, self.ctime_ns)


_COLUMNS = Record._fields
_NO_ARTICLE_COLUMNS = ", ".join(c if c != "article" else "NULL" for c in _COLUMNS)
# One database holds the records and the membership index (`feeds.index`), so that a
# record and what the index makes of it change in one transaction. `files.win` says
# which record of an id is published; `pending` lists the paths whose records changed
# since the index last took them in, with the id each had then.
_META_TABLE = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = f"""
{_META_TABLE}
CREATE TABLE IF NOT EXISTS files (
    {", ".join(f"{c} {'TEXT PRIMARY KEY' if c == 'path' else ''}" for c in _COLUMNS)},
    win INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_aid ON files(aid) WHERE aid IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_won ON files(at) WHERE win;
CREATE INDEX IF NOT EXISTS files_lost ON files(path) WHERE aid IS NOT NULL AND NOT win;
CREATE INDEX IF NOT EXISTS files_problems ON files(path) WHERE problems IS NOT NULL;
CREATE TABLE IF NOT EXISTS pending (path TEXT PRIMARY KEY, aid TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    feed INTEGER PRIMARY KEY, kind TEXT NOT NULL, key BLOB NOT NULL,
    total INTEGER NOT NULL, name BLOB, slug TEXT, updated INTEGER, fp TEXT,
    UNIQUE (kind, key)
);
CREATE TABLE IF NOT EXISTS spellings (
    feed INTEGER, spelling BLOB, n INTEGER NOT NULL, PRIMARY KEY (feed, spelling)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
    feed INTEGER, minus_rank REAL, minus_at INTEGER, aid TEXT, path TEXT NOT NULL,
    spelling BLOB, PRIMARY KEY (feed, minus_rank, minus_at, aid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_path ON members(path);
CREATE TABLE IF NOT EXISTS pages (
    feed INTEGER, number INTEGER, fp TEXT NOT NULL, PRIMARY KEY (feed, number)
) WITHOUT ROWID;
"""
# The tables of the index proper: emptied to rebuild it.
INDEX_TABLES = ("state", "feeds", "spellings", "members", "pages")


def make_record(
    path: str, identity: FileIdentity | None, article: Article | None, problems: Sequence[Problem]
) -> Record:
    """The stored form of one file's validation outcome (identity None: its stat failed)."""
    packed_problems = codec.pack(Problems(tuple(problems))) if problems else None
    if article is None:
        return Record(path, *(identity or NO_IDENTITY), "", packed_problems, None, None)
    # The digest is of every field: equal digests, equal feed entries.
    packed_article, digest = codec.pack_with_digest(article)
    return Record(
        path,
        *(identity or NO_IDENTITY),
        digest,
        packed_problems,
        codec.pack(article.stub()),
        packed_article,
        article.id,
        int(article.published_at.timestamp()),
    )


class CorruptRecord(Exception):
    """A stored record that does not decode: the cache was damaged or tampered with."""


def log_corrupt(count: int) -> None:
    """The one log line for records that did not decode (their files are parsed again)."""
    log.warning(
        "%(count)d parse cache records do not decode; their files are parsed again",
        fields(count=count),
    )


def unpack_stub(path: str, blob: bytes) -> Stub:
    """A record's stub from its stored form. Raises CorruptRecord when it does not decode."""
    try:
        return codec.unpack(Stub, blob)
    except codec.Undecodable as exc:
        raise CorruptRecord(path) from exc


def unpack_problems(path: str, blob: bytes) -> tuple[Problem, ...]:
    """A record's problems from their stored form. Raises CorruptRecord when they do not
    decode."""
    try:
        return codec.unpack(Problems, blob).items
    except codec.Undecodable as exc:
        raise CorruptRecord(path) from exc


def unpack_article(blob: bytes) -> Article:
    """The whole article from its stored form. Raises CorruptRecord when it does not decode."""
    try:
        return codec.unpack(Article, blob)
    except codec.Undecodable as exc:
        raise CorruptRecord from exc


class ParseCache:
    """The cache made with `settings` in `folder`. Use `open_cache`; close it (or use `with`).

    The database is connected on first use, so a run that needs nothing from it (one that
    stops before reading any file, a mistyped `content.dir` say) leaves it as it was, even
    when it was made with other settings. The last complete run's inputs and summary are a
    small file beside it (`last-run`), so that a run with nothing to do opens no database
    at all: SQLite would create and delete its `-wal` and `-shm` files.

    A read-only cache (for dry runs) reads as usual and ignores every update; one that is
    missing or unusable reads as empty.
    """

    def __init__(self, folder: Path, settings: str, writable: bool = True) -> None:
        self.path = folder / CACHE_FILE
        self.settings = settings
        self.writable = writable
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        """The database, connected (created, or rebuilt when unusable) on first use."""
        if self._db is None:
            connect = _writable_db if self.writable else _dry_run_db
            self._db = connect(self.path, self.settings)
        return self._db

    def identities(self) -> Iterator[tuple[str, FileIdentity]]:
        """Every stored record's path and the file identity it was made from."""
        query = "SELECT path, size, mtime_ns, ctime_ns, ino FROM files"
        return (
            (path, (size, mtime, ctime, ino))
            for path, size, mtime, ctime, ino in self.db.execute(query)
        )

    def articles(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The packed articles of `paths` (those that have one)."""
        return dict(
            self.select_in(
                "SELECT path, article FROM files WHERE article IS NOT NULL AND path IN", paths
            )
        )

    def select_in(self, query: str, values: Iterable[object]) -> Iterator[tuple[Any, ...]]:
        """The rows of `query`, which ends in `IN`, for `values`, 500 at a time (SQLite
        limits how many values one statement takes)."""
        values = list(values)
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            marks = ",".join("?" * len(batch))
            # Fetched whole: a cursor left open by a caller that stopped early would be
            # closed later, maybe after the database.
            yield from self.db.execute(f"{query} ({marks})", batch).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction on the database, committed when the block ends without an
        exception; for a dry run, a savepoint inside the run's own transaction, which is
        rolled back when the cache is closed."""
        db = self.db
        begin, end, undo = (
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
            if self.writable
            else ("SAVEPOINT step", "RELEASE step", "ROLLBACK TO step")
        )
        db.execute(begin)
        try:
            yield db
        except BaseException:
            db.execute(undo)
            raise
        db.execute(end)

    def update(self, rows: Sequence[Record], removed: Iterable[str]) -> None:
        """Store new rows and forget removed paths, in one transaction, and list their
        paths as pending for the index, with the id each had before."""
        columns = ", ".join(_COLUMNS)
        marks = ",".join("?" * len(_COLUMNS))
        note = "INSERT OR IGNORE INTO pending VALUES (?1, (SELECT aid FROM files WHERE path = ?1))"
        removed = list(removed)
        with self.transaction() as db:
            db.executemany(note, ((row.path,) for row in rows))
            db.executemany(note, ((path,) for path in removed))
            db.executemany(f"INSERT OR REPLACE INTO files ({columns}) VALUES ({marks})", rows)
            db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in removed))

    def drop_corrupt(self) -> int:
        """Forget every record whose stub, problems or article do not decode (their files
        are parsed again); return how many there were."""
        query = "SELECT path, stub, problems, article FROM files"
        corrupt = []
        for path, stub, problems, article in self.db.execute(query).fetchall():
            try:
                if stub is not None:
                    unpack_stub(path, stub)
                if problems is not None:
                    unpack_problems(path, problems)
                if article is not None:
                    unpack_article(article)
            except CorruptRecord:
                corrupt.append(path)
        self.update((), corrupt)
        self.set_last_run(None)
        return len(corrupt)

    def forget_index(self) -> None:
        """Make the next run rebuild the membership index (one of its rows is damaged)."""
        with self.transaction() as db:
            db.execute("DELETE FROM state")
        self.set_last_run(None)

    def last_run(self) -> tuple[str, bytes] | None:
        """The inputs fingerprint and summary the last complete run stored, if any and if
        stored by a cache of this format and these settings."""
        try:
            blob = (self.path.parent / LAST_RUN_FILE).read_bytes()
        except OSError:
            return None
        head, newline, data = blob.partition(b"\n")
        inputs, _, made_with = head.decode("ascii", "replace").partition(" ")
        return (inputs, data) if newline and made_with == self._made_with() else None

    def set_last_run(self, inputs: str | None, data: bytes = b"") -> None:
        """Remember (or, with None, forget) the last complete run's inputs and summary;
        replaced whole, so a killed run leaves the old one or the new one."""
        if not self.writable:
            return
        path = self.path.parent / LAST_RUN_FILE
        if inputs is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(LAST_RUN_TEMPORARY)
        temporary.write_bytes(f"{inputs} {self._made_with()}\n".encode("ascii") + data)
        os.replace(temporary, path)

    def _made_with(self) -> str:
        """What the database's `meta` holds: a last run of another format or other parse
        settings is not this cache's."""
        return " ".join(map(str, usable_meta(self.settings).values()))

    def count(self) -> int:
        """How many files the cache holds a record for."""
        (count,) = self.db.execute(_COUNT_QUERY).fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database, if it was opened."""
        if self._db is not None:
            if self._db.in_transaction:  # a dry run's, or one a failure interrupted
                self._db.execute("ROLLBACK")
            self._db.close()
            self._db = None

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_cache(cache_dir: Path, settings: str, *, writable: bool = True) -> ParseCache:
    """The cache made with `settings` in `cache_dir`, opened when first used; read-only,
    it reads what is there if usable (else nothing) and writes nothing anywhere."""
    return ParseCache(cache_dir, settings, writable)


def _writable_db(path: Path, settings: str) -> sqlite3.Connection:
    """The database at `path` made with `settings`: created, or rebuilt when unusable."""
    try:
        return _connect(path, settings)
    except sqlite3.DatabaseError as exc:
        log.warning(
            "%(path)s: unusable parse cache (%(reason)s); rebuilding it",
            fields(path=path, reason=exc),
        )
    remove_database(path)
    return _connect(path, settings)


def cache_state(path: Path) -> tuple[dict[str, str], int]:
    """The `meta` table and the number of records of the cache database at `path`, read
    without changing it (`feeds doctor`); sqlite3.DatabaseError when it is unusable."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute(_META_QUERY).fetchall())
        (count,) = db.execute(_COUNT_QUERY).fetchone()
    finally:
        db.close()
    return meta, int(count)


def _connect(path: Path, settings: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a crash may lose the last commit but never corrupts the database;
        # a lost commit only means those files are parsed again.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_META_TABLE)
        found = dict(db.execute(_META_QUERY).fetchall())
        wanted = usable_meta(settings)
        if found != wanted:
            if found:
                log.info(
                    "parse cache %(path)s made with other settings; rebuilding it",
                    fields(path=path),
                )
            (path.parent / LAST_RUN_FILE).unlink(missing_ok=True)
            # Tables of another format may have other columns: they go whole.
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            drops = "".join(f'DROP TABLE "{table}";' for (table,) in tables.fetchall())
            db.executescript(f"BEGIN IMMEDIATE; {drops} {_SCHEMA} COMMIT;")
            db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
        # Touch the table so corruption shows here, where it can be handled.
        db.execute(_COUNT_QUERY).fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _dry_run_db(path: Path, settings: str) -> sqlite3.Connection:
    """The database at `path` when it is there and usable, inside a transaction that
    closing the cache rolls back (a dry run makes a build's changes, then undoes them);
    else an empty one in memory."""
    if path.exists():
        db = sqlite3.connect(path, isolation_level=None)
        try:
            if dict(db.execute(_META_QUERY).fetchall()) == usable_meta(settings):
                db.execute("BEGIN")
                return db
        except sqlite3.DatabaseError:
            pass
        db.close()
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(_SCHEMA)
    db.execute("BEGIN")
    return db


def remove_database(path: Path) -> tuple[Path, ...]:
    """Delete a database file and its WAL, shared-memory and rollback journal files;
    return those that were there."""
    removed = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        file = Path(f"{path}{suffix}")
        try:
            file.unlink()
        except FileNotFoundError:
            continue
        removed.append(file)
    return tuple(removed)


def clear_cache(cache_dir: Path) -> tuple[Path, ...]:
    """Delete the cache's own files, then its folder if that left it empty; return the
    files deleted. Nothing else is touched, whatever folder `cache.dir` names."""
    removed = remove_database(cache_dir / CACHE_FILE)
    for name in (LAST_RUN_FILE, LAST_RUN_TEMPORARY):
        with contextlib.suppress(FileNotFoundError):
            (cache_dir / name).unlink()
            removed += (cache_dir / name,)
    if removed:
        with contextlib.suppress(OSError):  # not empty: it holds files that are not ours
            cache_dir.rmdir()
    return removed
