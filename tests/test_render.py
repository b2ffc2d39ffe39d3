"""Rendering RSS and Atom: what real parsers read back, and the exact elements feedgen's
traps would break.

Richer items: a thumbnail with its size and the provider's own feed as the RSS item's
source. A feed's description is plain text in every format: the RSS channel <description>
is HTML (as an item's is), so a topic named '<b>' is escaped once more there, never markup.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from lxml import etree

from feeds.config import Config
from feeds.model import Article, FeedGroup, GroupKind, Image, Provider, Related
from feeds.render import render_group
from tests import rules
from tests.kit import BASE_URL, article, assert_valid_atom, make_site

NS = {
    "a": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}

RICH = Article(
    path="rich.md",
    id="https://orig.example.com/story",
    title="Ben & Jerry's <3 ]]> news",
    url="https://www.example.com/story?a=1&b=2",
    published_at=datetime(2023, 11, 6, 18, 38, tzinfo=UTC),
    published=True,
    excerpt="Two <scoops> & more.",
    provider=Provider("Example & Co", "example.com"),
    topics=("AI", "C++"),
    images=(
        Image("https://img.example.com/a.jpg?w=1024&h=686", 1024, 686, "image/jpeg"),
        Image("https://img.example.com/b.png", None, None, "image/png"),
    ),
    related=(
        Related("Other take & view", "https://other.org/x", "Other News"),
        Related("Third", "https://third.org/y"),
    ),
)
PLAIN = Article(
    path="plain.md",
    id="https://example.com/plain",
    title="Plain",
    url="https://example.com/plain",
    published_at=datetime(2023, 11, 5, 8, 0, tzinfo=UTC),
    published=True,
)


def group_of(*items: Article, kind: GroupKind = GroupKind.TOPIC) -> FeedGroup:
    slug = "" if kind is GroupKind.ALL else "ai"
    return FeedGroup(kind, "ai", slug, "AI", items, len(items))


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Config:
    return make_site(
        tmp_path, site={"link": "https://news.example.org/", "author": "Desk"}
    ).config()


def files(group: FeedGroup, config: Config) -> dict[str, bytes]:
    return {f.path: f.content for f in render_group(group, config)}


def test_paths(config: Config) -> None:
    assert sorted(files(group_of(RICH), config)) == [
        "topics/ai/atom.xml",
        "topics/ai/feed.json",
        "topics/ai/index.html",
        "topics/ai/rss.xml",
    ]
    # The all-articles feed's page is the front page, a site-wide file.
    assert sorted(files(group_of(RICH, kind=GroupKind.ALL), config)) == [
        "atom.xml",
        "feed.json",
        "rss.xml",
    ]


def test_without_pages_feeds_link_to_the_site(tmp_path: Path) -> None:
    site = make_site(tmp_path, site={"link": "https://news.example.org/"}, output={"pages": False})
    config = site.config()
    rendered = files(group_of(RICH), config)
    assert sorted(rendered) == ["topics/ai/atom.xml", "topics/ai/feed.json", "topics/ai/rss.xml"]
    assert feedparser.parse(rendered["topics/ai/rss.xml"]).feed.link == "https://news.example.org/"
    atom = feedparser.parse(rendered["topics/ai/atom.xml"]).feed
    assert [link.href for link in atom.links if link.rel == "alternate"] == [
        "https://news.example.org/"
    ]


def test_rss_reads_back(config: Config) -> None:
    rss = files(group_of(RICH, PLAIN), config)["topics/ai/rss.xml"]
    parsed = feedparser.parse(rss)
    assert not parsed.bozo
    assert parsed.feed.title == "Test Site: AI"
    assert parsed.feed.link == "https://feeds.example.org/topics/ai/"  # the feed's own page
    first, second = parsed.entries
    assert first.title == "Ben & Jerry's <3 ]]> news"
    assert first.link == "https://www.example.com/story?a=1&b=2"
    assert first.id == "https://orig.example.com/story"
    assert first.published_parsed[:6] == (2023, 11, 6, 18, 38, 0)
    assert [t.term for t in first.tags] == ["AI", "C++"]
    assert first.author == "Example & Co"
    assert second.title == "Plain"


def test_rss_channel_elements(config: Config) -> None:
    doc = etree.fromstring(files(group_of(RICH, PLAIN), config)["topics/ai/rss.xml"])
    channel = doc.find("channel")
    assert channel.findtext("link") == "https://feeds.example.org/topics/ai/"
    (self_link,) = channel.findall("a:link", NS)
    assert self_link.attrib == {
        "href": "https://feeds.example.org/topics/ai/rss.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("lastBuildDate") == "Mon, 06 Nov 2023 18:38:00 +0000"
    assert channel.findtext("language") == "en"


def test_rss_item_guid_enclosure_and_media(config: Config) -> None:
    doc = etree.fromstring(files(group_of(RICH, PLAIN), config)["topics/ai/rss.xml"])
    rich, plain = doc.findall("channel/item")
    guid = rich.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == ("https://orig.example.com/story", "false")
    assert plain.find("guid").get("isPermaLink") == "true"
    (enclosure,) = rich.findall("enclosure")
    assert enclosure.attrib == {
        "url": "https://img.example.com/a.jpg?w=1024&h=686",
        "length": "0",
        "type": "image/jpeg",
    }
    assert rich.findall("media:group", NS) == []
    media = [m.attrib for m in rich.findall("media:content", NS)]
    assert media == [
        {
            "url": "https://img.example.com/a.jpg?w=1024&h=686",
            "medium": "image",
            "type": "image/jpeg",
            "width": "1024",
            "height": "686",
        },
        {"url": "https://img.example.com/b.png", "medium": "image", "type": "image/png"},
    ]
    assert rich.findtext("dc:creator", namespaces=NS) == "Example & Co"
    assert rich.find("author") is None  # RSS <author> must be an e-mail address
    assert plain.find("enclosure") is None
    assert plain.findall("media:content", NS) == []


def test_enclosure_left_out_when_the_first_image_type_is_unknown(config: Config) -> None:
    article = replace(RICH, images=(Image("https://img.example.com/photo"), RICH.images[1]))
    doc = etree.fromstring(files(group_of(article), config)["topics/ai/rss.xml"])
    assert doc.find("channel/item/enclosure") is None
    assert len(doc.findall("channel/item/media:content", NS)) == 2


def test_related_coverage_is_visible_html(config: Config) -> None:
    rendered = files(group_of(RICH), config)
    rss_item = etree.fromstring(rendered["topics/ai/rss.xml"]).find("channel/item")
    body = rss_item.findtext("content:encoded", namespaces=NS)
    atom_body = etree.fromstring(rendered["topics/ai/atom.xml"]).findtext(
        "a:entry/a:content", namespaces=NS
    )
    assert body == atom_body
    html = etree.fromstring(f"<div>{body}</div>", etree.HTMLParser())
    links = [(a.get("href"), a.text) for a in html.iter("a")]
    assert links == [("https://other.org/x", "Other take & view"), ("https://third.org/y", "Third")]
    assert "Related coverage" in body
    assert "(Other News)" in body
    assert html.find(".//img").get("src") == "https://img.example.com/a.jpg?w=1024&h=686"
    assert "Two &lt;scoops&gt; &amp; more." in body
    # RSS <description> is HTML: the plain-text excerpt is escaped once more inside it.
    assert rss_item.findtext("description") == "Two &lt;scoops&gt; &amp; more."


def test_atom_links_keep_rel_type_and_title(config: Config) -> None:
    doc = etree.fromstring(files(group_of(RICH), config)["topics/ai/atom.xml"])
    entry = doc.find("a:entry", NS)
    links = [dict(link.attrib) for link in entry.findall("a:link", NS)]
    assert links == [
        {"href": "https://www.example.com/story?a=1&b=2"},
        {
            "rel": "enclosure",
            "href": "https://img.example.com/a.jpg?w=1024&h=686",
            "type": "image/jpeg",
        },
        {"rel": "enclosure", "href": "https://img.example.com/b.png", "type": "image/png"},
        {"rel": "related", "href": "https://other.org/x", "title": "Other take & view"},
        {"rel": "related", "href": "https://third.org/y", "title": "Third"},
    ]
    parsed = feedparser.parse(etree.tostring(doc))
    rels = [(link.rel, link.href) for link in parsed.entries[0].links]
    assert rels[0] == ("alternate", "https://www.example.com/story?a=1&b=2")
    assert [r for r, _ in rels].count("alternate") == 1


def test_atom_feed_metadata(config: Config) -> None:
    doc = etree.fromstring(files(group_of(RICH, PLAIN), config)["topics/ai/atom.xml"])
    assert doc.findtext("a:id", namespaces=NS) == "https://feeds.example.org/topics/ai/"
    assert doc.findtext("a:updated", namespaces=NS) == "2023-11-06T18:38:00+00:00"
    assert doc.findtext("a:author/a:name", namespaces=NS) == "Desk"
    links = {link.get("rel"): link.get("href") for link in doc.findall("a:link", NS)}
    assert links == {
        "self": "https://feeds.example.org/topics/ai/atom.xml",
        "alternate": "https://feeds.example.org/topics/ai/",
    }
    entry = doc.find("a:entry", NS)
    assert entry.findtext("a:author/a:name", namespaces=NS) == "Example & Co"
    assert entry.findtext("a:published", namespaces=NS) == "2023-11-06T18:38:00+00:00"
    assert entry.findtext("a:updated", namespaces=NS) == "2023-11-06T18:38:00+00:00"
    assert [c.get("term") for c in entry.findall("a:category", NS)] == ["AI", "C++"]
    assert entry.find("a:content", NS).get("type") == "html"


def test_atom_is_valid_against_rfc_4287(config: Config) -> None:
    for group in (group_of(RICH, PLAIN), group_of(kind=GroupKind.ALL), group_of(PLAIN)):
        for path, content in files(group, config).items():
            if path.endswith("atom.xml"):
                assert_valid_atom(content)
                assert not feedparser.parse(content).bozo


def test_empty_feed_has_a_fixed_date(config: Config) -> None:
    rendered = files(group_of(kind=GroupKind.ALL), config)
    assert b"<lastBuildDate>Thu, 01 Jan 1970 00:00:00 +0000</lastBuildDate>" in rendered["rss.xml"]
    assert b"<updated>1970-01-01T00:00:00+00:00</updated>" in rendered["atom.xml"]


def test_rendering_is_deterministic(config: Config) -> None:
    assert files(group_of(RICH, PLAIN), config) == files(group_of(RICH, PLAIN), config)


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


# Topic names as the articles write them (entities decoded once) and as people read them.
NAMES = {
    "&lt;b&gt;": "<b>",
    "&lt;script&gt;alert(1)&lt;/script&gt;": "<script>alert(1)</script>",
    "Q&amp;A": "Q&A",
    "a &lt; b &amp;amp; c": "a < b &amp; c",
    "&lt;/a&gt;": "</a>",
}


@pytest.fixture(scope="module", name="out")
def _out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {f"{n}.md": article(n, topics=[name]) for n, name in enumerate(NAMES)}
    site = make_site(tmp_path_factory.mktemp("descriptions"), files, site={"title": "T"})
    site.build()
    return site.out


def folders(out: Path) -> list[Path]:
    return sorted(path for path in (out / "topics").iterdir())


def html_text(value: str) -> tuple[str, set[str]]:
    """The text an HTML fragment shows, and the tags it has."""
    return lxml.html.fromstring(f"<div>{value}</div>").text_content(), set(
        rules.html_links(value).tags
    )


def test_every_format_reads_back_the_plain_description(out: Path) -> None:
    expected = {f"The newest articles about {name} on T." for name in NAMES.values()}
    seen = set()
    for folder in folders(out):
        rss = feedparser.parse((folder / "rss.xml").read_bytes()).feed
        atom = feedparser.parse((folder / "atom.xml").read_bytes()).feed
        doc = json.loads((folder / "feed.json").read_text("utf-8"))
        assert rss.subtitle_detail.type == "text/html"  # RSS descriptions are HTML
        assert html_text(rss.description) == (doc["description"], set())
        assert atom.subtitle_detail.type == "text/plain"
        assert atom.subtitle == doc["description"]
        seen.add(doc["description"])
    assert seen == expected


def test_the_validator_rules_still_hold(out: Path) -> None:
    assert rules.undeclared_html(out) == []
    assert rules.readers(out) == []
    assert rules.atom_structure(out) == []
    raw = b"".join((folder / "rss.xml").read_bytes() for folder in folders(out))
    assert b"about &#x26;lt;b&#x26;gt; on T." in raw
