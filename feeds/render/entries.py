"""The entries of a feed: RSS `<item>`s and Atom `<entry>`s, as serialised XML.

feedgen 1.0.0 writes each feed's head (`feeds.render.xmlfeeds`), but not its entries: per entry it
makes a FeedEntry, one object per extension, and checks every dict it is given, which cost
more than the rest of a render together. Here each entry is built as the very lxml elements
feedgen 1.0.0 builds for the calls `feeds.render.xmlfeeds` used to make (same order, attributes and
text), and lxml serialises them as it serialises feedgen's tree, so the bytes are the same
(`bench/same_output.sh` compares a build with an earlier commit's). feedgen's entry traps stay
handled: every Atom link keeps its rel/type/title (#135), media:content is never wrapped in
media:group, an RSS item has at most one enclosure, and dates never come from the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

from lxml.etree import Element, SubElement, _Element, tostring

from feeds.model import Article, Image
from feeds.render.body import Bodies

MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
# The namespaces an RSS root declares for its items, besides content (feedgen declares it).
ITEM_NAMESPACES = {"media": MEDIA_NS, "dc": DC_NS}
_RSS_NSMAP = ITEM_NAMESPACES | {"content": CONTENT_NS}
_ENCODED = f"{{{CONTENT_NS}}}encoded"
_MEDIA_CONTENT = f"{{{MEDIA_NS}}}content"
_MEDIA_THUMBNAIL = f"{{{MEDIA_NS}}}thumbnail"
_CREATOR = f"{{{DC_NS}}}creator"

# The wrappers the entries are serialised in, at the depth they have in a feed, and the
# bytes around them: what lies between is what goes into the feed.
_RSS_OPEN, _RSS_CLOSE = b"  <channel>\n", b"  </channel>\n</rss>\n"
_ATOM_OPEN, _ATOM_CLOSE = f'<feed xmlns:media="{MEDIA_NS}">\n'.encode(), b"</feed>\n"
_ATOM_NSMAP = {"media": MEDIA_NS}
# A thumbnail's sides, in pixels: smaller images are icons or tracking pixels, larger ones
# cost a reader more to fetch than the card it shows them in.
THUMBNAIL_MIN_SIDE = 100
THUMBNAIL_MAX_SIDE = 2048

# Each item's `<source url>`: the RSS feed of its provider ('' for none), parallel to items.
Sources = Sequence[str]


def rss_items(articles: Sequence[Article], bodies: Bodies, sources: Sources) -> bytes:
    """The `<item>`s of an RSS channel, pretty-printed as they sit inside it."""
    root = Element("rss", nsmap=_RSS_NSMAP)
    channel = SubElement(root, "channel")
    for index, article in enumerate(articles):
        _rss_item(channel, article, None if bodies is None else bodies[index], sources[index])
    return _inner(root, _RSS_OPEN, _RSS_CLOSE) if articles else b""


def atom_entries(articles: Sequence[Article], bodies: Bodies) -> bytes:
    """The `<entry>`s of an Atom feed, pretty-printed as they sit inside it."""
    root = Element("feed", nsmap=_ATOM_NSMAP)
    for index, article in enumerate(articles):
        _atom_entry(root, article, None if bodies is None else bodies[index])
    return _inner(root, _ATOM_OPEN, _ATOM_CLOSE) if articles else b""


def rfc822(moment: datetime) -> str:
    """An RFC 822 date with a four-digit year and a numeric zone, whatever the year.

    feedgen's formatter writes year 500 as '500' (an invalid date, RSS profile 3.2) and sets
    the process locale to do it; `email.utils` does neither.
    """
    return format_datetime(moment)


def thumbnail(images: Sequence[Image]) -> Image | None:
    """The image readers should show as the item's thumbnail: of those whose width and
    height are known and between THUMBNAIL_MIN_SIDE and THUMBNAIL_MAX_SIDE, the largest
    (by area; the first on a tie). None when no image qualifies."""
    fitting = [
        image
        for image in images
        if image.width is not None
        and image.height is not None
        and min(image.width, image.height) >= THUMBNAIL_MIN_SIDE
        and max(image.width, image.height) <= THUMBNAIL_MAX_SIDE
    ]
    return max(fitting, key=lambda image: (image.width or 0) * (image.height or 0), default=None)


def _thumbnail(parent: _Element, images: Sequence[Image]) -> None:
    """`<media:thumbnail>` for the best image, attributes in feedgen's media order."""
    best = thumbnail(images)
    if best is not None:
        size = {"height": str(best.height), "width": str(best.width)}
        SubElement(parent, _MEDIA_THUMBNAIL, url=best.url, **size)


