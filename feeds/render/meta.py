"""What a feed says about itself (title, description, URLs, date), worked out once for every
format and page, so RSS, Atom, JSON Feed, OPML and HTML always agree."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from feeds.archive import ArchivePage, newest_page, page_size
from feeds.config import Config, CustomFeed
from feeds.formats import FORMATS, RSS_FILE, page_folder
from feeds.model import AnyGroup, Article, GroupKind
from feeds.text import strip_forbidden

# Feeds with no items still need a date; a fixed one keeps their bytes stable.
EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def directory_file(kind: GroupKind) -> str:
    """The page that lists a kind's feeds when the front page has too many to list them:
    'topics.html', 'providers.html', beside the kind's folder rather than in it (a
    provider whose domain is 'index.html' has the folder 'providers/index.html/')."""
    return kind.folders.removesuffix("/") + ".html"


@dataclass(frozen=True, slots=True)
class ArchiveLinks:
    """A feed document's RFC 5005 links, as folder URLs ('' for none)."""

    current: str = ""  # archive pages: the live feed
    prev_archive: str = ""  # the next older archive page
    next_archive: str = ""  # archive pages: the next newer one

    def links(self, file_name: str) -> tuple[tuple[str, str], ...]:
        """(rel, URL) of each link, to the document of the same format (`file_name`)."""
        rels = (
            ("current", self.current),
            ("prev-archive", self.prev_archive),
            ("next-archive", self.next_archive),
        )
        return tuple((rel, folder + file_name) for rel, folder in rels if folder)


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What a feed document says about itself, worked out once for every format."""

    title: str
    description: str
    folder_url: str  # absolute, ends with '/'; also the Atom feed id
    home_url: str  # the feed's own page when pages are on, else site.link
    updated: datetime
    document_url: str  # the folder URL of this document: folder_url, or its archive page's
    archive: ArchiveLinks = ArchiveLinks()

    def url(self, file_name: str) -> str:
        """The public URL of one of this document's files (its `rel="self"`)."""
        return self.document_url + file_name

    @property
    def is_archive(self) -> bool:
        """Whether this document is an archive page (RFC 5005 `fh:archive`)."""
        return bool(self.archive.current)


def custom_feed(group: AnyGroup, config: Config) -> CustomFeed | None:
    """The `feeds.custom` entry of a custom feed; None for the other kinds."""
    if group.kind is not GroupKind.CUSTOM:
        return None
    return next(feed for feed in config.feeds.custom if feed.path == group.key)


def content_mode(group: AnyGroup, config: Config) -> str:
    """`full` or `summary`: the feed's own `content` for a custom feed that has one, else
    `feeds.content`."""
    custom = custom_feed(group, config)
    return custom.content if custom and custom.content else config.feeds.content


def _words(group: AnyGroup, config: Config) -> tuple[str, str]:
    """A feed's title and description, as configured: a custom feed's own, else the
    `feeds.titles` / `feeds.descriptions` templates filled with the group's name."""
    site, rules, kind = config.site, config.feeds, group.kind.value
    custom = custom_feed(group, config)
    if custom is not None:
        return custom.title, custom.description or f"{custom.title} on {site.title}"
    title = rules.titles.fill(kind, group.name, site.title)
    return title, rules.descriptions.fill(kind, group.name, site.title)


def feed_meta(group: AnyGroup, config: Config) -> FeedMeta:
    """Title, description, URLs and date of a group's feeds.

    Titles and descriptions come from the `feeds.titles` / `feeds.descriptions` templates
    (a custom feed's from its own keys), filled with names that are already plain text
    (never cleaned twice: '&lt;' stays put), so all formats show the same words.
    """
    site = config.site
    title, description = (strip_forbidden(text).strip() for text in _words(group, config))
    if group.kind is GroupKind.ALL and not description:
        description = site.description
    folder = f"{group.folder}/" if group.folder else ""
    folder_url = site.base_url + folder
    home_url = folder_url if config.output.pages else site.link
    updated = group.updated or EMPTY_FEED_DATE
    newest = newest_page(group, page_size(config.feeds))
    archive = (
        ArchiveLinks(prev_archive=_page_url(config, group, newest)) if newest else ArchiveLinks()
    )
    title, description = title or group.name, description or title
    return FeedMeta(title, description, folder_url, home_url, updated, folder_url, archive)


def page_meta(page: ArchivePage[Article], config: Config) -> FeedMeta:
    """What an archive page says about itself: its feed's title and description, its own
    URL and newest date, and links to the live feed and the pages before and after it.

    The next page's link is there before that page is (its URL answers 404 until its
    items leave the live feed), so that a page's bytes never change as articles arrive.
    """
    feed, number = page.feed, page.number
    links = ArchiveLinks(
        current=feed_meta(feed, config).folder_url,
        prev_archive=_page_url(config, feed, number - 1) if number > 1 else "",
        next_archive=_page_url(config, feed, number + 1),
    )
    document_url = _page_url(config, feed, number)
    return replace(feed_meta(feed, config), document_url=document_url, archive=links)


def _page_url(config: Config, group: AnyGroup, number: int) -> str:
    return f"{config.site.base_url}{page_folder(group.folder, number)}/"


def subscribe_url(meta: FeedMeta, formats: tuple[str, ...]) -> str:
    """The URL a reader subscribes to: RSS when built, else Atom, else JSON Feed."""
    for declared in FORMATS:
        if declared.name in formats:
            return meta.url(declared.file_name)
    return meta.url(RSS_FILE)
