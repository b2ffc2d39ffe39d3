"""The output folder is only ever changed as the build means to: links are replaced, never
written through; only our regular files are deleted; a failed or killed run leaves
nothing behind that the next run does not clean up; failures of the machine are one
`Error:` line that says what to do."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feeds.errors import FeedsError
from feeds.manifest import JOURNAL_FILE, Manifest, journal_append, load_manifest, save_manifest
from feeds.pool import MIN_PARALLEL_FILES
from tests.kit import REPO, Site, article, make_site, snapshot


def _feed_linked_to_a_page(tmp_path: Path, name: str, page: str) -> tuple[Site, Path, Path]:
    """A built site whose feed file topics/news/NAME is a link to the operator's own
    page user.html (holding `page`): the site, the page and the link."""
    site = make_site(tmp_path, {"a.md": article(1, topics=["News"])})
    site.build()
    mine = site.out / "user.html"
    mine.write_text(page)
    link = site.out / "topics/news" / name
    link.unlink()
    link.symlink_to("../../user.html")
    return site, mine, link


def test_a_link_at_a_feed_path_is_replaced_not_written_through(tmp_path: Path) -> None:
    site, mine, feed = _feed_linked_to_a_page(tmp_path, "rss.xml", "the operator's own page")
    site.build()
    assert mine.read_text() == "the operator's own page"
    assert not feed.is_symlink()
    assert feed.read_bytes().startswith(b"<?xml")
    # Once the topic is gone, pruning deletes the feed's files, and still not user.html.
    site.write({"a.md": article(1, topics=["Other"])})
    site.build()
    assert mine.read_text() == "the operator's own page"
    assert not (site.out / "topics/news").exists()


def test_pruning_deletes_only_regular_files(tmp_path: Path) -> None:
    site, mine, link = _feed_linked_to_a_page(tmp_path, "atom.xml", "keep me")
    site.write({"a.md": article(1, topics=["Other"])})
    outcome = site.build()
    assert "topics/news/atom.xml" not in outcome.deleted
    assert "topics/news/rss.xml" in outcome.deleted
    assert link.is_symlink()
    assert mine.read_text() == "keep me"


def test_a_link_to_a_folder_inside_the_output_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1, topics=["News"])})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site.out / "topics").mkdir(parents=True)
    (site.out / "topics/news").symlink_to(elsewhere, target_is_directory=True)
    result = site.cli("build")
    assert result.exit_code == 1
    assert "a symbolic link inside the output folder" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_killed_run_leaves_no_empty_folder_behind(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1, topics=["News"])})
    site.build()
    # What a run killed while starting a new feed leaves: a manifest marked incomplete,
    # the journaled path, a folder and a temporary file, and no feed file.
    save_manifest(site.out, Manifest(load_manifest(site.out).feeds, complete=False))
    journal_append(site.out, ["topics/gone/rss.xml"])
    (site.out / "topics/gone").mkdir()
    (site.out / "topics/gone/.rss.xml.99x0.tmp").write_text("half")
    site.build()
    folders = [p for p in site.out.rglob("*") if p.is_dir()]
    assert folders
    assert [folder for folder in folders if not any(folder.iterdir())] == []
    assert not (site.out / JOURNAL_FILE).exists()


def test_a_full_disk_is_one_error_and_the_next_run_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = {f"{n}.md": article(n, topics=[f"Topic {n}"]) for n in range(1, 30)}
    site = make_site(tmp_path / "site", articles)
    real_write = os.write
    writes = 0

    def write(fd: int, data: Any) -> int:
        nonlocal writes
        writes += 1
        if writes > 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(FeedsError, match="No space left on device; free some disk space"):
        site.build()
    monkeypatch.setattr(os, "write", real_write)
    # The content shrank meanwhile: the feeds of the articles gone must go too.
    for n in range(10, 30):
        (site.content / f"{n}.md").unlink()
    site.build()
    clean = make_site(tmp_path / "clean", {f"{n}.md": articles[f"{n}.md"] for n in range(1, 10)})
    clean.build()
    assert snapshot(site.out) == snapshot(clean.out)
    assert sorted(p.name for p in site.out.rglob("*") if p.name.startswith(".")) == [
        ".feeds-manifest.json",
        ".feeds.lock",
    ]
    assert [p for p in site.out.rglob("*") if p.is_dir() and not any(p.iterdir())] == []


def test_a_read_only_output_folder_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(site.out)) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    result = site.cli("build")
    assert result.exit_code == 1
    assert result.stderr.count("Error:") == 1
    assert f"{site.out}/.feeds.lock: cannot create the lock file: Read-only file system" in (
        result.stderr
    )
    assert "writable folder" in result.stderr


def _refuse_to_start_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", refuse)


def test_a_pool_that_cannot_start_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Enough files for the process pool (400 or more changed files).
    site = make_site(tmp_path, {f"{n}.md": article(n) for n in range(MIN_PARALLEL_FILES)})
    _refuse_to_start_a_pool(monkeypatch)
    result = site.cli("build", "--no-cache", "--jobs", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the worker processes could not start")
    assert "--jobs 1" in result.stderr
    assert not (site.out / "rss.xml").exists()


def test_a_small_site_builds_even_when_a_pool_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Too few files and feeds for a pool: none is started, so one that can't start is no matter.
    site = make_site(tmp_path, {"a.md": article(1), "b.md": article(2)})
    _refuse_to_start_a_pool(monkeypatch)
    result = site.cli("build", "--jobs", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    feed = feedparser.parse((site.out / "rss.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == ["Article 2", "Article 1"]


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.update(children)
        todo += children
    return found


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_workers_end_when_the_build_is_killed(tmp_path: Path) -> None:
    # Enough files for the process pool (400 or more changed files).
    site = make_site(tmp_path, {f"{n}.md": article(n, topics=[f"T{n}"]) for n in range(450)})
    command = [sys.executable, "-m", "feeds", "build", "--config", str(site.config_path)]
    build = subprocess.Popen([*command, "--jobs", "2"], cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: (site.out / JOURNAL_FILE).exists() or build.poll() is not None)
        workers = _descendants(build.pid)
        assert workers, "the pool was not started"
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers))
    finally:
        if build.poll() is None:
            build.kill()
