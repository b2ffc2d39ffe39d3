"""Turn one parsed document into an `Article`, or say exactly why it can't be published.

Only the fields listed in `Article` are read; `secured` and any unknown field are never
copied, so they cannot reach the output. Every text is made plain and every URL checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from feeds.groupkeys import first_topics
from feeds.ignorable import without_ignorable
from feeds.model import Article, Image, Problem, Provider, RawDoc, Related, Validated
from feeds.scalars import describe, parse_number, parse_published, to_utc
from feeds.text import (
    clean_http_url,
    image_mime,
    not_an_http_url,
    plain_name,
    plain_text,
    url_host,
)

# An image side in pixels: ASCII digits only (str.isdigit also takes '²', which int()
# refuses), and at most what Media RSS's integer attributes hold.
_PIXELS = re.compile(r"[0-9]{1,10}")
_MAX_PIXELS = 2**31 - 1


# The keys read at a front matter's top level; any other key is ignored.
FIELDS = frozenset(
    {
        "title",
        "webUrl",
        "originalUrl",
        "publishedDateTime",
        "published",
        "excerpt",
        "category",
        "type",
        "quality",
        "heat",
        "provider",
        "topics",
        "images",
        "related",
    }
)


def bare_key(key: str) -> str:
    """A key as a reader sees it: NFKC, without default-ignorable or white-space characters."""
    return "".join(unicodedata.normalize("NFKC", without_ignorable(key)).split())


def _text_of(value: object) -> str | None:
    """Plain text from a string or a number ('' for nothing); None for any other shape,
    and for a number too long to print (Python refuses past 4,300 digits)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:
            return None
    return None


class _Checker:
    """Collects the problems of one document while its fields are read."""

    def __init__(self, doc: RawDoc) -> None:
        self.path = doc.path
        self.data = doc.data
        self.problems: list[Problem] = []

    def reject(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message))

    def warn(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message, rejected=False))

    def text(self, field: str, value: object) -> str:
        """Plain text from a string or number; other shapes are reported and ignored."""
        text = _text_of(value)
        if text is None:
            self.warn(field, f"expected text, got {describe(value)}; ignored")
            return ""
        return text

    def name(self, field: str, value: object) -> str:
        """A topic or provider name: plain text without invisible characters, reported
        when any were removed (a name left empty is dropped by the caller)."""
        if not isinstance(value, str):
            return self.text(field, value)
        name, changed = plain_name(value)
        if changed:
            outcome = f"now {describe(name)}" if name else "nothing is left; dropped"
            self.warn(field, f"invisible characters (bidi controls, zero-width) removed; {outcome}")
        return name


def _disguised_keys(check: _Checker) -> None:
    """Reject a key that reads as a field but is not spelled as one (`published\u200b`,
    NBSP + `published`): its field would count as missing, and no `published` means
    published. The same under every parser, since it looks at the parsed keys."""
    for key in check.data:
        if isinstance(key, str) and key not in FIELDS:
            field = bare_key(key)
            if field in FIELDS:
                message = f"the key {describe(key)} is {field!r} with invisible or space characters"
                check.reject(field, f"{message}; write it as {field!r}")


def _title(check: _Checker) -> str:
    value = check.data.get("title")
    title = _text_of(value)
    if title is None:
        check.reject("title", f"expected text, got {describe(value)}")
        return ""
    if not title:
        check.reject("title", "missing or empty; every article needs a title")
    return title


def _urls(check: _Checker) -> tuple[str, str]:
    """(id, link): id is originalUrl when usable, else webUrl; link is webUrl, else originalUrl."""
    raw_web, raw_original = check.data.get("webUrl"), check.data.get("originalUrl")
    web, original = clean_http_url(raw_web), clean_http_url(raw_original)
    if raw_original is not None and original is None:
        check.warn("originalUrl", not_an_http_url(describe(raw_original)))
    if web is None and raw_web is not None:
        fallback = "; using originalUrl" if original else ""
        message = not_an_http_url(describe(raw_web)) + fallback
        (check.warn if original else check.reject)("webUrl", message)
    elif web is None and original is None:
        check.reject("webUrl", "missing, and no originalUrl to fall back on")
    link = web or original or ""
    # One object when they are equal (as most are): the cache then stores and loads it once.
    return link if not original or original == link else original, link


def _published_at(check: _Checker, tz: tzinfo) -> datetime:
    value = check.data.get("publishedDateTime")
    if value is None:
        check.reject("publishedDateTime", "missing; expected an ISO 8601 date-time")
        return datetime.min.replace(tzinfo=UTC)
    moment = to_utc(value, tz)
    if moment is None:
        check.reject("publishedDateTime", f"expected an ISO 8601 date-time, got {describe(value)}")
        return datetime.min.replace(tzinfo=UTC)
    return moment


def _published(check: _Checker) -> bool:
    value = check.data.get("published")
    flag = parse_published(value)
    if flag is None:
        check.reject("published", f"expected true/false, yes/no or 1/0, got {describe(value)}")
        return False
    return flag


def _number(check: _Checker, field: str, otherwise: str) -> float | None:
    value = check.data.get(field)
    number = None if value is None else parse_number(value)
    if value is not None and number is None:
        check.warn(field, f"expected a number, got {describe(value)}; {otherwise}")
    return number


