"""The parse cache keeps to its own folder and files: `cache.dir` may not overlap the
articles or the output, and `feeds cache clear` deletes only the cache's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.cache import CACHE_FILE
from feeds.errors import ConfigError
from tests.kit import article, make_site, small_corpus, snapshot


@pytest.mark.parametrize(
    ("cache_dir", "relation", "section"),
    [
        ("content", "is", "content"),
        ("content/.cache", "lies inside", "content"),
        ("public", "is", "output"),
        ("public/.cache", "lies inside", "output"),
        (".", "contains", "content"),
        (".", "contains", "output"),
    ],
)
def test_a_cache_folder_overlapping_content_or_output_is_a_config_error(
    tmp_path: Path, cache_dir: str, relation: str, section: str
) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, cache={"dir": cache_dir})
    with pytest.raises(ConfigError) as caught:
        site.config()
    cache = (tmp_path / cache_dir).resolve()
    folder = site.content if section == "content" else site.out
    expected = f"cache.dir: {cache} {relation} {section}.dir {folder}; "
    assert expected + "give the parse cache a folder of its own" in caught.value.problems


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
