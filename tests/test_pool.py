"""The process pool: the build's own process works while the pool starts, the pool takes
the chunks left once it is up, and a build in the pool writes what one process writes."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from feeds.load import PARSER
from feeds.pool import MIN_PARALLEL_FILES, Job, Workers
from feeds.write import Writer
from tests.kit import article, front_matter, make_site, snapshot
from tests.test_kill_and_equality import BUILD_UNTIL_WRITE


def _tagged(job: Job, items: Sequence[int]) -> list[tuple[int, int]]:
    """Each item with the process that handled it."""
    return [(os.getpid(), item) for item in items]


def test_the_build_works_while_the_pool_starts_then_the_pool_takes_over(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    job = Job(site.config(), PARSER, Writer(site.out))
    with Workers(job, 2) as workers:
        # Work that asks for a pool starts it, is done here meanwhile, then waits for it.
        first = list(workers.map(_tagged, [0], 1, parallel=True))
        # Once up, the pool takes any work, in order.
        rest = list(workers.map(_tagged, list(range(1, 21)), 3, parallel=False))
    assert first == [[(os.getpid(), 0)]]
    assert [item for chunk in rest for _, item in chunk] == list(range(1, 21))
    assert os.getpid() not in {pid for chunk in rest for pid, _ in chunk}


# The Workers of the test running in this process; empty in the pool's workers.
_IN_THE_BUILD: list[Workers] = []


def _tagged_until_the_pool_is_up(job: Job, items: Sequence[int]) -> list[tuple[int, int]]:
    """`_tagged`; in the build's process, the third chunk ends only once the pool is up
    (parallel work over no items waits for it), so the pool takes the chunks after it."""
    if _IN_THE_BUILD and items[0] == 4:
        assert list(_IN_THE_BUILD[0].map(_tagged, [], 1, parallel=True)) == []
    return _tagged(job, items)


def test_the_pool_does_only_the_chunks_the_build_has_not_done(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    job = Job(site.config(), PARSER, Writer(site.out))
    with Workers(job, 2) as workers:
        _IN_THE_BUILD.append(workers)
        try:
            chunks = list(workers.map(_tagged_until_the_pool_is_up, list(range(20)), 2, True))
        finally:
            _IN_THE_BUILD.clear()
    assert [item for chunk in chunks for _, item in chunk] == list(range(20))
    pids = [chunk[0][0] for chunk in chunks]
    here = list(itertools.takewhile(lambda pid: pid == os.getpid(), pids))
    assert 1 <= len(here) <= 3  # the pool starts meanwhile; the third chunk waits for it
    assert os.getpid() not in pids[len(here) :]


def test_a_build_in_the_pool_writes_what_one_process_writes(tmp_path: Path) -> None:
    # Enough files for the pool to parse and enough feeds (one per topic) for it to render.
    count = 2 * MIN_PARALLEL_FILES
    articles = {f"{n}.md": article(n, topics=[f"T{n % 200}", "AI"]) for n in range(count)}
    pooled = make_site(tmp_path / "pooled", articles)
    alone = make_site(tmp_path / "alone", articles)
    assert pooled.cli("build", "--jobs", "2").exit_code == 0
    assert alone.cli("build", "--jobs", "1").exit_code == 0
    written = snapshot(pooled.out)
    assert len(written) > 4 * 200  # every topic's feed files
    assert written == snapshot(alone.out)


def test_a_pooled_build_killed_with_kill_9_leaves_no_message_behind(tmp_path: Path) -> None:
    """The pool's helpers outlive a killed build for a moment; none of them writes to its
    stderr (the resource tracker warned of the semaphores it cleaned up)."""
    files = {f"a{n}.md": article(n) for n in range(MIN_PARALLEL_FILES + 50)}
    site = make_site(tmp_path, files)
    command = [sys.executable, "-c", BUILD_UNTIL_WRITE, str(site.out), "1", "build"]
    command += ["--jobs", "2", "--config", str(site.config_path)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.readline()  # stopped before its first write, the pool started
        proc.kill()
        proc.wait()
        stderr = proc.stderr.read()  # until every helper holding the pipe has ended
    assert proc.returncode == -signal.SIGKILL
    assert stderr == ""


LATER = "2023-12-01T00:00:00Z"  # after every other article's date: first in the feed


@pytest.mark.parametrize("output", ["feeds", "public"])
def test_workers_import_the_program_whatever_folder_named_feeds_the_run_starts_in(
    tmp_path: Path, output: str
) -> None:
    # `feeds build` run from the site's root, whose output folder (or an empty folder
    # beside it) is named `feeds`: the workers' imports must not find that folder.
    articles = {f"{n}.md": article(n) for n in range(MIN_PARALLEL_FILES)}
    site = make_site(tmp_path, articles, output={"dir": output})
    (tmp_path / "feeds").mkdir(exist_ok=True)
    command = [str(Path(sys.executable).with_name("feeds")), "build", "--config", "feeds.yaml"]
    for run in ("first", "after a build"):  # the second run finds `feeds/` holding output
        (site.content / "0.md").write_text(
            front_matter(article(0, title=run, publishedDateTime=LATER)), "utf-8"
        )
        for path in site.content.iterdir():  # every file changed: parsed in the pool
            os.utime(path, ns=(10**18, 10**18 + len(run)))
        done = subprocess.run(
            [*command, "--jobs", "2", "-v"], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert f"{MIN_PARALLEL_FILES} files parsed" in done.stderr
    assert f"<title>{run}</title>" in (site.out / "rss.xml").read_text("utf-8")
