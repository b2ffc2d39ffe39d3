"""Duplicates, selection rules and grouping, as a build publishes them: the report's list
of feeds and the feeds' items read back from their JSON Feeds (keys and slugs:
tests/test_names.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import SelectRules
from feeds.engine import Outcome
from feeds.group import resolve_slugs, slugify
from feeds.groupkeys import topic_key
from feeds.members import Grouping, memberships_of, selects
from feeds.model import GroupKind, Listing, Provider, Stub
from tests.kit import NOW, article, make_site

DAY = datetime(2023, 11, 6, tzinfo=NOW.tzinfo)  # every article here is dated DAY + n hours
BBC_NEWS = {"name": "BBC News", "domain": "bbc.co.uk"}
SAME_ID = "https://x.org/same"


def art(n: int, **fields: Any) -> dict[str, Any]:
    """Article n (its own webUrl and id), dated n hours after DAY unless `fields` say."""
    return article(n, **{"publishedDateTime": DAY + timedelta(hours=n), **fields})


def url(n: int) -> str:
    link: str = article(n)["webUrl"]
    return link


def items(out: Path, folder: str = "", field: str = "url") -> list[str]:
    """A feed's items in feed order (their `url`, or `id`), from its JSON Feed."""
    doc = json.loads((out / folder / "feed.json").read_text("utf-8"))
    return [item[field] for item in doc["items"]]


def listed(outcome: Outcome) -> list[tuple[GroupKind, str, str, int, str]]:
    """The report's feeds: kind, slug, name, total and folder."""
    return [(g.kind, g.slug, g.name, g.total, g.folder) for g in outcome.report.groups]


def by_kind(outcome: Outcome, kind: GroupKind) -> list[Listing]:
    return [g for g in outcome.report.groups if g.kind is kind]


class TestDuplicates:
    def test_later_date_wins_and_the_loser_is_reported(self, tmp_path: Path) -> None:
        files = {
            "z-old.md": art(1, originalUrl=SAME_ID),
            "a-new.md": art(2, originalUrl=SAME_ID),
        }
        site = make_site(tmp_path, files)
        outcome = site.build()
        assert [str(p) for p in outcome.report.problems] == [
            "z-old.md: originalUrl: duplicate of a-new.md (same id https://x.org/same); "
            "the later version is published, this file skipped"
        ]
        assert not outcome.report.problems[0].rejected
        assert outcome.report.rejected_files == 0
        assert items(site.out) == [url(2)]
        assert items(site.out, "topics/ai") == [url(2)]

    @pytest.mark.parametrize("first", ["a.md", "b.md"])
    def test_tie_goes_to_the_greater_path_whatever_the_order(
        self, tmp_path: Path, first: str
    ) -> None:
        """Whichever file a build meets first (the index decides the id again when the
        other arrives), b.md wins; a clean build of both agrees."""
        files = {
            "a.md": art(1, originalUrl=SAME_ID, publishedDateTime=DAY),
            "b.md": art(2, originalUrl=SAME_ID, publishedDateTime=DAY),
        }
        site = make_site(tmp_path / "one", {first: files[first]})
        site.build()
        site.write(files)
        outcome = site.build()
        assert items(site.out) == [url(2)]
        assert [str(p) for p in outcome.report.problems] == [
            f"a.md: originalUrl: duplicate of b.md (same id {SAME_ID}); "
            "the later version is published, this file skipped"
        ]
        clean = make_site(tmp_path / "clean", files)
        clean.build()
        assert items(clean.out) == [url(2)]

    def test_the_id_is_decided_again_when_a_version_changes_or_goes(self, tmp_path: Path) -> None:
        files = {
            "z-old.md": art(1, originalUrl=SAME_ID),
            "a-new.md": art(2, originalUrl=SAME_ID),
        }
        site = make_site(tmp_path, files)
        site.build()
        site.write({"a-new.md": art(2, originalUrl=SAME_ID, publishedDateTime=DAY)})
        outcome = site.build()
        assert items(site.out) == [url(1)]
        assert [p.path for p in outcome.report.problems] == ["a-new.md"]
        (site.content / "z-old.md").unlink()
        outcome = site.build()
        assert items(site.out) == [url(2)]
        assert outcome.report.problems == ()

    def test_newer_unpublished_version_hides_the_older_one(self, tmp_path: Path) -> None:
        files = {
            "old.md": art(1, originalUrl=SAME_ID),
            "new.md": art(2, originalUrl=SAME_ID, published=False),
        }
        site = make_site(tmp_path, files)
        outcome = site.build()
        assert listed(outcome) == [(GroupKind.ALL, "", "Test Site", 0, "")]
        assert items(site.out) == []
        assert [p.path for p in outcome.report.problems] == ["old.md"]


