"""Which valid articles are published, and into which feeds.

Selection: one version per id, then the config's `select` rules (`decide`). Grouping:
everything, the custom feeds (`feeds.curate`), per topic and per provider.

Keys (`feeds.groupkeys`) decide which spellings are one group; slugs decide where a
group's files live. Both depend only on the group's own key, never on the order files were
found, and a slug depends on which other groups exist only when two keys would share a
folder: the key that sorts first keeps it, the other gets a longer hash (`resolve_slugs`).
So a feed's URL never changes once it exists, unless someone writes a colliding name.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Generic

from feeds.config import Config, FeedRules, SelectRules
from feeds.curate import custom_groups
from feeds.errors import InputError
from feeds.files import windows_device
from feeds.groupkeys import provider_key, topic_key
from feeds.model import FeedGroup, GroupKind, Item, Problem
from feeds.text import normalize_host


def resolve_duplicates(articles: Iterable[Item]) -> tuple[tuple[Item, ...], tuple[Problem, ...]]:
    """Keep one article per id: the later `publishedDateTime`, on a tie the greater path.

    Runs before selection, so a newer version marked unpublished hides the older one.
    Returns the winners sorted by path and a warning for every file that lost.
    """
    winners: dict[str, Item] = {}
    losers: list[Item] = []
    for article in articles:
        current = winners.setdefault(article.id, article)
        if current is article:
            continue
        if (article.published_at, article.path) > (current.published_at, current.path):
            winners[article.id] = article
            losers.append(current)
        else:
            losers.append(article)
    problems = tuple(
        Problem(
            loser.path,
            "originalUrl" if loser.id != loser.url else "webUrl",
            f"duplicate of {winners[loser.id].path} (same id {loser.id}); "
            "the later version is published, this file skipped",
            rejected=False,
        )
        for loser in losers
    )
    return tuple(sorted(winners.values(), key=attrgetter("path"))), problems


def select(articles: Iterable[Item], rules: SelectRules, now: datetime) -> tuple[Item, ...]:
    """The articles the rules publish, in the order given. `now` is the build's clock."""
    oldest = None if rules.max_age_days is None else now - timedelta(days=rules.max_age_days)
    types = frozenset(rules.types)
    return tuple(
        article
        for article in articles
        if (article.published or not rules.published_only)
        and article.quality >= rules.min_quality
        and (not types or article.type in types)
        and (rules.include_future or article.published_at <= now)
        and (oldest is None or article.published_at >= oldest)
    )


@dataclass(frozen=True, slots=True)
class Decision(Generic[Item]):
    """What a build publishes, and the report lines of every file, sorted by path."""

    winners: tuple[Item, ...]  # one article per id
    selected: tuple[Item, ...]
    problems: tuple[Problem, ...]
    rejected: frozenset[str]  # paths of rejected files


def decide(
    articles: Iterable[Item],
    problems: Sequence[Problem],
    rules: SelectRules,
    now: datetime,
    *,
    strict: bool = False,
) -> Decision[Item]:
    """Resolve duplicates, sort every report line by path, then select.

    Raises InputError (carrying the report lines) when `strict` and any file was rejected.
    """
    lost: tuple[Problem, ...]
    winners, lost = resolve_duplicates(articles)
    report = tuple(sorted([*problems, *lost], key=lambda problem: problem.path))
    rejected = frozenset(problem.path for problem in report if problem.rejected)
    if strict and rejected:
        msg = f"{len(rejected)} article file(s) rejected and --strict is set; nothing written"
        raise InputError(msg, report)
    return Decision(winners, select(winners, rules, now), report, rejected)


def selection_horizon(winners: Sequence[Item], config: Config, now: datetime) -> int | None:
    """The first moment (POSIX seconds) from now on at which the same articles could select
    differently: a future article coming of age, or one growing older than
    `select.max_age_days` or a custom feed's `max_age_days`."""
    rules = config.select
    moments: list[float] = []
    if not rules.include_future:
        moments += [a.published_at.timestamp() for a in winners if a.published_at > now]
    ages = {feed.max_age_days for feed in config.feeds.custom} | {rules.max_age_days}
    for days in sorted(age for age in ages if age is not None):
        moments += [a.published_at.timestamp() + days * 86400 for a in winners]
    # An article that grew too old before now has left already, and stays out.
    upcoming = [moment for moment in moments if moment >= now.timestamp()]
    return int(min(upcoming)) if upcoming else None