def _quality(check: _Checker) -> float:
    quality = _number(check, "quality", "counted as 0")
    return 0 if quality is None else quality


def _heat(check: _Checker) -> float | None:
    heat = _number(check, "heat", "the article has no heat")
    return heat if heat is not None and heat >= 0 else None


def _provider(check: _Checker, value: object, link: str, field: str) -> Provider:
    """The provider from {name, domain} or a bare name; gaps filled from the link's host."""
    host = url_host(link)
    if isinstance(value, Mapping):
        name = check.name(f"{field}.name", value.get("name"))
        domain = check.name(f"{field}.domain", value.get("domain"))
    elif isinstance(value, str):
        name, domain = check.name(field, value), ""
    else:
        if value is not None:
            check.warn(field, f"expected a mapping with name and domain, got {describe(value)}")
        name, domain = "", ""
    domain = domain or host
    return Provider(name=name or domain, domain=domain)


def _topics(check: _Checker, limit: int | None) -> tuple[str, ...]:
    value = check.data.get("topics")
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value]  # `topics: Science` is one topic
    names = (check.name(f"topics[{i}]", item) for i, item in enumerate(value))
    topics = tuple(topic for topic in names if topic)
    if limit is None:
        return topics
    kept, distinct = first_topics(topics, limit)
    if distinct > limit:
        message = f"{distinct} distinct topics, more than select.max_topics ({limit}): "
        check.warn("topics", message + f"the first {limit} kept, {distinct - limit} dropped")
    return kept


def _dimension(check: _Checker, value: object, field: str) -> int | None:
    """An image's width or height in pixels; anything else is reported and ignored."""
    if value is None:
        return None
    if isinstance(value, str) and _PIXELS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_PIXELS:
        return value
    check.warn(field, f"expected a whole number of pixels, got {describe(value)}; ignored")
    return None


def _images(check: _Checker, value: object, base: str, field: str) -> tuple[Image, ...]:
    """Images with usable http(s) URLs (relative ones resolved against `base`); others dropped."""
    if value is None:
        return ()
    if not isinstance(value, list):
        check.warn(field, f"expected a list of images, got {describe(value)}; ignored")
        return ()
    images: list[Image] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            check.warn(where, f"expected a mapping with a url, got {describe(item)}; image dropped")
            continue
        url = clean_http_url(item.get("url"), base=base)
        if url is None:
            raw = item.get("url")
            reason = "missing" if raw is None else f"expected an http(s) URL, got {describe(raw)}"
            check.warn(f"{where}.url", f"{reason}; image dropped")
            continue
        width = _dimension(check, item.get("width"), f"{where}.width")
        height = _dimension(check, item.get("height"), f"{where}.height")
        images.append(Image(url=url, width=width, height=height, mime=image_mime(url)))
    return tuple(images)


def _related(check: _Checker, tz: tzinfo) -> tuple[Related, ...]:
    value = check.data.get("related")
    if value is None:
        return ()
    if not isinstance(value, list):
        check.warn("related", f"expected a list of related items, got {describe(value)}; ignored")
        return ()
    related: list[Related] = []
    for index, item in enumerate(value):
        where = f"related[{index}]"
        if not isinstance(item, Mapping):
            check.warn(where, f"expected a mapping, got {describe(item)}; related item dropped")
            continue
        url = clean_http_url(item.get("webUrl"))
        title = check.text(f"{where}.title", item.get("title"))
        if url is None or not title:
            field, raw = ("webUrl", item.get("webUrl")) if url is None else ("title", None)
            reason = "missing" if raw is None else f"expected an http(s) URL, got {describe(raw)}"
            check.warn(f"{where}.{field}", f"{reason}; related item dropped")
            continue
        provider = _provider(check, item.get("provider"), url, f"{where}.provider")
        related.append(
            Related(
                title=title,
                url=url,
                provider=provider.name,
                excerpt=check.text(f"{where}.excerpt", item.get("excerpt")),
                published_at=to_utc(item.get("publishedDateTime"), tz),
            )
        )
    return tuple(related)


def validate(doc: RawDoc, tz: tzinfo, *, max_topics: int | None = None) -> Validated:
    """Check one document; the Article is None when any problem rejects the file.

    Only the first `max_topics` distinct topics are kept (None: all of them).
    """
    check = _Checker(doc)
    _disguised_keys(check)
    title = _title(check)
    article_id, link = _urls(check)
    published_at = _published_at(check, tz)
    published = _published(check)
    if any(problem.rejected for problem in check.problems):
        return Validated(None, tuple(check.problems))
    article = Article(
        path=doc.path,
        id=article_id,
        title=title,
        url=link,
        published_at=published_at,
        published=published,
        excerpt=check.text("excerpt", doc.data.get("excerpt")),
        category=check.text("category", doc.data.get("category")),
        type=check.text("type", doc.data.get("type")),
        quality=_quality(check),
        heat=_heat(check),
        provider=_provider(check, doc.data.get("provider"), link, "provider"),
        topics=_topics(check, max_topics),
        images=_images(check, doc.data.get("images"), link, "images"),
        related=_related(check, tz),
    )
    return Validated(article, tuple(check.problems))
