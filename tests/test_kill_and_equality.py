"""Kill safety and incremental == clean: the two promises a cron job relies on.

A build killed while it writes its output, or while it writes its parse cache database,
leaves every output file old or new and complete, and the next run equals a clean build.

The equality is drawn by hypothesis: articles edited, added and deleted; and, with custom
feeds, their heat, topics, provider, category, quality and date drawn too, the custom
feeds and the caps changed, and the clock moved across custom feeds' `max_age_days`. After
every step the output must be byte for byte what a clean build of the same articles and
config writes at the same moment, and the manifest must list exactly the files there are.
tests/test_incremental_equality.py draws the changes an incremental build finds hardest.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.formats import MANIFEST_FILE
from feeds.manifest import load_manifest
from feeds.store import open_store
from feeds.store.documents import document_text
from tests.kit import NOW, Site, article, make_site, make_store_site, snapshot

TOPICS = ("AI", "Space", "Climate", "C++", "AR/VR", "Économie", "日本", "Sport", "Health")
PROVIDERS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
# Custom feeds too, so that kills land among their writes and a heat feed is rebuilt.
CUSTOM = [
    {"path": "top", "title": "Top stories", "order": "heat", "max_items": 20},
    {"path": "collections/ai", "title": "AI", "topics": {"any": ["AI"], "none": ["Sport"]}},
]


def _article(n: int, version: int = 0) -> dict[str, Any]:
    rng = random.Random(n * 1000 + version)
    return article(
        n,
        title=f"Story {n} v{version}" + " more" * rng.randint(0, 5),
        topics=rng.sample(TOPICS, rng.randint(1, 3)),
        provider=f"{rng.choice(PROVIDERS)}.example.com",
        publishedDateTime=NOW - timedelta(days=rng.randint(1, 28), hours=n % 24),
        heat=rng.choice([None, 0, 3, 8, 8, 20]),
    )


# `feeds build` with a stop just before its K-th replace of a served output file (os.replace
# and os.rename raise the "os.rename" audit event): the process prints the file's path and
# stops itself, so the test kills it in the middle of writing, every time.
BUILD_UNTIL_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    out, stop_at = os.path.join(sys.argv[1], ""), int(sys.argv[2])
    replaced = 0

    def hook(event, args):
        global replaced
        if event != "os.rename":
            return
        target = os.fsdecode(args[1])
        if target.startswith(out) and not os.path.basename(target).startswith("."):
            replaced += 1
            if replaced == stop_at:
                print(target, flush=True)
                os.kill(os.getpid(), signal.SIGSTOP)

    sys.addaudithook(hook)
    from feeds.cli import cli
    cli(sys.argv[3:], prog_name="feeds")
    """
)


def _kill_while_writing(site: Site, stop_at: int) -> str:
    """Start `feeds build`, SIGKILL it just before its stop_at-th file replace; return
    that file's path relative to the output folder."""
    command = [sys.executable, "-c", BUILD_UNTIL_WRITE, str(site.out), str(stop_at)]
    stopped_at = _kill_when_stopped(command, site, f"write {stop_at}")
    return Path(stopped_at).relative_to(site.out).as_posix()


