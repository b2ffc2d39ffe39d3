"""Group selected articles into feeds: everything, per topic and per provider.

Keys decide which spellings are one group; slugs decide where a group's files live.
Both depend only on the group's own key, never on the order files were found, and a
slug depends on which other groups exist only when two keys would share a folder: the
key that sorts first keeps it, the other gets a longer hash (`resolve_slugs`). So a
feed's URL never changes once it exists, unless someone writes a colliding name.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from feeds.config import FeedRules
from feeds.model import FeedGroup, GroupKind, Item, Problem
from feeds.text import normalize_host, url_host

_SEPARATORS = re.compile(r"[\s\-_]+")
_SIMPLE_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
SLUG_ASCII_MAX = 60
SLUG_HASH_DIGITS = 8
# Hex digits of the slug a colliding group gets instead (`resolve_slugs`).
LONG_HASH_DIGITS = 16
# Names Windows cannot give a file or folder, whatever follows a dot ('con', 'NUL.txt');
# the output may be synced to a Windows machine.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))]
)


@functools.lru_cache(maxsize=65536)  # a corpus has a few hundred topics, each seen often
def topic_key(name: str) -> str:
    """NFKC, case-folded, runs of spaces/'-'/'_' made one space, trimmed: 'Machine-Learning'
    and ' machine learning ' share the key 'machine learning'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def first_topics(topics: tuple[str, ...], limit: int) -> tuple[tuple[str, ...], int]:
    """The topics among the first `limit` distinct ones (by key, so 'AI' and 'ai' count
    once; each is a feed the article is written into), and how many distinct ones there are."""
    keys = list(dict.fromkeys(topic_key(topic) for topic in topics))
    if len(keys) <= limit:
        return topics, len(keys)
    kept = frozenset(keys[:limit])
    return tuple(topic for topic in topics if topic_key(topic) in kept), len(keys)


def provider_key(domain: str, url: str) -> str:
    """The provider's domain lower-cased, without 'www.', IDN as punycode; else the URL's host.

    A domain that is not a host name ('BBC News') is keyed like a topic.
    """
    raw = domain.strip() or url_host(url)
    host = normalize_host(raw)
    if host is None:
        return topic_key(raw)
    return host.removeprefix("www.")


def windows_device(name: str) -> bool:
    """Whether Windows reserves this file name for a device ('con', 'nul.txt', 'COM1')."""
    return name.split(".", 1)[0].lower() in _WINDOWS_DEVICES


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
    # Dates are whole seconds, so the negated timestamp orders newest first exactly.
    return sorted(articles, key=lambda a: (-a.published_at.timestamp(), a.id))


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


def _groups_by(
    kind: GroupKind,
    keyed: Iterable[tuple[str, str, Item]],
    cap: int,
    *,
    older: bool = False,
) -> list[FeedGroup[Item]]:
    members: dict[str, dict[str, Item]] = defaultdict(dict)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for key, spelling, article in keyed:
        if article.id not in members[key]:
            members[key][article.id] = article
            spellings[key][spelling] += 1
    slugs = resolve_slugs(members, SLUG_OF[kind])
    return [
        _group(
            kind,
            key,
            slugs[key],
            most_common(spellings[key]),
            list(members[key].values()),
            cap,
            older=older,
        )
        for key in sorted(members)
    ]


def moved_feeds(groups: Sequence[FeedGroup[Item]]) -> tuple[Problem, ...]:
    """A warning for each feed kept out of its own folder by a group whose key sorts first
    (see `resolve_slugs`), on its newest article: the file most likely to be the newcomer."""
    by_slug = {(group.kind, group.slug): group for group in groups}
    problems: list[Problem] = []
    for group in groups:
        own = "" if group.kind is GroupKind.ALL else SLUG_OF[group.kind](group.key)
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
    articles: Sequence[Item], rules: FeedRules, all_name: str
) -> tuple[FeedGroup[Item], ...]:
    """Every feed to write: 'all' first (when enabled, even if empty), then topics, then providers.

    Two keys that would share a folder never stop the build: see `resolve_slugs` and
    `moved_feeds`.
    """
    cap, older = rules.max_items, rules.archive
    # One sort for every feed: a group's members keep this order, so its first are newest.
    articles = newest_first(articles)
    groups: list[FeedGroup[Item]] = []
    if rules.all:
        groups.append(_group(GroupKind.ALL, "", "", all_name, articles, cap, older=older))
    if "topic" in rules.groups:
        keyed = ((topic_key(t), t, a) for a in articles for t in a.topics)
        topics = ((k, t, a) for k, t, a in keyed if k)
        groups += _groups_by(GroupKind.TOPIC, topics, cap, older=older)
    if "provider" in rules.groups:
        keyed = ((provider_key(a.provider.domain, a.url), a.provider.name, a) for a in articles)
        providers = ((k, n, a) for k, n, a in keyed if k)
        groups += _groups_by(GroupKind.PROVIDER, providers, cap, older=older)
    return tuple(groups)


def provider_feeds(articles: Iterable[Item], groups: Sequence[FeedGroup[Item]]) -> dict[str, str]:
    """The folder of each article's provider feed, by article path, for the articles whose
    provider has one (RSS items name it as their `<source>`)."""
    folders = {group.key: group.folder for group in groups if group.kind is GroupKind.PROVIDER}
    if not folders:
        return {}
    found = {}
    for article in articles:
        folder = folders.get(provider_key(article.provider.domain, article.url))
        if folder is not None:
            found[article.path] = folder
    return found
