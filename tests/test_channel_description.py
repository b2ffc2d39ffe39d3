"""A feed's description is plain text in every format: the RSS channel <description> is
HTML (as an item's is), so a topic named '<b>' is escaped once more there, never markup."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest

from tests import rules
from tests.kit import article, make_site

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
