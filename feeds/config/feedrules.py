"""The `feeds` section: which feeds are written and how long they are, their titles,
their content, their archive pages and the editorial feeds (`feeds.custom`).

A custom feed is one mapping of the `feeds.custom` list: where its files go (`path`), what
it is called, which published articles it picks and in which order. Its `path` is checked
here, before anything is read or written, so that a custom feed can write only into a
folder of its own: never outside `output.dir`, never into an internal (dot) name, another
feed's folder (archive pages included) or onto a site-wide file, never onto a name
Windows cannot create.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from feeds.config import checks
from feeds.config.checks import Invalid, show
from feeds.config.sections import MAX_AGE_DAYS
from feeds.config.settings import int_setting, setting
from feeds.files import windows_device
from feeds.formats import ARCHIVE_FOLDER, SITE_FILES, is_page_folder
from feeds.model import GroupKind

GROUPINGS = ("topic", "provider")
CONTENT_MODES = ("full", "summary")
ORDERS = ("newest", "heat")
MAX_ITEMS = 100_000
_PATH = re.compile(r"[a-z0-9/-]+")


def groups(value: Any) -> tuple[str, ...]:
    """A list of GROUPINGS, each once."""
    given = checks.text_list(value)
    unknown = [g for g in given if g not in GROUPINGS]
    if unknown:
        msg = f"expected a list of {', '.join(GROUPINGS)}, got {show(unknown[0])}"
        raise Invalid(msg)
    return tuple(dict.fromkeys(given))


def _path_problem(path: str) -> str | None:
    """What is wrong with a custom feed's path, if anything, in words."""
    segments = path.split("/")
    if path.startswith("/"):
        return 'is absolute; give a folder inside output.dir, such as "top"'
    if ".." in path:
        return 'contains ".."'
    if any(segment.startswith(".") for segment in segments):
        return 'has a segment starting with "." (such names are internal)'
    if segments[0] in SITE_FILES:
        return f"would collide with the site-wide file {segments[0]}"
    if not _PATH.fullmatch(path):
        return 'may hold only lowercase letters, digits, "-" and "/"'
    if "" in segments:
        return 'has an empty segment ("//", or "/" at its end)'
    for kind in GroupKind:
        if kind.per_group and f"{segments[0]}/" == kind.folders:
            return f"would collide with the {kind.value} feeds' folder {kind.folders}"
    if segments[0] == ARCHIVE_FOLDER:
        return f"would collide with the all-articles feed's archive pages, {ARCHIVE_FOLDER}/"
    if is_page_folder(path):
        return f"would be taken for an archive page's folder (.../{ARCHIVE_FOLDER}/<n>)"
    device = next((segment for segment in segments if windows_device(segment)), None)
    if device is not None:
        return f'has the segment "{device}", a name Windows reserves for a device'
    return None


def custom_path(value: Any) -> str:
    """A custom feed's folder under output.dir: '/'-separated segments of a-z, 0-9 and '-'."""
    path = checks.text(value)
    problem = _path_problem(path)
    if problem is not None:
        msg = f"{show(path)} {problem}"
        raise Invalid(msg)
    return path


def non_negative(value: Any) -> float:
    """A finite number of at least 0."""
    number = checks.number(value)
    if number < 0:
        msg = f"expected a number of at least 0, got {show(value)}"
        raise Invalid(msg)
    return number


@dataclass(frozen=True, slots=True)
class TopicRule:
    """`feeds.custom[].topics`: which topics an article must have, or not."""

    any: tuple[str, ...] = setting(
        (),
        check=checks.text_list,
        doc="the article has at least one of these topics (`AI` = ` ai `, as topic feeds group "
        "them)",
    )
    all: tuple[str, ...] = setting(
        (), check=checks.text_list, doc="the article has every one of these topics"
    )
    none: tuple[str, ...] = setting(
        (), check=checks.text_list, doc="the article has none of these topics"
    )


@dataclass(frozen=True, slots=True)
class ProviderRule:
    """`feeds.custom[].providers`: which providers an article may come from, or not."""

    any: tuple[str, ...] = setting(
        (),
        check=checks.text_list,
        doc="the article's provider is one of these (a name, or a domain as provider feeds "
        "key it: `bbc.co.uk` = `www.BBC.co.uk`)",
    )
    none: tuple[str, ...] = setting(
        (), check=checks.text_list, doc="the article's provider is none of these"
    )


@dataclass(frozen=True, slots=True)
class CustomFeed:
    """One editorial feed: its folder, its name, the articles it picks and their order."""

    path: str = setting(
        check=custom_path,
        doc="the feed's folder under `output.dir` (`top`, `collections/ai`): "
        "lowercase letters, digits, `-` and `/`; not `topics/...`, `providers/...` or "
        "`archive/...`",
    )
    title: str = setting(check=checks.text, doc="the feed's title")
    description: str | None = setting(None, check=checks.text, doc="the feed's description")
    order: str = setting(
        "newest",
        check=checks.choice(*ORDERS),
        doc="`newest` first, or `heat`: the hottest first, ties to the newer (articles without "
        "heat are left out)",
    )
    topics: TopicRule = setting(TopicRule())
    providers: ProviderRule = setting(ProviderRule())
    types: tuple[str, ...] = setting(
        (), check=checks.text_list, doc="when non-empty, only articles whose `type` is one of these"
    )
    categories: tuple[str, ...] = setting(
        (),
        check=checks.text_list,
        doc="when non-empty, only articles whose `category` is one of these, compared as "
        "topics are (an article without one: never)",
    )
    min_quality: float | None = setting(
        None, check=non_negative, doc="only articles with `quality` at least this (0 or more)"
    )
    min_heat: float | None = setting(
        None,
        check=non_negative,
        doc="only articles with `heat` at least this (0 or more); no heat never passes",
    )
    max_age_days: int | None = int_setting(
        None, MAX_AGE_DAYS, "when set, only articles at most this many days old"
    )
    max_items: int | None = int_setting(None, MAX_ITEMS, "the feed's length")
    content: str | None = setting(
        None, check=checks.choice(*CONTENT_MODES), doc="`full` or `summary`, as `feeds.content`"
    )


