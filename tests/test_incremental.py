"""Incremental builds: the manifest, pruning, dry runs, fingerprints and no-change runs; and
the refusal of a run that would delete every topic and provider feed the last run wrote
(unless `feeds build --allow-empty`)."""

from __future__ import annotations

import functools
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest

from feeds.errors import InputError
from feeds.formats import MANIFEST_FILE
from feeds.manifest import Manifest, journal_append, load_manifest, save_manifest
from feeds.scan import FOLDER_LINK, OUTSIDE_LINK, SPECIAL_FILE
from tests.kit import (
    LONG_AGO_NS,
    NOW,
    Site,
    age,
    article,
    make_site,
    mtimes,
    small_corpus,
    snapshot,
)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """Seven feeds: all, topics AI, Space and Climate, three providers."""
    return make_site(
        tmp_path,
        {
            "a.md": article(1, topics=["AI", "Space"], provider="alpha.example.com"),
            "b.md": article(2, topics=["Space"], provider="beta.example.com"),
            "c.md": article(3, topics=["Climate"], provider="gamma.example.com"),
        },
    )


def test_output_equals_a_no_cache_build(site: Site, tmp_path: Path) -> None:
    site.build()
    ours = snapshot(site.out)
    assert ours == site.fresh_output(tmp_path / "clean")
    assert "topics/space/rss.xml" in ours
    parsed = feedparser.parse(ours["topics/space/atom.xml"])
    assert sorted(e.title for e in parsed.entries) == ["Article 1", "Article 2"]


def test_manifest_lists_every_file_written(site: Site) -> None:
    site.build()
    out = site.out
    manifest = load_manifest(out)
    assert manifest.all_files() == set(snapshot(out))
    data = json.loads((out / MANIFEST_FILE).read_text())
    assert data["feeds"]["topics/space"]["fingerprint"]


def test_no_change_run_parses_nothing_renders_nothing_and_writes_nothing(site: Site) -> None:
    site.build()
    age(site.out)
    before = mtimes(site.out)
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (0, 3)
    assert (outcome.feeds_rendered, outcome.feeds_skipped) == (0, 7)
    assert outcome.report.written == ()
    assert mtimes(site.out) == before


# A cron run with nothing to do should not pay for what renders, publishes or reads
# dates: these modules take ~0.25 s together to import.
NOT_FOR_A_NO_CHANGE_RUN = ("feeds.render", "lxml", "feedgen", "orjson", "boto3", "dateutil")
# The CLI runs in-process in a fresh interpreter, so its sys.modules is the run's own.
NO_CHANGE_RUN = """
import sys
from feeds.cli import cli
try:
    cli(["build", "--config", sys.argv[1]])
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(name for name in sys.modules if name.partition(".")[0] in sys.argv[2:]))
"""


def test_no_change_run_imports_no_renderer_and_no_publisher(site: Site) -> None:
    assert site.cli("build").exit_code == 0
    age(site.out)
    before = mtimes(site.out)
    names = ["feeds", *(name.partition(".")[0] for name in NOT_FOR_A_NO_CHANGE_RUN)]
    command = [sys.executable, "-c", NO_CHANGE_RUN, str(site.config_path), *names]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (run.returncode, run.stderr) == (0, "")
    imported = set(run.stdout.split())
    assert mtimes(site.out) == before
    assert {"feeds.cli", "feeds.engine"} <= imported  # the check sees the run's modules
    assert imported.intersection(NOT_FOR_A_NO_CHANGE_RUN) == set()


def test_one_edit_rerenders_exactly_the_feeds_that_contain_it(site: Site) -> None:
    site.build()
    age(site.out)
    edited = article(2, title="Article 2, updated", topics=["Space"], provider="beta.example.com")
    site.write({"b.md": edited})
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)
    assert (outcome.feeds_rendered, outcome.feeds_skipped) == (3, 4)
    written = set(outcome.report.written)
    assert {path.rpartition("/")[0] for path in written} == {
        "",
        "providers/beta.example.com",
        "topics/space",
    }
    times = mtimes(site.out)
    assert {path for path in snapshot(site.out) if times[path] != LONG_AGO_NS} == written
    assert "Article 2, updated" in (site.out / "topics/space/rss.xml").read_text()


