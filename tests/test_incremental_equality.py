"""Incremental output == a clean build, through every change a cron run meets.

A cached build decides what to re-render from what changed; a clean (`--no-cache`) build
decides nothing. Each step below changes articles, the clock or the config, runs a cached
build, and compares its output byte for byte with a clean build of the same articles and
config into a new output folder at the same moment; the manifest must list exactly the
files there are. The changes drawn: duplicates whose winner changes, the clock moving
either way across `select.max_age_days` and `include_future`, heat in a heat-ranked feed,
a topic's or a provider's spelling (a feed is named by its most common one), `min_items`
and slug collisions making feeds come and go, unpublished and low-quality flips, and the
config: custom feeds, caps, `select` rules, the site title and archives on and off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.group import hashed_slug
from feeds.manifest import load_manifest
from tests.kit import NOW, Site, article, make_site, snapshot

AI = ("AI", "ai", "Ai")  # one topic key: the feed takes the most common spelling
# A topic whose own slug is the one C++ would get ('c-' and 8 hex digits of its hash): the
# key that sorts first keeps the folder, so C++ moves while both exist.
COLLIDING = hashed_slug("c++", 8)
TOPICS = (*AI, "C++", COLLIDING, "Space", "Climate")
# Domain -> the names articles give it. 'BBC News' is no host name, so it is keyed like a
# topic, and its slug is that of the host 'bbc-news': another collision.
PROVIDERS = {
    "alpha.example": ("Alpha", "ALPHA", "Alpha News"),
    "BBC News": ("BBC News",),
    "bbc-news": ("Bbc",),
    "gamma.example": ("Gamma",),
}
CUSTOM: tuple[dict[str, Any], ...] = (
    {"path": "top", "title": "Top", "order": "heat", "max_items": 3},
    {"path": "collections/ai", "title": "AI", "topics": {"any": ["ai"], "none": ["Space"]}},
    {"path": "week", "title": "Week", "max_age_days": 7, "max_items": 4},
)
ARCHIVE = {"archive": True, "max_items": 3, "archive_page_size": 2}
SELECT = {"max_age_days": 12, "min_quality": 30}
HEATS = (None, 0, 1, 3, 5, 8, 13, 21, 34, 55)


def _article(n: int, version: int) -> dict[str, Any]:
    rng = random.Random(n * 1000 + version)
    domain = rng.choice(sorted(PROVIDERS))
    return article(
        n,
        title=f"Story {n} v{version}",
        topics=rng.sample(TOPICS, rng.randint(1, 3)),
        provider={"name": rng.choice(PROVIDERS[domain]), "domain": domain},
        # Up to a day ahead (held back until its time) and up to 14 back (some older than
        # select.max_age_days).
        publishedDateTime=NOW + timedelta(hours=rng.randint(-14 * 24, 24)),
        heat=rng.choice(HEATS),
        quality=rng.choice([10, 50, 50, 50, 80, 80]),
        published=rng.random() > 0.1,
    )


@dataclass
class Scenario:
    """A site, its articles by file name, its clock and the feeds config, step by step."""

    root: Path
    files: dict[str, dict[str, Any]]
    feeds: dict[str, Any] = field(default_factory=lambda: {"custom": list(CUSTOM)})
    select: dict[str, Any] = field(default_factory=lambda: dict(SELECT))
    now: datetime = NOW
    steps: int = 0
    site: Site = field(init=False)

    def __post_init__(self) -> None:
        self.site = make_site(self.root / "site", self.files, feeds=self.feeds, select=self.select)

    def write(self, name: str, data: dict[str, Any]) -> None:
        self.files[name] = data
        self.site.write({name: data})

    def delete(self, name: str) -> None:
        if name in self.files and len(self.files) > 1:
            del self.files[name]
            (self.site.content / name).unlink()

    def set_feeds(self, **changes: Any) -> None:
        """Replace feeds keys (None removes one) and rewrite the config."""
        self.feeds = {k: v for k, v in {**self.feeds, **changes}.items() if v is not None}
        self.site.sections["feeds"] = self.feeds
        self.site.configure()

    def check(self) -> None:
        """A cached build, then the same inputs built clean into a new folder."""
        self.site.build(now=self.now, allow_empty=True)
        incremental = snapshot(self.site.out)
        self.steps += 1
        sections = {**self.site.sections, "content": {"dir": str(self.site.content)}}
        fresh = make_site(self.root / f"clean-{self.steps}", **sections)
        fresh.build(now=self.now, use_cache=False, allow_empty=True)
        assert incremental == snapshot(fresh.out)
        assert load_manifest(self.site.out).all_files() == set(incremental)


def _stamp(when: datetime) -> str:
    """A `publishedDateTime` as article files carry it."""
    return str(article(publishedDateTime=when)["publishedDateTime"])


def _change_article(scenario: Scenario, op: str, n: int, value: int) -> None:
    """One article op on file n (a duplicate of n lives in 'dup-n.md')."""
    name, dup = f"{n:02d}.md", f"dup-{n:02d}.md"
    data = dict(scenario.files.get(name) or _article(n, 0))
    if op == "delete":
        scenario.delete(name)
        return
    if op == "undup":
        scenario.delete(dup)
        return
    if op == "dup":  # same id, its own date: older or newer than the original
        when = _stamp(NOW - timedelta(days=value - 1))
        scenario.write(dup, {**data, "title": f"Duplicate {n} v{value}", "publishedDateTime": when})
        return
    if op == "edit":
        data = _article(n, value)
    elif op == "spell":  # the AI topic, spelled another way
        data["topics"] = [AI[value % 3], *(t for t in data["topics"] if t not in AI)]
    elif op == "provider":  # the same domain, named another way
        domain = data["provider"]["domain"]
        names = PROVIDERS[domain]
        data["provider"] = {"name": names[value % len(names)], "domain": domain}
    elif op == "heat":
        data["heat"] = HEATS[value]
    elif op == "unpublish":
        data["published"] = not data.get("published", True)
    elif op == "quality":  # across select.min_quality (30)
        data["quality"] = 10 if data["quality"] >= 30 else 80
    elif op == "backdate":  # to the oldest archive page, or out of select.max_age_days
        data["publishedDateTime"] = _stamp(NOW - timedelta(days=value + 4))
    elif op == "future":  # comes of age `value` half-days after the clock
        data["publishedDateTime"] = _stamp(scenario.now + timedelta(hours=12 * value + 1))
    scenario.write(name, data)


ARTICLE_OPS = (
    "add",
    "edit",
    "delete",
    "dup",
    "undup",
    "spell",
    "provider",
    "heat",
    "unpublish",
    "quality",
    "backdate",
    "future",
)


def _step(scenario: Scenario, op: str, n: int, value: int) -> None:
    """Apply one step: an article op, the clock, or a config change."""
    if op == "clock":  # -2 to +2.5 days: across max_age_days and future dates, both ways
        scenario.now += timedelta(hours=12 * (value - 4))
    elif op == "archive":
        scenario.set_feeds(
            **(ARCHIVE if "archive" not in scenario.feeds else dict.fromkeys(ARCHIVE))
        )
    elif op == "custom":
        chosen = random.Random(n * 10 + value).sample(CUSTOM, value % 4)
        scenario.set_feeds(custom=chosen)
    elif op == "caps":  # never under the archive page size (2)
        scenario.set_feeds(max_items={"custom": value % 4 + 1, "topic": n % 4 + 2})
    elif op == "min_items":
        scenario.set_feeds(min_items=value % 3 + 1)
    elif op == "select":
        rules = random.Random(n * 10 + value)
        scenario.site.configure(
            select={
                "max_age_days": rules.choice([None, 5, 12]),
                "min_quality": rules.choice([0, 30, 60]),
                "include_future": rules.random() < 0.3,
                "published_only": rules.random() < 0.7,
            }
        )
    elif op == "title":
        scenario.site.configure(site={"title": f"Site {value}"})
    else:
        _change_article(scenario, op, n, value)


def _corpus(size: int) -> dict[str, dict[str, Any]]:
    return {f"{n:02d}.md": _article(n, 0) for n in range(size)}


STEP = st.tuples(st.sampled_from((*ARTICLE_OPS, "clock")), st.integers(0, 13), st.integers(0, 9))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, min_size=1, max_size=6), archive=st.booleans())
# Article 3 is the newest: a duplicate dated now wins, one 8 days old loses, one dated
# tomorrow wins and is held back (so the id is gone), then the duplicate goes.
@example(steps=[("dup", 3, 1), ("dup", 3, 9), ("dup", 3, 0), ("undup", 3, 0)], archive=True)
# A newer duplicate of 4 wins, the original edited newer wins back, then is deleted.
@example(steps=[("dup", 4, 3), ("edit", 4, 6), ("delete", 4, 0)], archive=False)
# Article 2 dated 13 hours ahead: it comes of age as the clock moves a day on (and 5 and
# 12 grow older than select.max_age_days), leaves as it moves back, and returns.
@example(steps=[("future", 2, 1), ("clock", 0, 6), ("clock", 0, 1), ("clock", 0, 9)], archive=True)
# The heat-ranked 'top' (3 items: 5, 4, 9): 2 heats up into it, 5 cools out of it.
@example(steps=[("heat", 2, 9), ("heat", 5, 0), ("heat", 2, 1)], archive=False)
# The AI topic (0, 3 and 9 say 'AI') respelled one article at a time: its name goes to
# 'ai', then to 'Ai'.
@example(steps=[("spell", n, v) for n, v in ((0, 1), (3, 1), (9, 2), (0, 2))], archive=True)
# 13, 12, 2 and 5 join it, older than its live feed's 3 items: respelling only them turns
# its name to 'ai' while the live feed's items stay as they are.
@example(
    steps=[("spell", n, v) for n, v in ((13, 0), (12, 1), (2, 1), (5, 1), (13, 1))],
    archive=True,
)
# alpha.example (3 says 'Alpha News', 5 'ALPHA'): its name follows the count (ALPHA, then Alpha).
@example(steps=[("provider", n, v) for n, v in ((3, 1), (5, 0), (3, 0), (5, 2))], archive=False)
# 9 alone names topic 'c-cedb1bac' and provider 'bbc-news', whose slugs C++ and 'BBC News'
# would otherwise take: the moved feeds go home and come back; then 'BBC News' goes.
@example(
    steps=[("delete", 9, 0), ("add", 9, 0), ("delete", 12, 0), ("delete", 13, 0)], archive=True
)
# Unpublished and below-quality flips, both ways.
@example(
    steps=[("unpublish", 3, 0), ("quality", 4, 0), ("quality", 6, 0), ("unpublish", 3, 0)],
    archive=True,
)
# Back-dated edits move items down the archive pages (live feeds of 3, pages of 2).
@example(steps=[("backdate", 3, 1), ("backdate", 0, 6), ("edit", 3, 2)], archive=True)
def test_cached_build_equals_a_clean_one_through_article_and_clock_changes(
    steps: list[tuple[str, int, int]], archive: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    feeds = {"custom": list(CUSTOM), **(ARCHIVE if archive else {})}
    scenario = Scenario(tmp_path_factory.mktemp("articles"), _corpus(14), feeds)
    scenario.check()
    for op, n, value in steps:
        _step(scenario, op, n, value)
        scenario.check()


CONFIG_OPS = ("archive", "custom", "caps", "min_items", "select", "title", "clock")
MIXED = st.tuples(
    st.sampled_from((*CONFIG_OPS, "edit", "backdate", "delete", "spell", "dup")),
    st.integers(0, 11),
    st.integers(0, 9),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(MIXED, min_size=1, max_size=6))
# Archives on and off between steps, with back-dated edits moving items between pages.
@example(steps=[("archive", 0, 0), ("backdate", 3, 0), ("archive", 0, 0), ("backdate", 4, 5)])
@example(steps=[("archive", 0, 0), ("backdate", 8, 9), ("caps", 1, 2), ("archive", 0, 0)])
# min_items 3 drops the small topic and provider feeds (the colliding ones among them),
# which frees the folders of those they pushed aside; 1 brings them back.
@example(steps=[("min_items", 0, 2), ("min_items", 0, 0), ("min_items", 0, 1)])
@example(steps=[("custom", 1, 3), ("custom", 2, 0), ("select", 0, 1), ("title", 0, 3)])
@example(steps=[("select", n, v) for n, v in ((1, 2), (3, 4), (5, 6))])
def test_cached_build_equals_a_clean_one_through_config_changes(
    steps: list[tuple[str, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    scenario = Scenario(tmp_path_factory.mktemp("config"), _corpus(12))
    scenario.check()
    for op, n, value in steps:
        _step(scenario, op, n, value)
        scenario.check()


def _rss(scenario: Scenario, feed: str) -> etree._Element:
    return etree.fromstring((scenario.site.out / feed / "rss.xml").read_bytes())


def _title(scenario: Scenario, feed: str) -> str:
    """The channel title of a feed's RSS file in the cached build's output."""
    return str(_rss(scenario, feed).findtext("channel/title"))


def _items(scenario: Scenario, feed: str = "") -> list[str]:
    """The titles of a feed's RSS items, in order."""
    return [str(title.text) for title in _rss(scenario, feed).iterfind("channel/item/title")]


