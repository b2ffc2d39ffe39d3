"""The values passed between the build's stages: frozen, typed, free of I/O.

`feeds.engine` runs the stages in order; README.md's "Architecture" shows which module
holds each. A file becomes a `RawDoc`, then an `Article` (or `Problem`s); selection and
grouping see only each article's `Stub`, and only `FeedGroup[Article]`s are rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from feeds.codec import SHARED


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one article file; `rejected` means the file was skipped."""

    path: str  # relative to content.dir, with '/' separators
    field: str
    message: str
    rejected: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class RawDoc:
    """The parsed front matter of one file: the only dict that crosses a module boundary."""

    path: str
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Provider:
    """Who published an article; `domain` is the raw domain (or the URL's host)."""

    name: str
    domain: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image of an article; `mime` is None when its type can't be told from the URL."""

    url: str
    width: int | None = None
    height: int | None = None
    mime: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Another outlet's coverage of the same story."""

    title: str
    url: str
    provider: str = ""
    excerpt: str = ""
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stub:
    """What selection and grouping read of an article, kept apart from the rest so a run
    that renders nothing never unpacks a whole article. Never rendered: renderers take
    `Article`s only."""

    path: str
    id: str
    url: str
    published_at: datetime
    published: bool
    quality: float
    heat: float | None
    # Many articles share these: the cache decodes each value once (see feeds.codec).
    type: Annotated[str, SHARED]
    category: Annotated[str, SHARED]
    provider: Annotated[Provider, SHARED]
    topics: Annotated[tuple[str, ...], SHARED]


@dataclass(frozen=True, slots=True)
class Article:
    """A validated article. It has no field for `secured`, so it cannot leak."""

    path: str
    id: str  # originalUrl, else webUrl: stable across runs
    title: str
    url: str
    published_at: datetime  # aware, UTC, whole seconds
    published: bool
    excerpt: str = ""
    category: Annotated[str, SHARED] = ""
    type: Annotated[str, SHARED] = ""
    quality: float = 0
    heat: float | None = None  # None: missing or negative, so the article has no heat
    provider: Annotated[Provider, SHARED] = Provider("", "")
    topics: Annotated[tuple[str, ...], SHARED] = ()
    images: tuple[Image, ...] = ()
    related: tuple[Related, ...] = ()

    def stub(self) -> Stub:
        """The fields selection and grouping read."""
        return Stub(
            self.path,
            self.id,
            self.url,
            self.published_at,
            self.published,
            self.quality,
            self.heat,
            self.type,
            self.category,
            self.provider,
            self.topics,
        )


@dataclass(frozen=True, slots=True)
class Validated:
    """The outcome of validating one document: an Article (None when rejected) and findings."""

    article: Article | None
    problems: tuple[Problem, ...] = ()


class GroupKind(StrEnum):
    """Which grouping a feed belongs to."""

    ALL = "all"
    TOPIC = "topic"
    PROVIDER = "provider"
    CUSTOM = "custom"  # an editorial feed of the config's `feeds.custom`

    @property
    def per_group(self) -> bool:
        """Whether this kind has a feed per group of the articles (per topic, per provider)."""
        return self in (GroupKind.TOPIC, GroupKind.PROVIDER)

    @property
    def folders(self) -> str:
        """Where this kind's feed folders are, relative to the output dir ('topics/');
        '' for the all-articles feed, which is the output dir itself, and for custom
        feeds, whose folder is their `path`."""
        return f"{self.value}s/" if self.per_group else ""


Item = TypeVar("Item", Stub, Article)


@dataclass(frozen=True, slots=True)
class FeedGroup(Generic[Item]):
    """One feed to write: its place in the output, its name and its newest items
    (`Stub`s as grouping makes them, `Article`s once filled in for rendering). With
    `feeds.archive`, grouping also keeps the rest of its items, for its archive pages."""

    kind: GroupKind
    key: str  # a custom feed's is its path
    slug: str  # a custom feed's is its path
    name: str
    items: tuple[Item, ...]
    total: int = 0  # selected articles in the group, before the max_items cap
    older: tuple[Item, ...] = ()  # with feeds.archive: the items after `items`, newest first

    @property
    def folder(self) -> str:
        """The feed's folder relative to the output dir: '' for all, 'topics/<slug>', ..."""
        return feed_folder(self.kind, self.slug)

    @property
    def shown(self) -> int:
        """How many items its live feed holds."""
        return len(self.items)

    @property
    def updated(self) -> datetime | None:
        """The newest publication time of its items; None without items."""
        return max((item.published_at for item in self.items), default=None)

    def filled(self, articles: tuple[Article, ...]) -> FeedGroup[Article]:
        """The same feed holding these whole articles (its items', in order)."""
        return FeedGroup(self.kind, self.key, self.slug, self.name, articles, self.total)

    def listing(self) -> Listing:
        """What lists of feeds say of it."""
        return Listing(
            self.kind, self.key, self.slug, self.name, self.total, self.shown, self.updated
        )


def feed_folder(kind: GroupKind, slug: str) -> str:
    """A feed's folder relative to the output dir: '' for all, 'topics/<slug>', ..."""
    return "" if kind is GroupKind.ALL else kind.folders + slug


@dataclass(frozen=True, slots=True)
class Listing:
    """What lists of feeds (the front page, the OPML file, `_headers`) say of one feed,
    without its items: a run knows this of every feed, and items only of those it renders."""

    kind: GroupKind
    key: str
    slug: str
    name: str
    total: int
    shown: int  # items in its live feed
    updated: datetime | None  # its live items' newest publication time

    @property
    def folder(self) -> str:
        """The feed's folder relative to the output dir."""
        return feed_folder(self.kind, self.slug)


# Feeds as lists of feeds read them: with their items (stubs or whole articles) or not.
AnyGroup = FeedGroup[Stub] | FeedGroup[Article] | Listing


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file: its path relative to the output dir and its exact bytes."""

    path: str
    content: bytes


@dataclass(frozen=True, slots=True)
class BuildReport:
    """The outcome of a build, for the CLI to print and tests to inspect."""

    files_found: int
    articles_valid: int
    articles_selected: int
    rejected_files: int
    problems: tuple[Problem, ...]
    groups: tuple[Listing, ...] = ()
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
