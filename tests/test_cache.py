"""The parse cache: hits, misses, corruption and settings changes never give wrong output;
the cache keeps to its own folder, and `feeds cache clear` deletes only its files."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest

import feeds.cache
from feeds.cache import CACHE_FILE, open_cache
from feeds.fingerprint import parse_settings
from tests.kit import Site, article, make_site, small_corpus, snapshot


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(
        tmp_path,
        {
            "a.md": article(1),
            "b.md": article(2, topics=["Space"]),
            "bad.md": "---\ntitle: [unclosed\n---\n",
        },
    )


def test_second_run_is_all_hits_and_keeps_reporting_problems(site: Site) -> None:
    first = site.build()
    assert (first.files_parsed, first.files_cached) == (3, 0)
    second = site.build()
    assert (second.files_parsed, second.files_cached) == (0, 3)
    assert second.report.problems == first.report.problems
    assert second.report.rejected_files == 1


def test_size_change_is_a_miss(site: Site) -> None:
    site.build()
    site.write({"a.md": article(1, title="A longer title than before")})
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)
    assert "A longer title than before" in (site.out / "rss.xml").read_text()


def test_same_size_edit_with_old_mtime_is_a_miss(site: Site) -> None:
    path = site.content / "a.md"
    site.build()
    stat = path.stat()
    text = path.read_text().replace("Article 1", "Article X")
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back; ctime moves
    assert path.stat().st_size == stat.st_size
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)
    assert "Article X" in (site.out / "rss.xml").read_text()


def test_mtime_change_is_a_miss(site: Site) -> None:
    site.build()
    os.utime(site.content / "b.md", ns=(1, 1))
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)


def test_corrupt_cache_is_rebuilt_with_a_log_line(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.build()
    expected = snapshot(site.out)
    cache_dir = tmp_path / ".feeds-cache"
    for path in cache_dir.iterdir():
        path.unlink()
    (cache_dir / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="feeds"):
        outcome = site.build()
    assert "unusable parse cache" in caplog.text
    assert (outcome.files_parsed, outcome.files_cached) == (3, 0)
    assert outcome.report.rejected_files == 1
    assert snapshot(site.out) == expected
    assert site.build().files_parsed == 0


def test_corrupt_cache_line_reads_as_before_and_has_fields_in_json(
    site: Site, tmp_path: Path
) -> None:
    cache = tmp_path / ".feeds-cache" / CACHE_FILE

    def build_over_a_corrupt_cache(*args: str) -> list[str]:
        for path in cache.parent.glob("*"):
            path.unlink()
        cache.write_bytes(b"this is not a database" * 100)
        result = site.cli("build", *args)
        assert result.exit_code == 0, result.output
        return [line for line in result.stderr.splitlines() if "parse cache" in line]

    reason = "file is not a database"
    site.build()
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


def test_settings_change_empties_the_cache(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.build()
    site.configure(content={"max_bytes": 100000})
    with caplog.at_level(logging.INFO, logger="feeds"):
        outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (3, 0)
    assert "other settings" in caplog.text


def test_format_version_change_empties_the_cache(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.build()
    monkeypatch.setattr(feeds.cache, "CACHE_FORMAT", 999)
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (3, 0)


def test_stored_rows_survive_reopening(site: Site) -> None:
    site.build()
    config = site.config()
    with open_cache(config.cache.dir, parse_settings(config, "yaml-rs")) as cache:
        assert cache.count() == 3
    db = sqlite3.connect(config.cache.dir / CACHE_FILE)
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    db.close()
    assert mode == "wal"


def test_no_cache_parses_everything_and_leaves_the_cache_alone(site: Site, tmp_path: Path) -> None:
    outcome = site.build(use_cache=False)
    assert (outcome.files_parsed, outcome.files_cached) == (3, 0)
    assert not (tmp_path / ".feeds-cache").exists()
    assert site.build(use_cache=False).files_parsed == 3


def test_removed_file_leaves_the_cache(site: Site) -> None:
    site.build()
    (site.content / "b.md").unlink()
    site.build()
    config = site.config()
    with open_cache(config.cache.dir, parse_settings(config, "yaml-rs")) as cache:
        assert sorted(path for path, _ in cache.identities([""])) == ["a.md", "bad.md"]


def test_cache_clear_command(site: Site, tmp_path: Path) -> None:
    site.build()
    assert (tmp_path / ".feeds-cache" / CACHE_FILE).exists()
    result = site.cli("cache clear")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".feeds-cache").exists()
    assert (site.out / ".feeds-manifest.json").exists()


def test_cache_dir_is_configurable(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, cache={"dir": "state/cache"})
    site.build()
    assert (tmp_path / "state/cache" / CACHE_FILE).exists()
    assert not (tmp_path / ".feeds-cache").exists()


def test_files_changed_just_before_a_run_are_parsed_again(site: Site) -> None:
    site.build(racy_seconds=3600)  # every file counts as just changed
    assert site.build(racy_seconds=3600).files_parsed == 3
    assert site.build().files_parsed == 3
    assert site.build().files_parsed == 0  # cached by the run before


def test_a_run_that_fails_before_reading_any_file_leaves_the_cache_as_it_was(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.build()
    site.configure(content={"dir": "contnet"})  # a typo: another folder, other settings
    result = site.cli("build")
    assert result.exit_code == 1
    assert "content.dir" in result.stderr
    site.configure(content={"dir": "content"})
    site.write({"a.md": article(1, title="A longer title than before")})
    with caplog.at_level(logging.INFO, logger="feeds"):
        outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)
    assert "other settings" not in caplog.text


def _folder_state(folder: Path) -> tuple[int, list[str]]:
    """A folder's mtime (which creating or deleting a file in it changes) and names."""
    return folder.stat().st_mtime_ns, sorted(p.name for p in folder.iterdir())


