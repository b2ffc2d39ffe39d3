"""`select.max_topics` caps the topics of one article: each topic is a feed to write, so an
article with a thousand topics would otherwise write thousands of files, and every one of
those feeds would list all thousand as categories."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.kit import article, make_site


def topic_folders(out: Path) -> set[str]:
    return {path.name for path in (out / "topics").iterdir()}


def test_the_first_fifty_distinct_topics_are_kept_by_default(tmp_path: Path) -> None:
    topics = [f"T{n}" for n in range(120)]
    site = make_site(tmp_path, {"a.md": article(1, topics=topics), "b.md": article(2)})
    outcome = site.build()
    assert topic_folders(site.out) == {f"t{n}" for n in range(50)} | {"ai"}
    (problem,) = outcome.report.problems
    assert (problem.path, problem.field, problem.rejected) == ("a.md", "topics", False)
    assert problem.message == (
        "120 distinct topics, more than select.max_topics (50): the first 50 kept, 70 dropped"
    )
    rss = etree.parse(str(site.out / "topics" / "t0" / "rss.xml"))
    assert rss.xpath("//item/category/text()") == topics[:50]


def test_spellings_of_one_topic_count_once_and_are_kept(tmp_path: Path) -> None:
    topics = ["AI", "Space", "ai", "Climate", "SPACE", "Art"]
    site = make_site(tmp_path, {"a.md": article(1, topics=topics)}, select={"max_topics": 2})
    outcome = site.build()
    assert topic_folders(site.out) == {"ai", "space"}
    rss = etree.parse(str(site.out / "topics" / "ai" / "rss.xml"))
    assert rss.xpath("//item/category/text()") == ["AI", "Space", "ai", "SPACE"]
    (problem,) = outcome.report.problems
    assert "4 distinct topics" in problem.message
    assert "the first 2 kept, 2 dropped" in problem.message


def test_an_article_within_the_cap_gets_no_warning(tmp_path: Path) -> None:
    topics = [f"T{n}" for n in range(3)]
    site = make_site(tmp_path, {"a.md": article(1, topics=topics)}, select={"max_topics": 3})
    assert site.build().report.problems == ()
    assert topic_folders(site.out) == {"t0", "t1", "t2"}


def test_the_warning_reaches_the_command_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1, topics=["A", "B"])}, select={"max_topics": 1})
    result = site.cli("build")
    assert result.exit_code == 0
    assert (
        "warning: a.md: topics: 2 distinct topics, more than select.max_topics (1): "
        "the first 1 kept, 1 dropped"
    ) in result.stderr


def test_changing_the_cap_parses_the_articles_again(tmp_path: Path) -> None:
    topics = ["A", "B", "C"]
    site = make_site(tmp_path, {"a.md": article(1, topics=topics), "b.md": article(2)})
    site.build()
    assert topic_folders(site.out) == {"a", "b", "c", "ai"}
    site.configure(select={"max_topics": 1})
    outcome = site.build()
    assert outcome.files_parsed == 2  # records validated under the old cap are not reused
    assert topic_folders(site.out) == {"a", "ai"}


@pytest.mark.parametrize("value", [0, 1001, -1, "many", True, 2.5])
def test_the_cap_is_an_integer_from_1_to_1000(tmp_path: Path, value: object) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, select={"max_topics": value})
    result = site.cli("build")
    assert result.exit_code == 1
    assert "select.max_topics: expected an integer from 1 to 1000, got" in result.stderr


@pytest.mark.parametrize("value", [1, 1000])
def test_the_bounds_are_allowed(tmp_path: Path, value: int) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, select={"max_topics": value})
    assert site.config().select.max_topics == value
