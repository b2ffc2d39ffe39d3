"""Render one feed group as JSON Feed 1.1 (https://jsonfeed.org/version/1.1).

Built as plain dicts and serialised as `json.dumps(sort_keys=True, indent=2)` would (by
`dumps`), never templated, so any text is escaped correctly and unchanged input gives
unchanged bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson

from feeds.config import Config
from feeds.formats import JSON_FILE
from feeds.model import Article, FeedGroup, Related
from feeds.render.body import Bodies
from feeds.render.entries import Sources
from feeds.render.meta import FeedMeta

VERSION = "https://jsonfeed.org/version/1.1"
# The `_feeds` extension object (JSON Feed 1.1 "Extensions") carries the article's quality
# and heat, and its related coverage.
EXTENSION_ABOUT = "https://pypi.org/project/feeds/#json-feed"
_LAYOUT = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def rfc3339(moment: datetime) -> str:
    """An aware UTC datetime as RFC 3339 with 'Z' (four-digit year always)."""
    return moment.isoformat().replace("+00:00", "Z")


def _related(related: Related) -> dict[str, Any]:
    item: dict[str, Any] = {"title": related.title, "url": related.url}
    if related.provider:
        item["provider"] = related.provider
    if related.excerpt:
        item["summary"] = related.excerpt
    if related.published_at is not None:
        item["date_published"] = rfc3339(related.published_at)
    return item


def json_item(article: Article, body: str | None) -> dict[str, Any]:
    """One JSON Feed item. Its HTML `body` (with `feeds.content: full`) goes to content_html;
    without one the excerpt (or the title) is content_text, since every item needs one."""
    item: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "date_published": rfc3339(article.published_at),
    }
    if body is not None:
        item["content_html"] = body
    else:
        item["content_text"] = article.excerpt or article.title
    if article.excerpt:
        item["summary"] = article.excerpt
    if article.topics:
        item["tags"] = list(article.topics)
    if article.provider.name:
        item["authors"] = [{"name": article.provider.name}]
    if article.images:
        item["image"] = article.images[0].url
    attachments = [
        {"url": image.url, "mime_type": image.mime} for image in article.images if image.mime
    ]
    if attachments:
        item["attachments"] = attachments
    item["_feeds"] = _extension(article)
    return item


def _extension(article: Article) -> dict[str, Any]:
    """The item's `_feeds` object: quality (0 when the article has none), heat when it
    has some, related coverage when there is any."""
    extension: dict[str, Any] = {"about": EXTENSION_ABOUT, "quality": number(article.quality)}
    if article.heat is not None:
        extension["heat"] = number(article.heat)
    if article.related:
        extension["related"] = [_related(related) for related in article.related]
    return extension


def json_number(value: float) -> float | int:
    """A whole number as JSON writes an integer (77, not 77.0), when a double holds it
    exactly; any other number as it is."""
    number = float(value)
    return int(number) if number.is_integer() and abs(number) <= 2**53 else number


def render_json(
    group: FeedGroup[Article],
    config: Config,
    meta: FeedMeta,
    bodies: Bodies,
    sources: Sources,
) -> bytes:
    """The group as a JSON Feed 1.1 document (UTF-8, sorted keys, trailing newline).

    JSON Feed pages by `next_url`, the document of the next older items: the live feed's
    is its newest archive page, and each page's the page before it (so a page never
    changes when newer ones are written). Items name no source (`sources` is for RSS).
    """
    site = config.site
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "description": meta.description,
        "home_page_url": meta.home_url,
        "feed_url": meta.url(JSON_FILE),
        "language": site.language,
        "authors": [{"name": site.author}],
        "items": [
            json_item(article, None if bodies is None else bodies[index])
            for index, article in enumerate(group.items)
        ],
    }
    if site.logo:
        feed["icon"] = site.logo
    if site.icon:
        feed["favicon"] = site.icon
    if site.websub_hub and not meta.is_archive:
        feed["hubs"] = [{"type": "WebSub", "url": site.websub_hub}]
    if meta.archive.prev_archive:
        feed["next_url"] = meta.archive.prev_archive + JSON_FILE
    return dumps(feed)


def dumps(value: object) -> bytes:
    """`json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\\n"` in UTF-8,
    byte for byte, for values of strings, lists, dicts with string keys, booleans, None,
    integers and `number` fragments.

    With `indent` the json module gives up its C encoder for a pure-Python one that cost
    more than building the items; orjson lays out and escapes the same way (non-ASCII and
    '/' as they are, control characters as json does) in compiled code. Its floats are
    written otherwise ('1e-7' for json's '1e-07'), hence `number`.
    """
    return orjson.dumps(value, option=_LAYOUT)


def number(value: float) -> orjson.Fragment:
    """`json_number(value)` as json.dumps writes it, ready for `dumps`."""
    return orjson.Fragment(json.dumps(json_number(value)))
