"""Render one feed document as RSS 2.0 and Atom 1.0 bytes. The only module that imports feedgen.

feedgen 1.0.0 writes each feed's head (channel or feed elements); the entries are built by
`feeds.render.entries` as the same elements feedgen writes, and spliced into the head's bytes.
feedgen has traps this module owns, each marked where it is handled:
- `updated`/`lastBuildDate` default to now(): always set from the items, never the clock.
- the RSS channel <link> is the last link added: add rel="self" first, the site last.
- RSS drops every atom:link but the first rel="self" (feedgen #122): `_RssLinks` writes the
  WebSub rel="hub" link and the RFC 5005 archive links.
- its RSS dates have three-digit years before 1000 and set the locale: `_RssDates`.
(Its entry traps, Atom entry links that lose rel/type/title (#135) among them, are
`feeds.render.entries`'.)
"""

from __future__ import annotations

from html import escape

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import _Element

from feeds import __version__
from feeds.config import Config, Site
from feeds.formats import (
    ATOM,
    ATOM_FILE,
    PAGE_FILE,
    RSS,
    RSS_FILE,
    media_type,
)
from feeds.model import Article, FeedGroup
from feeds.render.body import Bodies
from feeds.render.entries import ITEM_NAMESPACES, MEDIA_NS, Sources, atom_entries, rfc822, rss_items
from feeds.render.meta import EMPTY_FEED_DATE, FeedMeta
from feeds.text import hex_char_refs

GENERATOR_URI = "https://pypi.org/project/feeds/"
ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
# How feedgen's pretty-printed heads end: the entries go just before.
_RSS_END, _ATOM_END = b"  </channel>\n</rss>\n", b"</feed>\n"


class _RssNamespaces(BaseExtension):  # type: ignore[misc]
    """Declares the namespaces of the items' Media RSS and Dublin Core elements on the root,
    as feedgen's media and dc extensions would (their `load_extension` also tries to
    import a module that does not exist, for every feed)."""

    def extend_ns(self) -> dict[str, str]:
        return dict(ITEM_NAMESPACES)


class _RssLinks(BaseExtension):  # type: ignore[misc]
    """Writes an RSS channel's atom:links besides rel="self", right after it: WebSub's
    `hub` (discovery, §4) and RFC 5005's `current`, `prev-archive` and `next-archive`;
    and `<fh:archive/>` in an archive page.

    feedgen 1.0.0 keeps only the first rel="self" atom:link in RSS and silently drops the
    rest (feed-pitfalls §19).
    """

    def __init__(self) -> None:
        self.links: tuple[tuple[str, str], ...] = ()  # (rel, href)
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS, "fh": FH_NS} if self.archive else {"atom": ATOM_NS}

    def extend_rss(self, feed: _Element) -> _Element:
        channel = feed.find("channel")
        anchor = channel.find(f"{{{ATOM_NS}}}link")
        for rel, href in self.links:
            link = xml_elem(f"{{{ATOM_NS}}}link", channel, href=href, rel=rel)
            if anchor is not None:
                anchor.addnext(link)  # keep the links together, in order
                anchor = link
        if self.archive:
            xml_elem(f"{{{FH_NS}}}archive", channel)
        return feed


class _AtomExtras(BaseExtension):  # type: ignore[misc]
    """Declares the Media RSS namespace of the entries' `media:thumbnail` on the root, and
    in an archive page writes `<fh:archive/>` (RFC 5005 §4)."""

    def __init__(self) -> None:
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS, "fh": FH_NS} if self.archive else {"media": MEDIA_NS}

    def extend_atom(self, feed: _Element) -> _Element:
        if self.archive:
            xml_elem(f"{{{FH_NS}}}archive", feed)
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


def render_rss(
    group: FeedGroup[Article], config: Config, meta: FeedMeta, bodies: Bodies, sources: Sources
) -> bytes:
    """The group as RSS 2.0 with Media RSS, Dublin Core creator and content:encoded."""
    site = config.site
    # The channel <description> is HTML, as an item's is (RSS profile 3.1): escaped once more.
    fg = _new_feed(meta, site, escape(meta.description, quote=False))
    fg.register_extension("feeds_ns", _RssNamespaces, BaseEntryExtension, atom=False, rss=True)
    fg.link(href=meta.url(RSS_FILE), rel="self", type=RSS.media_type)
    fg.link(href=meta.home_url, rel="alternate")  # last link added is the channel <link>
    links = _hub(meta, site) + meta.archive.links(RSS_FILE)
    if links or meta.is_archive:
        fg.register_extension("feeds_links", _RssLinks, BaseEntryExtension, atom=False, rss=True)
        fg.feeds_links.links, fg.feeds_links.archive = links, meta.is_archive
    fg.lastBuildDate(meta.updated)
    fg.register_extension("feeds_dates", _RssDates, BaseEntryExtension, atom=False, rss=True)
    fg.feeds_dates.updated = meta.updated
    if site.logo:
        # The validator wants <image> title and link equal to the channel's.
        fg.image(url=site.logo, title=meta.title, link=meta.home_url)
    if site.ttl:
        fg.ttl(site.ttl)
    head = bytes(fg.rss_str(pretty=True))
    return hex_char_refs(_splice(head, _RSS_END, rss_items(group.items, bodies, sources)))


def render_atom(
    group: FeedGroup[Article], config: Config, meta: FeedMeta, bodies: Bodies, sources: Sources
) -> bytes:
    """The group as Atom 1.0: enclosure links per image, related links per related item,
    a Media RSS thumbnail (Atom has no `<source>` for `sources`: its entries name their
    provider as author)."""
    site = config.site
    fg = _new_feed(meta, site, meta.description)  # <subtitle> is text: as it is
    fg.register_extension("feeds_extras", _AtomExtras, BaseEntryExtension, atom=True, rss=False)
    fg.feeds_extras.archive = meta.is_archive
    fg.id(meta.folder_url)  # an archive page is the same feed: the same id (RFC 5005 §4)
    fg.author(name=site.author)  # RFC 4287 4.1.1: a feed-level author covers every entry
    fg.link(href=meta.url(ATOM_FILE), rel="self", type=ATOM.media_type)
    fg.link(href=meta.home_url, rel="alternate", type=media_type(PAGE_FILE))
    # WebSub discovery and RFC 5005's links: Atom keeps every link as given.
    for rel, href in _hub(meta, site) + meta.archive.links(ATOM_FILE):
        fg.link(href=href, rel=rel)
    fg.updated(meta.updated)
    if site.logo:
        fg.logo(site.logo)
    if site.icon:
        fg.icon(site.icon)
    head = bytes(fg.atom_str(pretty=True))
    return hex_char_refs(_splice(head, _ATOM_END, atom_entries(group.items, bodies)))


def _hub(meta: FeedMeta, site: Site) -> tuple[tuple[str, str], ...]:
    """The WebSub hub link of a live feed; archive pages never change, so have none."""
    return (("hub", site.websub_hub),) if site.websub_hub and not meta.is_archive else ()


def _splice(head: bytes, end: bytes, entries: bytes) -> bytes:
    """The head feedgen wrote with the entries inserted before its closing `end`."""
    if not head.endswith(end):
        msg = f"feedgen wrote a feed that ends unexpectedly: {head[-40:]!r}"
        raise ValueError(msg)
    return head[: -len(end)] + entries + end
