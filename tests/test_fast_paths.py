"""The fast paths (URLs, plain text, YAML pre-checks, packed articles) give exactly what
the slow ones give."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

import feeds.text as text_module
from feeds import codec
from feeds.load import read_document
from feeds.model import Article
from feeds.text import _already_clean, _http_url_slow, http_url
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
    assert http_url(url) == _http_url_slow(url, None)
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
        assert http_url(url) == _http_url_slow(url, None), url


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
    assert http_url(url, base=base) == _http_url_slow(url, base)
    assert http_url(url + ";", base=base) == _http_url_slow(url + ";", base)


@given(host=HOSTS, rest=st.lists(URL_CHARS, max_size=12).map("".join))
def test_url_host_fast_path_agrees(host: str, rest: str) -> None:
    from urllib.parse import urlsplit

    url = http_url(f"https://{host}{rest}")
    if url is not None:
        assert text_module.url_host(url) == (urlsplit(url).hostname or "")
