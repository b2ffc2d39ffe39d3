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
import itertools
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from feeds import codec
from feeds.model import Article, Problem, Stub
from feeds.records import (
    CorruptRecord,
    FileIdentity,
    Record,
    unpack_article,
    unpack_problems,
    unpack_stub,
)
from feeds.reporting import fields

CACHE_FILE = "parse.sqlite3"
LAST_RUN_FILE = "last-run"  # the last complete run's inputs and summary
LAST_RUN_TEMPORARY = "last-run.tmp"  # its next version, until renamed
# Bump the number when what validation produces changes; field changes bump the digest.
CACHE_FORMAT = f"9-{codec.layout_digest(Article, Stub, Problem)}"

log = logging.getLogger("feeds")


_META_QUERY = "SELECT name, value FROM meta"
_COUNT_QUERY = "SELECT count(*) FROM files"


def usable_meta(settings: str) -> dict[str, str]:
    """The `meta` table of a cache this program can use with these parse settings."""
    return {"format": CACHE_FORMAT, "settings": settings}


# A record's whole article is kept in a table of its own, so that the index's updates
# of `files` (which record wins its id) rewrite small rows.
_COLUMNS = tuple(column for column in Record._fields if column != "article")
# A record's folder, as `folder_of` says; SQL to index and query by. rtrim strips every
# trailing character that is not a '/' (all of them, for a path without one).
_FOLDER_OF = "rtrim(path, replace(path, '/', ''))"
_UNVOUCHED = b""  # the digest of a folder whose files the next run must compare
# One database holds the records and the membership index (`feeds.index`), so that a
# record and what the index makes of it change in one transaction. `files.win` says
# which record of an id is published; `pending` lists the paths whose records changed
# since the index last took them in, with the id each had then. `folders` has a row for
# each folder holding records: the digest of its files' identities (`Scan.folder_digests`)
# once every record there was made from them, `_UNVOUCHED` until then. `store_cursor`
# holds, for an article store, the cursor of the read the records are up to date with
# (`feeds.store.Cursor`): no row when they may not be.
_META_TABLE = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
_SCHEMA = f"""
{_META_TABLE}
CREATE TABLE IF NOT EXISTS files (
    {", ".join(f"{c} {'TEXT PRIMARY KEY' if c == 'path' else ''}" for c in _COLUMNS)},
    win INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS articles (path TEXT PRIMARY KEY, article BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS files_aid ON files(aid) WHERE aid IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_won ON files(at) WHERE win;
CREATE INDEX IF NOT EXISTS files_lost ON files(path) WHERE aid IS NOT NULL AND NOT win;
CREATE INDEX IF NOT EXISTS files_problems ON files(path) WHERE problems IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_folder ON files({_FOLDER_OF});
CREATE TABLE IF NOT EXISTS folders (prefix TEXT PRIMARY KEY, digest BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (path TEXT PRIMARY KEY, aid TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_cursor (stamp INTEGER NOT NULL);
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


def _without_article(row: Record) -> tuple[object, ...]:
    """The record's `files` columns, in `_COLUMNS` order."""
    return tuple(
        value for name, value in zip(Record._fields, row, strict=True) if name != "article"
    )


def folder_of(path: str) -> str:
    """The folder of a record's path as the scan names folders: 'a/b/', or '' at the top."""
    return path[: path.rfind("/") + 1]


def log_corrupt(count: int) -> None:
    """The one log line for records that did not decode (their files are parsed again)."""
    log.warning(
        "%(count)d parse cache records do not decode; their files are parsed again",
        fields(count=count),
    )


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

    def folder_digests(self) -> dict[str, bytes]:
        """Each folder holding records, and the digest of the files they were all made
        from (`_UNVOUCHED` when some may not have been)."""
        return dict(self.db.execute("SELECT prefix, digest FROM folders"))

    def identities(self, prefixes: Iterable[str]) -> Iterator[tuple[str, FileIdentity]]:
        """The path of each record in the folders `prefixes`, and the file identity it was
        made from."""
        query = f"SELECT path, size, mtime_ns, ctime_ns, ino FROM files WHERE {_FOLDER_OF} = ?"
        for prefix in prefixes:
            for path, size, mtime, ctime, ino in self.db.execute(query, (prefix,)).fetchall():
                yield path, (size, mtime, ctime, ino)

    def vouch(self, digests: Mapping[str, bytes]) -> None:
        """Store the digests of folders whose records were all made from their files as
        the digest says: the next run does not compare them while it stays the same."""
        if not digests:
            return
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?)", digests.items())

    def paths(self) -> Iterator[str]:
        """The path of every record, streamed (an article store's sweep for deletions)."""
        for (path,) in self.db.execute("SELECT path FROM files"):
            yield path

    def store_cursor(self) -> int | None:
        """The stamp of the store read the records are up to date with, if any."""
        found = self.db.execute("SELECT stamp FROM store_cursor").fetchone()
        return None if found is None else int(found[0])

    def set_store_cursor(self, stamp: int) -> None:
        """Store the cursor of the read just taken in, within the caller's transaction
        (the one that takes its records into the index)."""
        self.db.execute("DELETE FROM store_cursor")
        self.db.execute("INSERT INTO store_cursor VALUES (?)", (stamp,))

    def articles(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The packed articles of `paths` (those that have one)."""
        return dict(self.select_in("SELECT path, article FROM articles WHERE path IN", paths))

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
        folders = {folder_of(path) for path in itertools.chain(removed, (r.path for r in rows))}
        with self.transaction() as db:
            db.executemany(note, ((row.path,) for row in rows))
            db.executemany(note, ((path,) for path in removed))
            db.executemany(
                f"INSERT OR REPLACE INTO files ({columns}) VALUES ({marks})",
                map(_without_article, rows),
            )
            db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?)",
                ((row.path, row.article) for row in rows if row.article is not None),
            )
            gone = [(row.path,) for row in rows if row.article is None]
            gone += [(path,) for path in removed]
            db.executemany("DELETE FROM articles WHERE path = ?", gone)
            db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in removed))
            db.executemany(
                "INSERT OR REPLACE INTO folders SELECT ?1, ?2 "
                f"WHERE EXISTS (SELECT 1 FROM files WHERE {_FOLDER_OF} = ?1)",
                ((prefix, _UNVOUCHED) for prefix in folders),
            )
            db.executemany(
                "DELETE FROM folders WHERE prefix = ?1 "
                f"AND NOT EXISTS (SELECT 1 FROM files WHERE {_FOLDER_OF} = ?1)",
                ((prefix,) for prefix in folders),
            )

    def drop_corrupt(self) -> int:
        """Forget every record whose stub, problems or article do not decode (their files
        are parsed again); return how many there were."""
        query = (
            "SELECT files.path, stub, problems, article FROM files "
            "LEFT JOIN articles ON articles.path = files.path"
        )
        corrupt = []
        # Row by row: the whole articles of a large cache do not fit in memory at once.
        for path, stub, problems, article in self.db.execute(query):
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
        with self.transaction() as db:
            # An article store's rows of the records forgotten must be read again.
            db.execute("DELETE FROM store_cursor")
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
