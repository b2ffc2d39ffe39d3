"""Read `config/feeds.yaml` into a frozen `Config`, reporting every problem at once.

Validation happens here, once, before any article is read. Each key has a checker that
turns the YAML value into its typed form or says what was expected; unknown keys are
errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from feeds.errors import ConfigError
from feeds.mediatypes import CacheControl

GROUPINGS = ("topic", "provider")
FORMATS = ("rss", "atom", "json")
CONTENT_MODES = ("full", "summary")
TEMPLATE_FIELDS = ("name", "site")
# The feed title and description of each kind of feed; {name} is the group's name (the site
# title for 'all'), {site} the site title. An empty 'all' description means site.description.
DEFAULT_TITLES = {"all": "{site}", "topic": "{site}: {name}", "provider": "{site}: {name}"}
DEFAULT_DESCRIPTIONS = {
    "all": "",
    "topic": "The newest articles about {name} on {site}.",
    "provider": "The newest articles from {name} on {site}.",
}
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
    websub_hub: str | None = None  # WebSub hub to announce and ping
    logo: str | None = None  # RSS <image>, Atom <logo>, JSON Feed icon
    icon: str | None = None  # Atom <icon>, JSON Feed favicon
    ttl: int | None = None  # minutes a reader may cache a feed (RSS <ttl>)
    copyright: str | None = None  # RSS <copyright>, Atom <rights>


@dataclass(frozen=True, slots=True)
class Content:
    """Where the article files are and which ones to read."""

    dir: Path
    patterns: tuple[str, ...] = ("*.md", "*.markdown", "*.txt")
    max_bytes: int = 1_048_576


@dataclass(frozen=True, slots=True)
class Output:
    """Where the feeds are written, in which formats, and whether with HTML pages."""

    dir: Path
    headers_file: bool = False  # write `_headers` for Netlify / Cloudflare Pages
    cache_control: CacheControl = field(default_factory=CacheControl)
    formats: tuple[str, ...] = FORMATS
    pages: bool = True


@dataclass(frozen=True, slots=True)
class SelectRules:
    """Which valid articles are published."""

    published_only: bool = True
    min_quality: float = 0
    types: tuple[str, ...] = ()
    include_future: bool = False
    max_age_days: int | None = None


@dataclass(frozen=True, slots=True)
class Templates:
    """One text template per kind of feed, with {name} and {site} placeholders."""

    all: str
    topic: str
    provider: str

    def fill(self, kind: str, name: str, site: str) -> str:
        """The template for `kind` ('all', 'topic', 'provider') with its placeholders filled."""
        template: str = getattr(self, kind)
        return template.format(name=name, site=site)


@dataclass(frozen=True, slots=True)
class FeedRules:
    """Which feeds exist and how long they are."""

    max_items: int = 50
    all: bool = True
    groups: tuple[str, ...] = GROUPINGS
    titles: Templates = Templates(**DEFAULT_TITLES)
    descriptions: Templates = Templates(**DEFAULT_DESCRIPTIONS)
    content: str = "full"


ADDRESSING_STYLES = ("auto", "path", "virtual")


@dataclass(frozen=True, slots=True)
class S3Target:
    """`publish.s3`: the bucket and prefix the output folder is synced to.

    Credentials never come from here: boto3 reads them from the environment, the shared
    credentials file or the instance role.
    """

    bucket: str
    prefix: str = ""  # '' or ends with '/'
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str = "auto"
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Publish:
    """The `publish` section: where `feeds publish` uploads the output folder."""

    s3: S3Target


@dataclass(frozen=True, slots=True)
class Cache:
    """Where the parse cache lives."""

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
    publish: Publish | None = None  # None: the output folder itself is what is served
    cache: Cache = Cache(Path(".feeds-cache"))


class _Invalid(Exception):
    """A checker's complaint about one value (becomes 'path: message')."""


class _NestedInvalid(Exception):
    """A nested mapping's complaints, each 'subkey: message' (becomes 'path.subkey: ...')."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


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


def _header_value(value: Any) -> str:
    text = _text(value)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        msg = f"expected one line of header text, got {_show(value)}"
        raise _Invalid(msg)
    return text


def _endpoint_url(value: Any) -> str:
    url = _http_url(value)
    if "@" in urlsplit(url).netloc:
        msg = "credentials don't belong in the URL; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        raise _Invalid(msg)
    return url


def _prefix(value: Any) -> str:
    if not isinstance(value, str):
        msg = f"expected a string such as 'feeds/', got {_show(value)}"
        raise _Invalid(msg)
    prefix = value.strip().strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        msg = f"expected key segments without '.', '..' or '//', got {_show(value)}"
        raise _Invalid(msg)
    return prefix + "/" if prefix else ""


_CREDENTIAL_HINT = (
    "credentials are never read from the config file; set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY in the environment, or use AWS_PROFILE or an instance role"
)
_CREDENTIAL_KEYS = ("access_key", "secret", "session_token", "password")


def _nested(spec: dict[str, tuple[Checker, Any]]) -> Checker:
    """A checker for a mapping whose keys have checkers of their own, like a section."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            msg = f"expected a mapping, got {_show(value)}"
            raise _Invalid(msg)
        problems: list[str] = []
        for key in value:
            if key in spec:
                continue
            if any(word in str(key).lower() for word in _CREDENTIAL_KEYS):
                problems.append(f"{key}: {_CREDENTIAL_HINT}")
            else:
                problems.append(f"{key}: unknown key (known keys: {', '.join(spec)})")
        checked: dict[str, Any] = {}
        for key, (checker, default) in spec.items():
            raw = value.get(key)
            if raw is None and default is _REQUIRED:
                problems.append(f"{key}: required, but missing")
                continue
            try:
                checked[key] = default if raw is None else checker(raw)
            except _Invalid as exc:
                problems.append(f"{key}: {exc}")
        if problems:
            raise _NestedInvalid(problems)
        return checked

    return check


