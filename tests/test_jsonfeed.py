"""JSON Feed 1.1 files (with the article's quality and heat), the configurable set of formats
and the content mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.render.jsonfeed import dumps, json_number, number
from tests.kit import NS, article, make_site, snapshot
from tests.test_properties import NASTY_FRAGMENTS


def _json(out: Path, folder: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / folder / "feed.json").read_text(encoding="utf-8"))
    return doc


def test_feed_json_beside_every_rss(tmp_path: Path) -> None:
    """Every folder with an rss.xml has a feed.json, and no other folder has one."""
    site = make_site(tmp_path, {"a.md": article(1, topics=["AI", "C++"])})
    site.build()
    out = site.out
    assert sorted(p.parent for p in out.rglob("rss.xml")) == sorted(
        p.parent for p in out.rglob("feed.json")
    )
    assert len(list(out.rglob("feed.json"))) == 4  # all, ai, c++, provider


def test_feed_level_fields(tmp_path: Path) -> None:
    """version, title, URLs, language, authors, icon and favicon from the config."""
    section = {"logo": "https://x.org/logo.png", "icon": "https://x.org/i.png", "language": "fr"}
    site = make_site(tmp_path, {"a.md": article(1)}, site=section)
    site.build()
    doc = _json(site.out, "topics/ai")
    assert {k: v for k, v in doc.items() if k != "items"} == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Test Site: AI",
        "description": "The newest articles about AI on Test Site.",
        "home_page_url": "https://feeds.example.org/topics/ai/",
        "feed_url": "https://feeds.example.org/topics/ai/feed.json",
        "language": "fr",
        "authors": [{"name": "Test Site"}],
        "icon": "https://x.org/logo.png",
        "favicon": "https://x.org/i.png",
    }


def test_item_fields(tmp_path: Path) -> None:
    """An item has exactly these fields; images with a known type become attachments."""
    images = [
        {"url": "https://img.example.com/1.jpg?w=800&h=600", "width": 800},
        {"url": "https://img.example.com/no-extension"},
    ]
    related = [
        {
            "title": "Other <b>view</b>",
            "webUrl": "https://other.example.net/1",
            "provider": {"name": "Other", "domain": "other.example.net"},
            "excerpt": "Their excerpt.",
            "publishedDateTime": "2023-11-02T10:00:00+01:00",
        }
    ]
    data = article(1, images=images, related=related, topics=["AI", "Space"])
    site = make_site(tmp_path, {"a.md": data})
    site.build()
    (item,) = _json(site.out)["items"]
    content_html = item.pop("content_html")
    assert item == {
        "id": "https://news.example.com/1",
        "url": "https://news.example.com/1",
        "title": "Article 1",
        "summary": "Excerpt 1.",
        "date_published": "2023-11-02T01:01:00Z",
        "tags": ["AI", "Space"],
        "authors": [{"name": "Example News"}],
        "image": "https://img.example.com/1.jpg?w=800&h=600",
        "attachments": [
            {"url": "https://img.example.com/1.jpg?w=800&h=600", "mime_type": "image/jpeg"}
        ],
        "_feeds": {
            "about": "https://pypi.org/project/feeds/#json-feed",
            "quality": 50,
            "related": [
                {
                    "title": "Other view",
                    "url": "https://other.example.net/1",
                    "provider": "Other",
                    "summary": "Their excerpt.",
                    "date_published": "2023-11-02T09:00:00Z",
                }
            ],
        },
    }
    assert "Related coverage" in content_html
    assert '<a href="https://other.example.net/1">Other view</a>' in content_html


def test_serialised_with_sorted_keys(tmp_path: Path) -> None:
    """The bytes are json.dumps(sort_keys=True, indent=2) of the document, UTF-8, unescaped."""
    site = make_site(tmp_path, {"a.md": article(1, title="日本 & <b>x</b> ]]>")})
    site.build()
    raw = (site.out / "feed.json").read_bytes()
    doc = json.loads(raw)
    assert raw == (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    assert doc["items"][0]["title"] == "日本 & x ]]>"


# Every string the renderer meets is cleaned text, so valid Unicode: no lone surrogates
# (json.dumps would write them, and the UTF-8 encoding after it would fail).
_VALID = [fragment for fragment in NASTY_FRAGMENTS if not 0xD800 <= ord(fragment[0]) <= 0xDFFF]
_STRING = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8), st.sampled_from(_VALID)
)
JSON_VALUES = st.recursive(
    st.one_of(_STRING, st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_STRING, inner, max_size=4),
    ),
    max_leaves=20,
)


def _floats(value: object, as_number: Any) -> object:
    """`value` with each float replaced by `as_number(float)`."""
    if isinstance(value, float):
        return as_number(value)
    if isinstance(value, dict):
        return {key: _floats(item, as_number) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_floats(item, as_number) for item in value]
    return value


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_dumps_is_json_dumps_with_indent(value: object) -> None:
    """Every byte as json.dumps(ensure_ascii=False, sort_keys=True, indent=2) writes it, then
    a newline, in UTF-8: any nesting, any string (control characters, quotes, '/', non-ASCII)
    and any number passed as `number`, NaN and infinities included."""
    expected = json.dumps(_floats(value, json_number), ensure_ascii=False, sort_keys=True, indent=2)
    assert dumps(_floats(value, number)) == (expected + "\n").encode("utf-8")


def test_summary_mode_leaves_the_body_out(tmp_path: Path) -> None:
    """feeds.content: summary drops content:encoded, Atom content and content_html; related
    links stay in Atom and JSON."""
    site = make_site(tmp_path, {"a.md": article(1)}, feeds={"content": "summary"})
    site.build()
    out = site.out
    rss = etree.parse(str(out / "rss.xml")).getroot()
    assert rss.xpath("//content:encoded", namespaces=NS) == []
    assert rss.findtext("channel/item/description") == "Excerpt 1."
    atom = etree.parse(str(out / "atom.xml")).getroot()
    assert atom.xpath("//atom:content", namespaces=NS) == []
    assert atom.xpath("//atom:entry/atom:link[@rel='related']/@href", namespaces=NS) == [
        "https://other.example.net/1"
    ]
    (item,) = _json(out)["items"]
    assert "content_html" not in item
    assert item["content_text"] == "Excerpt 1."
    assert item["_feeds"]["related"][0]["url"] == "https://other.example.net/1"


def test_summary_mode_without_excerpt_uses_title(tmp_path: Path) -> None:
    """JSON Feed needs content_html or content_text; with no excerpt the title is the text."""
    data = article(1)
    del data["excerpt"]
    site = make_site(tmp_path, {"a.md": data}, feeds={"content": "summary"})
    site.build()
    (item,) = _json(site.out)["items"]
    assert item["content_text"] == "Article 1"
    assert "summary" not in item


def test_only_json(tmp_path: Path) -> None:
    """output.formats: [json] writes feed.json only, and OPML lists the JSON files."""
    site = make_site(tmp_path, {"a.md": article(1)}, output={"formats": ["json"]})
    site.build()
    out = site.out
    assert sorted(snapshot(out)) == [
        "favicon.svg",
        "feed.json",
        "feeds.opml",
        "index.html",
        "providers/news.example.com/feed.json",
        "providers/news.example.com/index.html",
        "style.css",
        "topics/ai/feed.json",
        "topics/ai/index.html",
    ]
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert opml.xpath("//outline/@xmlUrl") == [
        "https://feeds.example.org/feed.json",
        "https://feeds.example.org/topics/ai/feed.json",
        "https://feeds.example.org/providers/news.example.com/feed.json",
    ]


def test_opml_prefers_atom_over_json(tmp_path: Path) -> None:
    """Without RSS, OPML xmlUrl is the Atom file."""
    site = make_site(tmp_path, {"a.md": article(1)}, output={"formats": ["json", "atom"]})
    site.build()
    opml = etree.parse(str(site.out / "feeds.opml")).getroot()
    assert opml.xpath("//outline/@xmlUrl")[0] == "https://feeds.example.org/atom.xml"
    assert not (site.out / "rss.xml").exists()


def test_second_build_writes_nothing(tmp_path: Path) -> None:
    """Unchanged input gives unchanged bytes for every file, pages and JSON included."""
    site = make_site(tmp_path, {"a.md": article(1), "b.md": article(2)})
    first, second = site.build().report, site.build().report
    assert first.written
    assert second.written == ()
    assert sorted(second.unchanged) == sorted(first.written)


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
