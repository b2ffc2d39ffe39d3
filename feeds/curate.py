"""Custom feeds: whether an article meets a `feeds.custom` feed's rule, and each rule in
plain words. `feeds.members` asks the rules; the index keeps each feed's order: a `newest`
feed by date, a `heat` feed hottest first (ties to the newer article, then by id).

Names are compared by their keys (`feeds.groupkeys`), as topic and provider feeds group
them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from feeds.config import CustomFeed
from feeds.groupkeys import provider_key, topic_key
from feeds.model import Item


def _keys(names: Iterable[str]) -> frozenset[str]:
    # A name whose key is empty ('-') is kept: no article has that key, so it matches none.
    return frozenset(map(topic_key, names))


@functools.lru_cache(maxsize=65536)  # articles share their lists of topics often
def _topic_keys(topics: tuple[str, ...]) -> frozenset[str]:
    """An article's topic keys; an empty key is no topic (topic feeds drop it too)."""
    return frozenset(map(topic_key, topics)) - {""}


Names = tuple[frozenset[str], frozenset[str]]  # listed providers' (name keys, domain keys)


@dataclass(frozen=True, slots=True)
class Rule:
    """A custom feed's conditions, its names keyed for matching; empty ones hold for all."""

    topics_any: frozenset[str]
    topics_all: frozenset[str]
    topics_none: frozenset[str]
    providers_any: Names  # a listed provider matches by its name's key or as a domain
    providers_none: Names
    types: frozenset[str]
    categories: frozenset[str]
    min_quality: float | None
    min_heat: float | None  # with order heat at least 0: an article without heat is out
    oldest: datetime | None
    reads_topics: bool  # whether any topic condition is set
    reads_providers: bool


def _providers(names: Sequence[str]) -> Names:
    return _keys(names), frozenset(provider_key(name, "") for name in names)


def rule_of(feed: CustomFeed, now: datetime) -> Rule:
    """The rule of `feed` for a build at `now`."""
    min_heat = feed.min_heat
    if feed.order == "heat" and min_heat is None:
        min_heat = 0
    topics, providers = feed.topics, feed.providers
    return Rule(
        topics_any=_keys(topics.any),
        topics_all=_keys(topics.all),
        topics_none=_keys(topics.none),
        providers_any=_providers(providers.any),
        providers_none=_providers(providers.none),
        types=frozenset(feed.types),
        categories=_keys(feed.categories),
        min_quality=feed.min_quality,
        min_heat=min_heat,
        oldest=None if feed.max_age_days is None else now - timedelta(days=feed.max_age_days),
        reads_topics=bool(topics.any or topics.all or topics.none),
        reads_providers=bool(providers.any or providers.none),
    )


class Facts(NamedTuple):
    """What the rules compare of one article, keyed (an empty key is no name: never matched)."""

    topics: frozenset[str]
    provider: tuple[str, str]  # (name key, domain key)
    category: str


_NO_FACTS = Facts(frozenset(), ("", ""), "")


def facts_of(article: Item, topics: bool, providers: bool, categories: bool) -> Facts:
    """An article's facts, each only when some rule reads it (the flags say which): the
    others are left empty, as no rule looks at them."""
    provider = article.provider
    return Facts(
        _topic_keys(article.topics) if topics else _NO_FACTS.topics,
        (topic_key(provider.name), provider_key(provider.domain, article.url))
        if providers
        else _NO_FACTS.provider,
        topic_key(article.category) if categories else "",
    )


def _listed(provider: tuple[str, str], listed: Names) -> bool:
    name, domain = provider
    return (bool(name) and name in listed[0]) or (bool(domain) and domain in listed[1])


def _topics_hold(rule: Rule, topics: frozenset[str]) -> bool:
    return (
        (not rule.topics_any or not rule.topics_any.isdisjoint(topics))
        and rule.topics_all <= topics
        and rule.topics_none.isdisjoint(topics)
    )


def _providers_hold(rule: Rule, provider: tuple[str, str]) -> bool:
    wanted = not any(rule.providers_any) or _listed(provider, rule.providers_any)
    return wanted and not _listed(provider, rule.providers_none)


def matches(rule: Rule, article: Item, facts: Facts) -> bool:
    """Whether the article meets every condition of the rule (the cheap ones first)."""
    if rule.min_quality is not None and article.quality < rule.min_quality:
        return False
    if rule.min_heat is not None and (article.heat is None or article.heat < rule.min_heat):
        return False
    if rule.oldest is not None and article.published_at < rule.oldest:
        return False
    if rule.types and article.type not in rule.types:
        return False
    if rule.categories and facts.category not in rule.categories:
        return False
    if rule.reads_topics and not _topics_hold(rule, facts.topics):
        return False
    return not rule.reads_providers or _providers_hold(rule, facts.provider)


def _names(
    label: str, any_of: Sequence[str], all_of: Sequence[str], none_of: Sequence[str]
) -> list[str]:
    """'Topics: AI or Machine Learning, and Policy, not Sports', or nothing."""
    words = []
    if any_of:
        words.append(" or ".join(any_of))
    if all_of:
        words.append(("and " if any_of else "") + " and ".join(all_of))
    if none_of:
        words.append("not " + " or ".join(none_of))
    return [f"{label}: {', '.join(words)}"] if words else []


def rule_words(feed: CustomFeed) -> str:
    """The feed's rule in plain words, as its page and the front page show it:
    'Topics: AI or Machine Learning, not Sports · quality ≥ 30'."""
    parts = ["Ranked by heat, hottest first"] if feed.order == "heat" else []
    parts += _names("Topics", feed.topics.any, feed.topics.all, feed.topics.none)
    parts += _names("Providers", feed.providers.any, (), feed.providers.none)
    if feed.types:
        parts.append("Types: " + " or ".join(feed.types))
    if feed.categories:
        parts.append("Categories: " + " or ".join(feed.categories))
    if feed.min_quality is not None:
        parts.append(f"quality ≥ {feed.min_quality}")
    if feed.min_heat is not None:
        parts.append(f"heat ≥ {feed.min_heat}")
    if feed.max_age_days is not None:
        days = feed.max_age_days
        parts.append(f"from the last {days} day{'' if days == 1 else 's'}")
    return " · ".join(parts) or "Every article"
