"""Article fields: any value in any field is a sane record, and the topics an article may have.

Any YAML value in any article field is a report line, never an exception.

Each example writes one article file with one field (or one part of a field: a provider's
name, an image's width, a related item's date) replaced by a YAML value drawn from
scalars that trouble converters (`²`, 5,000-digit integers, `1e400`, `.nan`, dates out of
range), quoted text, and small lists and mappings of those. The file goes through
`feeds.load.parse_file`, the parse stage's unit of work, under every parser; its record
must decode to a sane outcome, and the article (if any) must render.

`select.max_topics` caps the topics of one article: each topic is a feed to write, so an
article with a thousand topics would otherwise write thousands of files, and every one of
those feeds would list all thousand as categories.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.config import Config
from feeds.load import PARSERS, parse_file
from feeds.model import Article, FeedGroup, GroupKind, Problem, Stub
from feeds.records import Record, file_identity, unpack_article, unpack_problems, unpack_stub
from feeds.render import render_group
from tests.kit import article, make_site

# Where a drawn value goes: a top-level field, or a path into the article's own value.
FIELDS: list[tuple[Any, ...]] = [
    ("title",),
    ("excerpt",),
    ("category",),
    ("type",),
    ("publishedDateTime",),
    ("webUrl",),
    ("originalUrl",),
    ("quality",),
    ("heat",),
    ("published",),
    ("provider",),
    ("provider", "name"),
    ("provider", "domain"),
    ("topics",),
    ("topics", 0),
    ("images",),
    ("images", 0),
    ("images", 0, "url"),
    ("images", 0, "width"),
    ("images", 0, "height"),
    ("images", 0, "isCached"),
    ("related",),
    ("related", 0),
    ("related", 0, "title"),
    ("related", 0, "webUrl"),
    ("related", 0, "excerpt"),
    ("related", 0, "publishedDateTime"),
    ("related", 0, "provider"),
    ("related", 0, "provider", "name"),
    ("related", 0, "provider", "domain"),
]
# Plain scalars each parser types its own way, and the ones that once raised.
TOKENS = [
    "²",
    "١٢",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "010",
    "-0",
    "+1",
    "1:20",
    ".5",
    "0.",
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "-1e400",
    "1e-400",
    "~",
    "null",
    "true",
    "False",
    "yes",
    "on",
    "2023-01-01",
    "2023-13-45",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2023-11-20 10:00:00.123456789",
    "''",
    '""',
    "con",
    "nul.txt",
]
LONG_DIGITS = st.builds(
    lambda sign, digits, n, tail: sign + digits * n + tail,
    st.sampled_from(["", "-", "+"]),
    st.sampled_from(["1", "9", "12"]),
    st.sampled_from([308, 401, 4299, 4301, 5000]),
    st.sampled_from(["", ".5", "e3", ".0"]),
)
SCALAR = st.one_of(
    st.sampled_from(TOKENS),
    LONG_DIGITS,
    st.sampled_from(["0x", "-0x", "0o"]).map(lambda prefix: prefix + "7" * 5000),
    st.integers().map(str),
    st.floats().map(repr),
    st.text(max_size=20).map(lambda text: json.dumps(text, ensure_ascii=False)),
)
_KEYS = st.sampled_from(["name", "domain", "url", "width", "title", "webUrl", "x"])
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.dictionaries(_KEYS, inner, max_size=3).map(
            lambda mapping: "{" + ", ".join(f"{k}: {v}" for k, v in mapping.items()) + "}"
        ),
    ),
    max_leaves=6,
)
HOLE = "\x00HOLE\x00"  # where the drawn YAML text goes


def article_text(where: tuple[Any, ...], value: str) -> str:
    """A valid article file (kit.article) with the YAML text `value` at `where`."""
    data: dict[str, Any] = article(1)
    parent: Any = data
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = HOLE
    lines = [f"{key}: {json.dumps(item, ensure_ascii=False)}" for key, item in data.items()]
    body = "\n".join(lines).replace(json.dumps(HOLE), value)
    return f"---\n{body}\n---\n"


@pytest.fixture(scope="module", name="config")
def _config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make_site(tmp_path_factory.mktemp("any-value")).config()


def outcomes(config: Config, text: str) -> Iterator[tuple[str, Record]]:
    """Each parser's record of an article file with this text."""
    path = config.content.dir / "a.md"
    path.write_text(text, encoding="utf-8")
    key = file_identity(os.stat(path))
    for parser in PARSERS:
        yield parser, parse_file(config, parser, "a.md", key)


