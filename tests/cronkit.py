"""Helpers for the issue-9 tests: a tiny site on disk and ways to build it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from feeds.config import Config, load_config
from feeds.engine import Options, Outcome, build

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def article_text(
    n: int,
    *,
    topics: tuple[str, ...] = ("AI",),
    provider: str = "alpha",
    title: str | None = None,
    day: int = 1,
    published: bool = True,
) -> str:
    """A small valid article; `n` makes its URL (its id) unique."""
    data = {
        "title": title or f"Story number {n}",
        "excerpt": f"What happened in story {n}.",
        "publishedDateTime": f"2026-10-{day:02d}T{n % 24:02d}:00:00Z",
        "webUrl": f"https://{provider}.example.com/news/{n}",
        "published": published,
        "quality": 50,
        "provider": {"name": provider.title(), "domain": f"{provider}.example.com"},
        "topics": list(topics),
        "secured": "SECRET-never-published",
    }
    lines = ["---"] + [f"{key}: {json.dumps(value)}" for key, value in data.items()]
    return "\n".join([*lines, "---", "", "Body."]) + "\n"


def make_site(root: Path, articles: dict[str, str], extra_config: str = "") -> Path:
    """Write articles (name -> text) under root/content and a config; return its path."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (content / name).write_text(text, encoding="utf-8")
    config = root / "feeds.yaml"
    config.write_text(
        "site:\n  title: Test News\n  base_url: https://feeds.example.org/\n"
        "content:\n  dir: content\noutput:\n  dir: public\n" + extra_config,
        encoding="utf-8",
    )
    return config


def run(config_path: Path, now: datetime = NOW, **options: object) -> Outcome:
    """One in-process build as of `now` (one worker unless asked: no pool in unit tests)."""
    options.setdefault("workers", 1)
    # Tests edit files and build at once; edits never overlap a build here, so the
    # racy-file rule (tested on its own) would only hide what the cache does.
    options.setdefault("racy_seconds", 0)
    return build(load_config(config_path), now=now, options=Options(**options))  # type: ignore[arg-type]


def config_of(config_path: Path) -> Config:
    """The loaded config."""
    return load_config(config_path)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every non-dot file under folder (relative path -> bytes)."""
    found: dict[str, bytes] = {}
    for dirpath, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def mtimes(folder: Path) -> dict[str, int]:
    """Every file's st_mtime_ns under folder, dot-files included."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }
