#!/usr/bin/env python3
"""Runs of `feeds build` from a PostgreSQL store while a writer changes 100 articles a
second: each run must publish exactly what was committed before its snapshot.

usage: .venv/bin/python bench/heavy_writes.py [--articles 10000] [--runs 20]
                                              [--rate 100] [--corpora DIR] [--out DIR]

A PostgreSQL server is started in a temporary folder (as the tests start theirs) and a
store of the corpus's first --articles articles (bench/run.py's corpus) loaded into it.
Four writer processes then commit --rate transactions a second between them, each held
open up to 40 ms (so they overlap and commit out of the order of their transaction ids),
each one article edited
(90%), added (5%) or deleted (5%, a `DELETE` the DDL makes a tombstone), and writes the
same change in the same transaction to a `history` table, stamped with its transaction id.

Meanwhile the runs follow one another, each the library call `feeds build` makes, as of
one clock: the first a full build, the others incremental. Each run logs the snapshot
it read (`pg_current_snapshot()`); from `history`, the rows that snapshot saw are put in
a SQLite store, and a clean build of it (no cache, same clock) must give the same files.
Prints each run's rows read, seconds and whether it matched; exits 1 on any mismatch.
Not a test; not run in CI.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import random
import shutil
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from run import corpus  # noqa: E402
from stores import documents  # noqa: E402

from feeds.config import load_config  # noqa: E402
from feeds.engine import Options, build  # noqa: E402
from feeds.store import open_store  # noqa: E402
from tests.postgres import started  # noqa: E402

WRITERS = 4
HOLD_SECONDS = 0.04  # the longest a writer's transaction stays open before its commit
HISTORY = """
CREATE TABLE history (
    seq      bigserial PRIMARY KEY,
    xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    key      text NOT NULL,
    document jsonb,
    deleted  boolean NOT NULL
)
"""
# The rows a snapshot saw: each key's last change committed before it.
AS_OF = """
SELECT key, document::text FROM (
    SELECT DISTINCT ON (key) key, document, deleted FROM history
    WHERE pg_visible_in_snapshot(xid, %s::pg_snapshot) ORDER BY key, seq DESC
) AS latest WHERE NOT deleted ORDER BY key
"""


class Snapshots(logging.Handler):
    """Keeps the snapshot each run logs it read."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, dict) and "snapshot" in args:
            self.seen.append(str(args["snapshot"]))


