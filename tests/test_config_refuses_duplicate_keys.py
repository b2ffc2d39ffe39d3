"""A key given twice anywhere in the config is an error naming it: YAML 1.1 would keep
the last one silently (a second `site:` replacing the first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.errors import ConfigError
from tests.kit import BASE_URL, article, make_site

HEAD = f"site:\n  title: Site\n  base_url: {BASE_URL}\ncontent:\n  dir: content\noutput:\n  dir: public\n"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (HEAD + "site:\n  title: Other\n", "site"),
        (HEAD + "feeds:\n  max_items: 5\n  max_items: 500\n", "max_items"),
        (HEAD + "feeds: {titles: {topic: '{name}', topic: '{site}'}}\n", "topic"),
    ],
)
def test_a_duplicate_key_is_a_config_error_naming_it(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith("not valid YAML: ")
    assert f"found duplicate key '{key}'" in problem


def test_build_with_a_duplicate_section_exits_1_writing_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    site.config_path.write_text(HEAD + "output:\n  dir: elsewhere\n", encoding="utf-8")
    result = site.cli("build")
    assert result.exit_code == 1
    assert "found duplicate key 'output'" in result.stderr
    assert not (tmp_path / "public").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_a_merge_key_overridden_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = "feeds:\n  titles: &t {topic: 'T {name}'}\n  descriptions: {<<: *t, topic: 'D {name}'}\n"
    path.write_text(HEAD + text, encoding="utf-8")
    feeds = load_config(path).feeds
    assert (feeds.titles.topic, feeds.descriptions.topic) == ("T {name}", "D {name}")
