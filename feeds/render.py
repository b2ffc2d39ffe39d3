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

from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import _Element

from feeds import __version__
from feeds.body import entry_html
from feeds.config import Config, Site
from feeds.model import Article, FeedGroup, GroupKind, RenderedFile

# Feeds with no items still need a date; a fixed one keeps their bytes stable.
EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=UTC)
GENERATOR_URI = "https://pypi.org/project/feeds/"
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What a feed says about itself, worked out once for every format."""

    title: str
    description: str
    folder_url: str  # absolute, ends with '/'; also the Atom feed id
    home_url: str
    updated: datetime

    def url(self, file_name: str) -> str:
        """The public URL of one of this feed's files."""
        return self.folder_url + file_name


def feed_meta(group: FeedGroup, site: Site) -> FeedMeta:
    """Title, description, URLs and date of a group's feeds."""
    if group.kind is GroupKind.ALL:
        title, description = site.title, site.description
    elif group.kind is GroupKind.TOPIC:
        title = f"{site.title}: {group.name}"
        description = f"The newest articles about {group.name} on {site.title}."
    else:
        title = f"{site.title}: {group.name}"
        description = f"The newest articles from {group.name} on {site.title}."
    folder = f"{group.folder}/" if group.folder else ""
    updated = max((a.published_at for a in group.items), default=EMPTY_FEED_DATE)
    return FeedMeta(title, description, site.base_url + folder, site.link, updated)


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


def _new_feed(meta: FeedMeta, site: Site) -> FeedGenerator:
    fg = FeedGenerator()
    fg.title(meta.title)
    fg.description(meta.description)
    fg.language(site.language)
    fg.generator("feeds", version=__version__, uri=GENERATOR_URI)
    return fg


def _add_common(fe: FeedEntry, article: Article) -> None:
    fe.title(article.title)
    fe.link(href=article.url)
    fe.published(article.published_at)
    fe.updated(article.published_at)
    if article.excerpt:
        fe.summary(article.excerpt)
    fe.content(entry_html(article), type="html")
    for topic in article.topics:
        fe.category(term=topic)


def render_rss(group: FeedGroup, site: Site, meta: FeedMeta) -> bytes:
    """The group as RSS 2.0 with Media RSS, Dublin Core creator and content:encoded."""
    fg = _new_feed(meta, site)
    fg.load_extension("media", atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.link(href=meta.url(RSS_FILE), rel="self", type="application/rss+xml")
    fg.link(href=meta.home_url, rel="alternate")  # last link added is the channel <link>
    if site.websub_hub:
        fg.register_extension("feeds_hub", _RssHub, BaseEntryExtension, atom=False, rss=True)
        fg.feeds_hub.hub = site.websub_hub
    fg.lastBuildDate(meta.updated)
    for article in group.items:
        fe = fg.add_entry(order="append")
        _add_common(fe, article)
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
    return bytes(fg.rss_str(pretty=True))


def render_atom(group: FeedGroup, site: Site, meta: FeedMeta) -> bytes:
    """The group as Atom 1.0: enclosure links per image, related links per related item."""
    fg = _new_feed(meta, site)
    fg.id(meta.folder_url)
    fg.author(name=site.author)  # RFC 4287 4.1.1: a feed-level author covers every entry
    fg.link(href=meta.url(ATOM_FILE), rel="self", type="application/atom+xml")
    fg.link(href=meta.home_url, rel="alternate", type="text/html")
    if site.websub_hub:
        fg.link(href=site.websub_hub, rel="hub")  # WebSub discovery: Atom keeps it as given
    fg.updated(meta.updated)
    for article in group.items:
        fe = fg.add_entry(order="append")
        fe.register_extension("feeds_links", _AtomLinks, atom=True, rss=False)
        _add_common(fe, article)
        fe.id(article.id)
        if article.provider.name:
            fe.author(name=article.provider.name)
        links: list[dict[str, str]] = fe.feeds_links.links
        for image in article.images:
            link = {"rel": "enclosure", "href": image.url}
            links.append(link | {"type": image.mime} if image.mime else link)
        links += [{"rel": "related", "href": r.url, "title": r.title} for r in article.related]
    return bytes(fg.atom_str(pretty=True))


def render_group(group: FeedGroup, config: Config) -> tuple[RenderedFile, ...]:
    """Every file of one feed: its RSS and Atom documents. Depends on nothing but its args."""
    site = config.site
    meta = feed_meta(group, site)
    folder = f"{group.folder}/" if group.folder else ""
    return (
        RenderedFile(folder + RSS_FILE, render_rss(group, site, meta)),
        RenderedFile(folder + ATOM_FILE, render_atom(group, site, meta)),
    )
