#!/usr/bin/env python3
"""Time `feeds build` from article stores beside the folder they hold, in one run.

usage: .venv/bin/python bench/stores.py [--sizes 100000,1000000] [--corpora DIR]
                                        [--out bench/out] [--skip-full N] [--again K]

For each size, the corpus of bench/run.py (make_corpus.py, seed 1) is loaded into a
SQLite store and into a PostgreSQL store (a server this script starts in a temporary
folder with Debian's initdb and pg_ctl, on a unix socket, as the tests do), each with the
README's DDL: SQLite in one transaction of `executemany`, PostgreSQL by COPY (the
`load` that `feeds import` uses). The documents are the files' front matter as JSON,
made by libyaml in a process per core, not validated (the build validates them).

Then each source, the folder first, is timed as bench/run.py times a folder: a full
build (fresh cache and output), a no-change run, and one edited, added and deleted
article (the stores by SQL as an aggregator writes: UPDATE, INSERT, DELETE), each a
separate `feeds build` process: wall time, CPU of the process tree and peak summed RSS;
with --again K, K more no-change runs of each source follow, and the median is reported.
With --skip-full N, sizes of N and more skip the folder's full build and reuse the cache
of an earlier run in --out (its figure is then not of this run, and said so).

Prints a Markdown table. Not a test; not run in CI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from run import Measure, corpus, link_tree, measure  # noqa: E402

from feeds.store import open_store  # noqa: E402
from feeds.store.documents import document_text  # noqa: E402
from tests.postgres import started  # noqa: E402

SCENARIOS = ("full", "no-change", "one edited", "one added", "one deleted")
AGAIN = "no-change again (median)"
_LOAD_CHUNK = 2000


def _document(path: Path) -> str:
    """A file's front matter as the store's JSON document."""
    text = path.read_text(encoding="utf-8")
    front = text.split("---\n", 2)[1]
    return document_text(yaml.load(front, Loader=yaml.CSafeLoader))


def documents(content: Path) -> Iterator[tuple[str, str]]:
    """(key, JSON) for every file, keyed by its path under `content`, in path order."""
    paths = sorted(content.rglob("*.md"))
    with Pool() as pool:
        for path, text in zip(paths, pool.imap(_document, paths, _LOAD_CHUNK), strict=True):
            yield path.relative_to(content).as_posix(), text


def load(database: Path | str, content: Path) -> float:
    """Create the store with the README's DDL and load the corpus; the seconds it took."""
    started_at = time.perf_counter()
    with open_store(database, writable=True) as store:
        store.create()
        store.load(documents(content))
    return time.perf_counter() - started_at


def write_config(work: Path, source: str) -> Path:
    config = work / "feeds.yaml"
    config.write_text(
        "site:\n  title: Bench News\n  base_url: https://feeds.example.org/\n"
        f"content:\n{source}"
        f"output:\n  dir: {work / 'public'}\ncache:\n  dir: {work / 'cache'}\n",
        encoding="utf-8",
    )
    return config


class StoreWriter:
    """The aggregator's SQL for the edit, add and delete scenarios."""

    def __init__(self, database: Path | str) -> None:
        self.database = database

    def sql(self, statement: str, *params: object) -> None:
        if isinstance(self.database, Path):
            with sqlite3.connect(self.database) as db:
                db.execute(statement, params)
        else:
            import psycopg

            with psycopg.connect(self.database, autocommit=True) as db:
                db.execute(statement.replace("?", "%s"), params)

    def document(self, key: str) -> dict[str, object]:
        if isinstance(self.database, Path):
            with sqlite3.connect(self.database) as db:
                query = "SELECT document FROM articles WHERE key = ?"
                (text,) = db.execute(query, (key,)).fetchone()
        else:
            import psycopg

            with psycopg.connect(self.database) as db:
                row = db.execute("SELECT document::text FROM articles WHERE key = %s", (key,))
                (text,) = row.fetchone() or ("{}",)
        found: dict[str, object] = json.loads(text)
        return found


