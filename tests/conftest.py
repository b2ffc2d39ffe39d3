"""Shared fixtures: a fixed clock, article and config factories, and feed checkers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from feeds.config import Config, parse_config

FIXED_NOW = datetime(2023, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "SECRET-do-not-publish-7f3a"
REPO = Path(__file__).resolve().parent.parent
ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))


def article_yaml(**fields: Any) -> str:
    """A front-matter file for an article; keyword arguments override or (None) remove fields."""
    data: dict[str, Any] = {
        "title": "A title",
        "excerpt": "An excerpt.",
        "type": "article",
        "publishedDateTime": "2023-11-06T18:38:00Z",
        "webUrl": "https://news.example.com/a",
        "originalUrl": "https://news.example.com/a",
        "quality": 50,
        "published": True,
        "provider": {"name": "Example News", "domain": "news.example.com"},
        "topics": ["AI"],
        "secured": SECRET,
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n"


def write_corpus(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root and return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def config_data(**sections: dict[str, Any]) -> dict[str, Any]:
    """A valid config mapping; keyword arguments update whole sections key by key."""
    data: dict[str, Any] = {
        "site": {"title": "Test Site", "base_url": "https://feeds.example.org/"},
        "content": {"dir": "content"},
        "output": {"dir": "public"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    """A Config whose content.dir is tmp_path/content and output.dir tmp_path/public."""
    return parse_config(config_data(**sections), tmp_path / "feeds.yaml")


def write_config(tmp_path: Path, **sections: dict[str, Any]) -> Path:
    """Write a config file into tmp_path and return its path."""
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(config_data(**sections)), encoding="utf-8")
    return path


def assert_valid_atom(content: bytes) -> None:
    """Validate against RFC 4287's schema plus its two Schematron rules the schema skips."""
    doc = etree.fromstring(content)
    assert ATOM_SCHEMA.validate(doc), ATOM_SCHEMA.error_log
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed_author = doc.find("a:author", ns) is not None
    for entry in doc.findall("a:entry", ns):
        assert feed_author or entry.find("a:author", ns) is not None
        alternate = entry.xpath("a:link[not(@rel) or @rel='alternate']", namespaces=ns)
        assert alternate or entry.find("a:content", ns) is not None


@pytest.fixture(name="now")
def _now() -> datetime:
    return FIXED_NOW