def test_a_feed_with_no_items_left_is_deleted_with_its_folder(site: Site) -> None:
    site.build()
    out = site.out
    assert (out / "topics/climate/rss.xml").exists()
    (site.content / "c.md").unlink()
    outcome = site.build()
    assert not (out / "topics/climate").exists()
    assert not (out / "providers/gamma.example.com").exists()
    assert "topics/climate/rss.xml" in outcome.deleted
    assert "topics/climate/rss.xml" not in load_manifest(out).all_files()


def test_pruning_never_touches_a_file_it_did_not_write(site: Site) -> None:
    out = site.out
    (out / "topics/climate").mkdir(parents=True)
    foreign = out / "topics/climate/notes.txt"
    foreign.write_text("mine")
    (out / "robots.txt").write_text("User-agent: *\n")
    site.build()
    (site.content / "c.md").unlink()
    site.build()
    assert foreign.read_text() == "mine"
    assert (out / "robots.txt").read_text() == "User-agent: *\n"
    assert not (out / "topics/climate/rss.xml").exists()


def test_tampered_manifest_cannot_delete_outside_the_output(site: Site, tmp_path: Path) -> None:
    site.build()
    out = site.out
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    data = json.loads((out / MANIFEST_FILE).read_text())
    data["feeds"]["topics/gone"] = {"fingerprint": "x", "files": {"../victim.txt": 7}}
    (out / MANIFEST_FILE).write_text(json.dumps(data))
    site.build()
    assert victim.read_text() == "keep me"


def test_dry_run_writes_nothing_and_says_what_would_change(site: Site, tmp_path: Path) -> None:
    outcome = site.build(dry_run=True)
    assert not site.out.exists()
    assert not (tmp_path / ".feeds-cache").exists()
    assert "topics/space/rss.xml" in outcome.report.written
    site.build()
    out = site.out
    before, files = mtimes(out), snapshot(out)
    (site.content / "c.md").unlink()
    site.write({"d.md": article(4, topics=["Sport"])})
    outcome = site.build(dry_run=True)
    assert "topics/sport/rss.xml" in outcome.report.written
    assert "topics/climate/rss.xml" in outcome.deleted
    assert mtimes(out) == before
    assert snapshot(out) == files


def test_corrupt_manifest_means_full_render_not_a_crash(site: Site) -> None:
    site.build()
    out = site.out
    files = snapshot(out)
    (out / MANIFEST_FILE).write_text("{not json")
    outcome = site.build()
    assert outcome.feeds_skipped == 0
    assert snapshot(out) == files
    assert load_manifest(out).all_files() == set(files)


def test_a_damaged_output_file_is_rewritten(site: Site) -> None:
    site.build()
    out = site.out
    good = (out / "topics/space/rss.xml").read_bytes()
    (out / "topics/space/rss.xml").write_bytes(b"")
    site.build()
    assert (out / "topics/space/rss.xml").read_bytes() == good


def test_config_change_rerenders_every_feed(site: Site) -> None:
    site.build()
    site.configure(site={"title": "Other News"})
    outcome = site.build()
    assert outcome.feeds_skipped == 0
    assert "Other News" in (site.out / "rss.xml").read_text()


def test_files_a_killed_run_created_are_ours_to_delete(site: Site) -> None:
    site.build()
    out = site.out
    manifest = load_manifest(out)
    # What a run killed mid-write leaves: an incomplete manifest and a journal naming a
    # file of a feed that the next run no longer has.
    save_manifest(out, Manifest(manifest.feeds, complete=False))
    (out / "topics/ghost").mkdir(parents=True)
    (out / "topics/ghost/rss.xml").write_text("<rss/>")
    (out / "topics/ghost/.rss.xml.abc123.tmp").write_text("<rss")
    (out / "topics/ghost/keep.txt").write_text("not ours")
    journal_append(out, ["topics/ghost/rss.xml"])
    site.build()
    assert not (out / "topics/ghost/rss.xml").exists()
    assert not (out / "topics/ghost/.rss.xml.abc123.tmp").exists()
    assert (out / "topics/ghost/keep.txt").read_text() == "not ours"
    assert load_manifest(out).complete
    assert not (out / ".feeds-journal").exists()


