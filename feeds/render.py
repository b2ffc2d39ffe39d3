"""Render one feed group as RSS 2.0 and Atom 1.0 bytes. The only module that imports feedgen.

feedgen 1.0.0 has traps this module owns, each marked where it is handled:
- Atom entry links lose rel/type/title/length (feedgen #135): `_AtomLinks` writes them.
- `updated`/`lastBuildDate` default to now(): always set from the items, never the clock.
- entries are prepended by default: always `order="append"`.
- the RSS channel <link> is the last link added: add rel="self" first, the site last.
- media:content is wrapped in media:group unless `group=None`; its values must be str.
- RSS keeps only the last enclosure: only the first image becomes one.
- RSS drops every atom:link but the first rel="self" (feedgen #122): `_RssHub` writes the
  WebSub rel="hub" link.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from html import escape

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import _Element

from feeds import __version__
from feeds.body import entry_html
from feeds.config import Config, Site
from feeds.jsonfeed import Bodies, render_json
from feeds.meta import (
    ATOM_FILE,
    EMPTY_FEED_DATE,
    FORMAT_FILES,
    JSON_FILE,
    PAGE_FILE,
    RSS_FILE,
    FeedMeta,
    feed_meta,
)
from feeds.model import AnyGroup, Article, FeedGroup, GroupKind, RenderedFile
from feeds.pages import feed_page
from feeds.text import hex_char_refs

# Re-exported: other modules and tests name them from here.
__all__ = ["ATOM_FILE", "EMPTY_FEED_DATE", "RSS_FILE", "FeedMeta", "feed_meta", "render_group"]

GENERATOR_URI = "https://pypi.org/project/feeds/"


class _AtomLinks(BaseEntryExtension):  # type: ignore[misc]
    """Writes an Atom entry's enclosure and related links with all their attributes.

    feedgen 1.0.0 keeps only `href` on entry links (issue #135, fixes unmerged), which
    turns every enclosure and related link into a second rel="alternate". Stay on 1.0.0
    and add these links here instead; tests check the attributes on the real output.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: _Element) -> _Element:
        for attributes in self.links:
            xml_elem("link", entry, **attributes)
        return entry


ATOM_NS = "http://www.w3.org/2005/Atom"


class _RssHub(BaseExtension):  # type: ignore[misc]
    """Writes `<atom:link rel="hub">` into an RSS channel (WebSub discovery, §4).

    feedgen 1.0.0 keeps only the first rel="self" atom:link in RSS and silently drops the
    rest, hub included (feed-pitfalls §19); this extension adds it after the self link.
    """

    def __init__(self) -> None:
        self.hub = ""

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, feed: _Element) -> _Element:
        channel = feed.find("channel")
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        link = xml_elem(f"{{{ATOM_NS}}}link", channel, href=self.hub, rel="hub")
        if self_link is not None:
            self_link.addnext(link)  # keep the discovery links together
        return feed


def rfc822(moment: datetime) -> str:
    """An RFC 822 date with a four-digit year and a numeric zone, whatever the year.

    feedgen's formatter writes year 500 as '500' (an invalid date, RSS profile 3.2) and sets
    the process locale to do it; `email.utils` does neither.
    """
    return format_datetime(moment)


class _RssDates(BaseExtension):  # type: ignore[misc]
    """Rewrites the channel's lastBuildDate with `rfc822` (feed-level extension)."""

    def __init__(self) -> None:
        self.updated = EMPTY_FEED_DATE

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, feed: _Element) -> _Element:
        for element in feed.iterfind("channel/lastBuildDate"):
            element.text = rfc822(self.updated)
        return feed


class _RssPubDate(BaseEntryExtension):  # type: ignore[misc]
    """Rewrites an item's pubDate with `rfc822` (entry-level extension)."""

    def __init__(self) -> None:
        self.published = EMPTY_FEED_DATE

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: _Element) -> _Element:
        for element in item.iterfind("pubDate"):
            element.text = rfc822(self.published)
        return item


def _new_feed(meta: FeedMeta, site: Site, description: str) -> FeedGenerator:
    """A feed with what RSS and Atom share; `description` is RSS `<description>` (HTML)
    and Atom `<subtitle>` (text), each FeedGenerator writing one format."""
    fg = FeedGenerator()
    fg.title(meta.title)
    fg.description(description)
    fg.language(site.language)
    fg.generator("feeds", version=__version__, uri=GENERATOR_URI)
    if site.copyright:
        fg.rights(site.copyright)  # RSS <copyright>, Atom <rights>
    return fg


def _add_common(fe: FeedEntry, article: Article, body: str | None) -> None:
    fe.title(article.title)
    fe.link(href=article.url)
    fe.published(article.published_at)
    fe.updated(article.published_at)
    if article.excerpt:
        # RSS <description> is HTML, so plain text is escaped once more: an excerpt that
        # reads '<b>' must show those characters, not turn bold (RSS profile 3.1).
        fe.summary(escape(article.excerpt, quote=False), type="html")
    if body is not None:
        fe.content(body, type="html")
    for topic in article.topics:
        fe.category(term=topic)


