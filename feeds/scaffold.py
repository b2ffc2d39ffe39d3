"""`feeds init`: the files of a new site, a starter config, two example articles and a
`.gitignore`.

The config is written from the declarations in `feeds.config`, key by key, with each
key's README line as its comment and its default as its value, so it lists every key
there is, each with the default the program really uses. Optional keys are commented out.
"""

from __future__ import annotations

import json
import posixpath
import re
import textwrap
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path

import yaml

from feeds.config import Cache, Config
from feeds.config.settings import Key, documented, keys
from feeds.errors import OutputError
from feeds.files import write_atomic

CONFIG_FILE = "config/feeds.yaml"
# The keys without a default, given a value to start with.
EXAMPLES: dict[str, str] = {
    "site.title": "My News",
    "site.base_url": "http://127.0.0.1:8000/",
    "content.dir": "../content",
    "output.dir": "../public",
    "publish.s3.bucket": "my-bucket",
}
_NOTES = {
    "site.base_url": "Here, where `feeds serve` shows it: put the public URL before publishing.",
}
_HEADER = """\
# The feeds config, written by `feeds init`: every key, each with its meaning and default.
# A line `# key: value` is an optional key left at its default; remove the `# ` to change
# it. Relative paths are relative to this file's folder. README.md (Config) has more.
"""
_WIDTH = 88
_PLAIN = re.compile(r"[A-Za-z0-9._/][A-Za-z0-9 ._/:=+-]*")


def starter_config() -> str:
    """The text of the starter config: every declared key, in declaration order."""
    lines = [_HEADER.rstrip("\n")]
    for key in keys(Config):
        lines += ["", *_key_lines(key, key.name, "", False, MISSING)]
    return "\n".join(lines) + "\n"


def _key_lines(key: Key, path: str, pad: str, commented: bool, default: object) -> list[str]:
    """The lines of one key (with its comment), or of a section and its keys.

    `default` is the key's value when left out, or MISSING for its declared one (as the
    config reader takes it: a section's default gives its keys theirs).
    """
    default = key.default if default is MISSING else default
    if key.many:
        return _list_lines(key, pad)
    if key.section is None:
        derived = key.spec.default_from is not None  # null: another key's value
        # A key with an example is given, even one a default lets be left out
        # (`content.dir`, which `content.database` may replace).
        optional = (default is not MISSING or derived) and path not in EXAMPLES
        value = _yaml(EXAMPLES.get(path, None if derived else default))
        line = _line(f"{key.name}: {value}", pad, commented or optional)
        return [*_comment(_doc(key, path), pad), line]
    # A section with a default (even None: an opt-in section) is optional as a whole.
    commented = commented or default is not MISSING
    doc = key.spec.doc or (key.section.__doc__ or "").split("\n\n")[0]
    lines = [*_comment(doc, pad), _line(f"{key.name}:", pad, commented)]
    for child in keys(key.section):
        given: object = getattr(default, child.name) if is_dataclass(default) else MISSING
        if given != "":  # '' takes another key's value (feeds.descriptions.all)
            lines += _key_lines(child, f"{path}.{child.name}", pad + "  ", commented, given)
    return lines


def _list_lines(key: Key, pad: str) -> list[str]:
    """A list of sections (`feeds.custom`): empty unless given, so the keys of its items
    are told in its comment, each on lines that cannot be taken for a key."""
    assert key.section is not None
    required = {item.name for item in keys(key.section) if item.default is MISSING}
    lines = _comment(f"{key.spec.doc}; each item is a mapping of these keys:", pad)
    for path, doc in documented(key.section):
        doc = f"{doc} (required)" if path in required else doc
        lines += _comment(f"- `{path}`: {doc}", pad, indent="  ")
    return [*lines, _line(f"{key.name}: []", pad, True)]


def _doc(key: Key, path: str) -> str:
    doc: str = key.spec.doc
    if key.spec.default_from is not None:
        section = path.rpartition(".")[0]
        doc += f" (null: the value of `{section}.{key.spec.default_from}`)"
    return f"{doc}. {_NOTES[path]}" if path in _NOTES else doc


def _comment(text: str, pad: str, indent: str = "") -> list[str]:
    width = _WIDTH - len(pad) - 2
    return [f"{pad}# {line}" for line in textwrap.wrap(text, width, subsequent_indent=indent)]


def _line(text: str, pad: str, commented: bool) -> str:
    return f"{pad}# {text}" if commented else f"{pad}{text}"


