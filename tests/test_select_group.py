"""Duplicates, selection rules and grouping (keys and slugs: tests/test_names.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.config import Caps, FeedRules, SelectRules
from feeds.group import make_groups, resolve_duplicates, select, slugify
from feeds.groupkeys import topic_key
from feeds.model import Article, GroupKind, Provider
from tests.kit import NOW

BASE = Article(
    path="a.md",
    id="https://x.org/a",
    title="A",
    url="https://x.org/a",
    published_at=datetime(2023, 11, 6, tzinfo=UTC),
    published=True,
    quality=50,
    type="article",
    provider=Provider("X", "x.org"),
    topics=("AI",),
)


def art(n: int, **changes: object) -> Article:
    """Article number n: its own path and id, one hour newer per n."""
    fields: dict[str, object] = {
        "path": f"{n:03}.md",
        "id": f"https://x.org/{n}",
        "url": f"https://x.org/{n}",
        "published_at": BASE.published_at + timedelta(hours=n),
    }
    return replace(BASE, **(fields | changes))  # type: ignore[arg-type]


class TestDuplicates:
    def test_later_date_wins_and_the_loser_is_reported(self) -> None:
        old = art(1, id="https://x.org/same", path="z-old.md")
        new = art(2, id="https://x.org/same", path="a-new.md")
        winners, problems = resolve_duplicates([old, new])
        assert winners == (new,)
        assert [str(p) for p in problems] == [
            "z-old.md: originalUrl: duplicate of a-new.md (same id https://x.org/same); "
            "the later version is published, this file skipped"
        ]
        assert not problems[0].rejected

    def test_tie_goes_to_the_greater_path_whatever_the_order(self) -> None:
        a = art(1, id="https://x.org/same", path="a.md")
        b = art(1, id="https://x.org/same", path="b.md")
        assert resolve_duplicates([a, b])[0] == (b,)
        assert resolve_duplicates([b, a])[0] == (b,)

    def test_newer_unpublished_version_hides_the_older_one(self) -> None:
        old = art(1, id="https://x.org/same")
        new = art(2, id="https://x.org/same", published=False, path="new.md")
        winners, _ = resolve_duplicates([old, new])
        assert select(winners, SelectRules(), NOW) == ()


class TestSelect:
    @pytest.mark.parametrize(
        ("rules", "article", "kept"),
        [
            (SelectRules(), art(1, published=False), False),
            (SelectRules(published_only=False), art(1, published=False), True),
            (SelectRules(min_quality=50), art(1, quality=49.5), False),
            (SelectRules(min_quality=50), art(1, quality=50), True),
            (SelectRules(types=("video",)), art(1, type="article"), False),
            (SelectRules(types=("video",)), art(1, type="video"), True),
            (SelectRules(), art(1, published_at=NOW + timedelta(seconds=1)), False),
            (SelectRules(), art(1, published_at=NOW), True),
            (
                SelectRules(include_future=True),
                art(1, published_at=NOW + timedelta(days=9)),
                True,
            ),
            (
                SelectRules(max_age_days=7),
                art(1, published_at=NOW - timedelta(days=8)),
                False,
            ),
            (SelectRules(max_age_days=7), art(1, published_at=NOW - timedelta(days=6)), True),
        ],
    )
    def test_rules(self, rules: SelectRules, article: Article, kept: bool) -> None:
        assert select([article], rules, NOW) == ((article,) if kept else ())


class TestGroups:
    def test_all_topics_and_providers(self) -> None:
        a1 = art(1, topics=("AI", "Machine-Learning"), provider=Provider("BBC News", "bbc.co.uk"))
        a2 = art(2, topics=("ai", "machine learning"), provider=Provider("BBC", "www.bbc.co.uk"))
        a3 = art(3, topics=("Ai",), provider=Provider("BBC News", "bbc.co.uk"))
        groups = make_groups([a1, a2, a3], FeedRules(), "Everything", NOW)
        summary = [(g.kind, g.slug, g.name, [a.path for a in g.items]) for g in groups]
        assert summary == [
            (GroupKind.ALL, "", "Everything", ["003.md", "002.md", "001.md"]),
            (GroupKind.TOPIC, "ai", "AI", ["003.md", "002.md", "001.md"]),
            (GroupKind.TOPIC, "machine-learning", "Machine-Learning", ["002.md", "001.md"]),
            (GroupKind.PROVIDER, "bbc.co.uk", "BBC News", ["003.md", "002.md", "001.md"]),
        ]
        assert [g.folder for g in groups] == [
            "",
            "topics/ai",
            "topics/machine-learning",
            "providers/bbc.co.uk",
        ]

    def test_name_ties_go_to_the_smallest_code_point(self) -> None:
        groups = make_groups(
            [art(1, topics=("ai",)), art(2, topics=("AI",))], FeedRules(groups=("topic",)), "x", NOW
        )
        assert groups[1].name == "AI"

    def test_newest_first_ties_by_id_and_capped(self) -> None:
        same = BASE.published_at
        items = [art(n, published_at=same, id=f"https://x.org/{9 - n}") for n in range(5)]
        groups = make_groups(items, FeedRules(max_items=Caps(3, 3, 3, 3), groups=()), "x", NOW)
        (everything,) = groups
        assert [a.id for a in everything.items] == [
            "https://x.org/5",
            "https://x.org/6",
            "https://x.org/7",
        ]
        assert everything.total == 5

    def test_an_article_counts_once_per_topic(self) -> None:
        groups = make_groups([art(1, topics=("AI", "ai"))], FeedRules(groups=("topic",)), "x", NOW)
        assert len(groups[1].items) == 1

    def test_all_feed_exists_even_when_empty_and_can_be_disabled(self) -> None:
        assert [g.kind for g in make_groups([], FeedRules(), "x", NOW)] == [GroupKind.ALL]
        assert make_groups([art(1)], FeedRules(all=False, groups=()), "x", NOW) == ()

    def test_two_groups_on_one_folder_both_get_a_folder(self) -> None:
        # 'c 2a4c5e3d'-like keys are readable slugs; a crafted one can equal a hashed slug.
        crafted = slugify("c++").replace("-", " ")
        articles = [art(1, topics=("C++",)), art(2, topics=(crafted,))]
        groups = make_groups(articles, FeedRules(groups=("topic",)), "x", NOW)
        folders = {group.name: group.folder for group in groups if group.kind is GroupKind.TOPIC}
        assert len(set(folders.values())) == 2
        # The key that sorts first keeps the slug; the other gets a longer hash.
        assert folders[crafted] == f"topics/{slugify('c++')}"
        assert folders["C++"].startswith(f"topics/{slugify('c++')}")

    @given(
        st.lists(
            st.lists(
                st.sampled_from(["AI", "ai", "C", "C++", "日本", "Space", "SPACE"]), max_size=3
            ),
            max_size=12,
        )
    )
    def test_every_article_is_in_all_and_in_each_of_its_topics(
        self, topic_lists: list[list[str]]
    ) -> None:
        articles = [art(n, topics=tuple(t)) for n, t in enumerate(topic_lists)]
        groups = make_groups(
            articles, FeedRules(max_items=Caps(100, 100, 100, 100), groups=("topic",)), "x", NOW
        )
        assert set(groups[0].items) == set(articles)
        by_key = {g.key: set(g.items) for g in groups[1:]}
        for article in articles:
            for topic in article.topics:
                assert article in by_key[topic_key(topic)]
        assert len({g.folder for g in groups}) == len(groups)
