"""Config: defaults, relative paths, and one exact message per kind of mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feeds.config import Caps, load_config, parse_config
from feeds.errors import ConfigError
from tests.kit import config_data


def problems_of(data: Any, tmp_path: Path) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, tmp_path / "feeds.yaml")
    return caught.value.problems


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    config = parse_config(config_data(), tmp_path / "conf" / "feeds.yaml")
    assert config.content.dir == (tmp_path / "conf" / "content").resolve()
    assert config.output.dir == (tmp_path / "conf" / "public").resolve()
    assert config.cache.dir == (tmp_path / "conf" / ".feeds-cache").resolve()
    assert config.content.patterns == ("*.md", "*.markdown", "*.txt")
    assert config.content.max_bytes == 1_048_576
    assert config.site.link == "https://feeds.example.org/"
    assert config.site.description == "Test Site"
    assert config.site.author == "Test Site"
    assert config.site.language == "en"
    assert str(config.site.timezone) == "UTC"
    assert config.select.published_only is True
    assert config.select.max_age_days is None
    assert config.feeds.max_items == Caps(all=50, topic=50, provider=50, custom=50)
    assert config.feeds.min_items == 1
    assert config.feeds.custom == ()
    assert config.feeds.groups == ("topic", "provider")


def test_base_url_gets_a_trailing_slash(tmp_path: Path) -> None:
    config = parse_config(
        config_data(site={"base_url": "https://cdn.example.org/feeds"}), tmp_path / "f.yaml"
    )
    assert config.site.base_url == "https://cdn.example.org/feeds/"


def test_the_shipped_config_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent / "config" / "feeds.yaml")
    assert config.content.dir.name == "samples"
    assert config.output.dir.name == "public"


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"feeds": {"max_items": "fifty"}},
            'feeds.max_items: expected a positive integer, got "fifty"',
        ),
        ({"feeds": {"max_items": 0}}, "feeds.max_items: expected a positive integer, got 0"),
        ({"feeds": {"all": "yes"}}, 'feeds.all: expected true or false, got "yes"'),
        (
            {"feeds": {"groups": ["topic", "author"]}},
            'feeds.groups: expected a list of topic, provider, got "author"',
        ),
        (
            {"site": {"base_url": "feeds.example.org"}},
            'site.base_url: expected an absolute http(s) URL, got "feeds.example.org"',
        ),
        (
            {"site": {"language": "en_US"}},
            "site.language: expected a BCP 47 language tag such as 'en' or 'en-US', "
            "got \"en_US\" (did you mean 'en-US'?)",
        ),
        (
            {"site": {"timezone": "Mars/Olympus"}},
            "site.timezone: expected an IANA time zone name such as 'UTC' or 'Europe/Paris', "
            'got "Mars/Olympus"',
        ),
        ({"site": {"title": ""}}, 'site.title: expected a non-empty string, got ""'),
        ({"select": {"min_quality": "high"}}, 'select.min_quality: expected a number, got "high"'),
        (
            {"select": {"types": "article"}},
            'select.types: expected a list of strings, got "article"',
        ),
        (
            {"select": {"max_age_days": -3}},
            "select.max_age_days: expected a positive integer, got -3",
        ),
        (
            {"content": {"patterns": []}},
            "content.patterns: expected at least one file pattern such as '*.md'",
        ),
        (
            {"select": {"typo": "x"}},
            "select.typo: unknown key (known keys: published_only, min_quality, types, "
            "include_future, max_age_days, max_topics)",
        ),
    ],
)
def test_invalid_values_are_named_with_their_path(
    tmp_path: Path, sections: dict[str, Any], expected: str
) -> None:
    assert problems_of(config_data(**sections), tmp_path) == (expected,)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = config_data(feeds={"max_items": "fifty"}, extra={"x": 1})
    del data["site"]["title"]
    assert problems_of(data, tmp_path) == (
        "extra: unknown section (known sections: site, content, output, select, feeds, "
        "publish, cache)",
        "site.title: required, but missing",
        'feeds.max_items: expected a positive integer, got "fifty"',
    )


def test_missing_sections_and_non_mapping(tmp_path: Path) -> None:
    assert problems_of({"site": {"title": "x", "base_url": "https://x.org/"}}, tmp_path) == (
        "content: required, but missing",
        "output: required, but missing",
    )
    assert problems_of(["not", "a", "mapping"], tmp_path) == (
        "expected a mapping of sections, got a list",
    )
    assert problems_of(config_data() | {"feeds": 3}, tmp_path) == (
        "feeds: expected a mapping, got 3",
    )


def test_null_sections_are_empty_and_null_keys_take_their_default(tmp_path: Path) -> None:
    """`site:` with every key commented out is an empty section, not a missing one."""
    assert problems_of(config_data() | {"site": None}, tmp_path) == (
        "site.title: required, but missing",
        "site.base_url: required, but missing",
    )
    assert problems_of(config_data(publish={"s3": None}), tmp_path) == (
        "publish.s3: required, but missing",
    )
    data = config_data(output={"cache_control": None}, feeds={"titles": None, "max_items": None})
    config = parse_config(data | {"select": None, "cache": None}, tmp_path / "feeds.yaml")
    assert config == parse_config(config_data(), tmp_path / "feeds.yaml")


def test_a_missing_s3_is_reported_with_the_other_problems(tmp_path: Path) -> None:
    assert problems_of(config_data(publish={"bucket": "b"}), tmp_path) == (
        "publish.bucket: unknown key (known keys: s3)",
        "publish.s3: required, but missing",
    )


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert str(caught.value) == f"config file not found: {tmp_path / 'nope.yaml'}"
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize(
    ("content", "output", "relation"),
    [
        ("site", "site", "is"),  # the articles would be served and published
        ("public/articles", "public", "lies inside"),
        ("site", "site/public", "contains"),  # the output would be read as articles
    ],
)
def test_the_article_and_output_folders_may_not_overlap(
    tmp_path: Path, content: str, output: str, relation: str
) -> None:
    data = config_data(content={"dir": content}, output={"dir": output})
    expected = (
        f"content.dir: {tmp_path / content} {relation} output.dir {tmp_path / output}; "
        "keep the article files and the output in folders apart"
    )
    assert problems_of(data, tmp_path) == (expected,)


BASE = 'site: {title: T, base_url: "https://x.org/"}\ncontent: {dir: c}\noutput: {dir: p}\n'
DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            BASE.replace("https://x.org/", "http://[::1/"),
            'site.base_url: expected an absolute http(s) URL, got "http://[::1/"',
        ),
        (
            BASE.replace("{dir: c}", '{dir: "c\\0d"}'),
            'content.dir: expected text without control characters, got "c\\x00d"',
        ),
        (
            BASE.replace("{title: T,", '{title: "T\\0",'),
            'site.title: expected text without control characters, got "T\\x00"',
        ),
        (
            BASE + "feeds: {max_items: " + "9" * 4400 + "}\n",
            "feeds.max_items: expected a positive integer of at most 100000, "
            "got a number of more than 80 digits",
        ),
        (BASE + f"select: {{types: {DEEP}}}\n", "select.types[0]...: nested more than 64 deep"),
        (BASE + f"feeds:\n  custom: {DEEP}\n", "feeds.custom[0]...: nested more than 64 deep"),
        (
            BASE + "cache: {dir: 2023-01-01}\n",
            "cache.dir: expected a non-empty string, got 2023-01-01",
        ),
    ],
)
def test_values_python_cannot_take_are_config_errors_with_their_path(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == (expected,)


def test_a_value_yaml_writes_but_python_cannot_make_is_a_yaml_error_or_text(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(BASE + 'select: {min_quality: !!int "ten"}\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"(?s)not valid YAML: cannot read !!int: .*line 4, column 23"
    ):
        load_config(path)
    path.write_text(BASE + "cache: {dir: 2023-02-30}\n", encoding="utf-8")  # no such day
    assert load_config(path).cache.dir == tmp_path / "2023-02-30"
