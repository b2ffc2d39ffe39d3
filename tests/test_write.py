"""Writing: atomic replace, unchanged files untouched, nothing outside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds.errors import OutputError
from feeds.model import RenderedFile
from feeds.write import safe_target, write_atomic, write_files


def test_writes_new_and_changed_files_only(tmp_path: Path) -> None:
    first = write_files(
        [RenderedFile("a/rss.xml", b"one"), RenderedFile("b.xml", b"two")], tmp_path
    )
    assert first.written == ("a/rss.xml", "b.xml")
    os.utime(tmp_path / "b.xml", ns=(1_000_000_000, 1_000_000_000))
    second = write_files(
        [RenderedFile("a/rss.xml", b"ONE"), RenderedFile("b.xml", b"two")], tmp_path
    )
    assert (second.written, second.unchanged) == (("a/rss.xml",), ("b.xml",))
    assert (tmp_path / "a/rss.xml").read_bytes() == b"ONE"
    assert (tmp_path / "b.xml").stat().st_mtime_ns == 1_000_000_000


def test_same_size_new_bytes_are_written(tmp_path: Path) -> None:
    write_files([RenderedFile("f", b"abc")], tmp_path)
    assert write_files([RenderedFile("f", b"abd")], tmp_path).written == ("f",)
    assert (tmp_path / "f").read_bytes() == b"abd"


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    write_files([RenderedFile("x/y.xml", b"1"), RenderedFile("x/y.xml", b"2")], tmp_path)
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["y.xml"]
    assert oct((tmp_path / "x/y.xml").stat().st_mode & 0o777) == "0o644"


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


@pytest.mark.parametrize(
    "relative", ["../escape.xml", "topics/../../escape.xml", "/etc/passwd", "."]
)
def test_paths_outside_the_output_folder_are_refused(tmp_path: Path, relative: str) -> None:
    out = tmp_path / "public"
    out.mkdir()
    with pytest.raises(OutputError, match="refusing to write outside the output folder"):
        safe_target(out, relative)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "public"
    (out / "topics").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "topics" / "evil").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError):
        write_files([RenderedFile("topics/evil/rss.xml", b"x")], out)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "topics").write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="cannot write"):
        write_files([RenderedFile("topics/ai/rss.xml", b"x")], tmp_path)
