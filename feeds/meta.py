"""What a feed says about itself (title, description, URLs, date), worked out once for every
format and page, so RSS, Atom, JSON Feed, OPML and HTML always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from feeds.config import Config
from feeds.model import AnyGroup, GroupKind
from feeds.text import strip_forbidden

# Feeds with no items still need a date; a fixed one keeps their bytes stable.
EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=UTC)
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
PAGE_FILE = "index.html"  # a feed's page; the top one is the front page
OPML_FILE = "feeds.opml"
# Each format's file and media type, in the order pages and OPML prefer them.
FORMAT_FILES = {"rss": RSS_FILE, "atom": ATOM_FILE, "json": JSON_FILE}
FORMAT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
FORMAT_LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What a feed says about itself, worked out once for every format."""

    title: str
    description: str
    folder_url: str  # absolute, ends with '/'; also the Atom feed id
    home_url: str  # the feed's own page when pages are on, else site.link
    updated: datetime

    def url(self, file_name: str) -> str:
        """The public URL of one of this feed's files."""
        return self.folder_url + file_name


def feed_meta(group: AnyGroup, config: Config) -> FeedMeta:
    """Title, description, URLs and date of a group's feeds.

    Titles and descriptions come from the `feeds.titles` / `feeds.descriptions` templates,
    filled with names that are already plain text (never cleaned twice: '&lt;' stays put),
    so all formats show the same words.
    """
    site, rules = config.site, config.feeds
    kind = group.kind.value
    title = strip_forbidden(rules.titles.fill(kind, group.name, site.title)).strip()
    description = strip_forbidden(rules.descriptions.fill(kind, group.name, site.title)).strip()
    if group.kind is GroupKind.ALL and not description:
        description = site.description
    folder = f"{group.folder}/" if group.folder else ""
    folder_url = site.base_url + folder
    home_url = folder_url if config.output.pages else site.link
    updated = max((a.published_at for a in group.items), default=EMPTY_FEED_DATE)
    return FeedMeta(title or group.name, description or title, folder_url, home_url, updated)


def subscribe_url(meta: FeedMeta, formats: tuple[str, ...]) -> str:
    """The URL a reader subscribes to: RSS when built, else Atom, else JSON Feed."""
    for name in ("rss", "atom", "json"):
        if name in formats:
            return meta.url(FORMAT_FILES[name])
    return meta.url(RSS_FILE)