def time_source(
    work: Path, source: str, edit: dict[str, object], skip_full: bool, again: int
) -> dict[str, Measure]:
    """The five scenarios on one source, then `again` more no-change runs (their median);
    `edit` has the callables that change it."""
    config = write_config(work, source)
    feeds = [sys.executable, "-m", "feeds", "build", "--config", str(config)]
    runs: dict[str, Measure] = {}
    if not skip_full:
        shutil.rmtree(work / "cache", ignore_errors=True)
        shutil.rmtree(work / "public", ignore_errors=True)
        runs["full"] = measure(feeds, cwd=work)
    runs["no-change"] = measure(feeds, cwd=work)
    for scenario in ("one edited", "one added", "one deleted"):
        edit[scenario]()  # type: ignore[operator]
        runs[scenario] = measure(feeds, cwd=work)
    if again:
        repeated = sorted((measure(feeds, cwd=work) for _ in range(again)), key=lambda m: m.wall)
        runs[AGAIN] = repeated[len(repeated) // 2]
    return runs


def folder_edits(content: Path) -> dict[str, object]:
    folder = sorted(p for p in content.iterdir() if p.is_dir())[0]
    victim = sorted(folder.glob("*.md"))[0]
    text = victim.read_text(encoding="utf-8")
    added = victim.with_name("zz-added.md")

    def edited() -> None:
        victim.unlink()  # hard links: never write into the corpus's file
        victim.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")

    def add() -> None:
        new = text.replace("title: ", "title: Added ", 1)
        added.write_text(new.replace('Url: "https://', 'Url: "https://x', 2), encoding="utf-8")

    return {"one edited": edited, "one added": add, "one deleted": added.unlink}


def store_edits(writer: StoreWriter, key: str) -> dict[str, object]:
    doc = writer.document(key)

    def edited() -> None:
        writer.sql(
            "UPDATE articles SET document = ? WHERE key = ?",
            json.dumps({**doc, "title": f"Edited {doc['title']}"}),
            key,
        )

    def add() -> None:
        urls = {k: f"https://x{v[8:]}" for k, v in doc.items() if k in ("webUrl", "originalUrl")}
        writer.sql(
            "INSERT INTO articles (key, document) VALUES (?, ?)",
            "zz-added.md",
            json.dumps({**doc, **urls, "title": f"Added {doc['title']}"}),
        )

    def delete() -> None:
        writer.sql("DELETE FROM articles WHERE key = 'zz-added.md'")

    return {"one edited": edited, "one added": add, "one deleted": delete}


def run_size(n: int, corpora: Path, out: Path, url: str, skip_full: bool, again: int) -> str:
    source = corpus(corpora, n)
    work = out / f"stores-{n}"
    (work / "folder").mkdir(parents=True, exist_ok=True)
    content = work / "folder" / "content"
    if not content.exists():
        link_tree(source, content)
    first = sorted(p for p in source.iterdir() if p.is_dir())[0]
    key = f"{first.name}/{sorted(first.glob('*.md'))[0].name}"
    database = work / "sqlite" / "articles.db"
    database.parent.mkdir(exist_ok=True)
    (work / "postgresql").mkdir(exist_ok=True)
    for stale in (
        database,
        database.with_name("articles.db-wal"),
        database.with_name("articles.db-shm"),
    ):
        stale.unlink(missing_ok=True)
    loads = {"SQLite": load(database, source), "PostgreSQL": load(url, source)}
    runs = {
        "folder": time_source(
            work / "folder",
            f"  dir: {content}\n  patterns: ['*.md']\n",
            folder_edits(content),
            skip_full,
            again,
        ),
        "SQLite": time_source(
            work / "sqlite",
            f"  database: sqlite:///{database}\n",
            store_edits(StoreWriter(database), key),
            False,
            again,
        ),
        "PostgreSQL": time_source(
            work / "postgresql",
            f"  database: {url}\n",
            store_edits(StoreWriter(url), key),
            False,
            again,
        ),
    }
    return table(n, runs, loads, skip_full)


def table(n: int, runs: dict[str, dict[str, Measure]], loads: dict[str, float], skip: bool) -> str:
    names = list(runs)
    lines = [
        f"#### {n:,} articles",
        "",
        "| run | " + " | ".join(names) + " | SQLite / folder | PostgreSQL / folder |",
        "| --- |" + " ---: |" * (len(names) + 2),
    ]
    for scenario in (*SCENARIOS, AGAIN):
        if all(scenario not in found for found in runs.values()):
            continue
        cells = []
        for name in names:
            m = runs[name].get(scenario)
            cells.append("not run" if m is None else f"{m.wall:.2f} s, {m.peak_mb:.0f} MB")
        base = runs["folder"].get(scenario)
        for name in ("SQLite", "PostgreSQL"):
            m = runs[name].get(scenario)
            cells.append("" if base is None or m is None else f"{m.wall / base.wall:.3f}x")
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Loading the stores (not timed as builds): SQLite {loads['SQLite']:.0f} s, "
        f"PostgreSQL {loads['PostgreSQL']:.0f} s (COPY)."
        + (" The folder's full build was skipped (--skip-full)." if skip else ""),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--corpora", type=Path, default=HERE / "corpora")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--skip-full", type=int, default=0, help="see the usage")
    parser.add_argument("--again", type=int, default=0, help="more no-change runs, each source")
    args = parser.parse_args()
    with contextmanager(started)() as postgres:
        for n in (int(s) for s in args.sizes.split(",")):
            url = postgres.new_database()
            skip = bool(args.skip_full) and n >= args.skip_full
            print(run_size(n, args.corpora, args.out.resolve(), url, skip, args.again), flush=True)  # noqa: T201 - a script's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