def _rss_item(channel: _Element, article: Article, body: str | None, source: str) -> None:
    """feedgen's `FeedEntry.rss_entry`, then its media and dc extensions, in that order;
    `source` is the URL of the provider's own RSS feed ('' for none)."""
    item = SubElement(channel, "item")
    if article.title:
        SubElement(item, "title").text = article.title
    if article.url:
        SubElement(item, "link").text = article.url
    if article.excerpt:
        # RSS <description> is HTML, so plain text is escaped once more: an excerpt that
        # reads '<b>' must show those characters, not turn bold (RSS profile 3.1).
        SubElement(item, "description").text = escape(article.excerpt, quote=False)
        if body is not None:
            SubElement(item, _ENCODED).text = body
    elif body is not None:
        SubElement(item, "description").text = body  # feedgen's place for a lone body
    if article.id:
        guid = SubElement(item, "guid")
        guid.text = article.id
        # isPermaLink="true" promises the guid is the item's URL; only say so when it is.
        guid.set("isPermaLink", "true" if article.id == article.url else "false")
    for topic in article.topics:
        SubElement(item, "category").text = topic
    first = article.images[0] if article.images else None
    if first is not None and first.mime:  # length unknown: "0" (RSS profile)
        SubElement(item, "enclosure", url=first.url, length="0", type=first.mime)
    SubElement(item, "pubDate").text = rfc822(article.published_at)
    if source and article.provider.name:  # RSS <source>: the channel the item came from
        SubElement(item, "source", url=source).text = article.provider.name
    for image in article.images:
        media = SubElement(item, _MEDIA_CONTENT, url=image.url)  # feedgen's attribute order
        if image.mime:
            media.set("type", image.mime)
        media.set("medium", "image")
        if image.width and image.height:
            media.set("height", str(image.height))
            media.set("width", str(image.width))
    _thumbnail(item, article.images)
    if article.provider.name:
        SubElement(item, _CREATOR).text = article.provider.name


def _atom_entry(feed: _Element, article: Article, body: str | None) -> None:
    """feedgen's `FeedEntry.atom_entry`, then the enclosure and related links it loses."""
    entry = SubElement(feed, "entry")
    SubElement(entry, "id").text = article.id
    SubElement(entry, "title").text = article.title
    date = article.published_at.isoformat()
    SubElement(entry, "updated").text = date
    if article.provider.name:
        SubElement(SubElement(entry, "author"), "name").text = article.provider.name
    if body is not None:
        content = SubElement(entry, "content")
        if body:
            content.text = body
        content.set("type", "html")
    SubElement(entry, "link", href=article.url)  # the alternate link: feedgen keeps only href
    if article.excerpt:
        summary = SubElement(entry, "summary")
        summary.text = escape(article.excerpt, quote=False)  # type="html": escaped once more
        summary.set("type", "html")
    for topic in article.topics:
        SubElement(entry, "category", term=topic)
    SubElement(entry, "published").text = date
    for image in article.images:
        link = SubElement(entry, "link", rel="enclosure", href=image.url)
        if image.mime:
            link.set("type", image.mime)
    for related in article.related:
        SubElement(entry, "link", rel="related", href=related.url, title=related.title)
    _thumbnail(entry, article.images)


def _inner(root: _Element, opening: bytes, closing: bytes) -> bytes:
    """What lies between `opening` (its first occurrence) and `closing` (the end) in the
    pretty-printed root: the entries, indented for their depth in a feed."""
    xml: bytes = tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    start = xml.index(opening) + len(opening)
    if not xml.endswith(closing):
        msg = f"lxml wrote entries that end unexpectedly: {xml[-40:]!r}"
        raise ValueError(msg)
    return xml[start : -len(closing)]