_SIMPLE_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
SLUG_ASCII_MAX = 60
SLUG_HASH_DIGITS = 8
# Hex digits of the slug a colliding group gets instead (`resolve_slugs`).
LONG_HASH_DIGITS = 16


def slugify(key: str) -> str:
    """A URL path segment for a key: readable when it can be, unique always.

    A key of only a-z, 0-9 and single spaces maps to itself with '-' for spaces. Any other
    key (or one longer than SLUG_ASCII_MAX, or a Windows device name such as 'con') gets
    `hashed_slug`, so 'c', 'c++' and 'c#' stay three feeds and '../../etc' is a name like
    any other.
    """
    # A long key is cut and hashed like any other: a file name has at most 255 bytes.
    if len(key) <= SLUG_ASCII_MAX and _SIMPLE_KEY.fullmatch(key) and not windows_device(key):
        return key.replace(" ", "-")
    return hashed_slug(key, SLUG_HASH_DIGITS)


def hashed_slug(key: str, digits: int) -> str:
    """The key's ASCII transliteration, cut to SLUG_ASCII_MAX characters, then '-' and the
    first `digits` hex digits of its SHA-256 (the digits alone when nothing is left)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:digits]
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    readable = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")[:SLUG_ASCII_MAX].strip("-")
    return f"{readable}-{digest}" if readable else digest


def provider_slug(key: str) -> str:
    """A provider's slug: its key when that is a valid host name ('bbc.co.uk') Windows can
    write, else slugify."""
    return key if normalize_host(key) == key and not windows_device(key) else slugify(key)


SLUG_OF: dict[GroupKind, Callable[[str], str]] = {
    GroupKind.TOPIC: slugify,
    GroupKind.PROVIDER: provider_slug,
}
_FIELDS = {GroupKind.TOPIC: "topics", GroupKind.PROVIDER: "provider"}  # the article's field


def resolve_slugs(keys: Iterable[str], slug_of: Callable[[str], str]) -> dict[str, str]:
    """Each key's slug: `slug_of(key)`, unless a key that sorts before it has that slug.

    Such a key gets `hashed_slug` with LONG_HASH_DIGITS digits instead (numbered on, in
    the unlikely case that is taken too), never any key's own slug: a crafted name can
    move only itself, never another feed.
    """
    ordered = sorted(keys)
    own = {key: slug_of(key) for key in ordered}
    reserved = set(own.values())
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for key in ordered:
        slug = own[key]
        if slug in taken:
            slug = base = hashed_slug(key, LONG_HASH_DIGITS)
            count = 1
            while slug in taken or slug in reserved:
                count += 1
                slug = f"{base}-{count}"
        taken.add(slug)
        slugs[key] = slug
    return slugs


def most_common(spellings: Counter[str]) -> str:
    """The most frequent spelling; ties go to the smallest by code point."""
    return min(spellings, key=lambda name: (-spellings[name], name))


def newest_first(articles: Iterable[Item]) -> list[Item]:
    """Newest first; ties broken by id so the order never depends on input order."""
    # Two stable sorts: by id, then newest first (equal dates keep the id order).
    ordered = sorted(articles, key=attrgetter("id"))
    ordered.sort(key=attrgetter("published_at"), reverse=True)
    return ordered


def _group(
    kind: GroupKind,
    key: str,
    slug: str,
    name: str,
    newest: Sequence[Item],
    cap: int,
    *,
    older: bool = False,
) -> FeedGroup[Item]:
    """A feed of `newest` (already newest first): its first `cap`, their number, and with
    `older` the rest (for its archive pages)."""
    return FeedGroup(
        kind=kind,
        key=key,
        slug=slug,
        name=name,
        items=tuple(newest[:cap]),
        total=len(newest),
        older=tuple(newest[cap:]) if older else (),
    )


# Each key's articles (in the order added), and how often each spelling named it.
_Members = tuple[dict[str, list[Item]], dict[str, Counter[str]]]


@functools.lru_cache(maxsize=65536)  # articles share their lists of topics often
def _topic_names(topics: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each topic key of `topics` once, with its first spelling; an empty key is no topic."""
    named: dict[str, str] = {}
    for topic in topics:
        named.setdefault(topic_key(topic), topic)
    named.pop("", None)
    return tuple(named.items())


