"""Archives (RFC 5005): a reader that follows `prev-archive` from a live feed meets every
published item, and the archive pages it meets keep their bytes as articles arrive."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.kit import (
    BASE_URL,
    LONG_AGO_NS,
    NOW,
    Site,
    age,
    article,
    assert_valid_atom,
    make_site,
    mtimes,
    snapshot,
)

LIVE, PAGE = 4, 3  # feeds.max_items and feeds.archive_page_size
FEEDS = ("", "topics/ai", "providers/news.example.com")  # every feed of these articles
ARCHIVE = {"max_items": LIVE, "archive": True, "archive_page_size": PAGE}
HUB = "https://hub.example.org/"


def _article(n: int, **fields: Any) -> dict[str, Any]:
    """Article n, published n hours after the first: a higher number is newer."""
    return article(n, publishedDateTime=NOW - timedelta(days=30) + timedelta(hours=n), **fields)


def _site(tmp_path: Path, count: int, **feeds: Any) -> Site:
    files = {f"{n:03d}.md": _article(n) for n in range(1, count + 1)}
    return make_site(tmp_path, files, feeds={**ARCHIVE, **feeds})


def _path(out: Path, url: str) -> Path:
    assert url.startswith(BASE_URL), url
    return out / url.removeprefix(BASE_URL)


def history(out: Path, feed: str, name: str) -> list[list[str]]:
    """The ids of each document a reader reads following `prev-archive` (JSON Feed:
    `next_url`) from the live feed `name` in folder `feed`: the live feed's first."""
    url: str | None = BASE_URL + (f"{feed}/" if feed else "") + name
    documents: list[list[str]] = []
    while url is not None:
        data = _path(out, url).read_bytes()
        if name == "feed.json":
            doc = json.loads(data)
            documents.append([item["id"] for item in doc["items"]])
            url = doc.get("next_url")
            continue
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        documents.append([entry.id for entry in parsed.entries])
        links = {link.rel: link.href for link in parsed.feed.links}
        url = links.get("prev-archive")
        assert len(documents) < 1000, "prev-archive links go round in a circle"
    return documents


def assert_every_item_once(documents: list[list[str]], published: set[str]) -> None:
    """The pages hold every item that has left the live feed, each in exactly one page,
    and only the newest page shares items with the live feed (fewer than a page): merged
    by id, as RFC 5005 readers merge them, every published item exactly once."""
    live, pages = documents[0], documents[1:]
    archived = [item for page in pages for item in page]
    assert len(archived) == len(set(archived))
    assert set(live) | set(archived) == published
    assert all(len(page) == PAGE for page in pages)
    assert len(set(live) & set(archived)) < PAGE
    assert not set(live) & {item for page in pages[1:] for item in page}


def ids(*numbers: int) -> set[str]:
    return {article(n)["originalUrl"] for n in numbers}


def archive_files(out: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(out).items() if "/archive/" in f"/{path}"}


