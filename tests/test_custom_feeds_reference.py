"""Custom feeds against a reference selection written plainly, here, from the issue's rules.

A generated corpus (spellings that differ only as topic keys allow, providers named by
name or domain, heat missing, negative, text or tied, duplicates, drafts, future and old
articles) is built as `feeds build` builds it, and every custom feed's items are read
back from its RSS, Atom and JSON Feed files and compared, item by item and in order, with
what the reference picks from the same article data. Every key of `feeds.custom` is used.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest

from tests.kit import NOW, Site, article, make_site

TOPICS = (
    ("AI", "ai", " Ai "),
    ("Machine Learning", "machine-learning", "MACHINE_LEARNING"),
    ("Policy", "policy"),
    ("Sports", "SPORTS"),
    ("Climate",),
    ("Space",),
)
PROVIDERS = (
    ("Alpha News", "alpha.example"),
    ("alpha  news", "www.alpha.example"),
    ("Beta Wire", "Beta.Example"),
    ("Gamma", "gamma.example"),
    ("BBC News", "bbc.co.uk"),
    ("BBC", "www.BBC.co.uk"),
)
CATEGORIES = ("News", " news ", "Opinion", "opinion", "Analysis", None, "")
TYPES = ("article", "article", "video", "podcast")
HEATS = (None, -1, 0, 1, 2.5, 5, 5, 10, "7", "hot", 30, 30)
CAPS = {"all": 40, "topic": 5, "provider": 7, "custom": 12}
CUSTOM: list[dict[str, Any]] = [
    {"path": "top", "title": "Top stories", "order": "heat", "max_items": 15},
    {
        "path": "top/hot-ai",
        "title": "Hot AI",
        "order": "heat",
        "min_heat": 5,
        "topics": {"any": ["ai"]},
        "max_items": 8,
    },
    {
        "path": "collections/ai-policy",
        "title": "AI and policy",
        "description": "Artificial intelligence and the law.",
        "topics": {"any": ["AI", "machine learning"], "all": ["Policy"], "none": ["Sports"]},
        "min_quality": 30,
        "max_age_days": 7,
        "content": "summary",
    },
    {
        "path": "collections/alpha",
        "title": "Alpha and the BBC",
        "order": "newest",
        "providers": {"any": ["ALPHA NEWS", "www.bbc.co.uk"], "none": ["bbc"]},
        "types": ["article", "video"],
        "categories": ["news", "OPINION"],
    },
    {
        "path": "collections/warm",
        "title": "Warm, not Beta",
        "providers": {"none": ["beta.example"]},
        "min_heat": 2.5,
        "categories": ["Analysis", "news"],
    },
    {"path": "empty", "title": "Nothing yet", "topics": {"all": ["AI", "Nonexistent"]}},
]
SELECT = {"min_quality": 10}


def _fields(rng: random.Random, n: int) -> dict[str, Any]:
    """Front matter of article n with every field custom feeds read drawn at random."""
    topics = [rng.choice(spellings) for spellings in rng.sample(TOPICS, rng.randint(0, 3))]
    name, domain = rng.choice(PROVIDERS)
    # Whole hours within 20 days before NOW (a few after): many articles share a moment.
    when = NOW - timedelta(hours=rng.randint(-3, 20 * 24))
    fields: dict[str, Any] = {
        "topics": topics,
        "provider": {"name": name, "domain": domain},
        "publishedDateTime": when,
        "quality": rng.choice([0, 5, 10, 29, 30, 31, 50, 90, "45"]),
        "type": rng.choice(TYPES),
        "published": rng.random() > 0.1,
        "heat": rng.choice(HEATS),
        "category": rng.choice(CATEGORIES),
    }
    return {key: value for key, value in fields.items() if value is not None}


def corpus(seed: int, size: int = 300) -> dict[str, dict[str, Any]]:
    """`size` article files, plus a newer or older second version of some (same id)."""
    rng = random.Random(seed)
    files = {f"{n:04d}.md": article(n, **_fields(rng, n)) for n in range(size)}
    for n in rng.sample(range(size), 15):
        again = article(n, **_fields(rng, n))
        files[f"v2/{n:04d}.md"] = {**again, "title": f"Article {n}, second version"}
    return files


# ----- the reference: the rules of the issue, written out plainly, on the raw data -----


def key(name: str) -> str:
    """A topic (or category, or provider name) as topic feeds group it."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_-]+", " ", folded).strip()


def domain_key(domain: str) -> str:
    """A provider's domain as provider feeds key it (the corpus has ASCII host names only)."""
    return domain.strip().lower().removeprefix("www.")


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Ref:
    path: str
    id: str
    when: datetime
    published: bool
    quality: float
    heat: float | None
    topics: frozenset[str]
    provider_name: str
    provider_domain: str
    category: str
    type: str