def assert_sane(config: Config, record: Record) -> None:
    """The record decodes; the file is rejected with a reason or gives a whole article."""
    stub, problems = decode(record)
    assert all(p.path == "a.md" and p.field and p.message for p in problems)
    assert all(len(p.message) < 400 for p in problems)
    rejected = any(problem.rejected for problem in problems)
    assert (stub is None) == rejected == (record.article is None)
    if record.article is not None:
        assert_sane_article(config, unpack_article(record.article))


def assert_sane_article(config: Config, item: Article) -> None:
    assert item.title
    assert item.url.startswith(("https://", "http://"))
    assert item.published_at.utcoffset() is not None
    assert isinstance(item.quality, int | float)
    assert math.isfinite(item.quality)
    assert all(topic and isinstance(topic, str) for topic in item.topics)
    sides = [side for image in item.images for side in (image.width, image.height)]
    assert all(side is None or 0 < side < 2**31 for side in sides)
    group = FeedGroup(GroupKind.ALL, "", "", "All", (item,), 1)
    assert render_group(group, config)  # every number and text becomes feed text


def decode(record: Record) -> tuple[Stub | None, tuple[Problem, ...]]:
    """A record's stub (None when its file was rejected) and problems, as stored."""
    stub = None if record.stub is None else unpack_stub(record.path, record.stub)
    problems = () if record.problems is None else unpack_problems(record.path, record.problems)
    return stub, problems


@settings(max_examples=120, deadline=None)
@given(where=st.sampled_from(FIELDS), value=VALUE)
@example(where=("images", 0, "width"), value="'²'")
@example(where=("images", 0, "height"), value="²")
@example(where=("quality",), value="9" * 401)
@example(where=("quality",), value="9" * 5000)
@example(where=("title",), value="9" * 5000)
@example(where=("excerpt",), value="9" * 5000)
@example(where=("published",), value="9" * 5000)
@example(where=("publishedDateTime",), value="9" * 5000)
@example(where=("topics", 0), value="-" + "9" * 5000)
@example(where=("provider", "name"), value="9" * 5000)
@example(where=("related", 0, "title"), value="9" * 5000)
@example(where=("images", 0, "width"), value="9" * 5000)
def test_any_value_gives_a_sane_record_under_every_parser(
    config: Config, where: tuple[Any, ...], value: str
) -> None:
    for _parser, record in outcomes(config, article_text(where, value)):
        assert_sane(config, record)


@pytest.mark.parametrize("digits", [401, 4301])
def test_a_huge_quality_is_a_warning_and_counts_as_zero(config: Config, digits: int) -> None:
    for parser, record in outcomes(config, article_text(("quality",), "9" * digits)):
        stub, problems = decode(record)
        assert stub is not None, parser
        assert stub.quality == 0
        assert [(p.field, p.rejected) for p in problems] == [("quality", False)]


def test_a_width_of_superscript_two_is_dropped_with_a_warning(config: Config) -> None:
    for parser, record in outcomes(config, article_text(("images", 0, "width"), "'²'")):
        assert record.article is not None, parser
        (image,) = unpack_article(record.article).images
        assert image.width is None
        _, (problem,) = decode(record)
        assert (problem.field, problem.rejected) == ("images[0].width", False)
        assert "'²'" in problem.message


def test_a_title_too_long_to_print_rejects_the_file_with_a_reason(config: Config) -> None:
    for parser, record in outcomes(config, article_text(("title",), "9" * 5000)):
        _, problems = decode(record)
        assert record.article is None, parser
        assert any(p.field == "title" and p.rejected for p in problems)
        assert all("more than 80 digits" in p.message for p in problems if p.field == "title")


def test_an_excerpt_too_long_to_print_is_dropped_and_the_article_kept(config: Config) -> None:
    digits = "12345678" * 1000  # past the 4,300 digits Python converts to text
    for parser, record in outcomes(config, article_text(("excerpt",), digits)):
        assert record.article is not None, parser
        assert unpack_article(record.article).excerpt == ""
        _, (problem,) = decode(record)
        assert (problem.field, problem.rejected) == ("excerpt", False)


@pytest.mark.parametrize("value", ["2023-02-30", "0000-01-01", "2023-01-01 10:00:00 +99"])
def test_a_date_that_does_not_exist_is_text_under_every_parser(config: Config, value: str) -> None:
    for parser, record in outcomes(config, article_text(("category",), value)):
        assert record.article is not None, parser
        assert unpack_article(record.article).category == value
    for parser, record in outcomes(config, article_text(("publishedDateTime",), value)):
        _, (problem,) = decode(record)
        assert (problem.field, problem.rejected) == ("publishedDateTime", True), parser
        assert problem.message == f"expected an ISO 8601 date-time, got {value!r}"


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


@pytest.mark.parametrize("value", [1, 1000])
def test_the_bounds_are_allowed(tmp_path: Path, value: int) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, select={"max_topics": value})
    assert site.config().select.max_topics == value
