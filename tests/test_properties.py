"""Robustness with generated inputs (hypothesis): arbitrary Unicode in every text field.

Titles, excerpts, topic names, provider names and URLs are drawn from all of Unicode plus
the fragments that break feed writers: control characters, ']]>', lone surrogates, RTL
marks, emoji, markup and entities, and 10,000-character strings. Whatever comes in, every
output file is well-formed, feedparser reads back the cleaned titles and links, Atom
validates against RFC 4287, and nothing is written outside the output folder.

Each example is a folder of article files built as `feeds build --no-cache` builds it.
The files carry any text as escapes (`front_matter(..., json_values=True)`); a lone
surrogate only survives the pure-Python parser (the others reject its file), so the
parser is drawn too.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
from feedparser.mixin import _FeedParserMixin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.load import PARSERS
from feeds.model import Article, Listing
from feeds.text import plain_text
from tests.kit import ATOM_SCHEMA, NS, feed_items, front_matter, make_site

NASTY_FRAGMENTS = [
    "]]>",
    "<![CDATA[",
    "\x00",
    "\x07",
    "\x0b",
    "\x1b",
    "\x7f",
    "\x85",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\u202e",
    "\u200f",
    "\u05e9\u05dc\u05d5\u05dd",
    "\U0001f680",
    "\U0001f468\u200d\U0001f469",
    "&amp;",
    "&lt;/a&gt;",
    "&#0;",
    "&#x1F680;",
    "&bogus;",
    "<b>",
    "</p>",
    "<script>",
    "<!--",
    "&",
    "<",
    ">",
    '"',
    "'",
    "\r\n",
    "\t",
    " ",
    "日本",
    "../",
]
# st.characters() leaves out surrogates; the fragments put them back.
_PIECE = st.one_of(st.text(st.characters(), max_size=6), st.sampled_from(NASTY_FRAGMENTS))
SHORT = st.lists(_PIECE, max_size=8).map("".join)
# A 10,000-character string costs nothing to build by repeating a short one.
TEXT = st.one_of(SHORT, SHORT.filter(bool).map(lambda t: (t * 10_000)[:10_000]))
HOSTS = st.sampled_from(["news.example.com", "例え.jp", "bücher.de", "EXAMPLE.org", "a-b.co.uk"])
SCHEMES = st.sampled_from(["https", "http"])
URL = st.one_of(
    st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}", SCHEMES, HOSTS, SHORT),
    TEXT,  # mostly not a URL at all: the article is rejected or the item dropped
)
DATES = st.sampled_from(
    ["2023-11-06T18:38:00Z", "2023-11-07T01:02:03+05:30", "2023-11-08", "0999-01-01T00:00:00Z"]
)
ARTICLE = st.fixed_dictionaries(
    {
        "title": TEXT,
        "excerpt": TEXT,
        "webUrl": URL,
        "publishedDateTime": DATES,
        "topics": st.lists(TEXT, max_size=3),
        "provider": st.fixed_dictionaries({"name": TEXT, "domain": st.one_of(HOSTS, TEXT)}),
        "images": st.lists(st.fixed_dictionaries({"url": URL}), max_size=2),
        "related": st.lists(st.fixed_dictionaries({"title": TEXT, "webUrl": URL}), max_size=2),
    }
)


def _build(
    articles: list[dict[str, Any]], root: Path, parser: str
) -> list[tuple[Listing, list[Article]]]:
    """Write the articles into root/content and build them into root/site/public; return
    each feed with its items."""
    files = {f"{i}.md": front_matter(data, json_values=True) for i, data in enumerate(articles)}
    site = make_site(root / "site", files, content={"dir": "../content"}, feeds={"max_items": 5})
    outcome = site.build(use_cache=False, parser=parser)
    config = site.config()
    return [(group, feed_items(config, group, parser)) for group in outcome.report.groups]


def _check_xml(path: Path) -> etree._Element:
    # A strict parser: no recovery, so any malformed byte fails the test.
    return etree.fromstring(path.read_bytes(), etree.XMLParser(recover=False))


# feedparser decodes HTML entities in the text of an RSS <link>, so a URL holding '&name;'
# reads back without the ';' there (README, "Known reader quirks"); Atom keeps it intact.
ENTITY_LIKE = re.compile(r"&[#\w]+;")


def feedparser_view(text: str) -> str:
    """The text as feedparser 6 returns it: text that is valid UTF-8 read as Latin-1
    ('CafÃ©') is "repaired" to 'Café' (feedparser/mixin.py, _pop); README, "Known reader
    quirks". Every other text comes back unchanged."""
    try:
        return text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _check_feed(path: Path, items: list[Article]) -> None:
    root = _check_xml(path)
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    quirk = path.name == "rss.xml"
    # feedparser guesses that an RSS title is HTML when it holds an end tag or an entity
    # reference ('&lt;/a&gt;' in the article is the visible text '</a>'), and then
    # sanitises it (README, "Known reader quirks"); such titles are checked in the XML.
    titles = list(zip([e.title for e in parsed.entries], items, strict=True))
    for read, item in titles:
        if not (quirk and _FeedParserMixin.looks_like_html(item.title)):
            assert read == feedparser_view(item.title)
    if quirk:
        assert root.xpath("channel/item/title/text()") == [a.title for a in items]
    links = [(e.link, a.url) for e, a in zip(parsed.entries, items, strict=True)]
    assert [read for read, url in links if not (quirk and ENTITY_LIKE.search(url))] == [
        url for _, url in links if not (quirk and ENTITY_LIKE.search(url))
    ]
    if quirk:
        assert root.xpath("channel/item/link/text()") == [a.url for a in items]
    if path.name == "atom.xml":
        assert ATOM_SCHEMA.validate(root.getroottree()), ATOM_SCHEMA.error_log
        assert root.xpath("atom:entry/atom:id/text()", namespaces=NS) == [a.id for a in items]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ARTICLE, min_size=1, max_size=4), st.sampled_from(PARSERS))
