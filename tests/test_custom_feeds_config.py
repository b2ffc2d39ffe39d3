"""Config errors of custom feeds and per-kind caps: one exact message each, with its path,
all reported at once, before anything is read or written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feeds.config import parse_config
from feeds.errors import ConfigError
from tests.kit import article, config_data, make_site

PATH = Path("/srv/feeds/config/feeds.yaml")
KNOWN = (
    "path, title, description, order, topics, providers, types, categories, min_quality, "
    "min_heat, max_age_days, max_items, content"
)


def problems(**feeds: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data(feeds=feeds), PATH)
    return list(caught.value.problems)


def one_feed(**fields: Any) -> list[str]:
    """The problems of a config whose one custom feed is `fields` (path and title given)."""
    return problems(custom=[{"path": "top", "title": "Top"} | fields])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", 'expected a non-empty string, got ""'),
        ("  ", 'expected a non-empty string, got "  "'),
        ("/top", '"/top" is absolute; give a folder inside output.dir, such as "top"'),
        ("a/../b", '"a/../b" contains ".."'),
        ("..", '".." contains ".."'),
        (".hidden", '".hidden" has a segment starting with "." (such names are internal)'),
        ("news/.x", '"news/.x" has a segment starting with "." (such names are internal)'),
        ("Top", '"Top" may hold only lowercase letters, digits, "-" and "/"'),
        ("top stories", '"top stories" may hold only lowercase letters, digits, "-" and "/"'),
        ("top_stories", '"top_stories" may hold only lowercase letters, digits, "-" and "/"'),
        ("a\\b", '"a\\b" may hold only lowercase letters, digits, "-" and "/"'),
        ("tôp", '"tôp" may hold only lowercase letters, digits, "-" and "/"'),
        ("a//b", '"a//b" has an empty segment ("//", or "/" at its end)'),
        ("top/", '"top/" has an empty segment ("//", or "/" at its end)'),
        ("topics", '"topics" would collide with the topic feeds\' folder topics/'),
        ("topics/ai", '"topics/ai" would collide with the topic feeds\' folder topics/'),
        ("providers/x", '"providers/x" would collide with the provider feeds\' folder providers/'),
        (
            "archive",
            '"archive" would collide with the all-articles feed\'s archive pages, archive/',
        ),
        (
            "archive/1",
            '"archive/1" would collide with the all-articles feed\'s archive pages, archive/',
        ),
        (
            "news/archive/2",
            '"news/archive/2" would be taken for an archive page\'s folder (.../archive/<n>)',
        ),
        ("feeds.opml", '"feeds.opml" would collide with the site-wide file feeds.opml'),
        ("index.html", '"index.html" would collide with the site-wide file index.html'),
        ("rss.xml/top", '"rss.xml/top" would collide with the site-wide file rss.xml'),
        ("style.css", '"style.css" would collide with the site-wide file style.css'),
        ("_headers", '"_headers" would collide with the site-wide file _headers'),
        ("con", '"con" has the segment "con", a name Windows reserves for a device'),
        ("news/lpt1", '"news/lpt1" has the segment "lpt1", a name Windows reserves for a device'),
        (3, "expected a non-empty string, got 3"),
    ],
)
def test_a_bad_path(path: object, message: str) -> None:
    assert one_feed(path=path) == [f"feeds.custom[0].path: {message}"]


def test_paths_that_are_fine() -> None:
    fine = ["top", "collections/ai-policy", "a/b/c", "2024", "topicsx", "x/topics", "console"]
    fine += ["x/archive", "archives", "x/archive/y"]
    config = parse_config(
        config_data(feeds={"custom": [{"path": p, "title": p} for p in fine]}), PATH
    )
    assert [feed.path for feed in config.feeds.custom] == fine


def test_a_path_two_custom_feeds_share() -> None:
    custom = [
        {"path": "top", "title": "A"},
        {"path": "news", "title": "B"},
        {"path": "top", "title": "C"},
        {"path": "news", "title": "D"},
    ]
    assert problems(custom=custom) == [
        'feeds.custom[2].path: "top" is already the path of feeds.custom[0]',
        'feeds.custom[3].path: "news" is already the path of feeds.custom[1]',
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"colour": "red"}, f"feeds.custom[0].colour: unknown key (known keys: {KNOWN})"),
        ({"order": "hot"}, 'feeds.custom[0].order: expected one of newest, heat, got "hot"'),
        ({"order": "Heat"}, 'feeds.custom[0].order: expected one of newest, heat, got "Heat"'),
        ({"title": ""}, 'feeds.custom[0].title: expected a non-empty string, got ""'),
        ({"title": None}, "feeds.custom[0].title: required, but missing"),
        ({"description": ""}, 'feeds.custom[0].description: expected a non-empty string, got ""'),
        ({"min_heat": -1}, "feeds.custom[0].min_heat: expected a number of at least 0, got -1"),
        (
            {"min_quality": -0.5},
            "feeds.custom[0].min_quality: expected a number of at least 0, got -0.5",
        ),
        ({"min_heat": ".nan"}, 'feeds.custom[0].min_heat: expected a number, got ".nan"'),
        (
            {"max_age_days": -3},
            "feeds.custom[0].max_age_days: expected a positive integer, got -3",
        ),
        ({"max_items": -1}, "feeds.custom[0].max_items: expected a positive integer, got -1"),
        ({"max_items": 0}, "feeds.custom[0].max_items: expected a positive integer, got 0"),
        (
            {"max_items": 100_001},
            "feeds.custom[0].max_items: expected a positive integer of at most 100000, got 100001",
        ),
        (
            {"content": "all"},
            'feeds.custom[0].content: expected one of full, summary, got "all"',
        ),
        (
            {"topics": {"some": ["AI"]}},
            "feeds.custom[0].topics.some: unknown key (known keys: any, all, none)",
        ),
        (
            {"providers": {"all": ["BBC"]}},
            "feeds.custom[0].providers.all: unknown key (known keys: any, none)",
        ),
        (
            {"topics": {"any": "AI"}},
            'feeds.custom[0].topics.any: expected a list of strings, got "AI"',
        ),
        (
            {"categories": ["news", ""]},
            'feeds.custom[0].categories: expected a non-empty string, got ""',
        ),
        ({"topics": ["AI"]}, "feeds.custom[0].topics: expected a mapping, got a list"),
    ],
)
def test_a_bad_key(fields: dict[str, Any], message: str) -> None:
    assert one_feed(**fields) == [message]


def test_list_and_item_shapes() -> None:
    assert problems(custom={"path": "top"}) == [
        "feeds.custom: expected a list of mappings, got a mapping"
    ]
    assert problems(custom=["top", None]) == [
        'feeds.custom[0]: expected a mapping, got "top"',
        "feeds.custom[1]: expected a mapping, got null",
    ]
    assert problems(custom=[{}]) == [
        "feeds.custom[0].path: required, but missing",
        "feeds.custom[0].title: required, but missing",
    ]


def test_every_problem_of_every_feed_at_once() -> None:
    custom = [
        {"path": "/a", "title": "", "order": "hot"},
        {"path": "b", "title": "B", "min_heat": -2, "extra": 1},
        {"path": "b", "title": "B again"},
    ]
    assert problems(custom=custom, max_items={"topic": 0}, min_items=0) == [
        "feeds.max_items.topic: expected a positive integer, got 0",
        "feeds.min_items: expected a positive integer, got 0",
        'feeds.custom[0].path: "/a" is absolute; give a folder inside output.dir, such as "top"',
        'feeds.custom[0].title: expected a non-empty string, got ""',
        'feeds.custom[0].order: expected one of newest, heat, got "hot"',
        f"feeds.custom[1].extra: unknown key (known keys: {KNOWN})",
        "feeds.custom[1].min_heat: expected a number of at least 0, got -2",
        'feeds.custom[2].path: "b" is already the path of feeds.custom[1]',
    ]


@pytest.mark.parametrize(
    ("max_items", "message"),
    [
        ("fifty", 'feeds.max_items: expected a positive integer, got "fifty"'),
        (-5, "feeds.max_items: expected a positive integer, got -5"),
        ([50], "feeds.max_items: expected a positive integer, got a list"),
        (
            {"video": 3},
            "feeds.max_items.video: unknown key (known keys: all, topic, provider, custom)",
        ),
        ({"custom": "ten"}, 'feeds.max_items.custom: expected a positive integer, got "ten"'),
    ],
)
def test_bad_caps(max_items: object, message: str) -> None:
    assert problems(max_items=max_items) == [message]


def test_caps_left_out_of_the_mapping_take_the_default() -> None:
    config = parse_config(config_data(feeds={"max_items": {"topic": 30}}), PATH)
    caps = config.feeds.max_items
    assert (caps.all, caps.topic, caps.provider, caps.custom) == (50, 30, 50, 50)
    config = parse_config(config_data(feeds={"max_items": 7}), PATH)
    caps = config.feeds.max_items
    assert (caps.all, caps.topic, caps.provider, caps.custom) == (7, 7, 7, 7)


def test_the_cli_exits_1_naming_the_key_and_writes_nothing(tmp_path: Path) -> None:
    custom = [{"path": "top", "title": "Top"}, {"path": "../escape", "title": "Out"}]
    site = make_site(tmp_path, {"a.md": article(1)}, feeds={"custom": custom})
    for command in ("build", "check"):
        result = site.cli(command)
        assert result.exit_code == 1
        assert 'feeds.custom[1].path: "../escape" contains ".."' in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "feeds.yaml"]