def _plain(tmp_path: Path, files: dict[str, dict[str, Any]], **feeds: Any) -> Scenario:
    """No custom feeds and no select rules: only what the test says."""
    scenario = Scenario(tmp_path, files, feeds=feeds, select={})
    scenario.check()
    return scenario


def test_a_topic_feed_takes_the_most_common_spelling_after_one_article_is_respelled(
    tmp_path: Path,
) -> None:
    # Article n is dated day n + 1: the live feed of 2 holds 4 and 3, the newest.
    spellings = ("AI", "Ai", "AI", "ai", "ai")
    files = {f"{n}.md": article(n, topics=[topic]) for n, topic in enumerate(spellings)}
    scenario = _plain(tmp_path, files, max_items={"topic": 2})
    assert _title(scenario, "topics/ai") == "Test Site: AI"  # 'AI' and 'ai' 2 each
    # Only an article outside the live feed changes: its items stay, its name does not.
    scenario.write("0.md", {**files["0.md"], "topics": ["ai"]})
    scenario.check()
    assert _title(scenario, "topics/ai") == "Test Site: ai"
    scenario.write("1.md", {**files["1.md"], "topics": ["ai"]})
    scenario.write("2.md", {**files["2.md"], "topics": ["Ai"]})
    scenario.check()
    assert _title(scenario, "topics/ai") == "Test Site: ai"  # 'ai' 3 of 5
    scenario.write("0.md", {**files["0.md"], "topics": ["Ai"]})
    scenario.write("1.md", {**files["1.md"], "topics": ["Ai"]})
    scenario.check()
    assert _title(scenario, "topics/ai") == "Test Site: Ai"  # 'Ai' 3 of 5