# (select rules, the article's fields, whether the build publishes it)
SELECT_RULES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({}, {"published": False}, False),
    ({"published_only": False}, {"published": False}, True),
    ({"min_quality": 50}, {"quality": 49.5}, False),
    ({"min_quality": 50}, {"quality": 50}, True),
    ({"types": ["video"]}, {"type": "article"}, False),
    ({"types": ["video"]}, {"type": "video"}, True),
    ({}, {"publishedDateTime": NOW + timedelta(seconds=1)}, False),
    ({}, {"publishedDateTime": NOW}, True),
    ({"include_future": True}, {"publishedDateTime": NOW + timedelta(days=9)}, True),
    ({"max_age_days": 7}, {"publishedDateTime": NOW - timedelta(days=8)}, False),
    ({"max_age_days": 7}, {"publishedDateTime": NOW - timedelta(days=6)}, True),
]


class TestSelect:
    @pytest.mark.parametrize(("rules", "fields", "kept"), SELECT_RULES)
    def test_rules(
        self, tmp_path: Path, rules: dict[str, Any], fields: dict[str, Any], kept: bool
    ) -> None:
        site = make_site(tmp_path, {"a.md": art(1, **fields)}, select=rules)
        outcome = site.build()
        assert outcome.report.articles_selected == int(kept)
        assert items(site.out) == ([url(1)] if kept else [])
        topics = [(g.key, g.total) for g in by_kind(outcome, GroupKind.TOPIC)]
        assert topics == ([("ai", 1)] if kept else [])

    @pytest.mark.parametrize(("rules", "fields", "kept"), SELECT_RULES)
    def test_the_predicate_agrees(
        self, rules: dict[str, Any], fields: dict[str, Any], kept: bool
    ) -> None:
        """`feeds.members.selects` on the stub alone says what the build published."""
        when = fields.get("publishedDateTime", DAY)
        stub = Stub(
            "a.md",
            "https://x.org/a",
            "https://x.org/a",
            when,
            fields.get("published", True),
            fields.get("quality", 50),
            None,
            fields.get("type", "article"),
            "",
            Provider("X", "x.org"),
            ("AI",),
        )
        assert selects(SelectRules(**rules), NOW)(stub) is kept


