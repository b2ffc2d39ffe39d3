"""Helpers for the issue 8 tests: build a corpus into tmp folders and read the output back.

Kept apart from conftest.py so these tests need nothing but this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from feeds.config import Config, parse_config
from feeds.model import BuildReport
from feeds.pipeline import build

NOW = datetime(2023, 11, 20, 12, 0, tzinfo=UTC)
BASE_URL = "https://feeds.example.org/"
ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def article(n: int, **fields: Any) -> dict[str, Any]:
    """Front matter of a plain, valid article number n; keyword arguments override fields."""
    data: dict[str, Any] = {
        "title": f"Article {n}",
        "excerpt": f"Excerpt {n}.",
        "type": "article",
        "publishedDateTime": f"2023-11-{1 + n % 19:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "webUrl": f"https://news.example.com/{n}",
        "originalUrl": f"https://news.example.com/{n}",
        "published": True,
        "provider": {"name": "Example News", "domain": "news.example.com"},
        "topics": ["AI"],
        "images": [{"url": f"https://img.example.com/{n}.jpg?w=800&h=600", "width": 800}],
        "related": [
            {
                "title": f"Related {n}",
                "webUrl": f"https://other.example.net/{n}",
                "provider": {"name": "Other", "domain": "other.example.net"},
            }
        ],
        "secured": "SECRET-kit",
    }
    data.update(fields)
    return data


def write_articles(folder: Path, articles: dict[str, dict[str, Any]]) -> None:
    """Write {file name: front matter} as article files under folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in articles.items():
        text = "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=True) + "---\n"
        (folder / name).write_text(text, encoding="utf-8")


def make_config(root: Path, **sections: dict[str, Any]) -> Config:
    """A config rooted at root (content in root/articles, output in root/public)."""
    data: dict[str, Any] = {
        "site": {"title": "Test Site", "base_url": BASE_URL, "link": "https://news.example.org/"},
        "content": {"dir": "articles"},
        "output": {"dir": "public"},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse_config(data, root / "feeds.yaml")


def build_site(
    root: Path, articles: dict[str, dict[str, Any]], **sections: dict[str, Any]
) -> tuple[Config, BuildReport]:
    """Write the articles, build them with the given config sections, return both."""
    write_articles(root / "articles", articles)
    config = make_config(root, **sections)
    return config, build(config, now=NOW)


def output_files(out: Path, pattern: str) -> list[Path]:
    """Every output file matching a glob pattern, in a stable order."""
    return sorted(out.rglob(pattern))


def served_url(out: Path, path: Path) -> str:
    """The public URL a file of the output folder is served at."""
    return BASE_URL + path.relative_to(out).as_posix()
