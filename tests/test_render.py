"""Rendering: what real parsers read back, and the exact elements feedgen's traps would break."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feeds.config import Config
from feeds.model import Article, FeedGroup, GroupKind, Image, Provider, Related
from feeds.render import render_group
from tests.kit import assert_valid_atom, make_site

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
