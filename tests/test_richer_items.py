"""Richer items: a thumbnail with its size, the provider's own feed as the RSS item's
source, and the article's quality and heat in JSON Feed, read back as readers read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser

from tests.kit import BASE_URL, article, make_site

IMAGES = [
    {"url": "https://img.example.com/pixel.gif", "width": 1, "height": 1},
    {"url": "https://img.example.com/huge.jpg", "width": 4000, "height": 3000},
    {"url": "https://img.example.com/card.jpg?w=1200&h=630", "width": 1200, "height": 630},
    {"url": "https://img.example.com/small.jpg", "width": 640, "height": 360},
    {"url": "https://img.example.com/unsized.jpg"},
    {"url": "https://img.example.com/tie.jpg", "width": 1260, "height": 600},  # same area
]


def _entries(path: Path) -> list[Any]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return list(parsed.entries)


def test_thumbnail_is_the_largest_image_of_a_sensible_size(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "a.md": article(1, images=IMAGES),
            "b.md": article(2, images=[{"url": "https://img.example.com/wide.jpg", "width": 800}]),
            "c.md": article(3, images=IMAGES[:2]),
        },
    )
    site.build()
    card = {
        "url": "https://img.example.com/card.jpg?w=1200&h=630",
        "height": "630",
        "width": "1200",
    }
    for name in ("rss.xml", "atom.xml"):
        by_id = {entry.id: entry for entry in _entries(site.out / name)}
        assert by_id["https://news.example.com/1"].media_thumbnail == [card]
        # Without a known height, or only an icon and an oversized image: no thumbnail.
        assert "media_thumbnail" not in by_id["https://news.example.com/2"]
        assert "media_thumbnail" not in by_id["https://news.example.com/3"]


def test_rss_source_is_the_providers_feed(tmp_path: Path) -> None:
    files = {
        "a.md": article(1, provider="alpha.example.com"),
        # Two providers whose keys would share the folder providers/bbc-news: the second
        # one's feed moves (README, Slugs), and its items' source follows it.
        "b.md": article(2, provider={"name": "BBC News", "domain": "BBC News"}),
        "c.md": article(3, provider={"name": "bbc-news", "domain": "bbc-news"}),
    }
    site = make_site(tmp_path, files)
    outcome = site.build()
    folders = {
        group.key: group.folder for group in outcome.report.groups if group.kind == "provider"
    }
    assert folders["bbc-news"] != "providers/bbc-news"
    expected = {
        "https://news.example.com/1": ("Alpha", "providers/alpha.example.com"),
        "https://news.example.com/2": ("BBC News", folders["bbc news"]),
        "https://news.example.com/3": ("bbc-news", folders["bbc-news"]),
    }
    for feed in ("", "topics/ai/", f"{folders['bbc-news']}/"):
        for entry in _entries(site.out / f"{feed}rss.xml"):
            name, folder = expected[entry.id]
            assert entry.source == {"href": f"{BASE_URL}{folder}/rss.xml", "title": name}
            assert (site.out / folder / "rss.xml").is_file()


def test_no_source_without_provider_feeds(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, feeds={"groups": ["topic"]})
    site.build()
    (entry,) = _entries(site.out / "rss.xml")
    assert "source" not in entry
    assert b"<source" not in (site.out / "topics/ai/rss.xml").read_bytes()


def test_json_feed_carries_quality_and_heat(tmp_path: Path) -> None:
    files = {
        "a.md": article(1, quality=77.5, heat=12),
        "b.md": article(2, quality="90", heat=None),
        "c.md": article(3, quality=None, heat=-1),  # no quality counts as 0; negative: no heat
    }
    site = make_site(tmp_path, files)
    site.build()
    items = json.loads((site.out / "feed.json").read_text("utf-8"))["items"]
    extensions = {item["id"]: item["_feeds"] for item in items}
    about = "https://pypi.org/project/feeds/#json-feed"
    assert extensions["https://news.example.com/1"] == {
        "about": about,
        "quality": 77.5,
        "heat": 12,
        "related": extensions["https://news.example.com/1"]["related"],
    }
    assert {key: extensions["https://news.example.com/2"][key] for key in ("about", "quality")} == {
        "about": about,
        "quality": 90,
    }
    assert "heat" not in extensions["https://news.example.com/2"]
    assert extensions["https://news.example.com/3"]["quality"] == 0
    assert "heat" not in extensions["https://news.example.com/3"]
    raw = (site.out / "feed.json").read_text("utf-8")
    assert '"quality": 90,' in raw  # a whole number, as an integer
