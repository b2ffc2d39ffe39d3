"""The parse cache: each article file's validated record, keyed by the file's identity.

An SQLite database (stdlib `sqlite3`, WAL journal) under `cache.dir`. A row is keyed by
the file's relative path and holds its size, `st_mtime_ns`, `st_ctime_ns` and inode at the
time it was read; when all four still match, the file is not opened again. `st_ctime_ns`
cannot be set back by a program (unlike mtime), so an edit that restores the mtime is
still seen.

A row keeps three things apart so that a no-change run stays cheap:
- the few fields selection and grouping read (`Stub`), as plain columns;
- the whole `Article`, packed with marshal, only unpacked when one of
  its feeds must be rendered;
- the article's content digest, which feed fingerprints are made of.

SQLite commits are atomic and survive `kill -9`; the database also records a format
version and a hash of everything that changes how a file is parsed. A database that
cannot be opened, is corrupt or was made with other settings is deleted and rebuilt
(with a log line); the cache is only ever a shortcut, never a source of truth.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from feeds.logs import fields
from feeds.model import Article, Image, Problem, Provider, Related

CACHE_FILE = "parse.sqlite3"
# Bump when the row layout or what validation produces changes.
CACHE_FORMAT = 3
TOPIC_SEPARATOR = "\x1f"  # validation strips C0 controls from topics, so it never occurs

log = logging.getLogger("feeds")

FileKey = tuple[int, int, int, int]  # size, st_mtime_ns, st_ctime_ns, st_ino


def file_key(stat: os.stat_result) -> FileKey:
    """The identity a cached record is valid for."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class Row(NamedTuple):
    """One file's parse outcome, as stored (and as returned by a pool worker)."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    digest: str  # of the Article ('' when rejected)
    problems: bytes | None  # packed problems, None when there are none
    article: bytes | None  # packed Article (`pack_article`), None when rejected
    id: str
    url: str
    published_at: int  # POSIX seconds, UTC
    published: int
    quality: float
    type: str
    provider_name: str
    provider_domain: str
    topics: str  # joined by TOPIC_SEPARATOR

    @property
    def key(self) -> FileKey:
        """The file identity this row was made from."""
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino)


_COLUMNS = Row._fields
_NO_ARTICLE_COLUMNS = ", ".join(c if c != "article" else "NULL" for c in _COLUMNS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS last_run (id INTEGER PRIMARY KEY CHECK (id = 1), inputs TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS files (
    {", ".join(f"{c} {'TEXT PRIMARY KEY' if c == 'path' else ''}" for c in _COLUMNS)}
);
"""


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def pack_article(article: Article) -> bytes:
    """An article as `marshal` bytes of plain tuples.

    marshal rather than pickle: 5x faster both ways for slotted dataclasses, and loading
    it runs no code, so a tampered cache file can at worst give wrong text, not a
    program. Dates are whole UTC seconds (validation guarantees both).
    """
    return marshal.dumps(
        (
            article.path,
            article.id,
            article.title,
            article.url,
            _seconds(article.published_at),
            article.published,
            article.excerpt,
            article.category,
            article.type,
            article.quality,
            (article.provider.name, article.provider.domain),
            article.topics,
            tuple((i.url, i.width, i.height, i.mime) for i in article.images),
            tuple(
                (r.title, r.url, r.provider, r.excerpt, _seconds(r.published_at))
                for r in article.related
            ),
        )
    )


def full_article(blob: bytes) -> Article:
    """The whole article from its stored form (`pack_article`)."""
    (
        path,
        id_,
        title,
        url,
        published_at,
        published,
        excerpt,
        category,
        type_,
        quality,
        provider,
        topics,
        images,
        related,
    ) = marshal.loads(blob)
    return Article(
        path=path,
        id=id_,
        title=title,
        url=url,
        published_at=datetime.fromtimestamp(published_at, UTC),
        published=published,
        excerpt=excerpt,
        category=category,
        type=type_,
        quality=quality,
        provider=Provider(*provider),
        topics=topics,
        images=tuple(Image(*image) for image in images),
        related=tuple(
            Related(title, url, provider, excerpt, _moment(seconds))
            for title, url, provider, excerpt, seconds in related
        ),
    )


def _pack_problems(problems: Sequence[Problem]) -> bytes | None:
    if not problems:
        return None
    return marshal.dumps(tuple((p.path, p.field, p.message, p.rejected) for p in problems))


def make_row(path: str, key: FileKey, article: Article | None, problems: Sequence[Problem]) -> Row:
    """The stored form of one file's validation outcome."""
    blob = _pack_problems(problems)
    if article is None:
        return Row(path, *key, "", blob, None, "", "", 0, 0, 0.0, "", "", "", "")
    return Row(
        path,
        *key,
        article_digest(article),
        blob,
        pack_article(article),
        article.id,
        article.url,
        int(article.published_at.timestamp()),
        int(article.published),
        float(article.quality),
        article.type,
        article.provider.name,
        article.provider.domain,
        TOPIC_SEPARATOR.join(article.topics),
    )


