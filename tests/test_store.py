"""Article stores (feeds.store): what `changed_since` reads from SQLite and from a real
PostgreSQL server, with writers committing around it; deletions by tombstone and by key
sweep; rows as documents; the README's DDL.

Rows are written here with plain SQL, as an aggregator writes them: the DDL's triggers
set the stamps.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from feeds.config import StoreColumns
from feeds.errors import StoreError
from feeds.model import Problem, Provider, RawDoc
from feeds.store import Cursor, Store, StoreRow, Table, open_store, raw_doc_from_row
from feeds.store.postgres import POSTGRES_DDL
from feeds.store.sqlite import SQLITE_DDL
from feeds.validate import validate
from tests.kit import REPO


def doc(n: int) -> str:
    return json.dumps({"title": f"Article {n}", "webUrl": f"https://news.example.com/{n}"})


class Database:
    """A store's database as a writer sees it: `write` commits at once, `writer()` is a
    connection whose transaction stays open until it commits."""

    def __init__(self, database: Path | str) -> None:
        self.database = database
        self.kind = "sqlite" if isinstance(database, Path) else "postgresql"

    def connect(self) -> Any:
        if isinstance(self.database, Path):
            return sqlite3.connect(self.database, isolation_level=None)
        return psycopg.connect(self.database, autocommit=True)

    def sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else statement.replace("?", "%s")

    def write(self, statement: str, *params: object) -> None:
        with closing(self.connect()) as db:
            db.execute(self.sql(statement), params)

    def upsert(self, key: str, document: str) -> None:
        self.write(
            "INSERT INTO articles (key, document) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET document = excluded.document",
            key,
            document,
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """An empty `articles` table made with the README's DDL, in SQLite or PostgreSQL."""
    database: Path | str = (
        tmp_path / "articles.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    with open_store(database, writable=True) as store:
        store.create()
    return Database(database)


@pytest.fixture
def store(db: Database) -> Iterator[Store]:
    with open_store(db.database) as opened:
        yield opened


def keys_of(rows: list[StoreRow]) -> list[str]:
    return [row.key for row in rows]


def test_a_first_read_gives_every_row_and_later_reads_only_what_changed(
    db: Database, store: Store
) -> None:
    db.upsert("a", doc(1))
    db.upsert("b", doc(2))
    rows, cursor = store.changed_since(None)
    assert keys_of(rows) == ["a", "b"]
    assert rows[0] == StoreRow("a", rows[0].changed, rows[0].document, deleted=False)
    assert json.loads(rows[0].document) == json.loads(doc(1))
    assert store.changed_since(cursor)[0] == []  # nothing changed
    cursor = Cursor(**json.loads(json.dumps(asdict(cursor))))  # as the index keeps it

    db.upsert("a", doc(3))  # an update
    db.upsert("c", doc(4))  # an insert
    rows, cursor = store.changed_since(cursor)
    assert keys_of(rows) == ["a", "c"]
    assert json.loads(rows[0].document) == json.loads(doc(3))
    assert store.changed_since(cursor)[0] == []


def test_the_trigger_stamps_a_write_whatever_stamp_the_writer_gives(
    db: Database, store: Store
) -> None:
    db.upsert("a", doc(1))
    _, cursor = store.changed_since(None)
    stamp = "0" if db.kind == "sqlite" else "'1'::xid8"
    db.write(f"UPDATE articles SET document = ?, changed = {stamp} WHERE key = ?", doc(2), "a")
    assert keys_of(store.changed_since(cursor)[0]) == ["a"]


def test_a_write_held_open_across_a_read_is_read_by_the_next_one(
    db: Database, store: Store
) -> None:
    db.upsert("a", doc(1))
    _, cursor = store.changed_since(None)
    with closing(db.connect()) as writer:
        writer.execute("BEGIN")
        writer.execute(db.sql("UPDATE articles SET document = ? WHERE key = ?"), (doc(2), "a"))
        rows, cursor = store.changed_since(cursor)
        assert rows == []  # not committed: not visible
        writer.execute("COMMIT")
    rows, _ = store.changed_since(cursor)
    assert keys_of(rows) == ["a"]
    assert json.loads(rows[0].document) == json.loads(doc(2))


def test_a_transaction_stamped_early_and_committed_late_is_never_missed(pg_url: str) -> None:
    """PostgreSQL commits out of stamp order: A writes first (the lower stamp), B writes
    and commits, a read takes B's row, then A commits. A's row is read next time."""
    with open_store(pg_url, writable=True) as store:
        store.create()
    db = Database(pg_url)
    db.upsert("a", doc(1))
    db.upsert("b", doc(2))
    with open_store(pg_url) as store, closing(db.connect()) as a, closing(db.connect()) as b:
        _, cursor = store.changed_since(None)
        a.execute("BEGIN")
        a.execute("UPDATE articles SET document = %s WHERE key = 'a'", (doc(3),))
        b.execute("BEGIN")
        b.execute("UPDATE articles SET document = %s WHERE key = 'b'", (doc(4),))
        b.execute("COMMIT")
        rows, cursor = store.changed_since(cursor)
        assert keys_of(rows) == ["b"]
        assert rows[0].changed > stamp_of(a)  # B's stamp is past A's: A commits "before" it
        a.execute("COMMIT")
        rows, cursor = store.changed_since(cursor)
        assert "a" in keys_of(rows)
        assert json.loads(dict(zip(keys_of(rows), rows, strict=True))["a"].document) == json.loads(
            doc(3)
        )
        assert store.changed_since(cursor)[0] == []


def stamp_of(connection: psycopg.Connection[Any]) -> int:
    """The stamp this connection's open transaction gives what it writes."""
    row = connection.execute("SELECT pg_current_xact_id()::text").fetchone()
    assert row is not None
    return int(row[0])


def test_a_sqlite_stamp_grows_past_a_deleted_row_that_had_the_largest(
    tmp_path: Path,
) -> None:
    """A key sweep's table loses rows; the next write is still stamped past the cursor."""
    db = Database(tmp_path / "articles.db")
    with open_store(db.database, writable=True) as store:
        store.create()
    db.upsert("a", doc(1))
    db.upsert("b", doc(2))
    with open_store(db.database) as store:
        _, cursor = store.changed_since(None)
        for _ in range(2):  # a tombstone (the largest stamp), then gone
            db.write("DELETE FROM articles WHERE key = 'b'")
        db.upsert("c", doc(3))
        assert keys_of(store.changed_since(cursor)[0]) == ["c"]


def test_a_tombstone_is_read_as_a_deleted_row_and_leaves_the_keys(
    db: Database, store: Store
) -> None:
    db.upsert("a", doc(1))
    db.upsert("b", doc(2))
    _, cursor = store.changed_since(None)
    db.write(
        f"UPDATE articles SET deleted = {'1' if db.kind == 'sqlite' else 'true'} WHERE key = 'a'"
    )
    rows, _ = store.changed_since(cursor)
    assert [(row.key, row.deleted) for row in rows] == [("a", True)]
    assert sorted(store.keys()) == ["b"]


def test_the_ddl_makes_a_delete_a_tombstone_and_a_second_delete_removes_it(
    db: Database, store: Store
) -> None:
    db.upsert("a", doc(1))
    db.upsert("b", doc(2))
    _, cursor = store.changed_since(None)
    db.write("DELETE FROM articles WHERE key IN ('a', 'b')")
    rows, cursor = store.changed_since(cursor)
    assert sorted((row.key, row.deleted) for row in rows) == [("a", True), ("b", True)]
    assert list(store.keys()) == []
    db.write("DELETE FROM articles WHERE deleted")  # purging the tombstones
    rows, _ = store.changed_since(None)
    assert rows == []


def test_without_a_deleted_column_deletions_are_found_by_the_key_sweep(db: Database) -> None:
    # The DDL's DELETE leaves a tombstone: the view shows live rows only.
    db.write("CREATE VIEW plain AS SELECT key, changed, document FROM articles WHERE NOT deleted")
    for n in range(3):
        db.upsert(f"k{n}", doc(n))
    table = Table("plain", StoreColumns(deleted=None))
    with open_store(db.database, table) as store:
        rows, _ = store.changed_since(None)
        assert [row.deleted for row in rows] == [False] * 3
        db.write("DELETE FROM articles WHERE key = 'k1'")
        assert sorted(store.keys()) == ["k0", "k2"]


def test_renamed_columns_are_read_by_their_names(db: Database) -> None:
    db.write(
        "CREATE VIEW stories AS SELECT key AS id, changed AS stamp, document AS body, "
        "deleted AS gone FROM articles"
    )
    db.upsert("a", doc(1))
    table = Table("stories", StoreColumns("id", "stamp", "body", "gone"))
    with open_store(db.database, table) as store:
        rows, _ = store.changed_since(None)
        assert keys_of(rows) == ["a"]
        assert [row.key for row in store.documents(["a", "missing"])] == ["a"]


def test_documents_gives_the_rows_of_the_keys_that_exist(db: Database, store: Store) -> None:
    for n in range(3):
        db.upsert(f"k{n}", doc(n))
    found = store.documents(["k2", "k0", "gone"])
    assert sorted(keys_of(found)) == ["k0", "k2"]


def test_a_missing_table_is_a_store_error(db: Database) -> None:
    with open_store(db.database, Table("nothing")) as store, pytest.raises(StoreError) as error:
        store.changed_since(None)
    assert str(error.value).startswith(f"content.database {db.database}: cannot read: ")


def test_a_missing_sqlite_file_is_a_store_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    with pytest.raises(StoreError, match=r"^content.database .*none.db: cannot open: "):
        open_store(path).__enter__()
    assert not path.exists()


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    url = f"postgresql://feeds@/db?host={tmp_path}"
    with pytest.raises(StoreError, match=r"^content.database postgresql://.*: cannot connect: "):
        open_store(url).__enter__()


def test_a_table_name_that_is_no_plain_name_is_refused() -> None:
    with pytest.raises(Exception, match="lowercase SQL name"):
        Table('articles"; DROP TABLE x; --')


def test_a_row_is_a_document_named_by_its_table_and_key() -> None:
    row = StoreRow("2024/a.md", 7, '{"title": "T", "secured": "s"}', False)
    assert raw_doc_from_row(row) == RawDoc("articles/2024/a.md", {"title": "T", "secured": "s"})
    assert raw_doc_from_row(row, "stories") == RawDoc("stories/2024/a.md", row_data(row))


def row_data(row: StoreRow) -> dict[str, object]:
    data = json.loads(row.document)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("[1, 2]", "expected a JSON object of fields, got list"),
        ("null", "expected a JSON object of fields, got null"),
        ('"text"', "expected a JSON object of fields, got str"),
        (
            "{",
            "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deep"),
        ('{"n": ' + "9" * 5000 + "}", None),
    ],
)
def test_a_document_that_is_no_json_object_is_a_problem(document: str, reason: str | None) -> None:
    found = raw_doc_from_row(StoreRow("k", 1, document, False))
    assert isinstance(found, Problem)
    assert (found.path, found.field, found.rejected) == ("articles/k", "document", True)
    if reason is not None:
        assert found.message == reason