@dataclass(frozen=True, slots=True)
class Caps:
    """`feeds.max_items`: the most items a feed of each kind holds."""

    all: int = setting(50, check=checks.positive_int(MAX_ITEMS))
    topic: int = setting(50, check=checks.positive_int(MAX_ITEMS))
    provider: int = setting(50, check=checks.positive_int(MAX_ITEMS))
    custom: int = setting(50, check=checks.positive_int(MAX_ITEMS))

    def of(self, kind: GroupKind) -> int:
        """The cap of feeds of `kind`."""
        return int(getattr(self, kind.value))

    @property
    def archived(self) -> int:
        """The fewest items a live feed with archive pages (all, topic, provider) holds:
        the most an archive page may hold (`feeds.archive_page_size`)."""
        return min(self.all, self.topic, self.provider)


def _caps(value: Any) -> Caps:
    """One number for every kind of feed (`feeds.max_items: 50`)."""
    count = checks.positive_int(MAX_ITEMS)(value)
    return Caps(count, count, count, count)


def caps_setting(doc: str) -> Any:
    """Declare a key of per-kind caps: one number for every kind, or a mapping of kinds,
    each left out taking the default; the key's doc says both."""
    default = Caps()
    return setting(
        default,
        check=_caps,
        doc=f"{doc} (1 to {MAX_ITEMS}), or per kind: a mapping of `all`, `topic`, `provider` "
        f"and `custom` (a kind left out: {default.all})",
    )


@dataclass(frozen=True, slots=True)
class Templates:
    """One text template per kind of feed, with {name} and {site} placeholders.

    {name} is the group's name (the site title for 'all'), {site} the site title. The
    defaults are those of the key holding the templates (`feeds.titles`, ...).
    """

    all: str = setting(check=checks.template)
    topic: str = setting(check=checks.template)
    provider: str = setting(check=checks.template)

    def fill(self, kind: str, name: str, site: str) -> str:
        """The template for `kind` ('all', 'topic', 'provider') with its placeholders filled."""
        template: str = getattr(self, kind)
        return template.format(name=name, site=site)


_TEMPLATE_MAPPING = f"a mapping with keys {', '.join(f.name for f in fields(Templates))}"


@dataclass(frozen=True, slots=True)
class FeedRules:
    """Which feeds exist and how long they are."""

    max_items: Caps = caps_setting("the newest N articles per feed")
    min_items: int = int_setting(
        1, MAX_ITEMS, "a topic or provider feed is written only with at least this many articles"
    )
    all: bool = setting(True, check=checks.boolean, doc="write the all-articles feed")
    groups: tuple[str, ...] = setting(GROUPINGS, check=groups, doc="which per-group feeds to write")
    titles: Templates = setting(
        Templates(all="{site}", topic="{site}: {name}", provider="{site}: {name}"),
        expected=_TEMPLATE_MAPPING,
        doc="feed titles per kind of feed; `{name}` is the topic or provider name (the site "
        "title for `all`), `{site}` the site title; `{{`/`}}` are literal braces; kinds left "
        "out keep their default",
    )
    descriptions: Templates = setting(
        Templates(
            all="",  # empty: the all-articles feed takes site.description (feeds.render.meta)
            topic="The newest articles about {name} on {site}.",
            provider="The newest articles from {name} on {site}.",
        ),
        expected=_TEMPLATE_MAPPING,
        doc="feed descriptions, templates as in `feeds.titles`",
    )
    content: str = setting(
        "full",
        check=checks.choice(*CONTENT_MODES),
        doc="`full`: the HTML body (image, excerpt, related coverage) goes into "
        "`content:encoded`, Atom `<content>` and JSON `content_html`; `summary`: only the "
        'excerpt (JSON `content_text`); Atom `rel="related"` links and JSON `_feeds.related` '
        "stay",
    )
    archive: bool = setting(
        False,
        check=checks.boolean,
        doc="also write each feed's older items as RFC 5005 archive pages, which new articles "
        "never change (see Output, Archives)",
    )
    archive_page_size: int | None = int_setting(
        None,
        MAX_ITEMS,
        "items per archive page: at most `feeds.max_items` (the smallest of `all`, `topic` and "
        "`provider`), which it is when unset",
    )
    custom: tuple[CustomFeed, ...] = setting((), unique="path", doc="editorial feeds (below)")


def page_size_problems(rules: FeedRules | None) -> list[str]:
    """An archive page may hold at most a live feed's items: the newest page is written
    once the first of its items has left the live feed, and must be complete by then."""
    size = None if rules is None else rules.archive_page_size
    if rules is None or size is None or size <= rules.max_items.archived:
        return []
    return [
        f"feeds.archive_page_size: {size} is more than feeds.max_items "
        f"({rules.max_items.archived}); "
        "an archive page holds at most as many items as the live feed"
    ]
