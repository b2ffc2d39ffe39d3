"""Incremental builds with custom feeds equal a --no-cache build (hypothesis).

Each example edits, adds and deletes articles (their heat, topics, provider, category,
quality and date drawn too), changes the custom feeds and the caps, and moves the clock
across custom feeds' `max_age_days`; after every step the output must be byte for byte
what a clean build of the same articles and config writes at the same moment, and the
manifest must list exactly the files there are.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.manifest import load_manifest
from tests.kit import NOW, article, make_site, snapshot

TOPICS = ("AI", "ai", "Machine Learning", "Policy", "Sports", "Climate")
PROVIDERS = ("alpha.example", "beta.example", "www.Gamma.example")
FEEDS: tuple[dict[str, Any], ...] = (
    {"path": "top", "title": "Top", "order": "heat", "max_items": 3},
    {"path": "collections/ai", "title": "AI", "topics": {"any": ["ai"], "none": ["Sports"]}},
    {"path": "week", "title": "Week", "max_age_days": 7, "min_heat": 2, "max_items": 4},
    {
        "path": "picks/opinion",
        "title": "Opinion",
        "categories": ["opinion"],
        "providers": {"none": ["beta.example"]},
        "min_quality": 40,
        "content": "summary",
    },
)


def _article(n: int, version: int) -> dict[str, Any]:
    rng = random.Random(n * 1000 + version)
    return article(
        n,
        title=f"Story {n} v{version}",
        topics=rng.sample(TOPICS, rng.randint(0, 2)),
        provider=rng.choice(PROVIDERS),
        publishedDateTime=NOW - timedelta(days=rng.randint(0, 12), hours=rng.choice([0, 5])),
        heat=rng.choice([None, -1, 0, 2, 2, 7, "hot"]),
        category=rng.choice([None, "Opinion", " opinion ", "News"]),
        quality=rng.choice([10, 40, 80]),
    )


ARTICLE_OPS = st.tuples(
    st.sampled_from(["add", "edit", "delete"]), st.integers(0, 15), st.integers(1, 9)
)
CONFIG_OPS = st.tuples(
    st.sampled_from(["feeds", "caps", "min_items", "clock"]), st.integers(0, 15), st.integers(1, 9)
)
STEPS = st.lists(st.one_of(ARTICLE_OPS, CONFIG_OPS), min_size=1, max_size=6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
@example(steps=[("clock", 0, 9)])  # three days on: articles leave the 'week' feed
def test_incremental_build_with_custom_feeds_equals_a_no_cache_build(
    steps: list[tuple[str, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("custom")
    site = make_site(
        root, {f"{n:02d}.md": _article(n, 0) for n in range(10)}, feeds={"custom": list(FEEDS)}
    )
    now = NOW
    site.build(now=now)
    for step, (op, n, value) in enumerate(steps):
        path = site.content / f"{n:02d}.md"
        if op == "delete" and len(list(site.content.iterdir())) > 1:
            path.unlink(missing_ok=True)
        elif op in ("add", "edit"):
            site.write({path.name: _article(n, value if op == "edit" else 0)})
        elif op == "feeds":  # a subset of the feeds, in another order
            chosen = random.Random(n * 10 + value).sample(FEEDS, value % 5)
            site.configure(feeds={"custom": chosen})
        elif op == "caps":
            site.configure(feeds={"max_items": {"custom": value, "topic": n % 5 + 1}})
        elif op == "min_items":
            site.configure(feeds={"min_items": value % 3 + 1})
        elif op == "clock":
            now += timedelta(days=value / 3)
        site.build(now=now, allow_empty=True)
        incremental = snapshot(site.out)
        sections = {**site.sections, "content": {"dir": str(site.content)}}
        fresh = make_site(root / f"fresh-{step}", **sections)  # a new output folder each time
        fresh.build(now=now, use_cache=False, allow_empty=True)
        assert incremental == snapshot(fresh.out), steps
        assert load_manifest(site.out).all_files() == set(incremental)
