"""Group selected articles into feeds: everything, per topic and per provider.

Keys decide which spellings are one group; slugs decide where a group's files live.
Both depend only on the group's own key, never on which other groups exist or the
order files were found, so a feed's URL never changes once it exists.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from feeds.config import FeedRules
from feeds.errors import OutputError
from feeds.model import FeedGroup, GroupKind, Item
from feeds.text import normalize_host, url_host

_SEPARATORS = re.compile(r"[\s\-_]+")
_SIMPLE_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
SLUG_ASCII_MAX = 60


def topic_key(name: str) -> str:
    """NFKC, case-folded, runs of spaces/'-'/'_' made one space, trimmed: 'Machine-Learning'
    and ' machine learning ' share the key 'machine learning'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def provider_key(domain: str, url: str) -> str:
    """The provider's domain lower-cased, without 'www.', IDN as punycode; else the URL's host.

    A domain that is not a host name ('BBC News') is keyed like a topic.
    """
    raw = domain.strip() or url_host(url)
    host = normalize_host(raw)
    if host is None:
        return topic_key(raw)
    return host.removeprefix("www.")


def slugify(key: str) -> str:
    """A URL path segment for a key: readable when it can be, unique always.

    A key of only a-z, 0-9 and single spaces maps to itself with '-' for spaces. Any other
    key (or one longer than SLUG_ASCII_MAX) gets its ASCII transliteration, cut to
    SLUG_ASCII_MAX characters, plus the first 8 hex digits of its SHA-256, so
    'c', 'c++' and 'c#' stay three feeds and '../../etc' is a name like any other.
    """
    # A long key is cut and hashed like any other: a file name has at most 255 bytes.
    if len(key) <= SLUG_ASCII_MAX and _SIMPLE_KEY.fullmatch(key):
        return key.replace(" ", "-")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    readable = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")[:SLUG_ASCII_MAX].strip("-")
    return f"{readable}-{digest}" if readable else digest


def provider_slug(key: str) -> str:
    """A provider's slug: its key when that is a valid host name ('bbc.co.uk'), else slugify."""
    return key if normalize_host(key) == key else slugify(key)


def most_common(spellings: Counter[str]) -> str:
    """The most frequent spelling; ties go to the smallest by code point."""
    return min(spellings, key=lambda name: (-spellings[name], name))


def newest_first(articles: Iterable[Item]) -> list[Item]:
    """Newest first; ties broken by id so the order never depends on input order."""
    by_id = sorted(articles, key=lambda a: a.id)
    return sorted(by_id, key=lambda a: a.published_at, reverse=True)


def _group(
    kind: GroupKind, key: str, slug: str, name: str, items: Sequence[Item], cap: int
) -> FeedGroup[Item]:
    ordered = newest_first(items)
    return FeedGroup(
        kind=kind, key=key, slug=slug, name=name, items=tuple(ordered[:cap]), total=len(ordered)
    )


def _groups_by(
    kind: GroupKind,
    keyed: Iterable[tuple[str, str, Item]],
    slug_of: Callable[[str], str],
    cap: int,
) -> list[FeedGroup[Item]]:
    members: dict[str, dict[str, Item]] = defaultdict(dict)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for key, spelling, article in keyed:
        if article.id not in members[key]:
            members[key][article.id] = article
            spellings[key][spelling] += 1
    groups = [
        _group(
            kind, key, slug_of(key), most_common(spellings[key]), list(members[key].values()), cap
        )
        for key in sorted(members)
    ]
    _refuse_collisions(groups)
    return groups


def _refuse_collisions(groups: Sequence[FeedGroup[Item]]) -> None:
    seen: dict[str, FeedGroup[Item]] = {}
    for group in groups:
        other = seen.setdefault(group.folder, group)
        if other is not group:
            msg = (
                f"{group.folder}: {group.kind.value}s {other.name!r} and {group.name!r} "
                "would share this folder; rename one of them in the articles"
            )
            raise OutputError(msg)


def make_groups(
    articles: Sequence[Item], rules: FeedRules, all_name: str
) -> tuple[FeedGroup[Item], ...]:
    """Every feed to write: 'all' first (when enabled, even if empty), then topics, then providers.

    Raises OutputError when two different keys would be written to the same folder.
    """
    cap = rules.max_items
    groups: list[FeedGroup[Item]] = []
    if rules.all:
        groups.append(_group(GroupKind.ALL, "", "", all_name, articles, cap))
    if "topic" in rules.groups:
        keyed = ((topic_key(t), t, a) for a in articles for t in a.topics)
        groups += _groups_by(GroupKind.TOPIC, ((k, t, a) for k, t, a in keyed if k), slugify, cap)
    if "provider" in rules.groups:
        keyed = ((provider_key(a.provider.domain, a.url), a.provider.name, a) for a in articles)
        groups += _groups_by(
            GroupKind.PROVIDER, ((k, n, a) for k, n, a in keyed if k), provider_slug, cap
        )
    return tuple(groups)
