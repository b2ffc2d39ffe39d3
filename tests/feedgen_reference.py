"""The RSS and Atom renderers as they were before `feeds.entries`: every entry written by
feedgen 1.0.0 itself. Kept as the reference `tests/test_entries.py` holds the faster
renderers' bytes to; not used by `feeds`."""

from __future__ import annotations

from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feeds import __version__
from feeds.body import entry_html
from feeds.config import Config, Site
from feeds.entries import rfc822
from feeds.meta import ATOM_FILE, EMPTY_FEED_DATE, RSS_FILE, FeedMeta
from feeds.model import Article, FeedGroup
from feeds.render import GENERATOR_URI, _RssHub
from feeds.text import hex_char_refs


class _AtomLinks(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: Any) -> Any:
        for attributes in self.links:
            xml_elem("link", entry, **attributes)
        return entry


class _RssDates(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.updated = EMPTY_FEED_DATE

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, feed: Any) -> Any:
        for element in feed.iterfind("channel/lastBuildDate"):
            element.text = rfc822(self.updated)
        return feed


class _RssPubDate(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.published = EMPTY_FEED_DATE

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        for element in item.iterfind("pubDate"):
            element.text = rfc822(self.published)
        return item


def _new_feed(meta: FeedMeta, site: Site, description: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.title(meta.title)
    fg.description(description)
    fg.language(site.language)
    fg.generator("feeds", version=__version__, uri=GENERATOR_URI)
    if site.copyright:
        fg.rights(site.copyright)
    return fg


def _add_common(fe: FeedEntry, article: Article, full: bool) -> None:
    fe.title(article.title)
    fe.link(href=article.url)
    fe.published(article.published_at)
    fe.updated(article.published_at)
    if article.excerpt:
        fe.summary(escape(article.excerpt, quote=False), type="html")
    if full:
        fe.content(entry_html(article), type="html")
    for topic in article.topics:
        fe.category(term=topic)


def render_rss(group: FeedGroup[Article], config: Config, meta: FeedMeta) -> bytes:
    site = config.site
    fg = _new_feed(meta, site, escape(meta.description, quote=False))
    fg.load_extension("media", atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.link(href=meta.url(RSS_FILE), rel="self", type="application/rss+xml")
    fg.link(href=meta.home_url, rel="alternate")
    if site.websub_hub:
        fg.register_extension("feeds_hub", _RssHub, BaseEntryExtension, atom=False, rss=True)
        fg.feeds_hub.hub = site.websub_hub
    fg.lastBuildDate(meta.updated)
    fg.register_extension("feeds_dates", _RssDates, _RssPubDate, atom=False, rss=True)
    fg.feeds_dates.updated = meta.updated
    if site.logo:
        fg.image(url=site.logo, title=meta.title, link=meta.home_url)
    if site.ttl:
        fg.ttl(site.ttl)
    full = config.feeds.content == "full"
    for article in group.items:
        fe = fg.add_entry(order="append")
        _add_common(fe, article, full)
        fe.feeds_dates.published = article.published_at
        fe.guid(article.id, permalink=article.id == article.url)
        if article.provider.name:
            fe.dc.dc_creator(article.provider.name)
        first = article.images[0] if article.images else None
        if first is not None and first.mime:
            fe.enclosure(first.url, "0", first.mime)
        for image in article.images:
            media = {"url": image.url, "medium": "image"}
            if image.mime:
                media["type"] = image.mime
            if image.width and image.height:
                media |= {"width": str(image.width), "height": str(image.height)}
            fe.media.content(media, group=None)
    return hex_char_refs(bytes(fg.rss_str(pretty=True)))


def render_atom(group: FeedGroup[Article], config: Config, meta: FeedMeta) -> bytes:
    site = config.site
    fg = _new_feed(meta, site, meta.description)
    fg.id(meta.folder_url)
    fg.author(name=site.author)
    fg.link(href=meta.url(ATOM_FILE), rel="self", type="application/atom+xml")
    fg.link(href=meta.home_url, rel="alternate", type="text/html")
    if site.websub_hub:
        fg.link(href=site.websub_hub, rel="hub")
    fg.updated(meta.updated)
    if site.logo:
        fg.logo(site.logo)
    if site.icon:
        fg.icon(site.icon)
    full = config.feeds.content == "full"
    for article in group.items:
        fe = fg.add_entry(order="append")
        fe.register_extension("feeds_links", _AtomLinks, atom=True, rss=False)
        _add_common(fe, article, full)
        fe.id(article.id)
        if article.provider.name:
            fe.author(name=article.provider.name)
        links: list[dict[str, str]] = fe.feeds_links.links
        for image in article.images:
            link = {"rel": "enclosure", "href": image.url}
            links.append(link | {"type": image.mime} if image.mime else link)
        links += [{"rel": "related", "href": r.url, "title": r.title} for r in article.related]
    return hex_char_refs(bytes(fg.atom_str(pretty=True)))
