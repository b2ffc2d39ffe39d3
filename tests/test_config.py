"""Config: the defaults, how values are read, and what a bad config does on the command
line (every message, exactly: tests/test_config_messages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import (
    CacheControl,
    Caps,
    S3Target,
    StoreColumns,
    Templates,
    load_config,
    parse_config,
)
from feeds.errors import ConfigError
from tests.kit import BASE_URL, article, config_data, make_site


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    """Every default, in one place: a config of the required keys only, and a publish
    section of only a bucket. Relative folders are read from the config's folder."""
    config = parse_config(config_data(), tmp_path / "conf" / "feeds.yaml")
    assert config.content.dir == (tmp_path / "conf" / "content").resolve()
    assert config.output.dir == (tmp_path / "conf" / "public").resolve()
    assert config.cache.dir == (tmp_path / "conf" / ".feeds-cache").resolve()
    assert config.content.patterns == ("*.md", "*.markdown", "*.txt")
    assert config.content.max_bytes == 1_048_576
    assert (config.content.database, config.content.table) == (None, "articles")
    assert config.content.columns == StoreColumns("key", "changed", "document", "deleted")
    assert config.site.link == "https://feeds.example.org/"
    assert config.site.description == "Test Site"
    assert config.site.author == "Test Site"
    assert config.site.language == "en"
    assert str(config.site.timezone) == "UTC"
    assert (config.site.logo, config.site.icon, config.site.ttl, config.site.copyright) == (
        None,
        None,
        None,
        None,
    )
    assert (config.site.websub_hub, config.site.websub_budget) == (None, 30)
    assert config.select.published_only is True
    assert config.select.max_age_days is None
    assert config.select.max_topics == 50
    assert config.feeds.max_items == Caps(all=50, topic=50, provider=50, custom=50)
    assert config.feeds.min_items == 1
    assert config.feeds.custom == ()
    assert config.feeds.groups == ("topic", "provider")
    assert config.feeds.content == "full"
    assert config.feeds.titles == Templates("{site}", "{site}: {name}", "{site}: {name}")
    assert config.feeds.descriptions.topic == "The newest articles about {name} on {site}."
    assert config.output.formats == ("rss", "atom", "json")
    assert config.output.pages is True
    assert config.output.cache_control == CacheControl()
    assert config.output.headers_file is False
    assert config.publish is None
    publishing = parse_config(config_data(publish={"s3": {"bucket": "b"}}), Path("f.yaml"))
    assert publishing.publish is not None
    s3 = publishing.publish.s3
    assert (s3.bucket, s3.prefix, s3.endpoint_url, s3.region) == ("b", "", None, None)
    assert (s3.addressing_style, s3.delete) == ("auto", False)
    assert s3 == S3Target(bucket="b")


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("sqlite:///articles.db", "{dir}/articles.db"),
        ("sqlite:///../data/articles.db", "{parent}/data/articles.db"),
        ("sqlite:////srv/articles.db", "/srv/articles.db"),
        ("postgresql://feeds@db.internal/news", "postgresql://feeds@db.internal/news"),
        ("postgres:///news?host=/run/postgresql", "postgres:///news?host=/run/postgresql"),
    ],
)
def test_an_article_store_is_named_by_its_url(tmp_path: Path, url: str, database: str) -> None:
    """A SQLite file is a path, relative to the config file's folder as content.dir is; a
    PostgreSQL URL is kept as given, for libpq."""
    data = config_data(content={"database": url, "columns": {"deleted": False}})
    del data["content"]["dir"]
    config = parse_config(data, tmp_path / "conf" / "feeds.yaml")
    expected = database.format(dir=tmp_path / "conf", parent=tmp_path)
    assert str(config.content.database) == expected
    assert isinstance(config.content.database, Path) == url.startswith("sqlite")
    assert config.content.dir is None
    assert config.content.columns.deleted is None


def test_a_store_that_is_not_there_exits_1_before_anything_is_written(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    text = site.config_path.read_text(encoding="utf-8")
    site.config_path.write_text(
        text.replace("dir: content", "database: sqlite:///articles.db", 1), encoding="utf-8"
    )
    result = site.cli("build")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: content.database {tmp_path / 'articles.db'}: cannot open: "
        "unable to open database file\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "feeds.yaml"]


def test_base_url_gets_a_trailing_slash(tmp_path: Path) -> None:
    config = parse_config(
        config_data(site={"base_url": "https://cdn.example.org/feeds"}), tmp_path / "f.yaml"
    )
    assert config.site.base_url == "https://cdn.example.org/feeds/"


def test_the_publish_prefix_is_normalised() -> None:
    config = parse_config(
        config_data(publish={"s3": {"bucket": "b", "prefix": "/feeds/news"}}), Path("f.yaml")
    )
    assert config.publish is not None
    assert config.publish.s3.prefix == "feeds/news/"


def test_the_shipped_config_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent / "config" / "feeds.yaml")
    assert config.content.dir.name == "samples"
    assert config.output.dir.name == "public"


def test_null_sections_are_empty_and_null_keys_take_their_default(tmp_path: Path) -> None:
    """`site:` with every key commented out is an empty section, not a missing one (its
    missing keys: tests/test_config_messages.py)."""
    data = config_data(output={"cache_control": None}, feeds={"titles": None, "max_items": None})
    config = parse_config(data | {"select": None, "cache": None}, tmp_path / "feeds.yaml")
    assert config == parse_config(config_data(), tmp_path / "feeds.yaml")


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert str(caught.value) == f"config file not found: {tmp_path / 'nope.yaml'}"