def test_pages_keep_their_bytes_as_articles_arrive(tmp_path: Path) -> None:
    site = _site(tmp_path, 6)
    site.build()
    seen: dict[str, bytes] = {}
    for count in range(7, 19):
        age(site.out)
        site.write({f"{count:03d}.md": _article(count)})
        outcome = site.build()
        files, times = archive_files(site.out), mtimes(site.out)
        assert {path: files[path] for path in seen} == seen  # never changed, never gone
        assert all(times[path] == LONG_AGO_NS for path in seen)  # nor written again
        new_pages = -(-(count - LIVE) // PAGE) - -(-(count - 1 - LIVE) // PAGE)
        assert outcome.pages_rendered == new_pages * len(FEEDS)  # only new pages rendered
        assert outcome.pages_skipped == (-(-(count - LIVE) // PAGE) - new_pages) * len(FEEDS)
        seen = files
        for feed in FEEDS:
            for name in ("rss.xml", "atom.xml", "feed.json"):
                assert_every_item_once(history(site.out, feed, name), ids(*range(1, count + 1)))
    assert "topics/ai/archive/5/atom.xml" in seen  # 18 items: 4 live, 5 pages of 3


def test_a_page_links_the_live_feed_and_its_neighbours(tmp_path: Path) -> None:
    site = _site(tmp_path, 12)  # 8 older than the live feed: 3 pages
    site.configure(site={"websub_hub": HUB})  # live feeds only
    site.build()
    base = f"{BASE_URL}topics/ai/"
    for name in ("rss.xml", "atom.xml"):
        feed = feedparser.parse((site.out / "topics/ai" / name).read_bytes()).feed
        live = {link.rel: link.href for link in feed.links}
        assert (live["prev-archive"], live["hub"]) == (f"{base}archive/3/{name}", HUB)
        for number in (1, 2, 3):
            page = feedparser.parse((site.out / f"topics/ai/archive/{number}" / name).read_bytes())
            links = {link.rel: link.href for link in page.feed.links}
            expected = {
                "self": f"{base}archive/{number}/{name}",
                "current": f"{base}{name}",
                "next-archive": f"{base}archive/{number + 1}/{name}",  # before it exists
                "alternate": base,
            }
            if number > 1:
                expected["prev-archive"] = f"{base}archive/{number - 1}/{name}"
            assert links == expected
            assert (
                b"<fh:archive/>" in (site.out / f"topics/ai/archive/{number}" / name).read_bytes()
            )
    # Newest first within a page, as in the live feed: page 1 holds articles 3, 2, 1.
    assert history(site.out, "topics/ai", "atom.xml")[-1] == [
        article(n)["originalUrl"] for n in (3, 2, 1)
    ]
    page = json.loads((site.out / "topics/ai/archive/2/feed.json").read_text("utf-8"))
    assert page["feed_url"] == f"{base}archive/2/feed.json"
    assert page["next_url"] == f"{base}archive/1/feed.json"
    assert "hubs" not in page
    live_json = json.loads((site.out / "topics/ai/feed.json").read_text("utf-8"))
    assert (live_json["next_url"], live_json["hubs"][0]["url"]) == (
        f"{base}archive/3/feed.json",
        HUB,
    )
    assert "next_url" not in json.loads((site.out / "topics/ai/archive/1/feed.json").read_text())


def test_atom_pages_are_valid_atom(tmp_path: Path) -> None:
    site = _site(tmp_path, 12)
    site.build()
    pages = [path for path in archive_files(site.out) if path.endswith("atom.xml")]
    assert len(pages) == 3 * len(FEEDS)
    for path in pages:
        assert_valid_atom((site.out / path).read_bytes())


def test_a_feed_within_its_live_size_has_no_archive(tmp_path: Path) -> None:
    site = _site(tmp_path, LIVE)
    site.build()
    assert archive_files(site.out) == {}
    assert b"prev-archive" not in (site.out / "rss.xml").read_bytes()
    assert "next_url" not in json.loads((site.out / "feed.json").read_text("utf-8"))


@pytest.mark.parametrize("removal", ["deleted", "unpublished"])
def test_removing_an_article_rewrites_its_page_and_the_newer_ones(
    tmp_path: Path, removal: str
) -> None:
    """README, Archives: a page's items are counted from the oldest, so an article that
    leaves moves every newer item one place: its page and the newer ones are rewritten
    (the newest, now one item short, goes), the older ones keep their bytes."""
    site = _site(tmp_path, 20)  # 16 older than the live feed: 6 pages
    site.build()
    before = archive_files(site.out)
    age(site.out)
    if removal == "deleted":
        (site.content / "005.md").unlink()  # the second oldest page's second item
    else:
        site.write({"005.md": _article(5, published=False)})
    outcome = site.build()
    after = archive_files(site.out)
    page = "topics/ai/archive"
    assert after[f"{page}/1/rss.xml"] == before[f"{page}/1/rss.xml"]
    assert all(after[f"{page}/{n}/rss.xml"] != before[f"{page}/{n}/rss.xml"] for n in (2, 3, 4, 5))
    assert f"{page}/6/rss.xml" not in after
    assert not (site.out / page / "6").exists()
    assert f"{page}/6/atom.xml" in outcome.deleted
    assert outcome.pages_rendered == 4 * len(FEEDS)
    for feed in FEEDS:
        for name in ("rss.xml", "atom.xml", "feed.json"):
            documents = history(site.out, feed, name)
            assert_every_item_once(documents, ids(*range(1, 21)) - ids(5))


def test_archives_go_with_their_feed_and_with_the_setting(tmp_path: Path) -> None:
    site = _site(tmp_path, 12)
    site.write({f"{n:03d}.md": _article(n, topics=["AI", "Space"]) for n in range(1, 13)})
    site.build()
    assert (site.out / "topics/space/archive/3/rss.xml").exists()
    site.write({f"{n:03d}.md": _article(n, topics=["AI"]) for n in range(1, 13)})
    outcome = site.build()
    assert not (site.out / "topics/space").exists()
    assert "topics/space/archive/1/feed.json" in outcome.deleted
    assert (site.out / "topics/ai/archive/3/rss.xml").exists()
    site.configure(feeds={"archive": False})
    outcome = site.build()
    assert archive_files(site.out) == {}
    assert not any(path.name == "archive" for path in site.out.rglob("*"))
    assert b"prev-archive" not in (site.out / "topics/ai/rss.xml").read_bytes()
    assert len([path for path in outcome.deleted if "/archive/" in f"/{path}"]) == 27


def test_page_size_defaults_to_the_live_size_and_may_not_exceed_it(tmp_path: Path) -> None:
    site = make_site(
        tmp_path, {f"{n:03d}.md": _article(n) for n in range(1, 11)}, feeds={"max_items": 4}
    )
    site.configure(feeds={"archive": True})
    site.build()
    assert len(history(site.out, "", "rss.xml")[1]) == 4  # 6 older items: 2 pages of 4
    assert len(history(site.out, "", "rss.xml")) == 3
    site.configure(feeds={"archive_page_size": 5})
    before = snapshot(site.out)
    result = site.cli("build")
    assert result.exit_code == 1
    assert (
        "feeds.archive_page_size: 5 is more than feeds.max_items (4); an archive page holds "
        "at most as many items as the live feed"
    ) in result.stderr
    assert snapshot(site.out) == before


def test_headers_file_gives_archive_pages_the_archive_cache_control(tmp_path: Path) -> None:
    site = _site(tmp_path, 12)
    site.configure(output={"headers_file": True})
    site.build()
    headers = (site.out / "_headers").read_text("utf-8")
    for pattern, content_type in [
        ("/archive/:page/rss.xml", "application/rss+xml"),
        ("/topics/:slug/archive/:page/atom.xml", "application/atom+xml"),
        ("/providers/:slug/archive/:page/feed.json", "application/feed+json"),
    ]:
        block = (
            f"{pattern}\n  Content-Type: {content_type}; charset=utf-8\n"
            "  Cache-Control: max-age=31536000, immutable\n"
        )
        assert block in headers
    live = "/topics/:slug/rss.xml\n  Content-Type: application/rss+xml; charset=utf-8\n"
    assert f"{live}  Cache-Control: max-age=300\n" in headers