def _choices(allowed: Sequence[str]) -> Checker:
    def check(value: Any) -> str:
        if value not in allowed:
            msg = f"expected one of {', '.join(allowed)}, got {_show(value)}"
            raise _Invalid(msg)
        return str(value)

    return check


def _formats(value: Any) -> tuple[str, ...]:
    formats = _text_list(value)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        got = _show(unknown[0]) if unknown else "an empty list"
        msg = f"expected a non-empty list of {', '.join(FORMATS)}, got {got}"
        raise _Invalid(msg)
    return tuple(f for f in FORMATS if f in formats)  # one fixed order: stable output


def _template(value: Any) -> str:
    """A text with only {name} and {site} placeholders ('{{' and '}}' are literal braces)."""
    text = _text(value)
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in Formatter().parse(text) if f is not None]
    except ValueError as exc:
        msg = f"not a valid template ({exc}); write {{{{ and }}}} for literal braces"
        raise _Invalid(msg) from exc
    for placeholder, spec, conversion in fields:
        if placeholder not in TEMPLATE_FIELDS or spec or conversion:
            shown = "{" + placeholder + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            msg = f"unknown placeholder {shown} in {_show(text)}; use {{name}} or {{site}}"
            raise _Invalid(msg)
    return text


def _templates(defaults: Mapping[str, str]) -> Checker:
    """A checker for {all, topic, provider} templates; missing kinds keep their default."""

    def check(value: Any) -> Templates:
        if not isinstance(value, Mapping):
            msg = f"expected a mapping with keys {', '.join(defaults)}, got {_show(value)}"
            raise _Invalid(msg)
        problems = [
            f"{key}: unknown key (known keys: {', '.join(defaults)})"
            for key in value
            if key not in defaults
        ]
        texts = dict(defaults)
        for key in defaults:
            if value.get(key) is None:
                continue
            try:
                texts[key] = _template(value[key])
            except _Invalid as exc:
                problems.append(f"{key}: {exc}")
        if problems:
            raise _NestedInvalid(problems)
        return Templates(**texts)

    return check


_S3_SPEC: dict[str, tuple[Checker, Any]] = {
    "bucket": (_text, _REQUIRED),
    "prefix": (_prefix, ""),
    "endpoint_url": (_endpoint_url, None),
    "region": (_text, None),
    "addressing_style": (_choices(ADDRESSING_STYLES), "auto"),
    "delete": (_bool, False),
}
_CACHE_CONTROL_SPEC: dict[str, tuple[Checker, Any]] = {
    "feed": (_header_value, "max-age=300"),
    "page": (_header_value, "max-age=300"),
    "asset": (_header_value, "max-age=86400"),
}

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
        "websub_hub": (_http_url, None),
        "logo": (_http_url, None),
        "icon": (_http_url, None),
        "ttl": (_optional_positive_int, None),
        "copyright": (_text, None),
    },
    "content": {
        "dir": (_text, _REQUIRED),
        "patterns": (_patterns, ["*.md", "*.markdown", "*.txt"]),
        "max_bytes": (_positive_int, 1_048_576),
    },
    "output": {
        "dir": (_text, _REQUIRED),
        "headers_file": (_bool, False),
        "cache_control": (_nested(_CACHE_CONTROL_SPEC), {}),
        "formats": (_formats, list(FORMATS)),
        "pages": (_bool, True),
    },
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
        "titles": (_templates(DEFAULT_TITLES), {}),
        "descriptions": (_templates(DEFAULT_DESCRIPTIONS), {}),
        "content": (_choices(CONTENT_MODES), "full"),
    },
    "publish": {"s3": (_nested(_S3_SPEC), None)},
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
        except _NestedInvalid as exc:
            problems += [f"{name}.{key}.{problem}" for problem in exc.problems]
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
    if "publish" in data and values["publish"].get("s3") is None and not problems:
        problems.append("publish.s3: required, but missing")
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
            websub_hub=site["websub_hub"],
            logo=site["logo"],
            icon=site["icon"],
            ttl=site["ttl"],
            copyright=site["copyright"],
        ),
        content=Content(
            dir=(here / values["content"]["dir"]).resolve(),
            patterns=values["content"]["patterns"],
            max_bytes=values["content"]["max_bytes"],
        ),
        output=Output(
            dir=(here / values["output"]["dir"]).resolve(),
            headers_file=values["output"]["headers_file"],
            cache_control=CacheControl(**values["output"]["cache_control"]),
            formats=values["output"]["formats"],
            pages=values["output"]["pages"],
        ),
        select=SelectRules(**values["select"]),
        feeds=FeedRules(**values["feeds"]),
        publish=_publish(values["publish"]),
        cache=Cache(dir=(here / values["cache"]["dir"]).resolve()),
    )


def _publish(values: Mapping[str, Any]) -> Publish | None:
    s3 = values.get("s3")
    return Publish(S3Target(**s3)) if s3 is not None else None


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