def test_a_provider_feed_takes_the_most_common_name_after_one_article_is_renamed(
    tmp_path: Path,
) -> None:
    names = ("Alpha", "ALPHA", "Alpha", "ALPHA")
    files = {
        f"{n}.md": article(n, provider={"name": name, "domain": "alpha.example"})
        for n, name in enumerate(names)
    }
    scenario = _plain(tmp_path, files, max_items={"provider": 2}, archive=True)
    assert _title(scenario, "providers/alpha.example") == "Test Site: ALPHA"  # a tie
    # An article on an archive page renamed: the live feed's items stay, its name does not.
    alpha = {"name": "Alpha", "domain": "alpha.example"}
    scenario.write("1.md", {**files["1.md"], "provider": alpha})
    scenario.check()
    assert _title(scenario, "providers/alpha.example") == "Test Site: Alpha"  # 3 of 4
    scenario.write("0.md", {**files["0.md"], "provider": {**alpha, "name": "ALPHA"}})
    scenario.check()
    assert _title(scenario, "providers/alpha.example") == "Test Site: ALPHA"  # a tie again


def test_a_future_article_appears_when_its_time_comes_with_no_file_touched(
    tmp_path: Path,
) -> None:
    later = NOW + timedelta(hours=6)
    files = {
        "a.md": article(1, title="Now", publishedDateTime=NOW - timedelta(hours=1)),
        "f.md": article(2, title="Later", topics=["Soon"], publishedDateTime=later),
    }
    scenario = _plain(tmp_path, files)
    assert _items(scenario) == ["Now"]
    scenario.now = later  # nothing but the clock moves
    scenario.check()
    assert _items(scenario) == ["Later", "Now"]
    assert (scenario.site.out / "topics/soon/rss.xml").exists()
    scenario.now = later - timedelta(seconds=1)  # and back: it is not out yet
    scenario.check()
    assert not (scenario.site.out / "topics/soon").exists()


