"""`feeds build` from an article store (SQLite, and a real PostgreSQL server): the same
bytes as a build from the folder it was imported from; later runs read only what changed
since the last one and equal a clean build; a write committed after a run began is
published by the next run; rows report problems as files do.

Rows are written here with plain SQL, as an aggregator writes them; the DDL's triggers
set the stamps and turn a DELETE into a tombstone.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from feeds.cache import CACHE_FILE
from feeds.formats import MANIFEST_FILE
from feeds.store import open_store
from feeds.store.importer import import_folder
from tests.kit import (
    NOW,
    REPO,
    SAMPLES,
    Site,
    article,
    make_site,
    make_store_site,
    snapshot,
    store_url,
)

GENERATED_NOW = datetime(2026, 11, 2, tzinfo=UTC)  # after bench/make_corpus.py's dates
# Two samples' ids: 002_cop28-draft-text.md and 005_protein-design-startup.md.
COP28 = "https://www.bbc.co.uk/news/science-environment-67340012"
PROTEIN = "https://www.theguardian.com/science/2023/nov/02/machine-learning-enzymes-plastic"


def samples_config() -> dict[str, dict[str, Any]]:
    """The bundled samples' config, every section but `content`, writing into `public`."""
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(
        (REPO / "config" / "feeds.yaml").read_text(encoding="utf-8")
    )
    del loaded["content"]
    loaded["output"]["dir"] = "public"
    return loaded


def feed_files(site: Site) -> dict[str, bytes]:
    """What the site's output holds, but the manifest (its fingerprints name the config)."""
    return {path: data for path, data in snapshot(site.out).items() if path != MANIFEST_FILE}


def clean_build(root: Path, database: Path | str, sections: dict[str, Any]) -> dict[str, bytes]:
    """What a --no-cache build of the same store and config writes."""
    site = make_store_site(root, database, **sections)
    site.build(use_cache=False)
    return feed_files(site)


class Writer:
    """The aggregator: SQL on the store, committed at once unless `held` is used."""

    def __init__(self, database: Path | str) -> None:
        self.database = database

    def connect(self) -> Any:
        if isinstance(self.database, Path):
            return sqlite3.connect(self.database, isolation_level=None)
        return psycopg.connect(self.database, autocommit=True)

    def sql(self, statement: str, *params: object) -> None:
        if not isinstance(self.database, Path):
            statement = statement.replace("?", "%s")
        with closing(self.connect()) as db:
            db.execute(statement, params)

    def put(self, key: str, document: dict[str, Any] | str) -> None:
        text = document if isinstance(document, str) else json.dumps(document)
        self.sql(
            "INSERT INTO articles (key, document) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET document = excluded.document",
            key,
            text,
        )


def json_article(n: int, **fields: Any) -> dict[str, Any]:
    """An article as a store's document: JSON has no dates, so the date is its text."""
    found = article(n, **fields)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in found.items()}


@pytest.mark.parametrize("corpus", ["samples", "generated"])
def test_a_build_from_the_store_writes_what_the_build_from_the_folder_wrote(
    tmp_path: Path, database: Path | str, corpus: str
) -> None:
    content, now = SAMPLES, NOW
    if corpus == "generated":
        content, now = tmp_path / "generated", GENERATED_NOW
        generator = REPO / "bench" / "make_corpus.py"
        subprocess.run([sys.executable, generator, "400", content, "--jobs", "1"], check=True)
    sections = samples_config()
    folder = make_site(tmp_path / "folder", content={"dir": str(content)}, **sections)
    folder.build(now=now)
    import_folder(content, database)
    store = make_store_site(tmp_path / "store", database, **sections)
    store.build(now=now)
    built = feed_files(store)
    assert built == feed_files(folder)
    assert len(built) > 50


def test_later_runs_read_what_changed_and_equal_a_clean_build(
    tmp_path: Path, database: Path | str
) -> None:
    writer = Writer(database)
    import_folder(SAMPLES, database)
    sections = samples_config()
    site = make_store_site(tmp_path / "site", database, **sections)
    first = site.build()
    assert first.files_parsed == 41  # every row: the samples import keeps

    again = site.build()
    assert (again.files_parsed, again.feeds_rendered) == (0, 0)
    assert [name for name, _ in again.timings] == ["scan"]  # the no-change path

    writer.put("new.md", json_article(900, title="Breaking", topics=["AI"]))
    writer.sql("UPDATE articles SET deleted = true WHERE key = '002_cop28-draft-text.md'")
    writer.sql("DELETE FROM articles WHERE key = '005_protein-design-startup.md'")
    edited = json.dumps({**json_article(901), "title": "Edited in place"})
    writer.sql(
        "UPDATE articles SET document = ? WHERE key = '001_sag-aftra-tentative-deal.md'", edited
    )
    changed = site.build()
    assert changed.files_parsed == 2  # the new row and the edited one
    rss = (site.out / "rss.xml").read_text(encoding="utf-8")
    assert "Breaking" in rss
    assert "Edited in place" in rss
    for gone in (COP28, PROTEIN):  # the tombstoned row's article, and the DELETEd one's
        assert f'<guid isPermaLink="true">{gone}</guid>' not in rss
    assert feed_files(site) == clean_build(tmp_path / "clean", database, sections)