def article_digest(article: Article) -> str:
    """A digest of everything in an article: equal digests, equal feed entries."""
    # A dataclass repr lists every field, recursively, in a fixed order.
    return hashlib.blake2b(repr(article).encode("utf-8"), digest_size=16).hexdigest()


def stub(row: Row) -> Article | None:
    """The fields selection and grouping read, as an Article with nothing else filled in.

    Stubs never reach a renderer: the engine swaps in the full article (`full_article`).
    """
    if row.digest == "":
        return None
    return Article(
        path=row.path,
        id=row.id,
        title="",
        url=row.url,
        published_at=datetime.fromtimestamp(row.published_at, UTC),
        published=bool(row.published),
        quality=row.quality,
        type=row.type,
        provider=Provider(row.provider_name, row.provider_domain),
        topics=tuple(row.topics.split(TOPIC_SEPARATOR)) if row.topics else (),
    )


def row_problems(row: Row) -> tuple[Problem, ...]:
    """The problems recorded for a row's file."""
    if row.problems is None:
        return ()
    return tuple(Problem(*fields) for fields in marshal.loads(row.problems))


class ParseCache:
    """An open cache database. Use `ParseCache.open`; close it (or use `with`)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, cache_dir: Path, settings: str) -> ParseCache:
        """Open (creating, or rebuilding when unusable) the cache made with `settings`."""
        path = cache_dir / CACHE_FILE
        try:
            return cls._open(path, settings)
        except sqlite3.DatabaseError as exc:
            log.warning(
                "%(path)s: unusable parse cache (%(reason)s); rebuilding it",
                fields(path=path, reason=exc),
            )
        remove_database(path)
        return cls._open(path, settings)

    @classmethod
    def _open(cls, path: Path, settings: str) -> ParseCache:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a crash may lose the last commit but never corrupts the database;
            # a lost commit only means those files are parsed again.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            found = dict(db.execute("SELECT name, value FROM meta").fetchall())
            wanted = {"format": str(CACHE_FORMAT), "settings": settings}
            if found != wanted:
                if found:
                    log.info(
                        "parse cache %(path)s made with other settings; rebuilding it",
                        fields(path=path),
                    )
                db.execute("BEGIN IMMEDIATE")
                db.execute("DELETE FROM files")
                db.execute("DELETE FROM last_run")
                db.execute("DELETE FROM meta")
                db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
                db.execute("COMMIT")
            # Touch the table so corruption shows here, where it can be handled.
            db.execute("SELECT count(*) FROM files").fetchone()
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    def rows(self) -> Iterator[Row]:
        """Every stored row, without the packed articles (fetch those with `articles`)."""
        query = f"SELECT {_NO_ARTICLE_COLUMNS} FROM files"
        for values in self.db.execute(query):
            yield Row(*values)

    def articles(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The packed articles of `paths` (those that have one)."""
        found: dict[str, bytes] = {}
        batch: list[str] = []

        def fetch() -> None:
            marks = ",".join("?" * len(batch))
            query = f"SELECT path, article FROM files WHERE path IN ({marks})"
            for path, blob in self.db.execute(query, batch):
                if blob is not None:
                    found[path] = blob
            batch.clear()

        for path in paths:
            batch.append(path)
            if len(batch) >= 500:
                fetch()
        if batch:
            fetch()
        return found

    def update(self, rows: Sequence[Row], removed: Iterable[str]) -> None:
        """Store new rows and forget removed paths, in one transaction."""
        marks = ",".join("?" * len(_COLUMNS))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(f"INSERT OR REPLACE INTO files VALUES ({marks})", rows)
            self.db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in removed))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def last_run(self) -> tuple[str, bytes] | None:
        """The inputs fingerprint and summary the last complete run stored, if any."""
        found = self.db.execute("SELECT inputs, data FROM last_run WHERE id = 1").fetchone()
        return None if found is None else (str(found[0]), bytes(found[1]))

    def set_last_run(self, inputs: str | None, data: bytes = b"") -> None:
        """Remember (or, with None, forget) the last complete run's inputs and summary."""
        self.db.execute("DELETE FROM last_run")
        if inputs is not None:
            self.db.execute("INSERT INTO last_run VALUES (1, ?, ?)", (inputs, data))

    def count(self) -> int:
        """How many files the cache holds a record for."""
        (count,) = self.db.execute("SELECT count(*) FROM files").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove_database(path: Path) -> None:
    """Delete a database file and its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def clear_cache(cache_dir: Path) -> bool:
    """Delete the cache folder; return whether there was one."""
    if not cache_dir.exists():
        return False
    shutil.rmtree(cache_dir)
    return True
