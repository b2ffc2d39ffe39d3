"""Two groups whose slugs collide never stop the build: the key that sorts first keeps the
folder, the other feed moves to a longer hash, and a warning names both."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from feeds.group import LONG_HASH_DIGITS, slugify
from feeds.model import GroupKind
from tests.kit import article, make_site

C_SLUG = slugify("c++")  # 'c-cedb1bac': any key of a-z, 0-9 and spaces can spell it
CRAFTED = C_SLUG.replace("-", " ")
C_MOVED = "c-" + hashlib.sha256(b"c++").hexdigest()[:LONG_HASH_DIGITS]


def feed(out: Path, folder: str) -> tuple[str, list[str]]:
    """A feed's title and item URLs, from its JSON Feed."""
    doc = json.loads((out / folder / "feed.json").read_text("utf-8"))
    return doc["title"], [item["url"] for item in doc["items"]]


def url(n: int) -> str:
    link: str = article(n)["webUrl"]
    return link


def test_a_topic_spelling_another_topics_slug_moves_neither_and_stops_nothing(
    tmp_path: Path,
) -> None:
    files = {"a.md": article(1, topics=["C++"]), "b.md": article(2, topics=[CRAFTED])}
    site = make_site(tmp_path, files, site={"title": "T"})
    outcome = site.build()
    # "c cedb1bac" sorts before "c++" (' ' < '+'): it keeps the folder.
    assert feed(site.out, f"topics/{C_SLUG}") == (f"T: {CRAFTED}", [url(2)])
    assert feed(site.out, f"topics/{C_MOVED}") == ("T: C++", [url(1)])
    (problem,) = outcome.report.problems
    assert (problem.path, problem.field, problem.rejected) == ("a.md", "topics", False)
    assert problem.message == (
        f"topic 'C++' would share the folder topics/{C_SLUG} with topic {CRAFTED!r}; "
        f"its feed is written to topics/{C_MOVED} instead"
    )


def test_providers_whose_slugs_collide_both_get_feeds(tmp_path: Path) -> None:
    files = {
        "a.md": article(1, provider={"name": "bbc-news", "domain": "bbc-news"}),
        "b.md": article(2, provider={"name": "BBC News", "domain": "BBC News"}),
    }
    site = make_site(tmp_path, files, site={"title": "T"})
    result = site.cli("build")
    assert result.exit_code == 0, result.stderr
    moved = "bbc-news-" + hashlib.sha256(b"bbc-news").hexdigest()[:LONG_HASH_DIGITS]
    # "bbc news" sorts before the host name "bbc-news": it keeps providers/bbc-news.
    assert feed(site.out, "providers/bbc-news") == ("T: BBC News", [url(2)])
    assert feed(site.out, f"providers/{moved}") == ("T: bbc-news", [url(1)])
    assert result.stderr.splitlines() == [
        "warning: a.md: provider: provider 'bbc-news' would share the folder "
        f"providers/bbc-news with provider 'BBC News'; its feed is written to "
        f"providers/{moved} instead"
    ]
    opml = (site.out / "feeds.opml").read_text("utf-8")
    assert f"providers/{moved}/rss.xml" in opml
    assert "providers/bbc-news/rss.xml" in opml


def test_the_outcome_does_not_depend_on_file_names_or_order(tmp_path: Path) -> None:
    slugs = []
    for name, (first, second) in {"one": ("a", "b"), "two": ("z", "c")}.items():
        files = {
            f"{first}.md": article(1, topics=["C++"]),
            f"{second}.md": article(2, topics=[CRAFTED]),
        }
        outcome = make_site(tmp_path / name, files).build()
        slugs.append({g.name: g.slug for g in outcome.report.groups if g.kind is GroupKind.TOPIC})
    assert slugs[0] == slugs[1] == {"C++": C_MOVED, CRAFTED: C_SLUG}


def test_a_name_spelling_the_moved_slug_keeps_its_own_and_all_three_feeds_exist(
    tmp_path: Path,
) -> None:
    third = C_MOVED.replace("-", " ")  # a simple key whose own slug is C_MOVED
    files = {
        "a.md": article(1, topics=["C++"]),
        "b.md": article(2, topics=[CRAFTED]),
        "c.md": article(3, topics=[third]),
    }
    site = make_site(tmp_path, files, site={"title": "T"})
    outcome = site.build()
    assert feed(site.out, f"topics/{C_SLUG}") == (f"T: {CRAFTED}", [url(2)])
    assert feed(site.out, f"topics/{C_MOVED}") == (f"T: {third}", [url(3)])
    assert feed(site.out, f"topics/{C_MOVED}-2") == ("T: C++", [url(1)])
    assert [p.path for p in outcome.report.problems] == ["a.md"]


def test_without_a_collision_the_slug_is_the_keys_own(tmp_path: Path) -> None:
    files = {"a.md": article(1, topics=["C++"]), "b.md": article(2, topics=[CRAFTED])}
    site = make_site(tmp_path, files)
    site.build()
    (site.content / "b.md").unlink()
    outcome = site.build()
    assert outcome.report.problems == ()
    assert sorted(p.name for p in (site.out / "topics").iterdir()) == [C_SLUG]
    assert feed(site.out, f"topics/{C_SLUG}")[1] == [url(1)]