def test_a_future_article_appears_once_its_time_comes(tmp_path: Path) -> None:
    later = NOW + timedelta(days=10)
    future = article(9, topics=["Later"], publishedDateTime=later)
    site = make_site(tmp_path, {"a.md": article(1), "f.md": future})
    site.build()
    assert not (site.out / "topics/later").exists()
    second = site.build()  # same inputs, same moment: nothing to do
    assert second.feeds_rendered == 0
    third = site.build(now=later + timedelta(days=1))
    assert (site.out / "topics/later/rss.xml").exists()
    assert third.feeds_rendered > 0


def test_an_article_leaves_when_older_than_max_age(tmp_path: Path) -> None:
    old = NOW - timedelta(days=32)
    site = make_site(
        tmp_path,
        {
            "a.md": article(1, topics=["Old"], publishedDateTime=old),
            "b.md": article(2, publishedDateTime=NOW - timedelta(days=3)),
        },
        select={"max_age_days": 20},
    )
    site.build()  # a is 32 days old
    assert not (site.out / "topics/old").exists()
    site.build(now=old + timedelta(days=4))
    assert (site.out / "topics/old/rss.xml").exists()
    site.build(now=old + timedelta(days=5))
    assert (site.out / "topics/old/rss.xml").exists()
    site.build(now=old + timedelta(days=24), allow_empty=True)  # no topic is left
    assert not (site.out / "topics/old").exists()


def test_an_output_file_deleted_by_hand_is_restored(site: Site) -> None:
    site.build()
    out = site.out
    expected = snapshot(out)
    (out / "topics/space/atom.xml").unlink()
    (out / "feeds.opml").unlink()
    site.build()
    assert snapshot(out) == expected


def test_the_front_page_lists_whole_articles_after_a_cached_run(site: Site, tmp_path: Path) -> None:
    """The site-wide files list the all-articles feed's items with all their text, also
    when most of them come from the parse cache."""
    site.build()
    edited = article(2, title="Edited title", topics=["Space"], provider="beta.example.com")
    site.write({"b.md": edited})
    outcome = site.build()
    assert (outcome.files_parsed, outcome.files_cached) == (1, 2)
    assert "index.html" in outcome.report.written
    page = lxml.html.fromstring((site.out / "index.html").read_bytes())
    items = page.xpath("//li[@class='item']")
    assert sorted(item.xpath("string(h3/a)") for item in items) == [
        "Article 1",
        "Article 3",
        "Edited title",
    ]
    assert sorted(item.xpath("string(.//p[@class='excerpt'])") for item in items) == [
        "Excerpt 1.",
        "Excerpt 2.",
        "Excerpt 3.",
    ]
    assert snapshot(site.out) == site.fresh_output(tmp_path / "clean")


@functools.cache
def _listings() -> dict[str, list[bool]]:
    """Whether the cycle collector was on at each listing of a folder named in the
    mapping returned, seen by an audit hook (added once, idle for other folders)."""
    listings: dict[str, list[bool]] = {}

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "os.listdir" and args and isinstance(args[0], str | os.PathLike):
            seen = listings.get(os.fspath(args[0]))
            if seen is not None:
                seen.append(gc.isenabled())

    sys.addaudithook(hook)
    return listings