def read(path: str, data: dict[str, Any]) -> Ref:
    when = datetime.strptime(data["publishedDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    heat = number(data.get("heat"))
    return Ref(
        path=path,
        id=data["originalUrl"],
        when=when,
        published=data.get("published", True),
        quality=number(data.get("quality")) or 0,
        heat=heat if heat is not None and heat >= 0 else None,
        topics=frozenset(key(t) for t in data.get("topics", [])) - {""},
        provider_name=key(data["provider"]["name"]),
        provider_domain=domain_key(data["provider"]["domain"]),
        category=key(data.get("category", "")),
        type=data["type"],
    )


def published(files: dict[str, dict[str, Any]]) -> list[Ref]:
    """One version per id (the later date, on a tie the greater path), then `select`."""
    winners: dict[str, Ref] = {}
    for path, data in files.items():
        ref = read(path, data)
        current = winners.get(ref.id)
        if current is None or (ref.when, ref.path) > (current.when, current.path):
            winners[ref.id] = ref
    return [
        ref
        for ref in winners.values()
        if ref.published and ref.quality >= SELECT["min_quality"] and ref.when <= NOW
    ]


def provider_listed(ref: Ref, names: list[str]) -> bool:
    return any(
        key(name) == ref.provider_name or domain_key(name) == ref.provider_domain for name in names
    )


def picks(feed: dict[str, Any], ref: Ref) -> bool:
    topics = feed.get("topics", {})
    providers = feed.get("providers", {})
    checks = [
        not topics.get("any") or any(key(t) in ref.topics for t in topics["any"]),
        all(key(t) in ref.topics for t in topics.get("all", [])),
        not any(key(t) in ref.topics for t in topics.get("none", [])),
        not providers.get("any") or provider_listed(ref, providers["any"]),
        not provider_listed(ref, providers.get("none", [])),
        not feed.get("types") or ref.type in feed["types"],
        not feed.get("categories") or ref.category in {key(c) for c in feed["categories"]},
        ref.quality >= feed.get("min_quality", 0),
        "min_heat" not in feed or (ref.heat is not None and ref.heat >= feed["min_heat"]),
        feed.get("order") != "heat" or ref.heat is not None,
        "max_age_days" not in feed or ref.when >= NOW - timedelta(days=feed["max_age_days"]),
    ]
    return all(checks)


def reference(files: dict[str, dict[str, Any]], feed: dict[str, Any]) -> tuple[list[str], int]:
    """The ids a custom feed lists, in order, and how many articles it matched in all."""
    chosen = [ref for ref in published(files) if picks(feed, ref)]
    if feed.get("order") == "heat":
        chosen.sort(key=lambda r: (-(r.heat or 0), -r.when.timestamp(), r.id))
    else:
        chosen.sort(key=lambda r: (-r.when.timestamp(), r.id))
    cap = feed.get("max_items", CAPS["custom"])
    return [ref.id for ref in chosen[:cap]], len(chosen)


# ----- the build, read back -----


def built(tmp_path: Path, files: dict[str, dict[str, Any]]) -> Site:
    site = make_site(tmp_path, files, select=SELECT, feeds={"max_items": CAPS, "custom": CUSTOM})
    site.build()
    return site


def read_back(out: Path, folder: str) -> dict[str, list[str]]:
    """Each format's item ids of the feed in `folder`, in order."""
    rss = feedparser.parse((out / folder / "rss.xml").read_bytes())
    atom = feedparser.parse((out / folder / "atom.xml").read_bytes())
    doc = json.loads((out / folder / "feed.json").read_text(encoding="utf-8"))
    assert not rss.bozo
    assert not atom.bozo
    return {
        "rss": [entry.id for entry in rss.entries],
        "atom": [entry.id for entry in atom.entries],
        "json": [item["id"] for item in doc["items"]],
    }


def front_page_rows(out: Path) -> list[tuple[str, int]]:
    """The custom feeds section of the front page: (feed name, article count) per row."""
    page = lxml.html.fromstring((out / "index.html").read_bytes())
    (table,) = page.xpath("//h3[text()='Custom feeds']/following-sibling::table[1]")
    return [
        (row.xpath("string(th/a)"), int(row.xpath("string(td[1])")))
        for row in table.xpath("tbody/tr")
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_custom_feed_lists_what_the_reference_picks(tmp_path: Path, seed: int) -> None:
    files = corpus(seed)
    site = built(tmp_path, files)
    counts = []
    for feed in CUSTOM:
        ids, total = reference(files, feed)
        assert read_back(site.out, feed["path"]) == {"rss": ids, "atom": ids, "json": ids}
        counts.append((feed["title"], total))
    assert front_page_rows(site.out) == counts
    # The corpus exercises every rule: only the feed meant to be empty is.
    assert [total > 0 for _, total in counts] == [True] * 5 + [False]


def test_the_corpus_has_the_cases_the_rules_are_about() -> None:
    """Ties of heat and of date, every kind of heat, and versions of one id."""
    refs = published(corpus(1))
    heats = [ref.heat for ref in refs]
    assert None in heats
    assert len(heats) - len(set(heats)) > 10
    assert len({ref.when for ref in refs}) < len(refs)
    files = corpus(1)
    assert {-1, "7", "hot"} <= {data.get("heat") for data in files.values()}
    assert len({data["originalUrl"] for data in files.values()}) < len(files)