def render_rss(group: FeedGroup[Article], config: Config, meta: FeedMeta, bodies: Bodies) -> bytes:
    """The group as RSS 2.0 with Media RSS, Dublin Core creator and content:encoded."""
    site = config.site
    # The channel <description> is HTML, as an item's is (RSS profile 3.1): escaped once more.
    fg = _new_feed(meta, site, escape(meta.description, quote=False))
    fg.load_extension("media", atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.link(href=meta.url(RSS_FILE), rel="self", type="application/rss+xml")
    fg.link(href=meta.home_url, rel="alternate")  # last link added is the channel <link>
    if site.websub_hub:
        fg.register_extension("feeds_hub", _RssHub, BaseEntryExtension, atom=False, rss=True)
        fg.feeds_hub.hub = site.websub_hub
    fg.lastBuildDate(meta.updated)
    fg.register_extension("feeds_dates", _RssDates, _RssPubDate, atom=False, rss=True)
    fg.feeds_dates.updated = meta.updated
    if site.logo:
        # The validator wants <image> title and link equal to the channel's.
        fg.image(url=site.logo, title=meta.title, link=meta.home_url)
    if site.ttl:
        fg.ttl(site.ttl)
    for index, article in enumerate(group.items):
        fe = fg.add_entry(order="append")
        _add_common(fe, article, None if bodies is None else bodies[index])
        fe.feeds_dates.published = article.published_at
        # isPermaLink="true" promises the guid is the item's URL; only say so when it is.
        fe.guid(article.id, permalink=article.id == article.url)
        if article.provider.name:
            fe.dc.dc_creator(article.provider.name)
        first = article.images[0] if article.images else None
        if first is not None and first.mime:
            fe.enclosure(first.url, "0", first.mime)  # length unknown: "0" (RSS profile)
        for image in article.images:
            media = {"url": image.url, "medium": "image"}
            if image.mime:
                media["type"] = image.mime
            if image.width and image.height:
                media |= {"width": str(image.width), "height": str(image.height)}
            fe.media.content(media, group=None)
    return hex_char_refs(bytes(fg.rss_str(pretty=True)))


def render_atom(group: FeedGroup[Article], config: Config, meta: FeedMeta, bodies: Bodies) -> bytes:
    """The group as Atom 1.0: enclosure links per image, related links per related item."""
    site = config.site
    fg = _new_feed(meta, site, meta.description)  # <subtitle> is text: as it is
    fg.id(meta.folder_url)
    fg.author(name=site.author)  # RFC 4287 4.1.1: a feed-level author covers every entry
    fg.link(href=meta.url(ATOM_FILE), rel="self", type="application/atom+xml")
    fg.link(href=meta.home_url, rel="alternate", type="text/html")
    if site.websub_hub:
        fg.link(href=site.websub_hub, rel="hub")  # WebSub discovery: Atom keeps it as given
    fg.updated(meta.updated)
    if site.logo:
        fg.logo(site.logo)
    if site.icon:
        fg.icon(site.icon)
    for index, article in enumerate(group.items):
        fe = fg.add_entry(order="append")
        fe.register_extension("feeds_links", _AtomLinks, atom=True, rss=False)
        _add_common(fe, article, None if bodies is None else bodies[index])
        fe.id(article.id)
        if article.provider.name:
            fe.author(name=article.provider.name)
        links: list[dict[str, str]] = fe.feeds_links.links
        for image in article.images:
            link = {"rel": "enclosure", "href": image.url}
            links.append(link | {"type": image.mime} if image.mime else link)
        links += [{"rel": "related", "href": r.url, "title": r.title} for r in article.related]
    return hex_char_refs(bytes(fg.atom_str(pretty=True)))


def render_group(group: FeedGroup[Article], config: Config) -> tuple[RenderedFile, ...]:
    """Every file of one feed: its RSS, Atom and JSON Feed documents (those `output.formats`
    names) and, with `output.pages`, its web page. Depends on nothing but its arguments.

    The all-articles feed's page is the site's top index.html, written with the site files.
    """
    meta = feed_meta(group, config)
    folder = f"{group.folder}/" if group.folder else ""
    # Each item's HTML body, made once for the three formats.
    full = config.feeds.content == "full"
    bodies = tuple(entry_html(article) for article in group.items) if full else None
    renderers = {RSS_FILE: render_rss, ATOM_FILE: render_atom, JSON_FILE: render_json}
    files: list[RenderedFile] = []
    for name in feed_file_names(group, config):
        if name == PAGE_FILE:
            content = feed_page(group, config, meta).encode("utf-8")
        else:
            content = renderers[name](group, config, meta, bodies)
        files.append(RenderedFile(folder + name, content))
    return tuple(files)


def feed_file_names(group: AnyGroup, config: Config) -> tuple[str, ...]:
    """The names of the files `render_group` writes into the group's folder, in order."""
    names = [FORMAT_FILES[name] for name in config.output.formats]
    if config.output.pages and group.kind is not GroupKind.ALL:
        names.append(PAGE_FILE)
    return tuple(names)