class TestGroups:
    def test_all_topics_and_providers(self, tmp_path: Path) -> None:
        bbc = {"name": "BBC", "domain": "www.bbc.co.uk"}
        files = {
            "001.md": art(1, topics=["AI", "Machine-Learning"], provider=BBC_NEWS),
            "002.md": art(2, topics=["ai", "machine learning"], provider=bbc),
            "003.md": art(3, topics=["Ai"], provider=BBC_NEWS),
        }
        site = make_site(tmp_path, files, site={"title": "Everything"})
        outcome = site.build()
        assert listed(outcome) == [
            (GroupKind.ALL, "", "Everything", 3, ""),
            (GroupKind.TOPIC, "ai", "AI", 3, "topics/ai"),
            (GroupKind.TOPIC, "machine-learning", "Machine-Learning", 2, "topics/machine-learning"),
            (GroupKind.PROVIDER, "bbc.co.uk", "BBC News", 3, "providers/bbc.co.uk"),
        ]
        newest_first = [url(3), url(2), url(1)]
        assert items(site.out) == newest_first
        assert items(site.out, "topics/ai") == newest_first
        assert items(site.out, "topics/machine-learning") == [url(2), url(1)]
        assert items(site.out, "providers/bbc.co.uk") == newest_first

    @pytest.mark.parametrize("spellings", [("ai", "AI"), ("AI", "ai")])
    def test_name_ties_go_to_the_smallest_code_point(
        self, tmp_path: Path, spellings: tuple[str, str]
    ) -> None:
        files = {f"{n}.md": art(n, topics=[t]) for n, t in enumerate(spellings, 1)}
        outcome = make_site(tmp_path, files, feeds={"groups": ["topic"]}).build()
        assert [g.name for g in by_kind(outcome, GroupKind.TOPIC)] == ["AI"]

    def test_the_name_follows_the_most_common_spelling_as_articles_change(
        self, tmp_path: Path
    ) -> None:
        """The index keeps a running count of spellings: edits and deletions move it."""
        files = {f"{n}.md": art(n, topics=["space"]) for n in (1, 2)} | {
            "3.md": art(3, topics=["SPACE"])
        }
        site = make_site(tmp_path, files, feeds={"groups": ["topic"]})
        assert [g.name for g in by_kind(site.build(), GroupKind.TOPIC)] == ["space"]
        site.write({"1.md": art(1, topics=["SPACE"])})
        assert [g.name for g in by_kind(site.build(), GroupKind.TOPIC)] == ["SPACE"]
        (site.content / "3.md").unlink()
        (site.content / "1.md").unlink()
        assert [g.name for g in by_kind(site.build(), GroupKind.TOPIC)] == ["space"]

    def test_newest_first_ties_by_id_and_capped(self, tmp_path: Path) -> None:
        files = {
            f"{n}.md": art(n, publishedDateTime=DAY, originalUrl=f"https://x.org/{9 - n}")
            for n in range(5)
        }
        site = make_site(tmp_path, files, feeds={"max_items": 3, "groups": []})
        outcome = site.build()
        (everything,) = outcome.report.groups
        assert (everything.total, everything.shown) == (5, 3)
        assert items(site.out, field="id") == [
            "https://x.org/5",
            "https://x.org/6",
            "https://x.org/7",
        ]

    def test_an_article_counts_once_per_topic(self, tmp_path: Path) -> None:
        topics = ["AI", "ai", "Machine-Learning", "machine learning"]
        site = make_site(tmp_path, {"a.md": art(1, topics=topics)}, feeds={"groups": ["topic"]})
        outcome = site.build()
        totals = [(g.key, g.total) for g in by_kind(outcome, GroupKind.TOPIC)]
        assert totals == [("ai", 1), ("machine learning", 1)]
        assert items(site.out, "topics/ai") == [url(1)]
        assert items(site.out, "topics/machine-learning") == [url(1)]

    def test_a_stub_joins_each_topic_once(self) -> None:
        """Below validation (which drops repeated topics): one membership per topic key."""
        stub = Stub(
            "a.md",
            "https://x.org/a",
            "https://x.org/a",
            DAY,
            True,
            50,
            None,
            "article",
            "",
            Provider("X", "x.org"),
            ("AI", "ai", " Ai "),
        )
        how = Grouping(selects(SelectRules(), NOW), True, False, (), (False, False, False))
        found = [(m.kind, m.key, m.spelling) for m in memberships_of(stub, how)]
        assert found == [(GroupKind.ALL, "", ""), (GroupKind.TOPIC, "ai", "AI")]

    def test_all_feed_exists_even_when_empty(self, tmp_path: Path) -> None:
        site = make_site(tmp_path, {"a.md": art(1, published=False)})
        outcome = site.build()
        assert listed(outcome) == [(GroupKind.ALL, "", "Test Site", 0, "")]
        assert items(site.out) == []

    def test_all_feed_can_be_disabled(self, tmp_path: Path) -> None:
        site = make_site(tmp_path, {"a.md": art(1)}, feeds={"all": False, "groups": []})
        outcome = site.build()
        assert outcome.report.groups == ()
        assert not (site.out / "feed.json").exists()

    def test_two_groups_on_one_folder_both_get_a_folder(self, tmp_path: Path) -> None:
        # Keys of a-z, 0-9 and spaces are readable slugs; a crafted one can equal a hashed slug.
        crafted = slugify("c++").replace("-", " ")
        files = {"1.md": art(1, topics=["C++"]), "2.md": art(2, topics=[crafted])}
        site = make_site(tmp_path, files, feeds={"groups": ["topic"]})
        outcome = site.build()
        folders = {g.name: g.folder for g in by_kind(outcome, GroupKind.TOPIC)}
        assert len(set(folders.values())) == 2
        # The key that sorts first keeps the slug; the other gets a longer hash.
        assert crafted < "c++"
        assert folders[crafted] == f"topics/{slugify('c++')}"
        assert folders["C++"].startswith(f"topics/{slugify('c++')}")
        assert items(site.out, folders[crafted]) == [url(2)]
        assert items(site.out, folders["C++"]) == [url(1)]
        assert [(p.path, p.rejected) for p in outcome.report.problems] == [("1.md", False)]

    def test_slugs_do_not_depend_on_the_order_keys_come_in(self) -> None:
        crafted = slugify("c++").replace("-", " ")
        keys = ["c++", crafted, "ai"]
        assert resolve_slugs(keys, slugify) == resolve_slugs(reversed(keys), slugify)


TOPIC_SPELLINGS = ["AI", "ai", "C", "C++", "日本", "Space", "SPACE"]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOPIC_SPELLINGS), max_size=3), min_size=1, max_size=8))
def test_every_article_is_in_all_and_in_each_of_its_topics(
    tmp_path_factory: pytest.TempPathFactory, topic_lists: list[list[str]]
) -> None:
    files = {f"{n}.md": art(n, topics=topics) for n, topics in enumerate(topic_lists)}
    site = make_site(
        tmp_path_factory.mktemp("site"),
        files,
        feeds={"max_items": 100, "groups": ["topic"]},
    )
    outcome = site.build(use_cache=False)
    assert sorted(items(site.out)) == sorted(url(n) for n in range(len(topic_lists)))
    folders = {g.key: g.folder for g in by_kind(outcome, GroupKind.TOPIC)}
    for n, topics in enumerate(topic_lists):
        for topic in topics:
            assert url(n) in items(site.out, folders[topic_key(topic)])
    assert len({g.folder for g in outcome.report.groups}) == len(outcome.report.groups)
