#!/usr/bin/env python3
"""What an article store's calls cost as its table grows: synthetic tables of the README's
DDL, in SQLite and PostgreSQL, timed as a run calls them.

usage: .venv/bin/python bench/store_scale.py [--sizes 1000000,10000000] [--out bench/out]

Each table gets N rows of a small document (~0.3 kB: a title, two URLs, a date, a
provider, two topics), written by the database itself (a recursive CTE in SQLite,
`generate_series` in PostgreSQL, then `VACUUM ANALYZE` there), not by `feeds import`.
Timed, each the median of five, through `feeds.store` as a build calls it: the read of
what changed when nothing did, the read after one row is updated, and the key sweep a
table without tombstones needs (every live key, streamed). The PostgreSQL server is
started in a temporary folder as the tests start theirs. Not a test; not run in CI.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from feeds.store import Cursor, Store, open_store  # noqa: E402
from tests.postgres import started  # noqa: E402

DOCUMENT = (
    '\'{"title": "Article \' || n || \'", "webUrl": "https://news.example.com/\' || n || '
    '\'", "originalUrl": "https://wire.example.com/\' || n || \'", '
    '"publishedDateTime": "2026-01-01T00:00:00Z", "provider": {"name": "P\' || (n % 2000) || '
    '\'", "domain": "p\' || (n % 2000) || \'.example.com"}, "topics": ["T\' || (n % 300) || '
    "'\", \"U' || (n % 97) || '\"]}'"
)
SQLITE_FILL = f"""
WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < ?)
INSERT INTO articles (key, document) SELECT 'k' || n, {DOCUMENT} FROM numbers
"""
POSTGRES_FILL = f"""
INSERT INTO articles (key, document)
SELECT 'k' || n, ({DOCUMENT})::jsonb FROM generate_series(1, ROWS) AS n
"""
ROUNDS = 5


def median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timings(database: Path | str, update: Callable[[], None]) -> dict[str, float]:
    """The three calls' medians, in ms, on the store `database`."""
    with open_store(database) as store:
        _, cursor = store.changed_since(None)

        def read(since: Cursor) -> Callable[[], object]:
            return lambda: store.changed_since(since)

        found: dict[str, float] = {"read, nothing changed": median_ms(read(cursor))}
        update()
        found["read, one row changed"] = median_ms(read(cursor))
        sweep = store.keys
        found["key sweep"] = median_ms(lambda: sum(1 for _ in sweep()))
        assert len(store.changed_since(cursor)[0]) == 1
    return found


def sqlite_store(path: Path, n: int) -> dict[str, float]:
    path.unlink(missing_ok=True)
    with open_store(path, writable=True) as store:
        store.create()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(SQLITE_FILL, (n,))

    def update() -> None:
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "UPDATE articles SET document = json_set(document, '$.title', 'X') WHERE key = 'k1'"
            )

    return timings(path, update)


def postgres_store(url: str, n: int) -> dict[str, float]:
    store: Store
    with open_store(url, writable=True) as store:
        store.create()
    with psycopg.connect(url, autocommit=True) as db:
        # Sent without parameters, so that psycopg reads no '%' as a placeholder.
        db.execute(POSTGRES_FILL.replace("ROWS", str(int(n))).encode())
        db.execute("VACUUM (ANALYZE) articles")

    def update() -> None:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(
                "UPDATE articles SET document = document || '{\"title\": \"X\"}' WHERE key = 'k1'"
            )

    return timings(url, update)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, str]] = {}
    sizes = [int(size) for size in args.sizes.split(",")]
    with contextmanager(started)() as postgres:
        for n in sizes:
            for name, found in (
                ("SQLite", sqlite_store(args.out / "scale.db", n)),
                ("PostgreSQL", postgres_store(postgres.new_database(), n)),
            ):
                for call, ms in found.items():
                    shown = f"{ms:,.2f} ms" if ms < 10 else f"{ms:,.0f} ms"
                    rows.setdefault(call, {})[f"{name} {n:,}"] = shown
            (args.out / "scale.db").unlink(missing_ok=True)
    columns = [f"{name} {n:,}" for n in sizes for name in ("SQLite", "PostgreSQL")]
    print("| call | " + " | ".join(columns) + " |")  # noqa: T201 - a script's output
    print("| --- |" + " ---: |" * len(columns))  # noqa: T201
    for call, cells in rows.items():
        print(f"| {call} | " + " | ".join(cells[c] for c in columns) + " |")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