def _kill_when_stopped(command: list[str], site: Site, stop: str) -> str:
    """Run `command` + `build --jobs 1 --config <site>` until it prints a line and stops
    itself, SIGKILL it, and return that line."""
    command += ["build", "--jobs", "1", "--config", str(site.config_path)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        stopped_at = proc.stdout.readline().strip()  # blocks until the stop (or the end)
        proc.kill()
        proc.wait()
        assert stopped_at, f"the build ended before its {stop}: {proc.stderr.read()}"
    assert proc.returncode == -signal.SIGKILL
    return stopped_at


def _all_complete(out: Path) -> None:
    for relative, data in snapshot(out).items():
        if relative.endswith(".xml") or relative.endswith(".opml"):
            etree.fromstring(data)  # raises on a truncated file


# Archives on, with short live feeds: every feed has archive pages, and deletions and
# back-dated edits move items between them.
ARCHIVE = {"archive": True, "max_items": 20, "archive_page_size": 15}


def test_kill_9_while_writing_never_corrupts(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    files = {f"{n:04d}.md": _article(n) for n in range(600)}
    site = make_site(tmp_path, files, feeds={**ARCHIVE, "custom": CUSTOM})
    build = [sys.executable, "-m", "feeds", "build", "--config", str(site.config_path)]
    subprocess.run(build, check=True, capture_output=True)
    stopped: list[str] = []
    for round_ in range(10):
        # Change articles (some feeds gain, lose or change items) and the site title, which
        # every feed file and page carries: each file that holds a title now is rewritten,
        # so the kill can land before any one of those writes.
        for n in rng.sample(range(600), 40):
            site.write({f"{n:04d}.md": _article(n, round_ + 1)})
        for n in rng.sample(range(600), 5):
            (site.content / f"{n:04d}.md").unlink(missing_ok=True)
        for n in range(600 + round_ * 5, 605 + round_ * 5):
            site.write({f"{n:04d}.md": _article(n)})
        titled = [path for path, data in snapshot(site.out).items() if b"Test Site" in data]
        site.configure(site={"title": f"Test Site, round {round_}"})
        stopped.append(_kill_while_writing(site, rng.randint(1, len(titled))))
        # Killed after announcing its writes: the manifest vouches for nothing being written.
        assert not load_manifest(site.out).complete
        _all_complete(site.out)  # every file is an old or a new complete version
    assert len(set(stopped)) > 1  # the kills landed at different writes
    assert any("/archive/" in f"/{path}" for path in stopped)  # some while writing a page
    subprocess.run(build, check=True, capture_output=True)
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")
    assert load_manifest(site.out).complete
    leftovers = sorted(p.name for p in site.out.rglob(".*"))
    assert leftovers == [".feeds-manifest.json", ".feeds.lock"]


# `feeds build` with a stop just before the K-th statement that starts with given words
# ("BEGIN", "INSERT INTO members", "COMMIT") in its parse cache database, which holds the
# records and the index; each row of a batch is a statement of its own. sqlite3 raises no
# audit event per statement, so the script wraps the stdlib's connect to trace every
# connection the build opens.
BUILD_UNTIL_CACHE_WRITE = textwrap.dedent(
    """
    import os, signal, sqlite3, sys
    start, stop_at, connect = sys.argv[1].upper().split(), int(sys.argv[2]), sqlite3.connect
    seen = 0

    def trace(statement):
        global seen
        words = statement.upper().split()
        if words[: len(start)] == start:
            seen += 1
            if seen == stop_at:
                print(" ".join(words[: len(start)]), flush=True)
                os.kill(os.getpid(), signal.SIGSTOP)

    def traced(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(trace)
        return db

    sqlite3.connect = traced
    from feeds.cli import cli
    cli(sys.argv[3:], prog_name="feeds")
    """
)
# Where each round's run is killed. Round 0 builds into an empty cache: its records in
# one transaction, then the index in another. Later rounds store edited and added files'
# records and forget deleted files' in one transaction, then take them into the index in
# another, which the output's fingerprints are stored in too.
CACHE_KILLS = (
    ("INSERT", 60),  # the first build, inside its records' transaction
    ("COMMIT", 1),  # just before the records commit
    ("INSERT INTO members", 60),  # inside the index update, with members half patched
    # The records committed, the index not updated and no output written: the next run
    # finds the edited files as the cache has them, and must still render them.
    ("BEGIN", 2),
    ("DELETE FROM members", 10),  # inside the index update: members patched
    ("UPDATE feeds SET total", 3),  # feeds' totals and names patched
    ("UPDATE feeds SET slug", 5),  # fingerprints stored, no output written
    ("COMMIT", 2),  # just before the index update commits
    ("INSERT", 1),  # at the first record
)


def test_kill_9_while_writing_the_cache_database_then_the_next_run_equals_a_clean_build(
    tmp_path: Path,
) -> None:
    rng = random.Random(20261207)
    site = make_site(
        tmp_path,
        {f"{n:03d}.md": _article(n) for n in range(120)},
        feeds={**ARCHIVE, "custom": CUSTOM},
    )
    build = [sys.executable, "-m", "feeds", "build", "--config", str(site.config_path)]
    for round_, (kind, stop_at) in enumerate(CACHE_KILLS):
        if round_:  # 20 edited, 3 deleted and 3 added articles
            names = sorted(path.name for path in site.content.iterdir())
            for name in rng.sample(names, 23):
                site.write({name: _article(int(name[:3]), round_)})
            for name in rng.sample(names, 3):
                (site.content / name).unlink()
            site.write(
                {f"{n:03d}.md": _article(n) for n in range(117 + 3 * round_, 120 + 3 * round_)}
            )
        # Files changed within a second of a run are not cached by it (the racy rule): wait,
        # so that this run writes every record it parses.
        time.sleep(1.1)
        stopped = _kill_when_stopped(
            [sys.executable, "-c", BUILD_UNTIL_CACHE_WRITE, kind, str(stop_at)],
            site,
            f"{kind} {stop_at}",
        )
        assert stopped == kind.upper()
        _all_complete(site.out)  # the output is an old or a new complete version
        subprocess.run(build, check=True, capture_output=True)
        assert snapshot(site.out) == site.fresh_output(tmp_path / f"clean-{round_}"), kind
        assert load_manifest(site.out).complete


# The same kills with an article store: its rows are read in their own transaction, and
# the cursor is stored in the index's.
STORE_KILLS = (
    ("INSERT", 60),  # the first build, inside its records' transaction
    ("INSERT INTO store_cursor", 1),  # records stored, the index's transaction begun
    ("UPDATE feeds SET slug", 5),  # the cursor and fingerprints stored, no output written
    ("COMMIT", 2),  # just before the index update commits
)


def test_kill_9_in_a_build_from_a_store_then_the_next_run_equals_a_clean_build(
    tmp_path: Path, pg_url: str
) -> None:
    rng = random.Random(20261208)
    with open_store(pg_url, writable=True) as store:
        store.create()
        store.load((f"{n:03d}", document_text(_article(n))) for n in range(120))
    site = make_store_site(tmp_path / "site", pg_url, feeds={**ARCHIVE, "custom": CUSTOM})
    build = [sys.executable, "-m", "feeds", "build", "--config", str(site.config_path)]
    for round_, (kind, stop_at) in enumerate(STORE_KILLS):
        if round_:  # 20 edited, 3 deleted and 3 added articles, as an aggregator writes
            with psycopg.connect(pg_url, autocommit=True) as db:
                keys = [key for (key,) in db.execute("SELECT key FROM articles WHERE NOT deleted")]
                for key in rng.sample(keys, 23):
                    db.execute(
                        "UPDATE articles SET document = %s WHERE key = %s",
                        (document_text(_article(int(key), round_)), key),
                    )
                for key in rng.sample(keys, 3):
                    db.execute("DELETE FROM articles WHERE key = %s", (key,))
                for n in range(117 + 3 * round_, 120 + 3 * round_):
                    db.execute(
                        "INSERT INTO articles (key, document) VALUES (%s, %s)",
                        (f"{n:03d}", document_text(_article(n))),
                    )
        stopped = _kill_when_stopped(
            [sys.executable, "-c", BUILD_UNTIL_CACHE_WRITE, kind, str(stop_at)],
            site,
            f"{kind} {stop_at}",
        )
        assert stopped == kind.upper()
        _all_complete(site.out)
        subprocess.run(build, check=True, capture_output=True)
        clean = make_store_site(
            tmp_path / f"clean-{round_}", pg_url, feeds={**ARCHIVE, "custom": CUSTOM}
        )
        clean.build(use_cache=False)
        assert _feed_files(site) == _feed_files(clean), kind
        assert load_manifest(site.out).complete


def _feed_files(site: Site) -> dict[str, bytes]:
    """The output but its manifest, whose fingerprints name the config file."""
    return {path: data for path, data in snapshot(site.out).items() if path != MANIFEST_FILE}


OPS = st.lists(
    st.tuples(st.sampled_from(["add", "edit", "delete"]), st.integers(0, 30), st.integers(1, 9)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, archive=st.booleans())
def test_incremental_build_equals_a_no_cache_build(
    ops: list[tuple[str, int, int]], archive: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("eq")
    # With archives, live feeds of 3 and pages of 2 out of 12 to 31 articles.
    feeds = {"archive": True, "max_items": 3, "archive_page_size": 2} if archive else {}
    files = {f"{n:02d}.md": _article(n) for n in range(12)}
    site = make_site(root, files, feeds={**feeds, "custom": CUSTOM})
    site.build()
    for op, n, version in ops:
        path = site.content / f"{n:02d}.md"
        if op == "delete":
            path.unlink(missing_ok=True)
        else:
            site.write({path.name: _article(n, version if op == "edit" else 0)})
        if not any(site.content.iterdir()):
            site.write({path.name: _article(n)})
        site.build()
        incremental = snapshot(site.out)
        assert incremental == site.fresh_output(root / "fresh"), ops
        assert load_manifest(site.out).all_files() == set(incremental)


CUSTOM_TOPICS = ("AI", "ai", "Machine Learning", "Policy", "Sports", "Climate")


CUSTOM_PROVIDERS = ("alpha.example", "beta.example", "www.Gamma.example")


CUSTOM_FEEDS: tuple[dict[str, Any], ...] = (
    {"path": "top", "title": "Top", "order": "heat", "max_items": 3},
    {"path": "collections/ai", "title": "AI", "topics": {"any": ["ai"], "none": ["Sports"]}},
    {"path": "week", "title": "Week", "max_age_days": 7, "min_heat": 2, "max_items": 4},
    {
        "path": "picks/opinion",
        "title": "Opinion",
        "categories": ["opinion"],
        "providers": {"none": ["beta.example"]},
        "min_quality": 40,
        "content": "summary",
    },
)


def _custom_article(n: int, version: int) -> dict[str, Any]:
    rng = random.Random(n * 1000 + version)
    return article(
        n,
        title=f"Story {n} v{version}",
        topics=rng.sample(CUSTOM_TOPICS, rng.randint(0, 2)),
        provider=rng.choice(CUSTOM_PROVIDERS),
        publishedDateTime=NOW - timedelta(days=rng.randint(0, 12), hours=rng.choice([0, 5])),
        heat=rng.choice([None, -1, 0, 2, 2, 7, "hot"]),
        category=rng.choice([None, "Opinion", " opinion ", "News"]),
        quality=rng.choice([10, 40, 80]),
    )


ARTICLE_OPS = st.tuples(
    st.sampled_from(["add", "edit", "delete"]), st.integers(0, 15), st.integers(1, 9)
)


CONFIG_OPS = st.tuples(
    st.sampled_from(["feeds", "caps", "min_items", "clock"]), st.integers(0, 15), st.integers(1, 9)
)


STEPS = st.lists(st.one_of(ARTICLE_OPS, CONFIG_OPS), min_size=1, max_size=6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
@example(steps=[("clock", 0, 9)])  # three days on: articles leave the 'week' feed
def test_incremental_build_with_custom_feeds_equals_a_no_cache_build(
    steps: list[tuple[str, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("custom")
    site = make_site(
        root,
        {f"{n:02d}.md": _custom_article(n, 0) for n in range(10)},
        feeds={"custom": list(CUSTOM_FEEDS)},
    )
    now = NOW
    site.build(now=now)
    for step, (op, n, value) in enumerate(steps):
        path = site.content / f"{n:02d}.md"
        if op == "delete" and len(list(site.content.iterdir())) > 1:
            path.unlink(missing_ok=True)
        elif op in ("add", "edit"):
            site.write({path.name: _custom_article(n, value if op == "edit" else 0)})
        elif op == "feeds":  # a subset of the feeds, in another order
            chosen = random.Random(n * 10 + value).sample(CUSTOM_FEEDS, value % 5)
            site.configure(feeds={"custom": chosen})
        elif op == "caps":
            site.configure(feeds={"max_items": {"custom": value, "topic": n % 5 + 1}})
        elif op == "min_items":
            site.configure(feeds={"min_items": value % 3 + 1})
        elif op == "clock":
            now += timedelta(days=value / 3)
        site.build(now=now, allow_empty=True)
        incremental = snapshot(site.out)
        sections = {**site.sections, "content": {"dir": str(site.content)}}
        fresh = make_site(root / f"fresh-{step}", **sections)  # a new output folder each time
        fresh.build(now=now, use_cache=False, allow_empty=True)
        assert incremental == snapshot(fresh.out), steps
        assert load_manifest(site.out).all_files() == set(incremental)
