"""Config keys for feed metadata, formats and pages: defaults and exact error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feeds.config import Templates, parse_config
from feeds.errors import ConfigError

PATH = Path("/srv/feeds/config/feeds.yaml")


def _data(**sections: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site": {"title": "Site", "base_url": "https://feeds.example.org/"},
        "content": {"dir": "c"},
        "output": {"dir": "o"},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return data


def test_defaults() -> None:
    """Left out: all formats, pages on, full content, no logo, icon, ttl or copyright, default templates."""
    config = parse_config(_data(), PATH)
    assert config.output.formats == ("rss", "atom", "json")
    assert config.output.pages is True
    assert config.feeds.content == "full"
    assert (config.site.logo, config.site.icon, config.site.ttl, config.site.copyright) == (
        None,
        None,
        None,
        None,
    )
    assert config.feeds.titles == Templates("{site}", "{site}: {name}", "{site}: {name}")
    assert config.feeds.descriptions.topic == "The newest articles about {name} on {site}."


def test_values_are_read() -> None:
    """Given keys are typed; formats keep one fixed order; missing template kinds default."""
    config = parse_config(
        _data(
            site={
                "logo": "https://x.org/logo.png",
                "icon": "https://x.org/i.png",
                "ttl": 60,
                "copyright": " © 2023 X ",
            },
            output={"formats": ["json", "rss", "json"], "pages": False},
            feeds={"content": "summary", "titles": {"topic": "{name} news from {site}"}},
        ),
        PATH,
    )
    assert (config.site.logo, config.site.icon, config.site.ttl) == (
        "https://x.org/logo.png",
        "https://x.org/i.png",
        60,
    )
    assert config.site.copyright == "© 2023 X"
    assert config.output.formats == ("rss", "json")
    assert config.output.pages is False
    assert config.feeds.content == "summary"
    assert config.feeds.titles.fill("topic", "AI", "Site") == "AI news from Site"
    assert config.feeds.titles.fill("provider", "BBC", "Site") == "Site: BBC"


def test_literal_braces_in_templates() -> None:
    """'{{' and '}}' are literal braces, as in Python's str.format."""
    config = parse_config(_data(feeds={"titles": {"all": "{{{site}}}"}}), PATH)
    assert config.feeds.titles.fill("all", "x", "Site") == "{Site}"


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"site": {"logo": "ftp://x.org/l.png"}},
            'site.logo: expected an absolute http(s) URL, got "ftp://x.org/l.png"',
        ),
        (
            {"site": {"icon": "/icon.png"}},
            'site.icon: expected an absolute http(s) URL, got "/icon.png"',
        ),
        ({"site": {"ttl": 0}}, "site.ttl: expected a positive integer, got 0"),
        ({"site": {"ttl": "30"}}, 'site.ttl: expected a positive integer, got "30"'),
        ({"site": {"copyright": ""}}, 'site.copyright: expected a non-empty string, got ""'),
        (
            {"output": {"formats": []}},
            "output.formats: expected a non-empty list of rss, atom, json, got an empty list",
        ),
        (
            {"output": {"formats": ["rss", "xml"]}},
            'output.formats: expected a non-empty list of rss, atom, json, got "xml"',
        ),
        ({"output": {"formats": "rss"}}, 'output.formats: expected a list of strings, got "rss"'),
        ({"output": {"pages": "yes"}}, 'output.pages: expected true or false, got "yes"'),
        ({"feeds": {"content": "all"}}, 'feeds.content: expected one of full, summary, got "all"'),
        (
            {"feeds": {"titles": "News"}},
            'feeds.titles: expected a mapping with keys all, topic, provider, got "News"',
        ),
        (
            {"feeds": {"titles": {"tag": "x"}}},
            "feeds.titles.tag: unknown key (known keys: all, topic, provider)",
        ),
        (
            {"feeds": {"titles": {"topic": "{title}"}}},
            'feeds.titles.topic: unknown placeholder {title} in "{title}"; use {name} or {site}',
        ),
        (
            {"feeds": {"titles": {"topic": "{name.__class__}"}}},
            "feeds.titles.topic: unknown placeholder {name.__class__} in "
            '"{name.__class__}"; use {name} or {site}',
        ),
        (
            {"feeds": {"titles": {"topic": "{name!r}"}}},
            'feeds.titles.topic: unknown placeholder {name!r} in "{name!r}"; use {name} or {site}',
        ),
        (
            {"feeds": {"titles": {"topic": "{}"}}},
            'feeds.titles.topic: unknown placeholder {} in "{}"; use {name} or {site}',
        ),
        (
            {"feeds": {"descriptions": {"all": "{site"}}},
            "feeds.descriptions.all: not a valid template (expected '}' before end of string);"
            " write {{ and }} for literal braces",
        ),
        (
            {"feeds": {"descriptions": {"provider": 3}}},
            "feeds.descriptions.provider: expected a non-empty string, got 3",
        ),
    ],
)
def test_invalid_values(sections: dict[str, Any], message: str) -> None:
    """Each bad value is reported with its dotted path and what was expected."""
    with pytest.raises(ConfigError) as caught:
        parse_config(_data(**sections), PATH)
    assert str(caught.value) == f"{PATH}: invalid config:\n  {message}"


def test_every_template_problem_is_reported() -> None:
    """Several bad templates in one mapping are all reported, each with its own path."""
    with pytest.raises(ConfigError) as caught:
        parse_config(_data(feeds={"titles": {"all": "{x}", "bogus": 1, "topic": ""}}), PATH)
    assert str(caught.value).splitlines()[1:] == [
        "  feeds.titles.bogus: unknown key (known keys: all, topic, provider)",
        '  feeds.titles.all: unknown placeholder {x} in "{x}"; use {name} or {site}',
        '  feeds.titles.topic: expected a non-empty string, got ""',
    ]