def test_the_readme_shows_the_ddl_the_code_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, re.DOTALL)
    assert SQLITE_DDL in blocks
    assert POSTGRES_DDL in blocks


def test_the_readme_view_serves_an_existing_schema_as_a_store(pg_url: str) -> None:
    """The README's view over a provider table and a topics array, on tables of that
    shape: its rows validate to the article, and renaming a provider re-reads its stories."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (view,) = [b for b in re.findall(r"```sql\n(.*?)```", readme, re.DOTALL) if "VIEW" in b]
    db = Database(pg_url)
    with closing(db.connect()) as conn:
        conn.execute(
            "CREATE TABLE providers (id serial PRIMARY KEY, name text, domain text);"
            "CREATE TABLE stories (id bigint PRIMARY KEY, provider_id integer REFERENCES providers,"
            " title text, url text, published_at timestamptz, topics text[],"
            " removed boolean NOT NULL DEFAULT false)"
        )
        conn.execute(view.encode())
        conn.execute("INSERT INTO providers (name, domain) VALUES ('Beta', 'beta.example.com')")
        conn.execute(
            "INSERT INTO stories VALUES (7, 1, 'A story', 'https://beta.example.com/7',"
            " '2023-11-02 10:00:00+01', '{AI,Science}')"
        )
    with open_store(pg_url) as store:
        rows, cursor = store.changed_since(None)
        found = raw_doc_from_row(rows[0])
        assert isinstance(found, RawDoc)
        article = validate(found, UTC).article
        assert article is not None
        assert (article.path, article.title, article.topics) == (
            "articles/7",
            "A story",
            ("AI", "Science"),
        )
        assert article.provider == Provider("Beta", "beta.example.com")
        assert article.published_at == datetime(2023, 11, 2, 9, 0, tzinfo=UTC)
        db.write("UPDATE providers SET name = 'Beta News'")
        assert keys_of(store.changed_since(cursor)[0]) == ["7"]


@pytest.mark.parametrize("seed", range(3))
def test_each_read_leaves_the_reader_with_exactly_what_was_committed_before_it(
    db: Database, seed: int
) -> None:
    """Writers open, write and commit in a random interleaving (in PostgreSQL several at
    once, committing in any order; in SQLite one at a time, as SQLite allows), with reads
    in between. Applying each read's rows to what the reads gave before must give exactly
    the rows committed before the read: nothing missed, nothing uncommitted."""
    rng = random.Random(seed)
    open_writes: dict[int, dict[str, str]] = {}  # writer -> its uncommitted writes
    committed: dict[str, str] = {}
    seen: dict[str, str] = {}
    cursor: Cursor | None = None
    with ExitStack() as stack:
        count = 4 if db.kind == "postgresql" else 1
        writers = [stack.enter_context(closing(db.connect())) for _ in range(count)]
        store = stack.enter_context(open_store(db.database))
        for step in range(200):
            action = rng.choice(["write", "write", "commit", "read"])
            n = rng.randrange(len(writers))
            if action == "write":
                # Keys another open transaction wrote are locked until it ends: not those.
                held = {key for w, keys in open_writes.items() if w != n for key in keys}
                key = rng.choice([k for k in (f"k{i}" for i in range(16)) if k not in held])
                if n not in open_writes:
                    writers[n].execute("BEGIN")
                    open_writes[n] = {}
                writers[n].execute(db.sql(UPSERT), (key, doc(step)))
                open_writes[n][key] = doc(step)
            elif action == "commit" and n in open_writes:
                writers[n].execute("COMMIT")
                committed |= open_writes.pop(n)
            elif action == "read":
                rows, cursor = store.changed_since(cursor)
                seen |= {row.key: row.document for row in rows}
                assert {k: json.loads(v) for k, v in seen.items()} == {
                    k: json.loads(v) for k, v in committed.items()
                }


UPSERT = (
    "INSERT INTO articles (key, document) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET document = excluded.document"
)


def test_a_read_in_batches_gives_the_rows_and_cursor_of_one_read(
    db: Database, store: Store
) -> None:
    for n in range(7):
        db.upsert(f"k{n}", doc(n))
    _, before = store.changed_since(None)
    for n in (5, 1, 3, 6, 0):
        db.upsert(f"k{n}", doc(10 + n))
    with store.read_changes(before, batch_rows=2) as changes:
        batches = list(changes.batches)
    assert [len(batch) for batch in batches] == [2, 2, 1]
    rows, cursor = store.changed_since(before)
    assert [row for batch in batches for row in batch] == rows
    assert keys_of(rows) == ["k5", "k1", "k3", "k6", "k0"]  # in stamp order
    assert changes.cursor == cursor
