"""The same plain text in RSS, Atom, JSON Feed, OPML and HTML, on hostile inputs.

The foundation's rule: tags stripped, entities decoded once, whitespace folded, characters
XML forbids removed; then each writer escapes the result for its own format.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from feeds.text import plain_text
from tests.kit import NS, make_site
from tests.nasty import LONG, NASTY


@pytest.fixture(scope="module", name="out")
def _out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("same")
    site = make_site(
        root, {f"{name}.md": data for name, data in NASTY.items()}, site={"title": "Nasty & <Co>"}
    )
    site.build()
    return site.out


def titles_everywhere(out: Path, folder: str = "") -> dict[str, list[str]]:
    """Item titles as each format and feedparser read them, in feed order."""
    base = out / folder
    rss = etree.parse(str(base / "rss.xml")).getroot()
    atom = etree.parse(str(base / "atom.xml")).getroot()
    page = lxml.html.fromstring((base / "index.html").read_bytes())
    return {
        "rss": [t or "" for t in rss.xpath("channel/item/title/text()")],
        "atom": [str(t) for t in atom.xpath("atom:entry/atom:title/text()", namespaces=NS)],
        "json": [i["title"] for i in json.loads((base / "feed.json").read_text("utf-8"))["items"]],
        "html": [a.text_content() for a in page.xpath("//li[@class='item']/h3/a")],
        "feedparser rss": [e.title for e in feedparser.parse(str(base / "rss.xml")).entries],
        "feedparser atom": [e.title for e in feedparser.parse(str(base / "atom.xml")).entries],
    }


EXPECTED_TITLES = {
    "markup": "Breaking: markup in titles",
    "entity": "Q&A: Ben & Jerry's",
    "escaped-tag": "Why <script> tags &amp; more",
    "cdata-end": "Ends ]]> here ]]>",
    "less-than": "Rates < 5% & rising > 3",
    "controls": "Bell tab vt ff nul c1 end",
    "whitespace": "spaced out title",
    "long": LONG.strip(),
}


def test_documented_cleaning() -> None:
    """The cleaning the README documents, on the hostile titles (the expected values)."""
    for name, expected in EXPECTED_TITLES.items():
        assert plain_text(NASTY[name]["title"]) == expected


def test_item_titles_agree_in_every_format(out: Path) -> None:
    """RSS, Atom, JSON, the feed page and feedparser read the same titles, cleaned once."""
    found = titles_everywhere(out)
    expected = sorted(plain_text(d["title"]) for d in NASTY.values())
    for fmt, titles in found.items():
        assert sorted(titles) == expected, fmt
    assert set(EXPECTED_TITLES.values()) <= set(found["json"])


def test_group_names_agree_in_every_format(out: Path) -> None:
    """A topic or provider name is the same in OPML, the front page and each feed's title."""
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    rows = page.xpath("//section[@class='directory']//tbody/tr")
    outlines = opml.xpath("//outline[@xmlUrl]")
    assert [r.xpath("string(th)") for r in rows][1:] == [o.get("text") for o in outlines][1:]
    for outline in outlines[1:]:
        folder = outline.get("xmlUrl").removeprefix("https://feeds.example.org/")[: -len("rss.xml")]
        title = f"Nasty & <Co>: {outline.get('text')}"
        rss = etree.parse(str(out / folder / "rss.xml")).getroot()
        atom = etree.parse(str(out / folder / "atom.xml")).getroot()
        doc = json.loads((out / folder / "feed.json").read_text("utf-8"))
        html = lxml.html.fromstring((out / folder / "index.html").read_bytes())
        assert rss.findtext("channel/title") == title
        assert atom.findtext("atom:title", namespaces=NS) == title
        assert doc["title"] == title
        assert html.findtext(".//h1") == title
        assert html.findtext(".//title") == title
        assert outline.get("title") == title
    names = {o.get("text") for o in outlines}
    assert {
        "Tech",
        "C++",
        "C#",
        "../../etc",
        "日本",
        "AR/VR",
        "Bücher",
        "\"Evil\" & 'Sons'",
    } <= names


def test_related_titles_agree(out: Path) -> None:
    """A related item's title is the same in Atom's link title, JSON and the HTML lists."""
    expected = "alert(1) & more"  # '</a><script>...</script>' are tags, stripped
    atom = etree.parse(str(out / "atom.xml")).getroot()
    assert atom.xpath("//atom:link[@rel='related']/@title", namespaces=NS) == [expected]
    items = json.loads((out / "feed.json").read_text("utf-8"))["items"]
    related = [r for i in items for r in i.get("_feeds", {}).get("related", [])]
    assert [r["title"] for r in related] == [expected]
    html = next(i["content_html"] for i in items if i["_feeds"].get("related"))
    assert lxml.html.fromstring(html).xpath("string(//li/a)") == expected
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    assert page.xpath("string(//div[@class='related']//a)") == expected
