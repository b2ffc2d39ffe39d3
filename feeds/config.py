"""Read `config/feeds.yaml` into a frozen `Config`, reporting every problem at once.

Validation happens here, once, before any article is read. Each key has a checker that
turns the YAML value into its typed form or says what was expected; unknown keys are
errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from feeds.errors import ConfigError

GROUPINGS = ("topic", "provider")
# BCP 47 as RSS <language> and xml:lang want it: 'en', 'en-US', 'pt-BR', 'zh-Hant'.
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class Site:
    """Who publishes the feeds and where they are served."""

    title: str
    base_url: str  # ends with '/'; where output.dir is served
    link: str  # the human site
    description: str
    language: str
    author: str
    timezone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Content:
    """Where the article files are and which ones to read."""

    dir: Path
    patterns: tuple[str, ...] = ("*.md", "*.markdown", "*.txt")
    max_bytes: int = 1_048_576


@dataclass(frozen=True, slots=True)
class Output:
    """Where the feeds are written."""

    dir: Path


@dataclass(frozen=True, slots=True)
class SelectRules:
    """Which valid articles are published."""

    published_only: bool = True
    min_quality: float = 0
    types: tuple[str, ...] = ()
    include_future: bool = False
    max_age_days: int | None = None


@dataclass(frozen=True, slots=True)
class FeedRules:
    """Which feeds exist and how long they are."""

    max_items: int = 50
    all: bool = True
    groups: tuple[str, ...] = GROUPINGS


@dataclass(frozen=True, slots=True)
class Cache:
    """Where the parse cache lives (issue 9)."""

    dir: Path


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration; `path` is the file it came from."""

    path: Path
    site: Site
    content: Content
    output: Output
    select: SelectRules
    feeds: FeedRules
    cache: Cache = Cache(Path(".feeds-cache"))


class _Invalid(Exception):
    """A checker's complaint about one value (becomes 'path: message')."""


Checker = Callable[[Any], Any]
_REQUIRED = object()


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return "null" if value is None else repr(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"expected a non-empty string, got {_show(value)}"
        raise _Invalid(msg)
    return value.strip()


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        msg = f"expected true or false, got {_show(value)}"
        raise _Invalid(msg)
    return value


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"expected a positive integer, got {_show(value)}"
        raise _Invalid(msg)
    return value


def _optional_positive_int(value: Any) -> int | None:
    return None if value is None else _positive_int(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"expected a number, got {_show(value)}"
        raise _Invalid(msg)
    return value


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        msg = f"expected a list of strings, got {_show(value)}"
        raise _Invalid(msg)
    return tuple(_text(item) for item in value)


def _groups(value: Any) -> tuple[str, ...]:
    groups = _text_list(value)
    unknown = [g for g in groups if g not in GROUPINGS]
    if unknown:
        msg = f"expected a list of {', '.join(GROUPINGS)}, got {_show(unknown[0])}"
        raise _Invalid(msg)
    return tuple(dict.fromkeys(groups))


def _http_url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = f"expected an absolute http(s) URL, got {_show(value)}"
        raise _Invalid(msg)
    return text


def _base_url(value: Any) -> str:
    url = _http_url(value)
    return url if url.endswith("/") else url + "/"


def _language(value: Any) -> str:
    text = _text(value)
    if not LANGUAGE_RE.fullmatch(text):
        hint = f" (did you mean {text.replace('_', '-')!r}?)" if "_" in text else ""
        msg = f"expected a BCP 47 language tag such as 'en' or 'en-US', got {_show(value)}{hint}"
        raise _Invalid(msg)
    return text


def _timezone(value: Any) -> ZoneInfo:
    text = _text(value)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"expected an IANA time zone name such as 'UTC' or 'Europe/Paris', got {_show(value)}"
        raise _Invalid(msg) from exc


def _patterns(value: Any) -> tuple[str, ...]:
    patterns = _text_list(value)
    if not patterns:
        msg = "expected at least one file pattern such as '*.md'"
        raise _Invalid(msg)
    return patterns


# key -> (checker, default); _REQUIRED marks keys without a default.
_SECTIONS: dict[str, dict[str, tuple[Checker, Any]]] = {
    "site": {
        "title": (_text, _REQUIRED),
        "base_url": (_base_url, _REQUIRED),
        "link": (_http_url, None),
        "description": (_text, None),
        "language": (_language, "en"),
        "author": (_text, None),
        "timezone": (_timezone, "UTC"),
    },
    "content": {
        "dir": (_text, _REQUIRED),
        "patterns": (_patterns, ["*.md", "*.markdown", "*.txt"]),
        "max_bytes": (_positive_int, 1_048_576),
    },
    "output": {"dir": (_text, _REQUIRED)},
    "select": {
        "published_only": (_bool, True),
        "min_quality": (_number, 0),
        "types": (_text_list, []),
        "include_future": (_bool, False),
        "max_age_days": (_optional_positive_int, None),
    },
    "feeds": {
        "max_items": (_positive_int, 50),
        "all": (_bool, True),
        "groups": (_groups, list(GROUPINGS)),
    },
    "cache": {"dir": (_text, ".feeds-cache")},
}
_REQUIRED_SECTIONS = ("site", "content", "output")


def _check_section(name: str, data: object, problems: list[str]) -> dict[str, Any]:
    """Check one top-level section; append 'name.key: message' for every problem."""
    spec = _SECTIONS[name]
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.append(f"{name}: expected a mapping, got {_show(data)}")
        return {}
    values: dict[str, Any] = {}
    for key in data:
        if key not in spec:
            known = ", ".join(spec)
            problems.append(f"{name}.{key}: unknown key (known keys: {known})")
    for key, (checker, default) in spec.items():
        raw = data.get(key)
        if raw is None:
            if default is _REQUIRED:
                problems.append(f"{name}.{key}: required, but missing")
                continue
            raw = default
        try:
            values[key] = None if raw is None else checker(raw)
        except _Invalid as exc:
            problems.append(f"{name}.{key}: {exc}")
    return values


def parse_config(data: object, path: Path) -> Config:
    """Turn a parsed YAML document into a Config; raise ConfigError naming every problem.

    Relative `content.dir` and `output.dir` resolve against the config file's folder.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(path, [f"expected a mapping of sections, got {_show(data)}"])
    problems: list[str] = [
        f"{key}: unknown section (known sections: {', '.join(_SECTIONS)})"
        for key in data
        if key not in _SECTIONS
    ]
    problems += [
        f"{name}: required, but missing" for name in _REQUIRED_SECTIONS if name not in data
    ]
    values = {
        name: _check_section(name, data.get(name), problems)
        for name in _SECTIONS
        if name in data or name not in _REQUIRED_SECTIONS
    }
    if problems:
        raise ConfigError(path, problems)
    here = path.parent
    site = values["site"]
    return Config(
        path=path,
        site=Site(
            title=site["title"],
            base_url=site["base_url"],
            link=site["link"] or site["base_url"],
            description=site["description"] or site["title"],
            language=site["language"],
            author=site["author"] or site["title"],
            timezone=site["timezone"],
        ),
        content=Content(
            dir=(here / values["content"]["dir"]).resolve(),
            patterns=values["content"]["patterns"],
            max_bytes=values["content"]["max_bytes"],
        ),
        output=Output(dir=(here / values["output"]["dir"]).resolve()),
        select=SelectRules(**values["select"]),
        feeds=FeedRules(**values["feeds"]),
        cache=Cache(dir=(here / values["cache"]["dir"]).resolve()),
    )


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError if it is missing or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(path, [f"cannot read the config file: {reason}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from exc
    return parse_config(data, path)