def _by_topic(articles: Iterable[Item]) -> _Members[Item]:
    members: dict[str, list[Item]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for key, spelling in _topic_names(article.topics):
            members[key].append(article)
            spellings[key][spelling] += 1
    return members, spellings


def _by_provider(articles: Iterable[Item]) -> _Members[Item]:
    members: dict[str, list[Item]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        provider = article.provider
        key = provider_key(provider.domain, article.url)
        if key:
            members[key].append(article)
            spellings[key][provider.name] += 1
    return members, spellings


def _groups_by(kind: GroupKind, found: _Members[Item], rules: FeedRules) -> list[FeedGroup[Item]]:
    """A feed per key with at least `rules.min_items` articles: slugs are resolved among
    the feeds written, so a group too small to be written moves no other feed."""
    members, spellings = found
    kept = {key: items for key, items in members.items() if len(items) >= rules.min_items}
    cap = rules.max_items.of(kind)
    slugs = resolve_slugs(kept, SLUG_OF[kind])
    return [
        _group(
            kind,
            key,
            slugs[key],
            most_common(spellings[key]),
            kept[key],
            cap,
            older=rules.archive,
        )
        for key in sorted(kept)
    ]


def moved_feeds(groups: Sequence[FeedGroup[Item]]) -> tuple[Problem, ...]:
    """A warning for each feed kept out of its own folder by a group whose key sorts first
    (see `resolve_slugs`), on its newest article: the file most likely to be the newcomer."""
    by_slug = {(group.kind, group.slug): group for group in groups}
    problems: list[Problem] = []
    for group in groups:
        own = SLUG_OF[group.kind](group.key) if group.kind.per_group else group.slug
        if group.slug == own:
            continue
        holder = by_slug[group.kind, own]
        kind = group.kind.value
        message = (
            f"{kind} {group.name!r} would share the folder {holder.folder} with {kind} "
            f"{holder.name!r}; its feed is written to {group.folder} instead"
        )
        field = _FIELDS[group.kind]
        problems.append(Problem(group.items[0].path, field, message, rejected=False))
    return tuple(problems)


def make_groups(
    articles: Sequence[Item], rules: FeedRules, all_name: str, now: datetime
) -> tuple[FeedGroup[Item], ...]:
    """Every feed to write, of `articles` (one per id, as `decide` leaves
    them): 'all' first (when enabled, even if empty), then the custom feeds in config
    order (always), then topics, then providers. `now` is the build's clock, for custom
    feeds' `max_age_days`.

    Two keys that would share a folder never stop the build: see `resolve_slugs` and
    `moved_feeds`.
    """
    # One sort for every feed: a group's members keep this order, so its first are newest.
    articles = newest_first(articles)
    groups: list[FeedGroup[Item]] = []
    if rules.all:
        cap = rules.max_items.all
        groups.append(_group(GroupKind.ALL, "", "", all_name, articles, cap, older=rules.archive))
    groups += custom_groups(articles, rules, now)
    if "topic" in rules.groups:
        groups += _groups_by(GroupKind.TOPIC, _by_topic(articles), rules)
    if "provider" in rules.groups:
        groups += _groups_by(GroupKind.PROVIDER, _by_provider(articles), rules)
    return tuple(groups)


def provider_feeds(feeds: Sequence[FeedGroup[Item]]) -> dict[str, str]:
    """The folder of each item's provider feed, by item path, for the items of `feeds`
    (the feeds and archive pages to write) whose provider has one: RSS items name it as
    their `<source>`."""
    folders = {feed.key: feed.folder for feed in feeds if feed.kind is GroupKind.PROVIDER}
    found: dict[str, str] = {}
    if not folders:
        return found
    for feed in feeds:  # a provider feed's items are its provider's
        if feed.kind is GroupKind.PROVIDER:
            found |= dict.fromkeys([item.path for item in feed.items], feed.folder)
    for feed in feeds:
        if feed.kind is GroupKind.PROVIDER:
            continue
        for item in feed.items:
            if item.path not in found:
                folder = folders.get(provider_key(item.provider.domain, item.url))
                if folder is not None:
                    found[item.path] = folder
    return found