def test_a_yaml_error_names_the_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: invalid config:\n  not valid YAML: ")
    assert f'in "{bad}", line 1, column 7:\n    site: [unclosed\n' in message  # the file
    assert "<unicode string>" not in message


def test_a_date_python_cannot_make_is_text(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = 'site: {title: T, base_url: "https://x.org/"}\ncontent: {dir: c}\noutput: {dir: p}\n'
    path.write_text(text + "cache: {dir: 2023-02-30}\n", encoding="utf-8")  # no such day
    assert load_config(path).cache.dir == tmp_path / "2023-02-30"


def test_the_error_names_the_file_then_each_problem_on_its_own_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data(feeds={"titles": {"all": "{x}", "bogus": 1}}), PATH)
    assert str(caught.value) == (
        f"{PATH}: invalid config:\n"
        "  feeds.titles.bogus: unknown key (known keys: all, topic, provider)\n"
        '  feeds.titles.all: unknown placeholder {x} in "{x}"; use {name} or {site}'
    )


PATH = Path("/srv/feeds/config/feeds.yaml")


def test_values_are_read() -> None:
    """Given keys are typed; formats keep one fixed order; missing template kinds default;
    the WebSub budget takes fractions of a second."""
    config = parse_config(
        config_data(
            site={
                "logo": "https://x.org/logo.png",
                "icon": "https://x.org/i.png",
                "ttl": 60,
                "copyright": " © 2023 X ",
                "websub_budget": 0.5,
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
    assert config.site.websub_budget == 0.5
    assert config.output.formats == ("rss", "json")
    assert config.output.pages is False
    assert config.feeds.content == "summary"
    assert config.feeds.titles.fill("topic", "AI", "Site") == "AI news from Site"
    assert config.feeds.titles.fill("provider", "BBC", "Site") == "Site: BBC"


def test_literal_braces_in_templates() -> None:
    """'{{' and '}}' are literal braces, as in Python's str.format."""
    config = parse_config(config_data(feeds={"titles": {"all": "{{{site}}}"}}), PATH)
    assert config.feeds.titles.fill("all", "x", "Site") == "{Site}"


def test_the_largest_allowed_values_build(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {"a.md": article(1)},
        select={"max_age_days": 36_500, "min_quality": -(10**400)},
        feeds={"max_items": 100_000},
        site={"ttl": 525_600},
        content={"max_bytes": 2**30},
    )
    assert site.build().report.articles_selected == 1


HEAD = f"site:\n  title: Site\n  base_url: {BASE_URL}\ncontent:\n  dir: content\noutput:\n  dir: public\n"


def test_a_merge_key_overridden_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = "feeds:\n  titles: &t {topic: 'T {name}'}\n  descriptions: {<<: *t, topic: 'D {name}'}\n"
    path.write_text(HEAD + text, encoding="utf-8")
    feeds = load_config(path).feeds
    assert (feeds.titles.topic, feeds.descriptions.topic) == ("T {name}", "D {name}")


def test_paths_that_are_fine() -> None:
    fine = ["top", "collections/ai-policy", "a/b/c", "2024", "topicsx", "x/topics", "console"]
    fine += ["x/archive", "archives", "x/archive/y"]
    config = parse_config(
        config_data(feeds={"custom": [{"path": p, "title": p} for p in fine]}), PATH
    )
    assert [feed.path for feed in config.feeds.custom] == fine


def test_caps_left_out_of_the_mapping_take_the_default() -> None:
    config = parse_config(config_data(feeds={"max_items": {"topic": 30}}), PATH)
    caps = config.feeds.max_items
    assert (caps.all, caps.topic, caps.provider, caps.custom) == (50, 30, 50, 50)
    config = parse_config(config_data(feeds={"max_items": 7}), PATH)
    caps = config.feeds.max_items
    assert (caps.all, caps.topic, caps.provider, caps.custom) == (7, 7, 7, 7)


@pytest.mark.parametrize(
    ("command", "added", "problem"),
    [
        # `.nan` compares false with every quality: it used to publish nothing, delete
        # every feed and exit 0 (and `check` exited 0).
        (
            "build",
            "select:\n  min_quality: .nan\n",
            "  select.min_quality: expected a finite number, got .nan\n",
        ),
        (
            "check",
            "select:\n  min_quality: .nan\n",
            "  select.min_quality: expected a finite number, got .nan\n",
        ),
        # Beyond the calendar: it used to crash.
        (
            "build",
            "select:\n  max_age_days: 100000000\n",
            "select.max_age_days: expected a positive integer of at most 36500",
        ),
        # YAML 1.1 would keep the second `output:` silently, and write there.
        ("build", "output:\n  dir: elsewhere\n", "found duplicate key 'output'"),
        (
            "build",
            "feeds:\n  custom: [{path: top, title: Top}, {path: ../escape, title: Out}]\n",
            'feeds.custom[1].path: "../escape" contains ".."',
        ),
        (
            "check",
            "feeds:\n  custom: [{path: top, title: Top}, {path: ../escape, title: Out}]\n",
            'feeds.custom[1].path: "../escape" contains ".."',
        ),
    ],
)
def test_a_bad_config_exits_1_writing_nothing(
    tmp_path: Path, command: str, added: str, problem: str
) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    site.config_path.write_text(HEAD + added, encoding="utf-8")
    result = site.cli(command)
    assert result.exit_code == 1
    assert problem in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "feeds.yaml"]