def test_a_duplicate_takes_its_id_over_and_gives_it_back(tmp_path: Path) -> None:
    original = article(1, title="Original", publishedDateTime=NOW - timedelta(days=2))
    scenario = _plain(tmp_path, {"a.md": original, "b.md": article(2)})
    newer = {**original, "title": "Newer copy", "publishedDateTime": _stamp(NOW)}
    scenario.write("z.md", newer)
    scenario.check()
    assert _items(scenario) == ["Newer copy", "Article 2"]
    scenario.write("z.md", {**newer, "publishedDateTime": _stamp(NOW - timedelta(days=3))})
    scenario.check()
    assert _items(scenario) == ["Original", "Article 2"]


def test_a_feed_pushed_aside_by_a_colliding_name_goes_home_when_that_feed_goes(
    tmp_path: Path,
) -> None:
    files = {
        "1.md": article(1, topics=["C++"]),
        "2.md": article(2, topics=["C++"]),
        "3.md": article(3, topics=[COLLIDING]),
    }
    scenario = _plain(tmp_path, files)
    home, aside = "topics/c-cedb1bac", "topics/c-cedb1bac7efcd7db"
    assert _title(scenario, home) == f"Test Site: {COLLIDING}"
    assert _title(scenario, aside) == "Test Site: C++"
    scenario.set_feeds(min_items=2)  # the colliding topic has one article: no feed
    scenario.check()
    assert _title(scenario, home) == "Test Site: C++"
    assert not (scenario.site.out / aside).exists()
    scenario.set_feeds(min_items=None)
    scenario.check()
    assert _title(scenario, aside) == "Test Site: C++"
