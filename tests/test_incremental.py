"""Manifest, pruning, dry runs, fingerprints and no-change runs (issue 9)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

import feeds.load
import feeds.parallel
import feeds.render
from feeds.manifest import MANIFEST_FILE, Manifest, journal_append, load_manifest, save_manifest
from feeds.model import FeedGroup, RenderedFile
from feeds.pipeline import build as clean_build
from tests.cronkit import NOW, article_text, config_of, make_site, mtimes, run, snapshot


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(
        tmp_path,
        {
            "a.md": article_text(1, topics=("AI", "Space"), provider="alpha"),
            "b.md": article_text(2, topics=("Space",), provider="beta"),
            "c.md": article_text(3, topics=("Climate",), provider="gamma"),
        },
    )


def test_output_equals_the_foundation_build(site: Path, tmp_path: Path) -> None:
    run(site)
    ours = snapshot(tmp_path / "public")
    config = config_of(site)
    other = tmp_path / "clean"
    clean_build(replace(config, output=replace(config.output, dir=other)), now=NOW)
    assert ours == snapshot(other)
    assert "topics/space/rss.xml" in ours
    parsed = feedparser.parse(ours["topics/space/atom.xml"])
    assert sorted(e.title for e in parsed.entries) == ["Story number 1", "Story number 2"]


def test_manifest_lists_every_file_written(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    manifest = load_manifest(out)
    assert manifest.all_files() == set(snapshot(out))
    data = json.loads((out / MANIFEST_FILE).read_text())
    assert data["feeds"]["topics/space"]["fingerprint"]


def test_no_change_run_opens_no_article_and_writes_nothing(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(site)
    out = tmp_path / "public"
    before = mtimes(out)
    opened: list[str] = []
    real = feeds.load.read_document

    def spy(root: Path, path: str, *args: object) -> object:
        opened.append(path)
        return real(root, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds.parallel, "read_document", spy)
    rendered: list[str] = []
    monkeypatch.setattr(feeds.render, "render_group", _spy_render(rendered))
    time.sleep(0.01)
    outcome = run(site)
    assert opened == []
    assert rendered == []
    assert outcome.report.written == ()
    assert outcome.files_cached == 3
    assert mtimes(out) == before


def _spy_render(log: list[str]):  # type: ignore[no-untyped-def]
    real = feeds.render.render_group

    def spy(group: FeedGroup, config: object) -> tuple[RenderedFile, ...]:
        log.append(group.folder)
        return real(group, config)  # type: ignore[arg-type]

    return spy


def test_one_edit_rerenders_exactly_the_feeds_that_contain_it(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(site)
    content = tmp_path / "content"
    (content / "b.md").write_text(
        article_text(2, topics=("Space",), provider="beta", title="Story two, updated")
    )
    rendered: list[str] = []
    monkeypatch.setattr(feeds.render, "render_group", _spy_render(rendered))
    outcome = run(site)
    assert sorted(rendered) == ["", "providers/beta.example.com", "topics/space"]
    assert outcome.files_parsed == 1
    assert "Story two, updated" in (tmp_path / "public/topics/space/rss.xml").read_text()


def test_a_feed_with_no_items_left_is_deleted_with_its_folder(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    assert (out / "topics/climate/rss.xml").exists()
    (tmp_path / "content/c.md").unlink()
    outcome = run(site)
    assert not (out / "topics/climate").exists()
    assert not (out / "providers/gamma.example.com").exists()
    assert "topics/climate/rss.xml" in outcome.deleted
    assert "topics/climate/rss.xml" not in load_manifest(out).all_files()


def test_pruning_never_touches_a_file_it_did_not_write(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    (out / "topics/climate").mkdir(parents=True)
    foreign = out / "topics/climate/notes.txt"
    foreign.write_text("mine")
    (out / "robots.txt").write_text("User-agent: *\n")
    run(site)
    (tmp_path / "content/c.md").unlink()
    run(site)
    assert foreign.read_text() == "mine"
    assert (out / "robots.txt").read_text() == "User-agent: *\n"
    assert not (out / "topics/climate/rss.xml").exists()


def test_tampered_manifest_cannot_delete_outside_the_output(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    data = json.loads((out / MANIFEST_FILE).read_text())
    data["feeds"]["topics/gone"] = {"fingerprint": "x", "files": {"../victim.txt": 7}}
    (out / MANIFEST_FILE).write_text(json.dumps(data))
    run(site)
    assert victim.read_text() == "keep me"


def test_dry_run_writes_nothing_and_says_what_would_change(site: Path, tmp_path: Path) -> None:
    outcome = run(site, dry_run=True)
    assert not (tmp_path / "public").exists()
    assert not (tmp_path / ".feeds-cache").exists()
    assert "topics/space/rss.xml" in outcome.report.written
    run(site)
    out = tmp_path / "public"
    before, files = mtimes(out), snapshot(out)
    (tmp_path / "content/c.md").unlink()
    (tmp_path / "content/d.md").write_text(article_text(4, topics=("Sport",)))
    outcome = run(site, dry_run=True)
    assert "topics/sport/rss.xml" in outcome.report.written
    assert "topics/climate/rss.xml" in outcome.deleted
    assert mtimes(out) == before
    assert snapshot(out) == files


def test_corrupt_manifest_means_full_render_not_a_crash(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    files = snapshot(out)
    (out / MANIFEST_FILE).write_text("{not json")
    outcome = run(site)
    assert outcome.feeds_skipped == 0
    assert snapshot(out) == files
    assert load_manifest(out).all_files() == set(files)


def test_a_damaged_output_file_is_rewritten(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    good = (out / "topics/space/rss.xml").read_bytes()
    (out / "topics/space/rss.xml").write_bytes(b"")
    run(site)
    assert (out / "topics/space/rss.xml").read_bytes() == good


def test_config_change_rerenders_every_feed(site: Path, tmp_path: Path) -> None:
    run(site)
    text = site.read_text().replace("title: Test News", "title: Other News")
    site.write_text(text)
    outcome = run(site)
    assert outcome.feeds_skipped == 0
    assert "Other News" in (tmp_path / "public/rss.xml").read_text()


def test_files_a_killed_run_created_are_ours_to_delete(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    manifest = load_manifest(out)
    # What a run killed mid-write leaves: an incomplete manifest and a journal naming a
    # file of a feed that the next run no longer has.
    save_manifest(out, Manifest(manifest.feeds, complete=False))
    (out / "topics/ghost").mkdir(parents=True)
    (out / "topics/ghost/rss.xml").write_text("<rss/>")
    (out / "topics/ghost/.rss.xml.abc123.tmp").write_text("<rss")
    (out / "topics/ghost/keep.txt").write_text("not ours")
    journal_append(out, ["topics/ghost/rss.xml"])
    run(site)
    assert not (out / "topics/ghost/rss.xml").exists()
    assert not (out / "topics/ghost/.rss.xml.abc123.tmp").exists()
    assert (out / "topics/ghost/keep.txt").read_text() == "not ours"
    assert load_manifest(out).complete
    assert not (out / ".feeds-journal").exists()


def test_a_future_article_appears_once_its_time_comes(tmp_path: Path) -> None:
    future = article_text(9, topics=("Later",)).replace("2026-10-", "2026-12-")
    site = make_site(tmp_path, {"a.md": article_text(1), "f.md": future})
    run(site)
    assert not (tmp_path / "public/topics/later").exists()
    second = run(site)  # same inputs, same moment: nothing to do
    assert second.feeds_rendered == 0
    third = run(site, now=datetime(2026, 12, 31, tzinfo=UTC))
    assert (tmp_path / "public/topics/later/rss.xml").exists()
    assert third.feeds_rendered > 0


def test_an_article_leaves_when_older_than_max_age(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {"a.md": article_text(1, topics=("Old",)), "b.md": article_text(2, day=30)},
        "select:\n  max_age_days: 20\n",
    )
    run(site)  # NOW is 2026-11-02: both within 20 days? a is 2026-10-01: no
    assert not (tmp_path / "public/topics/old").exists()
    run(site, now=datetime(2026, 10, 5, tzinfo=UTC))
    assert (tmp_path / "public/topics/old/rss.xml").exists()
    run(site, now=datetime(2026, 10, 6, tzinfo=UTC))
    assert (tmp_path / "public/topics/old/rss.xml").exists()
    run(site, now=datetime(2026, 10, 25, tzinfo=UTC))
    assert not (tmp_path / "public/topics/old").exists()


def test_an_output_file_deleted_by_hand_is_restored(site: Path, tmp_path: Path) -> None:
    run(site)
    out = tmp_path / "public"
    expected = snapshot(out)
    (out / "topics/space/atom.xml").unlink()
    (out / "feeds.opml").unlink()
    run(site)
    assert snapshot(out) == expected


def test_site_files_get_whole_articles_for_the_all_feed(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feeds.pipeline

    seen: list[tuple[FeedGroup, ...]] = []
    real = feeds.pipeline.render_site_files

    def spy(groups: tuple[FeedGroup, ...], config: object) -> list[RenderedFile]:
        seen.append(tuple(groups))
        return real(groups, config)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds.pipeline, "render_site_files", spy)
    run(site)
    (tmp_path / "content/b.md").write_text(
        article_text(2, topics=("Space",), provider="beta", title="Edited title")
    )
    run(site)  # from the cache this time
    assert len(seen) == 2
    everything = next(g for g in seen[1] if g.folder == "")
    assert sorted(a.title for a in everything.items) == [
        "Edited title",
        "Story number 1",
        "Story number 3",
    ]
    assert all(a.excerpt for a in everything.items)
