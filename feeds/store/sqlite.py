"""A SQLite article store, read with the standard library's driver.

SQLite runs one write transaction at a time, each committing before the next begins, so a
stamp taken from a counter inside the write (the trigger below) grows in commit order: a
read that saw stamps up to N has seen every write stamped N or less, and every later
write is stamped above N. `changed > cursor` is then exact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import islice
from pathlib import Path

from feeds.store.rows import (
    BATCH_ROWS,
    Batches,
    Changes,
    Cursor,
    Reading,
    StoreRow,
    Table,
    default_names,
    failing,
    quoted,
)

# The README's DDL, for the default names (`feeds import` creates it). The counter table
# keeps stamps growing after the row with the largest stamp is deleted, which
# `max(changed) + 1` would hand out again.
SQLITE_DDL = """\
CREATE TABLE articles (
    key      TEXT PRIMARY KEY NOT NULL,
    changed  INTEGER NOT NULL DEFAULT 0,
    document TEXT NOT NULL CHECK (json_valid(document)),
    deleted  INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
);
CREATE INDEX articles_changed ON articles (changed);
CREATE TABLE articles_stamp (last INTEGER NOT NULL);
INSERT INTO articles_stamp VALUES (0);
CREATE TRIGGER articles_inserted AFTER INSERT ON articles BEGIN
    UPDATE articles_stamp SET last = last + 1;
    UPDATE articles SET changed = (SELECT last FROM articles_stamp) WHERE key = NEW.key;
END;
CREATE TRIGGER articles_updated AFTER UPDATE OF key, document, deleted ON articles BEGIN
    UPDATE articles_stamp SET last = last + 1;
    UPDATE articles SET changed = (SELECT last FROM articles_stamp) WHERE key = NEW.key;
END;
CREATE TRIGGER articles_deleted BEFORE DELETE ON articles WHEN NOT OLD.deleted BEGIN
    UPDATE articles SET deleted = 1 WHERE key = OLD.key;
    SELECT RAISE(IGNORE);
END;
"""

_CHUNK = 500  # keys per `IN (...)`: under SQLite's 999 parameters of old versions


class SqliteStore(Reading):
    """A store in the SQLite file `path` (see `feeds.store.open_store`)."""

    def __init__(self, path: Path, table: Table, writable: bool) -> None:
        self.path = path
        self.table = table
        mode = "rwc" if writable else "ro"  # a reader never creates a file
        with self._failing("cannot open"):
            # Autocommit: each read or load opens its own transaction, explicitly.
            uri = f"{path.absolute().as_uri()}?mode={mode}"
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 10000")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _failing(self, action: str) -> AbstractContextManager[None]:
        """sqlite3's errors as a StoreError: what failed, where, and SQLite's why."""
        return failing(self.path, action, sqlite3.Error)

    def _select(self, where: str = "") -> str:
        return f"SELECT {self.table.column_list()} FROM {quoted(self.table.name)} {where}"

    def read_changes(self, cursor: Cursor | None, batch_rows: int = BATCH_ROWS) -> Changes:
        """See `feeds.store.Store.read_changes`."""
        changed = quoted(self.table.columns.changed)
        since = -(2**63) if cursor is None else cursor.stamp
        with self._failing("cannot read"):
            self.db.execute("BEGIN")  # one snapshot for the stamp and the rows
            try:
                (top,) = self.db.execute(
                    f"SELECT max({changed}) FROM {quoted(self.table.name)}"
                ).fetchone()
                found = self.db.execute(
                    self._select(f"WHERE {changed} > ? ORDER BY {changed}"), (since,)
                )
            except BaseException:
                self._end()
                raise
        stamp = since if top is None or top < since else int(top)
        return Changes(Cursor(stamp), self._batches(found, batch_rows), self._end, str(top))

    def _batches(self, found: sqlite3.Cursor, size: int) -> Batches:
        try:
            with self._failing("cannot read"):
                while chunk := found.fetchmany(size):
                    yield [_row(*one) for one in chunk]
        finally:
            found.close()
            self._end()

    def _end(self) -> None:
        """End the read's transaction, if it is still open."""
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def keys(self) -> Iterator[str]:
        """See `feeds.store.Store.keys`."""
        deleted = self.table.columns.deleted
        live = f"WHERE NOT {quoted(deleted)}" if deleted else ""
        key = quoted(self.table.columns.key)
        with self._failing("cannot read"):
            for (found,) in self.db.execute(f"SELECT {key} FROM {quoted(self.table.name)} {live}"):
                yield str(found)

    def documents(self, keys: Iterable[str]) -> list[StoreRow]:
        """See `feeds.store.Store.documents`."""
        found: list[StoreRow] = []
        key = quoted(self.table.columns.key)
        wanted = iter(keys)
        with self._failing("cannot read"):
            while chunk := list(islice(wanted, _CHUNK)):
                marks = ", ".join("?" * len(chunk))
                rows = self.db.execute(self._select(f"WHERE {key} IN ({marks})"), chunk)
                found += [_row(*one) for one in rows]
        return found

    def create(self) -> None:
        """See `feeds.store.Store.create`."""
        default_names(self.table)
        with self._failing("cannot create the table"):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                there = self.db.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = ?", (self.table.name,)
                ).fetchone()
                if there is None:
                    for statement in _statements(SQLITE_DDL):
                        self.db.execute(statement)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            if there is None:
                # A build reads in one long transaction; with a write-ahead log, the
                # aggregator's writes go on meanwhile (a rollback journal would wait).
                self.db.execute("PRAGMA journal_mode = WAL")

    def load(self, documents: Iterable[tuple[str, str]]) -> int:
        """See `feeds.store.Store.load`."""
        names, table = self.table.columns, quoted(self.table.name)
        key, document = quoted(names.key), quoted(names.document)
        revive = f", {quoted(names.deleted)} = 0" if names.deleted else ""
        upsert = (
            f"INSERT INTO {table} ({key}, {document}) VALUES (?, ?) ON CONFLICT ({key}) "
            f"DO UPDATE SET {document} = excluded.{document}{revive} "
            f"WHERE {document} IS NOT excluded.{document}"
            + (f" OR {quoted(names.deleted)}" if names.deleted else "")
        )
        count = 0

        def counted() -> Iterator[tuple[str, str]]:
            nonlocal count
            for pair in documents:
                count += 1
                yield pair

        with self._failing("cannot write"):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(upsert, counted())
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        return count


def _row(key: object, changed: object, document: object, deleted: object) -> StoreRow:
    """A row as read; a BLOB document is taken as UTF-8 text (JSON's encoding)."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else str(document)
    stamp = changed if isinstance(changed, int) else int(str(changed))
    return StoreRow(str(key), stamp, text, bool(deleted))


def _statements(script: str) -> list[str]:
    """The DDL's statements, one by one (executescript would commit on its own)."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    return found
