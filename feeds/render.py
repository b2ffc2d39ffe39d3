"""Render one feed group as RSS 2.0 and Atom 1.0 bytes. The only module that imports feedgen.

feedgen 1.0.0 writes each feed's head (channel or feed elements); the entries are built by
`feeds.entries` as the same elements feedgen writes, and spliced into the head's bytes.
feedgen has traps this module owns, each marked where it is handled:
- `updated`/`lastBuildDate` default to now(): always set from the items, never the clock.
- the RSS channel <link> is the last link added: add rel="self" first, the site last.
- RSS drops every atom:link but the first rel="self" (feedgen #122): `_RssHub` writes the
  WebSub rel="hub" link.
- its RSS dates have three-digit years before 1000 and set the locale: `_RssDates`.
(Its entry traps, Atom entry links that lose rel/type/title (#135) among them, are
`feeds.entries`'.)
"""

from __future__ import annotations

from html import escape

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import _Element

from feeds import __version__
from feeds.body import Bodies, entry_html
from feeds.config import Config, Site
from feeds.entries import ITEM_NAMESPACES, atom_entries, rfc822, rss_items
from feeds.jsonfeed import render_json
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
ATOM_NS = "http://www.w3.org/2005/Atom"
# How feedgen's pretty-printed heads end: the entries go just before.
_RSS_END, _ATOM_END = b"  </channel>\n</rss>\n", b"</feed>\n"


class _RssNamespaces(BaseExtension):  # type: ignore[misc]
    """Declares the namespaces of the items' Media RSS and Dublin Core elements on the root,
    as feedgen's media and dc extensions would (their `load_extension` also tries to
    import a module that does not exist, for every feed)."""

    def extend_ns(self) -> dict[str, str]:
        return dict(ITEM_NAMESPACES)


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


def render_rss(group: FeedGroup[Article], config: Config, meta: FeedMeta, bodies: Bodies) -> bytes:
    """The group as RSS 2.0 with Media RSS, Dublin Core creator and content:encoded."""
    site = config.site
    # The channel <description> is HTML, as an item's is (RSS profile 3.1): escaped once more.
    fg = _new_feed(meta, site, escape(meta.description, quote=False))
    fg.register_extension("feeds_ns", _RssNamespaces, BaseEntryExtension, atom=False, rss=True)
    fg.link(href=meta.url(RSS_FILE), rel="self", type="application/rss+xml")
    fg.link(href=meta.home_url, rel="alternate")  # last link added is the channel <link>
    if site.websub_hub:
        fg.register_extension("feeds_hub", _RssHub, BaseEntryExtension, atom=False, rss=True)
        fg.feeds_hub.hub = site.websub_hub
    fg.lastBuildDate(meta.updated)
    fg.register_extension("feeds_dates", _RssDates, BaseEntryExtension, atom=False, rss=True)
    fg.feeds_dates.updated = meta.updated
    if site.logo:
        # The validator wants <image> title and link equal to the channel's.
        fg.image(url=site.logo, title=meta.title, link=meta.home_url)
    if site.ttl:
        fg.ttl(site.ttl)
    head = bytes(fg.rss_str(pretty=True))
    return hex_char_refs(_splice(head, _RSS_END, rss_items(group.items, bodies)))


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
    head = bytes(fg.atom_str(pretty=True))
    return hex_char_refs(_splice(head, _ATOM_END, atom_entries(group.items, bodies)))


def _splice(head: bytes, end: bytes, entries: bytes) -> bytes:
    """The head feedgen wrote with the entries inserted before its closing `end`."""
    if not head.endswith(end):
        msg = f"feedgen wrote a feed that ends unexpectedly: {head[-40:]!r}"
        raise ValueError(msg)
    return head[: -len(end)] + entries + end


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