def write_config(folder: Path, database: str, cache: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "feeds.yaml"
    config.write_text(
        "site:\n  title: Bench News\n  base_url: https://feeds.example.org/\n"
        f"content:\n  database: {database}\n"
        f"output:\n  dir: {folder / 'public'}\ncache:\n  dir: {folder / 'cache'}\n",
        encoding="utf-8",
    )
    return config


def files(folder: Path) -> dict[str, bytes]:
    """The output's files but the manifest (its fingerprints name the config)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".feeds-manifest.json"
    }


class Writer(multiprocessing.Process):
    """The aggregator: `rate` transactions a second until stopped, in a process of its own
    (as an aggregator's writers are: the builds hold this process's interpreter)."""

    def __init__(self, url: str, keys: list[str], rate: float, number: int, stop: Any) -> None:
        super().__init__(daemon=True)
        self.url, self.keys, self.rate, self.number, self.stop = url, keys, rate, number, stop
        self.done = multiprocessing.Value("l", 0)
        self.commits = 0
        self.random = random.Random(number)

    def run(self) -> None:
        with psycopg.connect(self.url) as db:
            step = 1 / self.rate
            due = time.monotonic()
            while not self.stop.is_set():
                self.change(db)
                self.commits += 1
                self.done.value = self.commits
                due += step
                time.sleep(max(0.0, due - time.monotonic()))

    def change(self, db: psycopg.Connection[Any]) -> None:
        pick = self.random.random()
        key = self.random.choice(self.keys)
        if pick < 0.05:
            # A live row's DELETE is a tombstone; a tombstone's would purge it unread.
            db.execute("DELETE FROM articles WHERE key = %s AND NOT deleted", (key,))
            db.execute("INSERT INTO history (key, deleted) VALUES (%s, true)", (key,))
        else:
            (document,) = db.execute(
                "SELECT document FROM articles WHERE key = %s", (key,)
            ).fetchone() or ({},)
            if pick < 0.10:  # a new article, a copy of this one at other URLs
                key = f"added/{self.number}-{self.commits}.md"
                self.keys.append(key)
                for field in ("webUrl", "originalUrl"):
                    document[field] = f"{document.get(field, 'https://x.example/')}?v={key}"
            document["title"] = f"Version {self.commits} of {key}"
            db.execute(
                "INSERT INTO articles (key, document) VALUES (%s, %s) ON CONFLICT (key) "
                "DO UPDATE SET document = excluded.document, deleted = false",
                (key, psycopg.types.json.Jsonb(document)),
            )
            db.execute(
                "INSERT INTO history (key, document, deleted) VALUES (%s, %s, false)",
                (key, psycopg.types.json.Jsonb(document)),
            )
        # Held open a while, so that the writers' transactions overlap and commit out of
        # the order of their ids.
        time.sleep(self.random.uniform(0, HOLD_SECONDS))
        db.commit()


def clean_build(url: str, snapshot: str, folder: Path, now: datetime) -> dict[str, bytes]:
    """A --no-cache build of the rows `snapshot` saw, from a SQLite store of them."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = folder / "articles.db"
    with psycopg.connect(url) as db:
        rows = db.execute(AS_OF, (snapshot,)).fetchall()
    with open_store(database, writable=True) as store:
        store.create()
        store.load((key, text) for key, text in rows)
    config = load_config(write_config(folder, f"sqlite:///{database}"))
    build(config, now=now, options=Options(use_cache=False))
    return files(folder / "public")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--corpora", type=Path, default=HERE / "corpora")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    work = args.out.resolve() / "heavy-writes"
    shutil.rmtree(work, ignore_errors=True)
    snapshots = Snapshots()
    logging.getLogger("feeds").addHandler(snapshots)
    logging.getLogger("feeds").setLevel(logging.INFO)
    failures = 0
    with contextmanager(started)() as postgres:
        url = postgres.new_database()
        with open_store(url, writable=True) as store:
            store.create()
            store.load(documents(corpus(args.corpora, args.articles)))
        with psycopg.connect(url) as db:
            db.execute(HISTORY)
            db.execute(
                "INSERT INTO history (key, document, deleted) "
                "SELECT key, document, deleted FROM articles"
            )
            keys = [key for (key,) in db.execute("SELECT key FROM articles ORDER BY key")]
        config = load_config(write_config(work / "runs", url))
        stop = multiprocessing.Event()
        writers = [
            Writer(url, keys, args.rate / WRITERS, number, stop) for number in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        started_at = time.monotonic()
        try:
            for number in range(1, args.runs + 1):
                now = datetime.now(UTC).replace(microsecond=0)
                began, logged = time.perf_counter(), len(snapshots.seen)
                outcome = build(config, now=now, options=Options())
                seconds = time.perf_counter() - began
                # A run that found nothing changed read nothing: the last snapshot holds.
                snapshot = snapshots.seen[-1]
                read = "read" if len(snapshots.seen) > logged else "no change since"
                expected = clean_build(url, snapshot, work / "clean", now)
                same = files(work / "runs" / "public") == expected
                failures += not same
                print(  # noqa: T201 - a script's output
                    f"run {number:2d}: {outcome.files_parsed:6d} rows parsed in {seconds:6.2f} s, "
                    f"{read} snapshot {snapshot[:30]:30s} {'same' if same else 'DIFFERENT'}",
                    flush=True,
                )
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        elapsed = time.monotonic() - started_at
    commits = sum(writer.done.value for writer in writers)
    # A snapshot lists the transactions running when it was taken after its second ':'
    # (the clean builds' SQLite snapshots have none).
    overlapped = sum(
        1 for snapshot in snapshots.seen if snapshot.count(":") == 2 and snapshot.split(":")[2]
    )
    print(  # noqa: T201 - a script's output
        f"{args.runs} runs, {commits} writes in {elapsed:.0f} s ({commits / elapsed:.0f}/s); "
        f"{overlapped} snapshot(s) taken while writers' transactions were open; "
        f"{failures} run(s) differed from a clean build"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
