"""The parse cache: hits, misses, corruption and settings changes never give wrong output."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import feeds.cache
import feeds.parallel
from feeds.cache import CACHE_FILE, ParseCache
from feeds.cli import cli
from feeds.engine import parse_settings
from tests.cronkit import article_text, config_of, make_site, run, snapshot


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(
        tmp_path,
        {
            "a.md": article_text(1),
            "b.md": article_text(2, topics=("Space",)),
            "bad.md": "---\ntitle: [unclosed\n---\n",
        },
    )


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths parse_one is called for."""
    calls: list[str] = []
    real = feeds.parallel.parse_one

    def spy(config: object, parser: str, path: str, key: object) -> object:
        calls.append(path)
        return real(config, parser, path, key)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds.parallel, "parse_one", spy)
    return calls


def test_second_run_is_all_hits_and_keeps_reporting_problems(site: Path, parsed: list[str]) -> None:
    first = run(site)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]
    parsed.clear()
    second = run(site)
    assert parsed == []
    assert second.files_cached == 3
    assert second.report.problems == first.report.problems
    assert second.report.rejected_files == 1


def test_size_change_is_a_miss(site: Path, tmp_path: Path, parsed: list[str]) -> None:
    run(site)
    parsed.clear()
    (tmp_path / "content/a.md").write_text(article_text(1, title="A longer title than before"))
    run(site)
    assert parsed == ["a.md"]
    assert "A longer title than before" in (tmp_path / "public/rss.xml").read_text()


def test_same_size_edit_with_old_mtime_is_a_miss(
    site: Path, tmp_path: Path, parsed: list[str]
) -> None:
    path = tmp_path / "content/a.md"
    run(site)
    stat = path.stat()
    parsed.clear()
    text = path.read_text().replace("Story number 1", "Story number X")
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back; ctime moves
    assert path.stat().st_size == stat.st_size
    run(site)
    assert parsed == ["a.md"]
    assert "Story number X" in (tmp_path / "public/rss.xml").read_text()


def test_mtime_change_is_a_miss(site: Path, tmp_path: Path, parsed: list[str]) -> None:
    run(site)
    parsed.clear()
    os.utime(tmp_path / "content/b.md", ns=(1, 1))
    run(site)
    assert parsed == ["b.md"]


def test_corrupt_cache_is_rebuilt_with_a_log_line(
    site: Path, tmp_path: Path, parsed: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    run(site)
    expected = snapshot(tmp_path / "public")
    cache_dir = tmp_path / ".feeds-cache"
    for path in cache_dir.iterdir():
        path.unlink()
    (cache_dir / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    parsed.clear()
    with caplog.at_level(logging.WARNING, logger="feeds"):
        outcome = run(site)
    assert "unusable parse cache" in caplog.text
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]
    assert outcome.report.rejected_files == 1
    assert snapshot(tmp_path / "public") == expected
    parsed.clear()
    run(site)
    assert parsed == []


def test_corrupt_cache_line_reads_as_before_and_has_fields_in_json(
    site: Path, tmp_path: Path
) -> None:
    cache = tmp_path / ".feeds-cache" / CACHE_FILE

    def build_over_a_corrupt_cache(*args: str) -> list[str]:
        for path in cache.parent.glob("*"):
            path.unlink()
        cache.write_bytes(b"this is not a database" * 100)
        result = CliRunner().invoke(cli, ["build", "--config", str(site), *args])
        assert result.exit_code == 0, result.output
        return [line for line in result.stderr.splitlines() if "parse cache" in line]

    reason = "file is not a database"
    run(site)
    assert build_over_a_corrupt_cache() == [
        f"warning: {cache}: unusable parse cache ({reason}); rebuilding it"
    ]
    (line,) = build_over_a_corrupt_cache("--log-format", "json")
    assert json.loads(line) == {
        "level": "warning",
        "message": f"{cache}: unusable parse cache ({reason}); rebuilding it",
        "path": str(cache),
        "reason": reason,
    }


def test_settings_change_empties_the_cache(
    site: Path, tmp_path: Path, parsed: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    run(site)
    parsed.clear()
    text = site.read_text()
    site.write_text(text.replace("  dir: content\n", "  dir: content\n  max_bytes: 100000\n", 1))
    with caplog.at_level(logging.INFO, logger="feeds"):
        run(site)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]
    assert "other settings" in caplog.text


def test_format_version_change_empties_the_cache(
    site: Path, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(site)
    monkeypatch.setattr(feeds.cache, "CACHE_FORMAT", 999)
    parsed.clear()
    run(site)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]


def test_stored_rows_survive_reopening(site: Path, tmp_path: Path) -> None:
    run(site)
    config = config_of(site)
    with ParseCache.open(config.cache.dir, parse_settings(config, "yaml-rs")) as cache:
        assert cache.count() == 3
    db = sqlite3.connect(config.cache.dir / CACHE_FILE)
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    db.close()
    assert mode == "wal"


def test_no_cache_parses_everything_and_leaves_the_cache_alone(
    site: Path, tmp_path: Path, parsed: list[str]
) -> None:
    run(site, use_cache=False)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]
    assert not (tmp_path / ".feeds-cache").exists()


def test_removed_file_leaves_the_cache(site: Path, tmp_path: Path) -> None:
    run(site)
    (tmp_path / "content/b.md").unlink()
    run(site)
    config = config_of(site)
    with ParseCache.open(config.cache.dir, parse_settings(config, "yaml-rs")) as cache:
        assert sorted(row.path for row in cache.rows()) == ["a.md", "bad.md"]


def test_cache_clear_command(site: Path, tmp_path: Path) -> None:
    run(site)
    assert (tmp_path / ".feeds-cache" / CACHE_FILE).exists()
    result = CliRunner().invoke(cli, ["cache", "clear", "--config", str(site)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".feeds-cache").exists()
    assert (tmp_path / "public/.feeds-manifest.json").exists()


def test_cache_dir_is_configurable(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article_text(1)}, "cache:\n  dir: state/cache\n")
    run(site)
    assert (tmp_path / "state/cache" / CACHE_FILE).exists()
    assert not (tmp_path / ".feeds-cache").exists()


def test_files_changed_just_before_a_run_are_parsed_again(
    site: Path, tmp_path: Path, parsed: list[str]
) -> None:
    run(site, racy_seconds=3600)  # every file counts as just changed
    parsed.clear()
    run(site, racy_seconds=3600)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]
    parsed.clear()
    run(site)
    run(site)
    assert sorted(parsed) == ["a.md", "b.md", "bad.md"]  # cached by the first of these two
