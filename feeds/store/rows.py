"""The values a store gives and takes, and the quoting of the names in its SQL."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from feeds.config import StoreColumns, checks
from feeds.errors import StoreError


@dataclass(frozen=True, slots=True)
class StoreRow:
    """One row as read: `document` is JSON text; `deleted` is False without a tombstone."""

    key: str
    changed: int
    document: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next `changed_since` starts. SQLite: the largest stamp the read saw (the
    next read takes stamps above it). PostgreSQL: the read snapshot's xmin, the oldest
    transaction still running then (the next read takes stamps from it on)."""

    stamp: int


BATCH_ROWS = 10_000  # rows per batch of a read: the memory a read holds at once


# The rows of a read, a list at a time; the read's transaction ends when they run out or
# the generator is closed.
Batches = Generator[list[StoreRow], None, None]


@dataclass(frozen=True, slots=True)
class Changes:
    """One read in progress: `cursor` is for the next read, `batches` the rows (in stamp
    order, a list at a time), read inside one transaction, which ends once they are all
    taken or the read is closed (`close`, or leaving a `with` block)."""

    cursor: Cursor
    batches: Batches
    end: Callable[[], None]  # ends the transaction (again: nothing)
    # The snapshot read, as the database says it: PostgreSQL's `pg_current_snapshot()`
    # (`xmin:xmax:running,...`); SQLite's largest stamp.
    snapshot: str = ""

    def close(self) -> None:
        """End the read, whether or not every row was taken."""
        self.batches.close()
        self.end()

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Reading:
    """`changed_since` for a store that has `read_changes`."""

    def read_changes(self, cursor: Cursor | None, batch_rows: int = BATCH_ROWS) -> Changes:
        """See `feeds.store.Store.read_changes`; each store has its own."""
        raise NotImplementedError

    def changed_since(self, cursor: Cursor | None) -> tuple[list[StoreRow], Cursor]:
        """See `feeds.store.Store.changed_since`."""
        with self.read_changes(cursor) as changes:
            rows = [row for batch in changes.batches for row in batch]
        return rows, changes.cursor


@dataclass(frozen=True, slots=True)
class Table:
    """The table (or view) and its column names; `columns.deleted` None: no tombstone."""

    name: str = "articles"
    columns: StoreColumns = field(default_factory=StoreColumns)

    def __post_init__(self) -> None:
        # Names are written into SQL in quotes: only the config's checked names may be.
        checks.table_name(self.name)
        for column in (self.columns.key, self.columns.changed, self.columns.document):
            checks.identifier(column)
        checks.optional_column(self.columns.deleted or False)

    def column_list(self) -> str:
        """The four columns to select, quoted; `false` when there is no tombstone."""
        names = self.columns
        deleted = quoted(names.deleted) if names.deleted else "false"
        return f"{quoted(names.key)}, {quoted(names.changed)}, {quoted(names.document)}, {deleted}"


def quoted(name: str) -> str:
    """A table or column name as SQL writes it, in double quotes (`schema.table` part by
    part). The config allows only lowercase letters, digits and '_' in a name, so no name
    holds a quote to escape."""
    return ".".join(f'"{part}"' for part in name.split("."))


def default_names(table: Table) -> None:
    """Refuse to create `table` unless it has the names the DDL writes."""
    if table != Table():
        msg = f"the DDL makes table articles with the default columns, not {table}"
        raise ValueError(msg)


@contextmanager
def failing(where: object, action: str, errors: type[Exception]) -> Iterator[None]:
    """A driver's `errors` as a StoreError: what failed (`action`), where, and the first
    line of the driver's why."""
    try:
        yield
    except errors as exc:
        reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
        msg = f"content.database {where}: {action}: {reason}"
        raise StoreError(msg) from exc
