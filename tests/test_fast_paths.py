"""The fast paths (URLs, plain text, YAML pre-checks, packed articles) give exactly what
the slow ones give.

The references for characters and text are written here from the rules (the YAML and XML
specifications' code point ranges, the README's cleaning rules) as plain loops, never
from the module's own patterns.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

import feeds.text as text_module
from feeds import codec
from feeds.load import first_forbidden, read_document, split_front_matter
from feeds.model import Article
from feeds.text import _already_clean, _http_url_slow, clean_http_url, needs_cleaning
from feeds.validate import validate
from feeds.yaml12 import has_sequence_key, may_have_sequence_key
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


def _in(code: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(low <= code <= high for low, high in ranges)


# XML 1.0's Char production, less the C1 controls (U+007F to U+009F), which we drop too.
XML_TEXT = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFFFD)]
XML_TEXT += [(0x10000, 0x10FFFF)]
# Shown as nothing, but change how the text around them is shown: zero-width space, word
# joiner, BOM, and the bidi embeddings, overrides (U+202A to U+202E) and isolates.
INVISIBLE = [(0x200B, 0x200B), (0x2060, 0x2060), (0xFEFF, 0xFEFF), (0x202A, 0x202E)]
INVISIBLE += [(0x2066, 0x2069)]


def _xml_text(text: str) -> str:
    return "".join(char for char in text if _in(ord(char), XML_TEXT))


def _without_inline_tags(text: str) -> str:
    """`text` without its tags: '<', maybe '/', an ASCII letter, then up to the next '>'
    with no '<' before it. (The alphabet below spells no block tag, such as '<p>'.)"""
    kept, at = [], 0
    while at < len(text):
        name = text[at + 1 : at + 3].lstrip("/")[:1]
        close, reopen = text.find(">", at + 1), text.find("<", at + 1)
        is_tag = text[at] == "<" and name.isascii() and name.isalpha()
        if is_tag and close != -1 and (reopen == -1 or close < reopen):
            at = close + 1
            continue
        kept.append(text[at])
        at += 1
    return "".join(kept)


def _plain_text_reference(value: str) -> str:
    """The cleaning rules in their order: characters XML cannot carry dropped, tags
    stripped, entities decoded once (and what they spell dropped as before), invisible
    characters removed, whitespace folded."""
    text = _xml_text(html.unescape(_without_inline_tags(_xml_text(value))))
    text = "".join(char for char in text if not _in(ord(char), INVISIBLE))
    return " ".join(text.split())


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


# YAML 1.2's printable characters (c-printable), less NEL (U+0085), line separator (U+2028)
# and paragraph separator (U+2029), which its parsers read differently.
YAML_TEXT = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0xA0, 0x2027), (0x202A, 0xD7FF)]
YAML_TEXT += [(0xE000, 0xFFFD), (0x10000, 0x10FFFF)]


def _first_forbidden_reference(text: str) -> int | None:
    """Where the first character YAML forbids is, or a BOM that starts a line (libyaml
    skips it, yaml-rs keeps it)."""
    for at, char in enumerate(text):
        if not _in(ord(char), YAML_TEXT):
            return at
        if char == "\ufeff" and (at == 0 or text[at - 1] == "\n"):
            return at
    return None


def _needs_cleaning_reference(text: str) -> bool:
    """Whether the cleaning rules change anything but outer spaces: a character XML cannot
    carry or an invisible one, markup or an entity, or whitespace other than one ' '."""
    for at, char in enumerate(text):
        if not _in(ord(char), XML_TEXT) or _in(ord(char), INVISIBLE) or char in "<&":
            return True
        if char.isspace() and (char != " " or text[at + 1 : at + 2].isspace()):
            return True
    return False


# Every code point, surrogates included: the cheap checks below lean on what Python calls
# printable, ASCII and whitespace, so each character is tried once.
EVERY_CHARACTER = [chr(code) for code in range(0x110000)]


def test_first_forbidden_finds_what_the_rules_find_for_every_character() -> None:
    for char in EVERY_CHARACTER:
        text = f"a: b{char}c\n"
        found = first_forbidden(text)
        assert (found and found.start()) == _first_forbidden_reference(text), hex(ord(char))


def test_needs_cleaning_agrees_with_the_rules_for_every_character() -> None:
    for char in EVERY_CHARACTER:
        text = f"a{char}b"
        assert needs_cleaning(text) == _needs_cleaning_reference(text), hex(ord(char))


TEXT_PIECES = st.sampled_from(
    [*"ab <>&;#\t\n\r\x00\x0b\x1c\x7f\x85\xa0\u1680\u2028\u3000\ufeff\u202e\u200d\ud800", "  "]
)


@settings(max_examples=1500)
@given(st.lists(TEXT_PIECES).map("".join))
def test_needs_cleaning_and_first_forbidden_agree_with_the_rules(value: str) -> None:
    assert needs_cleaning(value) == _needs_cleaning_reference(value)
    forbidden = first_forbidden(value)
    assert (forbidden and forbidden.start()) == _first_forbidden_reference(value)


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


def _may_have_sequence_key_reference(text: str) -> bool:
    """A sequence can only be a key after an explicit '?' followed by a space, a line
    break or the end; as a flow sequence '[...]' followed by ':'; or via an alias '*'."""
    for at, char in enumerate(text):
        after = text[at + 1 :]
        if char == "*":
            return True
        if char == "?" and (after == "" or after[0].isspace()):
            return True
        if char == "]" and after.lstrip().startswith(":"):
            return True
    return False


@given(st.text(alphabet="ab?*[]:{} -\n\t", max_size=30))
def test_sequence_key_precheck_agrees_with_the_rules(text: str) -> None:
    assert may_have_sequence_key(text) == _may_have_sequence_key_reference(text)
