"""Writing: atomic replace, unchanged files untouched, nothing outside the output folder."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from feeds.errors import OutputError
from feeds.files import safe_target, safe_targets, write_atomic
from feeds.formats import MANIFEST_FILE
from tests.kit import LONG_AGO_NS, age, article, make_site, mtimes, snapshot


def two_feeds() -> dict[str, dict[str, object]]:
    return {
        "a.md": article(1, topics=["AI"]),
        "b.md": article(2, topics=["Space"], provider="beta.example.com"),
    }


def test_only_files_whose_bytes_changed_are_written(tmp_path: Path) -> None:
    """With no manifest to vouch for any file, every feed is rendered and compared with the
    disk: a file with the same bytes keeps its mtime and is reported unchanged."""
    site = make_site(tmp_path, two_feeds())
    site.build()
    age(site.out)
    before = snapshot(site.out)
    site.write(
        {"b.md": article(2, title="Two, edited", topics=["Space"], provider="beta.example.com")}
    )
    (site.out / MANIFEST_FILE).unlink()
    outcome = site.build()
    assert outcome.feeds_skipped == 0
    after = snapshot(site.out)
    changed = {path for path in after if after[path] != before[path]}
    assert {"rss.xml", "topics/space/rss.xml", "providers/beta.example.com/atom.xml"} <= changed
    assert "topics/ai/rss.xml" not in changed
    assert sorted(outcome.report.written) == sorted(changed)
    assert sorted(outcome.report.unchanged) == sorted(set(after) - changed)
    times = mtimes(site.out)
    assert {path for path in after if times[path] != LONG_AGO_NS} == changed


def test_same_size_new_bytes_are_written(tmp_path: Path) -> None:
    site = make_site(tmp_path, two_feeds())
    site.build()
    old = (site.out / "topics/ai/rss.xml").read_bytes()
    site.write({"a.md": article(1, title="Article X", topics=["AI"])})
    assert "topics/ai/rss.xml" in site.build().report.written
    new = (site.out / "topics/ai/rss.xml").read_bytes()
    assert len(new) == len(old)
    assert b"Article X" in new
    assert b"Article 1" not in new


def test_files_are_world_readable_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    site = make_site(tmp_path, two_feeds())
    umask = os.umask(0o077)
    try:
        site.build()
    finally:
        os.umask(umask)
    files = [p for p in site.out.rglob("*") if p.is_file() and p.name != ".feeds.lock"]
    assert len(files) > 10
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}
    assert list(site.out.rglob("*.tmp")) == []


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "feed.xml"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]


def test_a_build_that_cannot_replace_a_file_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while replacing the feeds: an OutputError, every old feed file intact, no
    temporary file left; the next build writes what a fresh build would."""
    site = make_site(tmp_path, two_feeds())
    site.build()
    before = snapshot(site.out)
    site.write({"a.md": article(1, title="Edited", topics=["AI"])})
    replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        if Path(dst).name == "rss.xml":
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        site.build()
    monkeypatch.undo()
    after = snapshot(site.out)
    rss = [path for path in before if path.endswith("rss.xml")]
    assert {path: after[path] for path in rss} == {path: before[path] for path in rss}
    assert list(site.out.rglob("*.tmp")) == []
    site.build()
    fresh = make_site(tmp_path / "fresh", content={"dir": str(site.content)})
    fresh.build(use_cache=False)
    assert snapshot(site.out) == snapshot(fresh.out)
    assert b"Edited" in (site.out / "topics/ai/rss.xml").read_bytes()


@pytest.mark.parametrize(
    "relative", ["../escape.xml", "topics/../../escape.xml", "/etc/passwd", "."]
)
def test_paths_outside_the_output_folder_are_refused(tmp_path: Path, relative: str) -> None:
    out = tmp_path / "public"
    out.mkdir()
    with pytest.raises(OutputError, match="refusing to write outside the output folder"):
        safe_target(out, relative)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_paths_checked_together_as_one_by_one(tmp_path: Path) -> None:
    """safe_targets checks each folder once, and answers what safe_target answers for
    every path: the same target, or the same refusal, whatever came before it."""
    out = tmp_path / "public"
    (out / "topics").mkdir(parents=True)
    (out / "topics" / "link").symlink_to(tmp_path)
    plain = ["a", "a/", "a/b", "a//b", "topics/ai/rss.xml", "topics/ai/atom.xml", "x/y/"]
    refused = ["/a", "a/./b", "a/../b", ".", "..", "topics/link/rss.xml", "x/y/..", "/"]
    for earlier in itertools.permutations(plain, 3):
        for relative in plain + refused:
            paths = [*earlier, relative]
            try:
                expected: object = [safe_target(out, path) for path in paths]
            except OutputError as exc:
                expected = str(exc)
            try:
                got: object = safe_targets(out, paths)
            except OutputError as exc:
                got = str(exc)
            assert got == expected, paths


def test_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, two_feeds())
    (site.out / "topics").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (site.out / "topics" / "ai").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError):
        site.build()
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    site = make_site(tmp_path, two_feeds())
    site.out.mkdir()
    (site.out / "topics").write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="cannot write"):
        site.build()
    assert (site.out / "topics").read_text() == "a file where a folder should be"
