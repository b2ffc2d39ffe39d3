"""Pure helpers that make untrusted strings safe to publish: plain text, URLs, hosts, MIME types."""

from __future__ import annotations

import functools
import html
import posixpath
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from feeds.formats import MEDIA_TYPES
from feeds.ignorable import has_ignorable, ignorable_pattern

# XML 1.0 forbids these outright (C0 controls but tab, LF and CR; surrogates; U+FFFE/FFFF);
# C1 controls are allowed but never meant as text, and validators flag them.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A tag starts with a letter, '/', '!' or '?', so 'Rates < 5%' is left alone.
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z!?][A-Za-z0-9]*)[^<>]*>", re.DOTALL)
# Tags that separate words when a browser shows them; inline ones ('<b>') do not.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_SPACE = re.compile(r"\s+")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Characters left as they are when a URL is re-quoted: RFC 3986 reserved and unreserved,
# plus '%' so existing escapes survive.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def strip_forbidden(text: str) -> str:
    """Remove characters XML 1.0 cannot carry (and C1 controls)."""
    return _FORBIDDEN_CHARS.sub("", text)


def _tag_replacement(match: re.Match[str]) -> str:
    name = (match.group(2) or "").lower()
    return " " if name in _BLOCK_TAGS else ""


# Characters that change how the text around them is shown, never what it says: bidi
# embeddings, overrides and isolates (which make text read in another order than it is
# written, as in "Trojan Source") and zero-width spaces, word joiner and BOM.
_INVISIBLE = "\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069"
_INVISIBLE_CHARS = re.compile(f"[{_INVISIBLE}]")
# Names lose every default-ignorable character (feeds.ignorable), the zero-width
# (non-)joiners too, which text keeps because Persian, Indic scripts and emoji sequences
# need them: in a name they only make look-alikes ('AI' and 'A<soft hyphen>I').
_NOTHING = re.compile(r"(?!)")  # matches nowhere: removes no character
# Anything plain_text would change besides outer spaces: a forbidden or invisible
# character, markup, an entity, two whitespace characters in a row, or whitespace other
# than ' '.
_NEEDS_CLEANING = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff<&{_INVISIBLE}]|\\s\\s|[^\\S ]"
)


def plain_text(value: str) -> str:
    """The text a person reads: tags stripped, entities decoded once, invisible characters
    (bidi controls, zero-width spaces) removed, whitespace folded.

    The result is plain text; the XML/HTML writers escape it, so '&lt;b&gt;' becomes a
    visible '<b>' and ']]>' can never end a CDATA section early.
    """
    if not needs_cleaning(value):
        return value.strip()  # what the rules below give for text with nothing to clean
    return _plain(value, _INVISIBLE_CHARS)


def needs_cleaning(value: str) -> bool:
    """Whether `value` has anything `plain_text` changes besides outer spaces."""
    # Every forbidden or invisible character and every whitespace character but ' ' is
    # unprintable to Python: in a printable text only markup, entities and double spaces
    # are left to look for, by scans for a substring that are ~5x faster than the search.
    if value.isprintable():
        return "<" in value or "&" in value or "  " in value
    return _NEEDS_CLEANING.search(value) is not None


def plain_name(value: str) -> tuple[str, bool]:
    """A topic or provider name as plain text without any default-ignorable character,
    and whether any was removed (so the name reads differently from its file)."""
    if not needs_cleaning(value) and not has_ignorable(value):
        return value.strip(), False
    name = _plain(value, ignorable_pattern())
    return name, name != _plain(value, _NOTHING)


def _plain(value: str, invisible: re.Pattern[str]) -> str:
    text = strip_forbidden(value)
    if "<" in text:
        text = _TAG.sub(_tag_replacement, text)
    if "&" in text:
        text = strip_forbidden(html.unescape(text))
    return _SPACE.sub(" ", invisible.sub("", text)).strip()


@functools.lru_cache(maxsize=8192)  # a corpus has a few thousand hosts; IDNA coding is slow
def normalize_host(host: str) -> str | None:
    """A host name lower-cased, IDN as punycode; None when it is not a valid DNS host name."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_host


# A URL the slow path below would return unchanged: lower-case scheme and ASCII host, no
# port or credentials, a path, and only characters quote() keeps. Most URLs are like
# this, and skipping urlsplit/urlunsplit/quote for them halves validation time.
_CLEAN_URL = re.compile(
    r"https?://(?P<host>[a-z0-9.-]{1,253})(?P<rest>/[A-Za-z0-9\-._~!#$%&'()*+,/:;=?@\[\]]*)"
)


def _already_clean(value: str) -> bool:
    match = _CLEAN_URL.fullmatch(value)
    if match is None:
        return False
    rest = match["rest"]
    # urlunsplit drops an empty query or fragment ('...?', '...#', '...?#').
    if rest.endswith(("?", "#")) or "?#" in rest:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in match["host"].split("."))


def not_an_http_url(shown: str) -> str:
    """Why a value that is not an absolute http(s) URL is refused (`shown`: the value as
    the message quotes it), in the config and in an article alike."""
    return f"expected an absolute http(s) URL, got {shown}"


def clean_http_url(value: object, base: str | None = None) -> str | None:
    """An absolute http(s) URL safe to publish, or None.

    Relative references resolve against `base` when given. The host is lower-cased and
    IDN-encoded, and characters that may not appear in a URI are percent-encoded, so
    readers and validators see a plain RFC 3986 URI.
    """
    if not isinstance(value, str):
        return None
    # urljoin leaves an absolute URL alone, except that it drops an empty ';params'.
    if _already_clean(value) and (base is None or ";" not in value):
        return value
    return _http_url_slow(value, base)


def _http_url_slow(value: str, base: str | None) -> str | None:
    text = strip_forbidden(value).strip()
    if not text:
        return None
    try:
        if base is not None:
            text = urljoin(base, text)  # raises ValueError for a bad IPv6 host, too
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = normalize_host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None else f"{host}:{port}"
    # Credentials in a published URL are never intended; drop them.
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_URL_SAFE) or "/",
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )


def image_mime(url: str) -> str | None:
    """The image MIME type told by the URL path's extension (query ignored), or None."""
    extension = posixpath.splitext(urlsplit(url).path)[1].lower()
    found = MEDIA_TYPES.get(extension, "")
    return found if found.startswith("image/") else None


_CLEAN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?::[0-9]+)?(?=[/?#]|$)")


def url_host(url: str) -> str:
    """The host of an already-cleaned http(s) URL."""
    match = _CLEAN_HOST.match(url)
    if match is not None:
        return match[1]
    return urlsplit(url).hostname or ""


def hex_char_refs(xml: bytes) -> bytes:
    """Serialised XML with '&' and '<' in text and attributes written as '&#x26;' and '&#x3C;'.

    The same document to any XML parser, but the RSS Advisory Board profile (section 3.1)
    asks for hexadecimal references in plain text, and the W3C validator reads '&amp;' there
    as HTML escaped twice (CharacterData, ContainsUndeclaredHTML). Safe as a byte
    replacement because our writers emit no CDATA sections, comments or processing
    instructions after the XML declaration, where '&amp;' could mean something else.
    """
    return xml.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
