"""Read `config/feeds.yaml` into a frozen `Config`, reporting every problem at once.

Validation happens here, once, before any article is read. Each key is declared once, as
a field of its section's dataclass (`feeds.config.settings.setting`): its default, the
checker that turns the YAML value into its typed form or says what was expected, and its
line in the README. The sections are declared by YAML section: `feeds` in
`feeds.config.feedrules`, the others in `feeds.config.sections`. Unknown keys are errors,
so a typo never silently falls back to a default. The config imports no module that reads
it: every other module of `feeds` may import the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from pathlib import Path

import yaml

from feeds import yaml12
from feeds.config import checks
from feeds.config.checks import show
from feeds.config.feedrules import Caps, CustomFeed, FeedRules, Templates, page_size_problems
from feeds.config.sections import (
    Cache,
    CacheControl,
    Content,
    Output,
    Publish,
    S3Target,
    SelectRules,
    Site,
    StoreColumns,
)
from feeds.config.settings import Reader, keys, setting
from feeds.errors import ConfigError

# The sections, named from here by the modules that read them.
__all__ = [
    "Cache",
    "CacheControl",
    "Caps",
    "Config",
    "Content",
    "CustomFeed",
    "FeedRules",
    "Output",
    "Publish",
    "S3Target",
    "SelectRules",
    "Site",
    "StoreColumns",
    "Templates",
    "load_config",
    "parse_config",
]


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration; `path` is the file it came from.

    Each field but `path` is a section of the file; relative paths in it are resolved
    against the file's folder.
    """

    path: Path
    site: Site = setting()
    content: Content = setting()
    output: Output = setting()
    select: SelectRules = setting(SelectRules())
    feeds: FeedRules = setting(FeedRules())
    publish: Publish | None = setting(None)  # None: the output folder is what is served
    cache: Cache = setting(Cache())


def parse_config(data: object, path: Path) -> Config:
    """Turn a parsed YAML document into a Config; raise ConfigError naming every problem.

    Relative `content.dir`, `output.dir` and `cache.dir` resolve against the config
    file's folder.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(path, [f"expected a mapping of sections, got {show(data)}"])
    # A section whose keys are all commented out is null: empty, not missing.
    given = {name: {} if value is None else value for name, value in data.items()}
    sections = keys(Config)
    names = [section.name for section in sections]
    reader = Reader(path.parent)
    reader.problems += [
        f"{name}: unknown section (known sections: {', '.join(names)})"
        for name in given
        if name not in names
    ]
    missing = [s.name for s in sections if s.name not in given and s.default is MISSING]
    reader.problems += [f"{name}: required, but missing" for name in missing]
    values = {
        s.name: reader.value(s, given.get(s.name), s.name, s.default)
        for s in sections
        if s.name not in missing
    }
    reader.problems += _overlap_problems(values) + page_size_problems(values.get("feeds"))
    reader.problems += _source_problems(values)
    if reader.problems:
        raise ConfigError(path, reader.problems)
    return Config(path=path, **values)


# Folders that may not be, contain or lie inside one another: (key, other key, remedy).
# The cache deletes and rebuilds its files in its folder, a cache among the articles or
# the served files would be read or published, articles in the output would be served and
# published (drafts, `secured` fields and all), and output among the articles read.
_APART = (
    ("cache", "content", "give the parse cache a folder of its own"),
    ("cache", "output", "give the parse cache a folder of its own"),
    ("content", "output", "keep the article files and the output in folders apart"),
)


def _overlap_problems(sections: Mapping[str, object]) -> list[str]:
    """Each pair of the config's folders that overlap, naming both keys."""
    problems = []
    for name, other, remedy in _APART:
        folder = getattr(sections.get(name), "dir", None)
        other_folder = getattr(sections.get(other), "dir", None)
        if folder is None or other_folder is None:
            continue
        relation = checks.overlap(folder, other_folder)
        if relation is not None:
            problems.append(f"{name}.dir: {folder} {relation} {other}.dir {other_folder}; {remedy}")
    return problems