def test_a_no_change_run_creates_and_deletes_nothing_in_the_cache_folder(site: Site) -> None:
    site.build()
    cache_dir = site.config().cache.dir
    os.utime(cache_dir, ns=(10**18, 10**18))  # an mtime no file operation now gives it
    before = _folder_state(cache_dir)
    for options in ({}, {"validate_only": True}, {"dry_run": True}):
        outcome = site.build(**options)
        assert outcome.files_parsed == 0
        assert _folder_state(cache_dir) == before


def test_the_cache_in_the_content_folder_is_refused_and_no_article_is_deleted(
    tmp_path: Path,
) -> None:
    site = make_site(tmp_path, small_corpus(), cache={"dir": "content"})
    before = snapshot(site.content)
    for command in ("build", "cache clear"):
        result = site.cli(command)
        assert result.exit_code == 1, result.output
        assert "cache.dir: " in result.stderr
    assert snapshot(site.content) == before
    assert not site.out.exists()


def test_a_cache_folder_beside_the_others_is_accepted(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, cache={"dir": "state/cache"})
    assert site.config().cache.dir == (tmp_path / "state" / "cache").resolve()


def test_cache_clear_deletes_only_the_cache_files_of_a_shared_folder(tmp_path: Path) -> None:
    """cache.dir naming a folder that holds other things (`/srv`, the config's folder)."""
    shared = tmp_path / "srv"
    site = make_site(tmp_path / "site", small_corpus(), cache={"dir": str(shared)})
    (shared / "data").mkdir(parents=True)
    (shared / "data" / "keep.db").write_text("precious")
    (shared / "notes.txt").write_text("precious")
    assert site.cli("build").exit_code == 0
    assert (shared / CACHE_FILE).exists()

    result = site.cli("cache clear")

    assert result.exit_code == 0, result.output
    assert f"deleted {shared / CACHE_FILE}" in result.stdout.splitlines()
    assert sorted(p.relative_to(shared).as_posix() for p in shared.rglob("*")) == [
        "data",
        "data/keep.db",
        "notes.txt",
    ]


def test_cache_clear_removes_the_folder_it_emptied(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    cache_dir = site.config().cache.dir
    assert site.cli("build").exit_code == 0
    (cache_dir / f"{CACHE_FILE}-journal").write_bytes(b"")  # as a killed rollback leaves it

    result = site.cli("cache clear")

    assert result.exit_code == 0, result.output
    assert f"deleted {cache_dir / f'{CACHE_FILE}-journal'}" in result.stdout
    assert not cache_dir.exists()
    assert site.cli("cache clear").stdout == f"no cache at {cache_dir}\n"
    assert site.cli("build").exit_code == 0  # and the next build parses again


def _foldered_site(tmp_path: Path) -> Site:
    files = {"a/1.md": article(1), "a/2.md": article(2), "b/3.md": article(3), "4.md": article(4)}
    return make_site(tmp_path, files)


def test_a_folder_whose_files_are_as_they_were_is_vouched_for_without_reading_its_records(
    tmp_path: Path,
) -> None:
    site = _foldered_site(tmp_path)
    site.build()
    db = sqlite3.connect(site.config().cache.dir / CACHE_FILE)
    with db:  # a record that no longer matches its file, which only a comparison sees
        db.execute("UPDATE files SET size = 0 WHERE path = 'a/1.md'")
    db.close()
    site.write({"b/3.md": article(3, title="Edited")})
    assert site.build().files_parsed == 1  # folder a/ is as it was: not compared
    site.write({"a/2.md": article(2, title="Edited")})
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (2, 2)  # a/ compared: 1 and 2


def test_a_folder_removed_whole_takes_its_records_and_articles_away(tmp_path: Path) -> None:
    site = _foldered_site(tmp_path)
    site.build()
    for path in (site.content / "a").iterdir():
        path.unlink()
    (site.content / "a").rmdir()
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (0, 2)
    config = site.config()
    with open_cache(config.cache.dir, parse_settings(config, "yaml-rs")) as cache:
        assert sorted(path for path, _ in cache.identities(["", "a/", "b/"])) == ["4.md", "b/3.md"]
        assert sorted(cache.folder_digests()) == ["", "b/"]
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")
