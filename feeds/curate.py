"""Custom feeds: every `feeds.custom` feed filled in one pass over the selected articles,
newest first as grouping sorted them, and each feed's rule in plain words.

A `newest` feed keeps its first `max_items` matches; a `heat` feed keeps its `max_items`
hottest in a bounded heap (ties to the newer article, then to the one the sort put first),
so no feed sorts the articles again. Names are compared by their keys (`feeds.keys`), as
topic and provider feeds group them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from feeds.config import FeedRules
from feeds.custom import CustomFeed
from feeds.keys import provider_key, topic_key
from feeds.model import FeedGroup, GroupKind, Item


def _keys(names: Iterable[str]) -> frozenset[str]:
    # A name whose key is empty ('-') is kept: no article has that key, so it matches none.
    return frozenset(map(topic_key, names))


@dataclass(frozen=True, slots=True)
class Rule:
    """A custom feed's conditions, its names keyed for matching; empty ones hold for all."""

    topics_any: frozenset[str]
    topics_all: frozenset[str]
    topics_none: frozenset[str]
    # A listed provider matches by its name's key or as a domain: (name keys, domain keys).
    providers_any: tuple[frozenset[str], frozenset[str]]
    providers_none: tuple[frozenset[str], frozenset[str]]
    types: frozenset[str]
    categories: frozenset[str]
    min_quality: float | None
    min_heat: float | None  # with order heat at least 0: an article without heat is out
    oldest: datetime | None

    @property
    def reads_topics(self) -> bool:
        return bool(self.topics_any or self.topics_all or self.topics_none)

    @property
    def reads_providers(self) -> bool:
        return any(self.providers_any + self.providers_none)


def _providers(names: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    return _keys(names), frozenset(provider_key(name, "") for name in names)


def rule_of(feed: CustomFeed, now: datetime) -> Rule:
    """The rule of `feed` for a build at `now`."""
    min_heat = feed.min_heat
    if feed.order == "heat" and min_heat is None:
        min_heat = 0
    return Rule(
        topics_any=_keys(feed.topics.any),
        topics_all=_keys(feed.topics.all),
        topics_none=_keys(feed.topics.none),
        providers_any=_providers(feed.providers.any),
        providers_none=_providers(feed.providers.none),
        types=frozenset(feed.types),
        categories=_keys(feed.categories),
        min_quality=feed.min_quality,
        min_heat=min_heat,
        oldest=None if feed.max_age_days is None else now - timedelta(days=feed.max_age_days),
    )


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules compare of one article, keyed (an empty key is no name: never matched)."""

    topics: frozenset[str] = frozenset()
    provider: tuple[str, str] = ("", "")  # (name key, domain key)
    category: str = ""


def facts_of(article: Item, topics: bool, providers: bool) -> Facts:
    """An article's facts; the topic and provider keys only when some rule reads them."""
    return Facts(
        frozenset(key for key in map(topic_key, article.topics) if key) if topics else frozenset(),
        (topic_key(article.provider.name), provider_key(article.provider.domain, article.url))
        if providers
        else ("", ""),
        topic_key(article.category),
    )


def _one_of(provider: tuple[str, str], listed: tuple[frozenset[str], frozenset[str]]) -> bool:
    name, domain = provider
    return (bool(name) and name in listed[0]) or (bool(domain) and domain in listed[1])


def matches(rule: Rule, article: Item, facts: Facts) -> bool:
    """Whether the article meets every condition of the rule."""
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
    if rule.topics_any and rule.topics_any.isdisjoint(facts.topics):
        return False
    if not rule.topics_all <= facts.topics or not rule.topics_none.isdisjoint(facts.topics):
        return False
    if any(rule.providers_any) and not _one_of(facts.provider, rule.providers_any):
        return False
    return not _one_of(facts.provider, rule.providers_none)


@dataclass(slots=True)
class _Pick:
    """A custom feed being filled: how many articles matched and which are kept, as
    indexes into the newest-first articles."""

    feed: CustomFeed
    rule: Rule
    cap: int
    total: int = 0
    newest: list[int] = field(default_factory=list)
    hottest: list[tuple[float, int]] = field(default_factory=list)  # min-heap: (heat, -index)

    def take(self, index: int, heat: float | None) -> None:
        self.total += 1
        if self.feed.order == "newest":
            if len(self.newest) < self.cap:
                self.newest.append(index)
            return
        entry = (heat or 0.0, -index)  # heat order: min_heat keeps out articles without
        if len(self.hottest) < self.cap:
            heapq.heappush(self.hottest, entry)
        elif entry > self.hottest[0]:
            heapq.heapreplace(self.hottest, entry)

    def group(self, articles: Sequence[Item]) -> FeedGroup[Item]:
        if self.feed.order == "newest":
            ranked = self.newest
        else:  # hottest first; on a tie the greater -index, the article met first
            ranked = [-index for _, index in sorted(self.hottest, reverse=True)]
        items = tuple(articles[index] for index in ranked)
        path, title = self.feed.path, self.feed.title
        return FeedGroup(GroupKind.CUSTOM, path, path, title, items, self.total)


def custom_groups(
    articles: Sequence[Item], rules: FeedRules, now: datetime
) -> list[FeedGroup[Item]]:
    """Every custom feed of `rules`, in config order, from `articles` (newest first), all
    in one pass. `now` is the build's clock, for `max_age_days`."""
    picks = [
        _Pick(feed, rule_of(feed, now), feed.max_items or rules.max_items.custom)
        for feed in rules.custom
    ]
    topics = any(pick.rule.reads_topics for pick in picks)
    providers = any(pick.rule.reads_providers for pick in picks)
    for index, article in enumerate(articles if picks else ()):
        facts = facts_of(article, topics, providers)
        for pick in picks:
            if matches(pick.rule, article, facts):
                pick.take(index, article.heat)
    return [pick.group(articles) for pick in picks]


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
