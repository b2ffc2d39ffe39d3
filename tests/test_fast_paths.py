"""The fast paths (URLs, plain text, YAML pre-checks, packed articles) give exactly what
the slow ones give."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

import feeds.text as text_module
from feeds import codec
from feeds.load import _NON_PRINTABLE, first_forbidden, read_document, split_front_matter
from feeds.model import Article
from feeds.text import (
    _NEEDS_CLEANING,
    _already_clean,
    _http_url_slow,
    clean_http_url,
    needs_cleaning,
)
from feeds.validate import validate
from feeds.yaml12 import _MAY_HAVE_SEQUENCE_KEY, has_sequence_key, may_have_sequence_key
from tests.kit import SAMPLES, article_files

UTC_TZ = __import__("zoneinfo").ZoneInfo("UTC")

URL_CHARS = st.sampled_from([*"aZ09-._~!#$%&'()*+,/:;=?@[] \t\n\x7fé日", "%20", "xn--"])
HOSTS = st.sampled_from(
    [
        "a.com",
        "A.com",
        "news.example.co.uk",
        "a..b",
        "-a.com",
        "a-.com",
        "xn--bcher-kva.de",
        "xn--zz",
        "bücher.de",
        "1.2.3.4",
        "a.com:8080",
        "u:p@a.com",
        "a.com.",
        "[::1]",
        "",
    ]
)


@settings(max_examples=1500)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "javascript"]),
    host=HOSTS,
    rest=st.lists(URL_CHARS, max_size=20).map("".join),
)
def test_fast_url_path_agrees_with_the_slow_one(scheme: str, host: str, rest: str) -> None:
    url = f"{scheme}://{host}{rest}"
    assert clean_http_url(url) == _http_url_slow(url, None)
    if _already_clean(url):
        assert _http_url_slow(url, None) == url


def test_every_corpus_style_url_agrees() -> None:
    for url in [
        "https://a.example.com/x?y=1&z=2#f",
        "https://a.example.com/x?",
        "https://a.example.com/x#",
        "https://a.example.com/x?#",
        "https://a.example.com",
        "https://a.example.com/a b",
        "https://a.example.com/%zz",
    ]:
        assert clean_http_url(url) == _http_url_slow(url, None), url


@given(st.text(alphabet="ab?*[]:{} -\n", max_size=30))
def test_sequence_key_precheck_never_misses(text: str) -> None:
    import yaml_rs

    try:
        data = yaml_rs.loads(text)
    except Exception:
        return
    if has_sequence_key(data):
        assert may_have_sequence_key(text)


def test_packed_articles_round_trip_exactly() -> None:
    count = 0
    for path in article_files(SAMPLES):
        doc = read_document(SAMPLES, path, 1_048_576)
        if isinstance(doc, tuple) or not hasattr(doc, "data"):
            continue
        article = validate(doc, UTC_TZ).article  # type: ignore[arg-type]
        if article is None:
            continue
        assert codec.unpack(Article, codec.pack(article)) == article
        assert repr(codec.unpack(Article, codec.pack(article))) == repr(article)
        count += 1
    assert count > 30


def _plain_text_reference(value: str) -> str:
    """plain_text as the foundation wrote it, before the fast path."""
    text = text_module.strip_forbidden(value)
    if "<" in text:
        text = text_module._TAG.sub(text_module._tag_replacement, text)
    if "&" in text:
        text = text_module.strip_forbidden(html.unescape(text))
    text = text_module._INVISIBLE_CHARS.sub("", text)  # bidi controls, zero-width spaces
    return text_module._SPACE.sub(" ", text).strip()


@settings(max_examples=1500)
@given(
    st.lists(
        st.sampled_from(
            [*"ab <>&;#\t\n\r\x00\x0b\x85\xa0\u2028\ufeff\u202e\u200d", "&amp;", "<b>", "&#9;"]
        )
    ).map("".join)
)
def test_plain_text_fast_path_agrees(value: str) -> None:
    assert text_module.plain_text(value) == _plain_text_reference(value)


@settings(max_examples=1500)
@given(
    host=HOSTS,
    rest=st.lists(URL_CHARS, max_size=12).map("".join),
    base=st.sampled_from(["https://a.example.com/x/y", "http://b.example.org/", None]),
)
def test_fast_url_path_agrees_with_a_base_too(host: str, rest: str, base: str | None) -> None:
    url = f"https://{host}{rest}"
    assert clean_http_url(url, base=base) == _http_url_slow(url, base)
    assert clean_http_url(url + ";", base=base) == _http_url_slow(url + ";", base)


@given(host=HOSTS, rest=st.lists(URL_CHARS, max_size=12).map("".join))
def test_url_host_fast_path_agrees(host: str, rest: str) -> None:
    from urllib.parse import urlsplit

    url = clean_http_url(f"https://{host}{rest}")
    if url is not None:
        assert text_module.url_host(url) == (urlsplit(url).hostname or "")


# Every code point, surrogates included: the cheap checks below lean on what Python calls
# printable, ASCII and whitespace, so each character is tried once.
EVERY_CHARACTER = [chr(code) for code in range(0x110000)]


def test_first_forbidden_finds_what_the_search_finds_for_every_character() -> None:
    for char in EVERY_CHARACTER:
        text = f"a: b{char}c\n"
        found, expected = first_forbidden(text), _NON_PRINTABLE.search(text)
        assert (found and found.start()) == (expected and expected.start()), hex(ord(char))


def test_needs_cleaning_agrees_with_the_search_for_every_character() -> None:
    for char in EVERY_CHARACTER:
        text = f"a{char}b"
        assert needs_cleaning(text) == (_NEEDS_CLEANING.search(text) is not None), hex(ord(char))


# A BOM that starts a line is refused too (libyaml skips it, yaml-rs keeps it).
_BOM_LINE = re.compile("^\ufeff", re.MULTILINE)
TEXT_PIECES = st.sampled_from(
    [*"ab <>&;#\t\n\r\x00\x0b\x1c\x7f\x85\xa0\u1680\u2028\u3000\ufeff\u202e\u200d\ud800", "  "]
)


@settings(max_examples=1500)
@given(st.lists(TEXT_PIECES).map("".join))
def test_needs_cleaning_agrees_with_the_search(value: str) -> None:
    assert needs_cleaning(value) == (_NEEDS_CLEANING.search(value) is not None)
    forbidden = first_forbidden(value)
    found = [m.start() for m in (_NON_PRINTABLE.search(value), _BOM_LINE.search(value)) if m]
    assert (forbidden and forbidden.start()) == min(found, default=None)


_CLOSING_LINE_REFERENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def _split_front_matter_reference(text: str) -> str | None:
    """split_front_matter as it was before its faster search."""
    first_line, _, rest = text.partition("\n")
    if first_line.rstrip() != "---":
        return None
    closing = _CLOSING_LINE_REFERENCE.search(rest)
    return None if closing is None else rest[: closing.start()]


@settings(max_examples=1500)
@given(
    st.lists(st.sampled_from(["---", "...", "--", "\n", " ", "\t", "\r", "a", ":"])).map("".join)
)
def test_split_front_matter_agrees_with_the_line_search(text: str) -> None:
    assert split_front_matter(text) == _split_front_matter_reference(text)
    assert split_front_matter("---\n" + text) == _split_front_matter_reference("---\n" + text)


@given(st.text(alphabet="ab?*[]:{} -\n\t", max_size=30))
def test_sequence_key_precheck_agrees_with_the_search(text: str) -> None:
    assert may_have_sequence_key(text) == (_MAY_HAVE_SEQUENCE_KEY.search(text) is not None)
