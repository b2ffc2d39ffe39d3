"""The membership index in the cache database: a cache made before it is retired, a row
that does not hold together rebuilds it (never a wrong feed), and a dry run leaves it as
it was. tests/test_incremental_equality.py draws the changes it takes in."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from feeds.cache import CACHE_FILE, INDEX_TABLES
from tests.kit import Site, article, make_site, snapshot

PROVIDERS = ("alpha.example", "beta.example")


def _article(n: int, version: int = 0) -> dict[str, dict[str, Any]]:
    """Article n (of twelve over three topics and two providers) as file content."""
    topics = ["Space", "AI", "Climate"][: 1 + n % 3]
    text = article(n, title=f"Story {n} v{version}", topics=topics, provider=PROVIDERS[n % 2])
    return {f"{n:02d}.md": text}


def _articles() -> dict[str, dict[str, Any]]:
    return {name: text for n in range(12) for name, text in _article(n).items()}


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """Archives on, so that every feed has archive pages whose fingerprints it stores."""
    feeds = {"archive": True, "max_items": 3, "archive_page_size": 2}
    return make_site(tmp_path / "site", _articles(), feeds=feeds)


def _cache(site: Site) -> sqlite3.Connection:
    return sqlite3.connect(site.config().cache.dir / CACHE_FILE, isolation_level=None)


def _contents(site: Site) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the cache database, by table."""
    db = _cache(site)
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    found = {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr) for table in tables}
    db.close()
    return found


def test_a_cache_from_before_the_index_is_retired_and_the_next_run_is_a_full_build(
    site: Site, tmp_path: Path
) -> None:
    site.build()
    db = _cache(site)
    # The records as the cache stored them before the index: no id, date or winner
    # columns, no index tables, an older format number.
    for name in ("files_aid", "files_won", "files_lost"):
        db.execute(f"DROP INDEX {name}")
    for column in ("aid", "at", "win"):
        db.execute(f"ALTER TABLE files DROP COLUMN {column}")
    for table in (*INDEX_TABLES, "pending"):
        db.execute(f"DROP TABLE {table}")
    db.execute("UPDATE meta SET value = '6-0123456789abcdef' WHERE name = 'format'")
    db.close()
    site.write(_article(4, 1))
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (12, 0)
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")
    assert site.build().files_parsed == 0


# Rows no run writes, each found by the next run that reads it (the ghost member is the
# newest of its feed). The run after the damage edits article 4 (Space and AI,
# alpha.example), so that the feeds holding it are read.
DAMAGE = {
    "a member whose record is gone": (
        "INSERT INTO members SELECT feed, -2e9, 0, 'ghost', 'ghost.md', spelling "
        "FROM members WHERE feed = (SELECT feed FROM feeds WHERE kind = 'all') LIMIT 1"
    ),
    "a member of a feed the index lacks": "DELETE FROM feeds WHERE kind = 'topic'",
    "a feed with fewer members than none": "UPDATE feeds SET total = -3 WHERE kind = 'all'",
    "a feed kind no run writes": "UPDATE feeds SET kind = 'tag' WHERE kind = 'provider'",
    "a feed name that is no text": "UPDATE feeds SET name = 42",
    "a spelling that is not UTF-8": "UPDATE members SET spelling = x'ff'",
    "an archive page missing": "DELETE FROM pages WHERE number = 1",
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_row_that_does_not_hold_together_rebuilds_the_index_and_never_a_wrong_feed(
    site: Site, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    site.build()
    db = _cache(site)
    db.execute(damage)
    db.close()
    site.write(_article(4, 1))
    with caplog.at_level(logging.WARNING, logger="feeds"):
        outcome = site.build()
    assert "the index does not hold together" in caplog.text
    # The run that met the damage stored the edited record; the records are kept and
    # only the index is rebuilt.
    assert (outcome.files_parsed, outcome.files_cached) == (0, 12)
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")
    caplog.clear()
    site.write({**_article(4, 2), **_article(7, 1)})
    site.build()
    assert "the index does not hold together" not in caplog.text
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean-after")


def test_a_dry_run_updates_the_index_as_a_build_would_and_leaves_it_as_it_was(
    site: Site, tmp_path: Path
) -> None:
    site.build()
    site.write({**_article(4, 1), "new.md": article(40, topics=["Oceans"])})
    (site.content / "07.md").unlink()
    before, output = _contents(site), snapshot(site.out)
    result = site.cli("build", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "oceans" in result.output  # the new topic's feed is among those it would write
    assert _contents(site) == before
    assert snapshot(site.out) == output
    outcome = site.build()
    assert outcome.files_parsed == 2
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")


def test_the_index_holds_one_row_per_feed_and_membership(site: Site) -> None:
    site.build()
    db = _cache(site)
    feeds = dict(db.execute("SELECT kind || ':' || CAST(key AS TEXT), total FROM feeds").fetchall())
    members = db.execute("SELECT count(*) FROM members").fetchone()[0]
    db.close()
    # Twelve articles: Space in all, AI in 8 (n % 3 > 0), Climate in 4 (n % 3 == 2).
    assert feeds == {
        "all:": 12,
        "topic:space": 12,
        "topic:ai": 8,
        "topic:climate": 4,
        "provider:alpha.example": 6,
        "provider:beta.example": 6,
    }
    assert members == sum(feeds.values())


def test_doctor_reads_the_index_whole_and_names_what_no_run_checks(site: Site) -> None:
    site.build()
    result = site.cli("doctor")
    assert "index of 6 feeds, 48 memberships" in result.output
    assert "DAMAGED" not in result.output
    # Well-formed rows that say the wrong thing: a run reads only the rows it needs, so
    # only reading the index whole finds them.
    db = _cache(site)
    db.execute("UPDATE feeds SET total = total + 1 WHERE kind = 'topic'")
    db.execute("DELETE FROM files WHERE path = '05.md'")
    db.close()
    result = site.cli("doctor")
    assert result.exit_code == 0, result.output
    assert "DAMAGED: 3 feeds miscounted, 5 stray memberships" in result.output
