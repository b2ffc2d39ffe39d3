"""RSS items and Atom entries are built without feedgen (`feeds.entries`) but must be the
very bytes feedgen 1.0.0 writes for them: each feed is compared with the one the former
renderers (`tests/feedgen_reference.py`, every entry through feedgen) make of the same
articles, for articles drawn from all of (cleaned) Unicode, every optional field present
or not, and every config option that changes the RSS or Atom document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import Config
from feeds.meta import feed_meta
from feeds.model import Article, FeedGroup, GroupKind, Image, Provider, Related
from feeds.render import render_group
from feeds.text import strip_forbidden
from tests import feedgen_reference
from tests.kit import make_site
from tests.test_properties import NASTY_FRAGMENTS

_PIECE = st.one_of(st.text(st.characters(), max_size=6), st.sampled_from(NASTY_FRAGMENTS))
# What validation leaves of any text: nothing XML 1.0 cannot carry.
TEXT = st.lists(_PIECE, max_size=6).map("".join).map(strip_forbidden)
WORD = TEXT.filter(bool)
URL = WORD.map(lambda path: f"https://example.com/{path}")
MIME = st.sampled_from([None, "image/jpeg", "image/png"])
SIDE = st.one_of(st.none(), st.integers(1, 5000))
DATE = st.integers(-(10**9), 10**9).map(
    lambda seconds: datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
)
IMAGE = st.builds(Image, URL, SIDE, SIDE, MIME)
RELATED = st.builds(Related, WORD, URL, TEXT, TEXT, st.one_of(st.none(), DATE))


@st.composite
def articles(draw: st.DrawFn) -> Article:
    """Any article validation can make: every optional field empty or not."""
    url = draw(URL)
    return Article(
        path="a.md",
        id=draw(st.one_of(st.just(url), URL)),  # a permalink guid or not
        title=draw(WORD),
        url=url,
        published_at=draw(DATE),
        published=True,
        excerpt=draw(TEXT),
        provider=Provider(draw(TEXT), "example.com"),
        topics=tuple(draw(st.lists(WORD, max_size=3))),
        images=tuple(draw(st.lists(IMAGE, max_size=3))),
        related=tuple(draw(st.lists(RELATED, max_size=2))),
    )


SITES = {
    "plain": {},
    "everything": {
        "websub_hub": "https://hub.example.org/",
        "logo": "https://example.org/logo.png",
        "icon": "https://example.org/icon.png",
        "ttl": 60,
        "copyright": "© 2023 <Example> & Co",
    },
}


@pytest.fixture(scope="module", name="configs")
def _configs(tmp_path_factory: pytest.TempPathFactory) -> list[Config]:
    return [
        make_site(
            tmp_path_factory.mktemp("entries"), site=site, feeds={"content": content}
        ).config()
        for site in SITES.values()
        for content in ("full", "summary")
    ]


def assert_as_feedgen_writes(group: FeedGroup[Article], config: Config) -> None:
    meta = feed_meta(group, config)
    folder = f"{group.folder}/" if group.folder else ""
    rendered = {file.path: file.content for file in render_group(group, config)}
    assert rendered[folder + "rss.xml"] == feedgen_reference.render_rss(group, config, meta)
    assert rendered[folder + "atom.xml"] == feedgen_reference.render_atom(group, config, meta)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(articles(), max_size=4), which=st.integers(0, 3))
def test_feeds_are_the_bytes_feedgen_writes(
    configs: list[Config], items: list[Article], which: int
) -> None:
    group = FeedGroup(GroupKind.TOPIC, "ai", "ai", "<AI> & co", tuple(items), len(items))
    assert_as_feedgen_writes(group, configs[which])


def test_empty_feeds_are_the_bytes_feedgen_writes(configs: list[Config]) -> None:
    for config in configs:
        assert_as_feedgen_writes(FeedGroup(GroupKind.ALL, "", "", "All", (), 0), config)


def test_an_article_without_excerpt_or_body(configs: list[Config]) -> None:
    """feedgen moves a lone body into RSS <description>, and writes an empty one too."""
    bare = Article(
        "a.md", "https://x.org/a", "T", "https://x.org/a", datetime(2023, 1, 1, tzinfo=UTC), True
    )
    for config in configs:
        assert_as_feedgen_writes(FeedGroup(GroupKind.TOPIC, "t", "t", "T", (bare,), 1), config)
