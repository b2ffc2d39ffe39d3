"""The parse cache's codec: packing follows the dataclass fields, and so does its format."""

from __future__ import annotations

import marshal
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import cache, codec
from feeds.model import Article, Image, Problem, Provider, Related, Stub

texts = st.text(max_size=20)
moments = st.integers(min_value=-(10**10), max_value=10**10).map(
    lambda seconds: datetime.fromtimestamp(seconds, UTC)
)
articles = st.builds(
    Article,
    path=texts,
    id=texts,
    title=texts,
    url=texts,
    published_at=moments,
    published=st.booleans(),
    excerpt=texts,
    category=texts,
    type=texts,
    quality=st.one_of(st.integers(-100, 100), st.floats(allow_nan=False)),
    provider=st.builds(Provider, texts, texts),
    topics=st.tuples(texts, texts),
    images=st.lists(
        st.builds(Image, texts, st.none() | st.integers(0, 9999), st.none(), st.none() | texts),
        max_size=3,
    ).map(tuple),
    related=st.lists(
        st.builds(Related, texts, texts, texts, texts, st.none() | moments), max_size=3
    ).map(tuple),
)


@given(articles)
def test_an_article_and_its_stub_come_back_as_they_were_packed(article: Article) -> None:
    assert codec.unpack(Article, codec.pack(article)) == article
    assert codec.unpack(Stub, codec.pack(article.stub())) == article.stub()


def _fresh(text: str) -> str:
    """An equal string that is a new object, and not interned."""
    return (text + ".")[:-1]


@given(articles, texts)
def test_equal_articles_have_one_digest_whatever_objects_they_share(
    article: Article, words: str
) -> None:
    # Packing records which objects a value shares and which strings are interned.
    apart = replace(article, title=_fresh(words), excerpt=_fresh(words), topics=(_fresh(words),))
    shared = sys.intern(_fresh(words))
    together = replace(article, title=shared, excerpt=shared, topics=(shared,))
    assert apart == together
    packed, digest = codec.pack_with_digest(apart)
    assert codec.unpack(Article, packed) == apart
    assert codec.pack_with_digest(together)[1] == digest


@given(articles, articles)
def test_different_articles_have_different_digests(first: Article, second: Article) -> None:
    # The repr tells apart what == does not: 1 and 1.0, 0.0 and -0.0.
    digests = codec.pack_with_digest(first)[1], codec.pack_with_digest(second)[1]
    assert (digests[0] == digests[1]) == (repr(first) == repr(second))


def test_a_digest_tells_a_whole_number_from_its_float() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    article = Article("a.md", "https://x.example/a", "A", "https://x.example/a", moment, True)
    whole, real = (replace(article, quality=value) for value in (1, 1.0))
    assert codec.pack_with_digest(whole)[1] != codec.pack_with_digest(real)[1]


@dataclass(frozen=True, slots=True)
class Before:
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class After:  # the same class with one more field
    name: str
    size: int
    colour: str = ""


@dataclass(frozen=True, slots=True)
class Renamed:
    name: str
    length: int


@dataclass(frozen=True, slots=True)
class Holder:
    inner: Before


def test_the_format_changes_with_any_field() -> None:
    digests = {codec.layout_digest(cls) for cls in (Before, After, Renamed)}
    assert len(digests) == 3
    assert codec.layout_digest(Before) == codec.layout_digest(Before)
    # A nested class's fields count too.
    assert codec.layout_digest(Holder) != codec.layout_digest(Before)
    assert cache.CACHE_FORMAT.endswith(codec.layout_digest(Article, Stub, Problem))


@pytest.mark.parametrize(
    "data",
    [
        b"\x00garbage",
        marshal.dumps(("only one field",)),
        marshal.dumps(["a list", 1]),
        marshal.dumps(("name", "not an int")),
        marshal.dumps(None),
    ],
)
def test_anything_but_a_packed_value_is_refused(data: bytes) -> None:
    with pytest.raises(codec.Undecodable):
        codec.unpack(Before, data)


def test_a_damaged_article_is_a_corrupt_record() -> None:
    with pytest.raises(cache.CorruptRecord):
        cache.unpack_article(marshal.dumps(("path", 1, 2)))


def test_equal_shared_values_decode_to_one_object() -> None:
    first, second = (
        codec.unpack(Stub, codec.pack(Article(path, "id", "t", "u", moment, True, **shared).stub()))
        for path in ("a.md", "b.md")
        for moment in [datetime.fromtimestamp(0, UTC)]
        for shared in [{"type": "story", "provider": Provider("P", "p.org"), "topics": ("AI",)}]
    )
    assert first.provider is second.provider
    assert first.topics is second.topics
    assert first.type is second.type


@pytest.mark.parametrize(
    "provider",
    [("name", 1), ["name", "p.org"], ("name",), ("name", "p.org", "extra"), ("name", b"p.org")],
)
def test_a_tampered_shared_value_is_refused_even_after_a_good_one(provider: object) -> None:
    good = Article("a.md", "id", "t", "u", datetime.fromtimestamp(0, UTC), True).stub()
    fields = list(codec._converters(Stub, decode=False)(good))
    assert codec.unpack(Stub, marshal.dumps(tuple(fields))) == good
    fields[9] = provider
    with pytest.raises(codec.Undecodable):
        codec.unpack(Stub, marshal.dumps(tuple(fields)))


def test_only_values_made_of_text_can_be_shared() -> None:
    @dataclass(frozen=True, slots=True)
    class Counted:
        count: Annotated[int, codec.SHARED]

    with pytest.raises(TypeError, match="only values made of str"):
        codec.unpack(Counted, marshal.dumps((1,)))
