"""Which feeds one article joins, as of one clock: the rows the membership index keeps.

An article that won its id (`feeds.index` decides that) and that the `select` rules publish
joins the all-articles feed, every custom feed whose rule it meets, each of its topics and
its provider. Each membership carries the feed's sort key and the spelling the article
names the feed with, so that the index can keep each feed's order, total and name by
adding and removing rows, without looking at any other article.

This is the one place that says how an article is grouped; `feeds.group` keeps the keys,
slugs and names of groups, `feeds.curate` the custom feeds' rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from feeds.config import Config, CustomFeed, SelectRules
from feeds.curate import Rule, facts_of, matches, rule_of
from feeds.groupkeys import provider_key, topic_key
from feeds.model import GroupKind, Stub

DAY = 86400  # seconds


class Membership(NamedTuple):
    """One feed an article joins: the feed, its place in it and its spelling there."""

    kind: GroupKind
    key: str  # '' for the all-articles feed; a custom feed's path
    rank: float  # what the feed sorts by, greatest first: heat, or publication time
    spelling: str  # how the article names a topic or provider feed; '' for the others


@functools.lru_cache(maxsize=65536)  # articles share their lists of topics often
def topic_names(topics: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each topic key of `topics` once, with its first spelling; an empty key is no topic."""
    named: dict[str, str] = {}
    for topic in topics:
        named.setdefault(topic_key(topic), topic)
    named.pop("", None)
    return tuple(named.items())


def selects(rules: SelectRules, now: datetime) -> functools.partial[bool]:
    """The predicate of the `select` rules as of `now`: whether they publish an article."""
    oldest = None if rules.max_age_days is None else now - timedelta(days=rules.max_age_days)
    return functools.partial(_selected, rules, frozenset(rules.types), oldest, now)


def _selected(
    rules: SelectRules, types: frozenset[str], oldest: datetime | None, now: datetime, stub: Stub
) -> bool:
    return (
        (stub.published or not rules.published_only)
        and stub.quality >= rules.min_quality
        and (not types or stub.type in types)
        and (rules.include_future or stub.published_at <= now)
        and (oldest is None or stub.published_at >= oldest)
    )


@dataclass(frozen=True, slots=True)
class Grouping:
    """Everything `memberships_of` needs, made once per run from the config and clock."""

    selected: functools.partial[bool]
    topics: bool
    providers: bool
    custom: tuple[tuple[CustomFeed, Rule], ...]
    reads: tuple[bool, bool, bool]  # whether a custom rule reads topics, providers, categories


def grouping(config: Config, now: datetime) -> Grouping:
    """How articles are grouped under `config` as of `now`."""
    rules = config.feeds
    custom = tuple((feed, rule_of(feed, now)) for feed in rules.custom)
    return Grouping(
        selected=selects(config.select, now),
        topics="topic" in rules.groups,
        providers="provider" in rules.groups,
        custom=custom,
        reads=(
            any(rule.reads_topics for _, rule in custom),
            any(rule.reads_providers for _, rule in custom),
            any(rule.categories for _, rule in custom),
        ),
    )


def memberships_of(stub: Stub, how: Grouping) -> list[Membership]:
    """Every feed `stub` joins, if it won its id; none when the rules do not publish it.
    The all-articles feed's row is always there for a published article: its total is
    the number of articles published."""
    if not how.selected(stub):
        return []
    at = stub.published_at.timestamp()
    found = [Membership(GroupKind.ALL, "", at, "")]
    if how.custom:
        facts = facts_of(stub, *how.reads)
        for feed, rule in how.custom:
            if matches(rule, stub, facts):
                rank = (stub.heat or 0.0) if feed.order == "heat" else at
                found.append(Membership(GroupKind.CUSTOM, feed.path, rank, ""))
    if how.topics:
        found += [
            Membership(GroupKind.TOPIC, key, at, spelling)
            for key, spelling in topic_names(stub.topics)
        ]
    if how.providers:
        key = provider_key(stub.provider.domain, stub.url)
        if key:
            found.append(Membership(GroupKind.PROVIDER, key, at, stub.provider.name))
    return found


def clock_edges(config: Config) -> tuple[int, ...]:
    """The ages (seconds) at which an article may join or leave a feed as the clock moves:
    0 when future articles wait for their time, and every `max_age_days`."""
    edges = [] if config.select.include_future else [0]
    ages = {feed.max_age_days for feed in config.feeds.custom} | {config.select.max_age_days}
    return tuple(edges + sorted(days * DAY for days in ages if days is not None))


def moved_between(edges: Iterable[int], before: float, now: float) -> list[tuple[float, float]]:
    """The publication times (as closed ranges) of the articles that an edge passed as the
    clock moved from `before` to `now`, forward or back: the articles whose memberships
    may differ between the two."""
    low, high = min(before, now), max(before, now)
    return [(low - edge, high - edge) for edge in edges] if low != high else []