def _yaml(value: object) -> str:
    """`value` as YAML flow text that reads back as the same setting."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_yaml, value)) + "]"
    if is_dataclass(value):
        pairs = [(f.name, getattr(value, f.name)) for f in fields(value)]
        return "{" + ", ".join(f"{name}: {_yaml(v)}" for name, v in pairs if v != "") + "}"
    text = str(value)  # a str, a Path, a ZoneInfo (its key)
    plain = _PLAIN.fullmatch(text) and yaml.safe_load(text) == text
    return text if plain else json.dumps(text, ensure_ascii=False)


def _in_site(path: str) -> str:
    """A path the config gives relative to its folder, as relative to the site's folder."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(CONFIG_FILE), path))


def starter_files() -> dict[str, str]:
    """Every file `feeds init` writes: path relative to the site's folder -> text."""
    content = _in_site(EXAMPLES["content.dir"])
    ignored = [_in_site(EXAMPLES["output.dir"]), _in_site(str(Cache().dir))]
    gitignore = "# Built by `feeds build` from the articles and the config:\n"
    gitignore += "".join(f"/{path}/\n" for path in ignored)
    articles = {f"{content}/{name}": text for name, text in ARTICLES.items()}
    return {CONFIG_FILE: starter_config(), **articles, ".gitignore": gitignore}


def existing(folder: Path, files: dict[str, str]) -> list[Path]:
    """The paths among `files` (relative to `folder`) that are there already."""
    paths = [folder / relative for relative in files]
    return [path for path in paths if path.exists() or path.is_symlink()]


def in_the_way(folder: Path, files: dict[str, str]) -> list[Path]:
    """What no write can replace: a folder (or a link to one) where a file goes, and a
    file where a folder goes (`content`, `config`)."""
    blocked: dict[Path, None] = {}
    for relative in files:
        path = folder / relative
        if path.is_dir():
            blocked[path] = None
        for parent in reversed(path.relative_to(folder).parents):
            if (folder / parent).exists() and not (folder / parent).is_dir():
                blocked[folder / parent] = None
    return list(blocked)


def write_starter(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` under `folder`, replacing what is there; return their paths. Every
    target is checked first: a run that could not write them all writes none."""
    blocked = in_the_way(folder, files)
    if blocked:
        names = ", ".join(map(str, blocked))
        msg = f"{names}: in the way (a folder where a file goes, or a file where a folder "
        msg += "goes); nothing written"
        raise OutputError(msg)
    written = []
    for relative, text in files.items():
        path = folder / relative
        try:
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            raise OutputError.from_os_error(path, "write", exc) from exc
        written.append(path)
    return written


# Two articles in the format the articles of a newsroom's store are exported in (see
# samples/000_677db6c63cee9c37.txt): YAML front matter; a body, if any, is ignored.
ARTICLES = {
    "2024-06-03-city-approves-cycling-network.md": """\
---
# An example article: README.md (Article files) says what each field does.
category: news
title: "City council approves a 40 km cycling network"
excerpt: "The network links every district to the centre by 2027. Construction of the first
  three routes starts in the autumn, the council said after a vote of 31 to 12."
publishedDateTime: 2024-06-03T09:30:00Z
originalUrl: "https://news.example.com/2024/06/03/city-approves-cycling-network"
webUrl: "https://news.example.com/2024/06/03/city-approves-cycling-network"
type: article
quality: 62
heat: 14
published: true

provider:
  name: Example News
  domain: news.example.com

topics:
  - Transport
  - Climate

# Pictures, each `- url: "https://..."` with its width and height: none here, as an
# example's picture would be missing (a broken image) in the preview.
images: []

related:
  - title: "What a cycling network changed in three other cities"
    excerpt: "Commuting times, accidents and shop takings before and after."
    publishedDateTime: 2024-05-28T07:00:00Z
    webUrl: "https://daily.example.org/2024/05/28/cycling-networks-compared"
    type: article
    provider:
      name: The Example Daily
      domain: daily.example.org
    quality: 48
---
The text below the front matter is not read by feeds.
""",
    "2024-06-04-heatwave-warning.md": """\
---
# An example article: set `published: false` to keep one out of the feeds.
category: news
title: "Weather service issues first heatwave warning of the summer"
excerpt: "Temperatures of up to 36 °C are expected from Thursday; the warning covers the
  south and the east until Sunday."
publishedDateTime: 2024-06-04T14:05:00+02:00
originalUrl: "https://daily.example.org/2024/06/04/heatwave-warning"
webUrl: "https://daily.example.org/2024/06/04/heatwave-warning"
type: article
quality: 55
heat: 30
published: true

provider:
  name: The Example Daily
  domain: daily.example.org

topics:
  - Weather
  - Climate

images: []

related: []
---
""",
}