def test_any_input_gives_valid_output(articles: list[dict[str, Any]], parser: str) -> None:
    """Well-formed XML/JSON/HTML, feedparser reads the cleaned titles and links back, Atom
    validates against RFC 4287, and every file is inside the output folder."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        (root / "outside").mkdir()
        out = root / "site" / "public"
        feeds = _build(articles, root, parser)
        assert sorted(p.name for p in root.iterdir()) == ["content", "outside", "site"]
        assert list((root / "outside").iterdir()) == []
        assert sorted(p.name for p in out.parent.iterdir()) == ["feeds.yaml", "public"]
        for group, items in feeds:
            folder = out / group.folder
            assert folder.resolve().is_relative_to(out.resolve())
            _check_feed(folder / "rss.xml", items)
            _check_feed(folder / "atom.xml", items)
            doc = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
            assert [i["title"] for i in doc["items"]] == [a.title for a in items]
            assert [i["url"] for i in doc["items"]] == [a.url for a in items]
            if group.folder:
                page = lxml.html.fromstring((folder / "index.html").read_bytes())
                titles = [a.text_content() for a in page.xpath("//li[@class='item']/h3/a")]
                assert titles == [a.title for a in items]
        _check_xml(out / "feeds.opml")


@settings(max_examples=60, deadline=None)
@given(TEXT)
def test_cleaning_is_documented_and_idempotent_for_output(text: str) -> None:
    """The documented cleaning leaves no character XML 1.0 forbids, no tag, no surrounding
    or doubled whitespace, and a title survives an XML round trip unchanged."""
    clean = plain_text(text)
    assert clean == clean.strip()
    assert "  " not in clean
    element = etree.Element("title")
    element.text = clean  # lxml raises on any character XML cannot carry
    assert etree.fromstring(etree.tostring(element)).text in (clean, None)
