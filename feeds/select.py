"""Decide which valid articles are published: one version per id, then the config's rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Generic

from feeds.config import Config, SelectRules
from feeds.errors import InputError
from feeds.model import Item, Problem


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