def test_a_write_committed_after_a_run_began_is_published_by_the_next_run(
    tmp_path: Path, pg_url: str
) -> None:
    with open_store(pg_url, writable=True) as store:
        store.create()
    writer = Writer(pg_url)
    writer.put("old.md", json_article(1, title="Old"))
    site = make_store_site(tmp_path / "site", pg_url)
    site.build()
    # A transaction stamped early and held open across a run; one stamped after it
    # commits first, and that run publishes it.
    with psycopg.connect(pg_url) as late:
        late.execute(
            "INSERT INTO articles (key, document) VALUES (%s, %s)",
            ("late.md", json.dumps(json_article(2, title="Held open"))),
        )
        writer.put("early.md", json_article(3, title="Committed first"))
        site.build()
        rss = (site.out / "rss.xml").read_text(encoding="utf-8")
        assert "Committed first" in rss
        assert "Held open" not in rss
        late.commit()
    site.build()
    assert "Held open" in (site.out / "rss.xml").read_text(encoding="utf-8")
    assert feed_files(site) == clean_build(tmp_path / "clean", pg_url, {})


def test_a_broken_row_is_reported_by_its_key_and_the_rest_published(tmp_path: Path) -> None:
    database = tmp_path / "articles.db"
    import_folder(SAMPLES, database)
    writer = Writer(database)
    writer.put("bad/date.md", {**json_article(1), "publishedDateTime": "yesterday"})
    writer.put("bad/list.md", "[1, 2]")
    site = make_store_site(tmp_path / "site", database)
    result = site.cli("build", "-v")
    assert result.exit_code == 0, result.stderr
    assert "\nfeeds: 43 rows read, 34 published, 2 rejected; " in result.stderr
    assert "; 43 rows parsed, 0 from cache; " in result.stderr
    assert "warning: articles/bad/date.md: publishedDateTime: expected an ISO 8601" in result.stderr
    assert (
        "warning: articles/bad/list.md: document: expected a JSON object of fields, got list"
        in result.stderr
    )
    assert "Bletchley" in (site.out / "rss.xml").read_text(encoding="utf-8")
    strict = site.cli("build", "--strict")
    assert strict.exit_code == 1
    assert "articles: 43 rows, 41 valid, 2 rejected, 34 published" in site.cli("doctor").stdout


def test_without_tombstones_a_deleted_row_is_found_by_the_sweep(
    tmp_path: Path, database: Path | str
) -> None:
    with open_store(database, writable=True) as store:
        store.create()
    writer = Writer(database)
    for n in range(1, 4):
        writer.put(f"s{n}", json_article(n, title=f"Story {n}"))
    # A view without the tombstone column: its rows just go away.
    writer.sql(
        "CREATE VIEW stories AS SELECT key, changed, document FROM articles WHERE NOT deleted"
    )
    sections = {"content": {"table": "stories", "columns": {"deleted": False}}}
    site = make_store_site(tmp_path / "site", database, **sections)
    site.build()
    writer.sql("DELETE FROM articles WHERE key = 's2'")
    swept = site.build()
    rss = (site.out / "rss.xml").read_text(encoding="utf-8")
    assert "Story 1" in rss
    assert "Story 2" not in rss
    assert swept.files_parsed == 0
    assert feed_files(site) == clean_build(tmp_path / "clean", database, sections)


def test_moving_a_site_from_its_folder_to_a_store_keeps_its_output(tmp_path: Path) -> None:
    database = tmp_path / "articles.db"
    site = make_site(tmp_path / "site", content={"dir": str(SAMPLES)})
    site.build()
    before = feed_files(site)
    import_folder(SAMPLES, database)
    site.configure(content={"dir": None, "database": store_url(database)})
    moved = site.build()
    assert moved.files_parsed == 41  # the folder's records are no records of the store
    assert feed_files(site) == before


def test_a_record_that_does_not_decode_makes_the_next_run_read_every_row(
    tmp_path: Path,
) -> None:
    database = tmp_path / "articles.db"
    import_folder(SAMPLES, database)
    site = make_store_site(tmp_path / "site", database)
    site.build()
    before = feed_files(site)
    with closing(sqlite3.connect(site.config().cache.dir / CACHE_FILE)) as db, db:
        damaged = "articles/001_sag-aftra-tentative-deal.md"
        db.execute("UPDATE articles SET article = x'00' WHERE path = ?", (damaged,))
    Writer(database).put("new.md", json_article(900, title="Breaking"))  # a run is due
    again = site.build()
    # The records that did not decode are forgotten, and so is the cursor: their rows
    # are read again with every other, and the output is a clean build's.
    assert again.files_parsed == 42
    assert "Breaking" in (site.out / "rss.xml").read_text(encoding="utf-8")
    assert feed_files(site) == clean_build(tmp_path / "clean", database, {})
    assert before != feed_files(site)