def test_a_build_pauses_the_cycle_collector_and_restores_it(site: Site) -> None:
    """Off while the build lists the article files, on again once it is over, whether the
    build ends well, fails or is a dry run."""

    def failing() -> None:
        site.write({"bad.md": "---\ntitle: [\n---\n"})
        with pytest.raises(InputError):
            site.build(strict=True)

    for run in (site.build, failing, lambda: site.build(dry_run=True)):
        listed = _listings().setdefault(str(site.content), [])
        try:
            run()
        finally:
            del _listings()[str(site.content)]
        assert listed
        assert not any(listed)
        assert gc.isenabled()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _link_out(path: Path) -> None:
    outside = path.parent.parent / "outside.md"
    outside.write_text("---\ntitle: Out\n---\n")
    path.symlink_to(outside)


def _folder_link(path: Path) -> None:
    path.symlink_to(path.parent, target_is_directory=True)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("pipe.md", _fifo, SPECIAL_FILE),
        ("out.md", _link_out, OUTSIDE_LINK),
        ("loop", _folder_link, FOLDER_LINK),
    ],
)
def test_a_skipped_entry_that_comes_or_goes_after_a_clean_run_is_reported_by_the_next(
    site: Site, name: str, make: Callable[[Path], None], reason: str
) -> None:
    """`feeds check` after a clean run (the no-change path) sees what the scan skips."""
    site.build()
    assert site.build(validate_only=True).report.problems == ()
    make(site.content / name)
    found = site.build(validate_only=True).report.problems
    assert [(problem.path.rstrip("/"), problem.message) for problem in found] == [(name, reason)]
    site.build()  # a run that reports it, and records its inputs
    (site.content / name).unlink()
    assert site.build(validate_only=True).report.problems == ()


BROKEN_CLOCK = datetime(1970, 1, 2, tzinfo=UTC)  # an RTC that lost its battery


def test_a_clock_set_back_to_1970_deletes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()
    before, times = snapshot(site.out), mtimes(site.out)
    assert any(path.startswith("topics/") for path in before)

    with pytest.raises(InputError) as caught:
        site.build(now=BROKEN_CLOCK)

    message = str(caught.value)
    assert "refusing to delete all 4 topic and provider feeds of the last run" in message
    assert "0 articles selected as of 1970-01-02T00:00:00+00:00" in message
    assert message.endswith("or run with --allow-empty if that is intended")
    assert snapshot(site.out) == before
    assert mtimes(site.out) == times  # the manifest and the journal included
    assert site.build().report.written == ()  # with the clock fixed, all is current


def test_allow_empty_lets_the_run_delete_the_feeds(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()

    outcome = site.build(now=BROKEN_CLOCK, allow_empty=True)

    assert outcome.report.articles_selected == 0
    assert {path.split("/")[0] for path in outcome.deleted} == {"topics", "providers"}
    assert not any(path.startswith(("topics/", "providers/")) for path in snapshot(site.out))


def test_the_cli_refuses_with_exit_1_and_allow_empty_goes_through(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    assert site.cli("build").exit_code == 0
    before = snapshot(site.out)
    site.configure(select={"types": ["podcast"]})  # a rule that matches no article

    refused = site.cli("build")

    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: refusing to delete all 4 topic and provider feeds")
    assert "--allow-empty" in refused.stderr
    assert snapshot(site.out) == before
    assert site.cli("build", "--dry-run").exit_code == 1  # a dry run says the same

    allowed = site.cli("build", "--allow-empty")

    assert allowed.exit_code == 0, allowed.stderr
    assert not (site.out / "topics").exists()
    assert not (site.out / "providers").exists()
    assert (site.out / MANIFEST_FILE).exists()


def test_a_first_run_that_selects_nothing_is_not_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1, quality=10)}, select={"min_quality": 50})
    outcome = site.build()
    assert outcome.report.articles_selected == 0
    assert "rss.xml" in outcome.report.written


def test_a_run_keeping_some_group_feed_is_not_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()
    site.configure(select={"min_quality": 51})
    site.write({"one.md": article(1, quality=90, topics=["AI"], provider="a.example")})
    outcome = site.build()
    assert outcome.report.articles_selected == 1
    assert "topics/climate/rss.xml" in outcome.deleted