def _source_problems(sections: Mapping[str, object]) -> list[str]:
    """Exactly one of `content.dir` and `content.database`; a SQLite store out of the
    output, which would publish it (`secured` fields and all)."""
    content, output = sections.get("content"), sections.get("output")
    if not isinstance(content, Content):
        return []
    if content.dir is None and content.database is None:
        return ["content.dir: required, but missing (or give content.database)"]
    if content.dir is not None and content.database is not None:
        return ["content.database: give either content.dir or content.database, not both"]
    database, served = content.database, getattr(output, "dir", None)
    if isinstance(database, Path) and served is not None:
        relation = checks.overlap(database, served)
        if relation in ("is", "lies inside"):
            return [
                f"content.database: {database} {relation} output.dir {served}; keep the "
                "article store out of the output"
            ]
    return []


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError if it is missing or invalid."""
    try:
        file_text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        # Absolute: the folder a relative path was looked for in is part of the answer.
        problem = f"config file not found: {path.absolute()}"
        raise ConfigError.unreadable(path, problem) from exc
    except OSError as exc:
        problem = f"cannot read the config file {path.absolute()}: {exc.strerror or exc}"
        raise ConfigError.unreadable(path, problem) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text: {exc}"]) from exc
    try:
        # A key given twice is an error: a second `site:` must not silently replace the first.
        data = yaml.load(file_text, Loader=_ConfigLoader)
    except yaml.YAMLError as exc:
        _name_marks(exc, path)
        raise ConfigError(path, [f"{yaml12.NOT_YAML}: {exc}"]) from exc
    except RecursionError as exc:  # PyYAML composes a document recursively
        raise ConfigError(path, [_too_deep(file_text)]) from exc
    return parse_config(data, path)


def _name_marks(exc: yaml.YAMLError, path: Path) -> None:
    """Let PyYAML's message say which file (`in "feeds.yaml", line 2, column 10`), not
    `in "<unicode string>"`: the text was read whole, which keeps the quoted line."""
    for mark in (getattr(exc, "context_mark", None), getattr(exc, "problem_mark", None)):
        if mark is not None:
            mark.name = str(path)


class _ConfigLoader(yaml12.UniqueKeyLoader):
    """The config's loader: a value YAML can write but Python cannot make (an integer of
    more than 4,300 digits, February 30th, `!!int "abc"`) is a value to check, or a YAML
    error with its place, never an exception of another kind."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        """The value of `node`; a YAML error where Python refuses what YAML says."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_tag(node)}: {exc}", node.start_mark
            ) from exc


def _tag(node: yaml.Node) -> str:
    """A node's tag as YAML writes it: `!!int`, not `tag:yaml.org,2002:int`."""
    return str(node.tag).replace("tag:yaml.org,2002:", "!!", 1)


def _construct_int(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> int:
    """YAML 1.1's integer, of any number of decimal digits (which the checker then shows
    by their count; int() refuses more than 4,300)."""
    try:
        return int(loader.construct_yaml_int(node))
    except ValueError:
        text = str(loader.construct_scalar(node)).replace("_", "")
        if not text.lstrip("+-").isdigit():
            raise
        return (-1 if text.startswith("-") else 1) * yaml12.decimal(text.lstrip("+-"))


_ConfigLoader.add_constructor(yaml12.INT_TAG, _construct_int)  # type: ignore[type-var]
_ConfigLoader.add_constructor(yaml12.TIMESTAMP_TAG, yaml12.construct_timestamp)  # type: ignore[type-var]

MAX_DEPTH = 64  # collections in collections; the config's own keys nest 6 deep


@dataclass
class _Open:
    """A collection being parsed: its part of the path, nodes so far, current key."""

    label: str
    mapping: bool
    count: int = 0
    key: str = "?"

    def child(self, event: yaml.NodeEvent) -> str:
        """The path part of the node `event` starts in this collection ('' for a key)."""
        count, self.count = self.count, self.count + 1
        if not self.mapping:
            return f"[{count}]"
        if count % 2:
            return f".{self.key}"
        self.key = str(event.value) if isinstance(event, yaml.ScalarEvent) else "?"
        return ""


def _too_deep(text: str) -> str:
    """'path...: nested more than MAX_DEPTH deep', for the first collection nested deeper.

    Only the start of a document this deep is parsed, so this is quick whatever its size.
    """
    frames: list[_Open] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionEndEvent):
            frames.pop()
        elif isinstance(event, yaml.NodeEvent):
            label = frames[-1].child(event) if frames else ""
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append(_Open(label, isinstance(event, yaml.MappingStartEvent)))
            if len(frames) > MAX_DEPTH:
                return f"{_path(frames[:4])}...: nested more than {MAX_DEPTH} deep"
    return f"nested more than {MAX_DEPTH} deep"


def _path(frames: list[_Open]) -> str:
    return "".join(frame.label for frame in frames).lstrip(".")
