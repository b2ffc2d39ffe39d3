"""Article stores: articles kept as rows of a SQLite or PostgreSQL table, read by what
changed since the last run (README, "Article stores").

A store is opened with `open_store`; `Store.changed_since(cursor)` gives the rows written
since the run that returned `cursor`, and the cursor for the next run. Each row's
`document` is the article as a JSON object, which `raw_doc_from_row` turns into the
`RawDoc` a file's front matter gives. The SQL for each database is in its own module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from feeds.store.documents import raw_doc_from_row, row_name
from feeds.store.rows import BATCH_ROWS, Changes, Cursor, StoreRow, Table

__all__ = [
    "BATCH_ROWS",
    "Changes",
    "Cursor",
    "Store",
    "StoreRow",
    "Table",
    "open_store",
    "raw_doc_from_row",
    "row_name",
]


class Store(Protocol):
    """An open article store (see `open_store`)."""

    table: Table

    def close(self) -> None:
        """Close the connection."""
        ...

    def changed_since(self, cursor: Cursor | None) -> tuple[list[StoreRow], Cursor]:
        """The rows written since the read that returned `cursor` (None: every row), in
        stamp order, and the cursor for the next read: one consistent snapshot. A row may
        come again in a later read; never is one written after `cursor` missed."""
        ...

    def read_changes(self, cursor: Cursor | None, batch_rows: int = BATCH_ROWS) -> Changes:
        """`changed_since` a batch at a time, for memory: the cursor at once, then the
        rows in lists of at most `batch_rows`, all from the snapshot the cursor came from
        (one transaction, open until the rows run out or the read is closed)."""
        ...

    def keys(self) -> Iterator[str]:
        """Every live key (not tombstoned), streamed: the sweep that finds deletions when
        the table has no `deleted` column."""
        ...

    def documents(self, keys: Iterable[str]) -> list[StoreRow]:
        """The rows of `keys` that exist, in no particular order."""
        ...

    def create(self) -> None:
        """Create the table with the README's DDL (default names only), if it is absent."""
        ...

    def load(self, documents: Iterable[tuple[str, str]]) -> int:
        """Insert or update (key, JSON text) pairs in one transaction, un-deleting their
        keys; rows whose document is unchanged are left alone. Returns how many were given."""
        ...


@contextmanager
def open_store(
    database: Path | str, table: Table | None = None, *, writable: bool = False
) -> Iterator[Store]:
    """Open the store `database`: a Path is a SQLite file, a str a PostgreSQL URL
    (`postgresql://user@host/db`; the password from PGPASSWORD or libpq's files). Read
    only unless `writable` (which also creates a SQLite file that is not there yet).
    Closed on leaving the block. Raises StoreError when it cannot be opened."""
    store: Store
    if isinstance(database, Path):
        from feeds.store.sqlite import SqliteStore

        store = SqliteStore(database, table or Table(), writable)
    else:
        from feeds.store.postgres import PostgresStore  # psycopg: only for its stores

        store = PostgresStore(database, table or Table(), writable)
    try:
        yield store
    finally:
        store.close()
