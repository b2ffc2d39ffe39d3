"""Read `config/feeds.yaml` into a frozen `Config`, reporting every problem at once.

Validation happens here, once, before any article is read. Each key is declared once, as
a field of its section's dataclass (`feeds.settings.setting`): its default, the checker
that turns the YAML value into its typed form or says what was expected, and its line in
the README. Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from feeds import checks, yaml12
from feeds.archive import ARCHIVE_SETTING, PAGE_SIZE_SETTING, page_size_problems
from feeds.checks import ADDRESSING_STYLES, CONTENT_MODES, FORMATS, GROUPINGS, show
from feeds.custom import MIN_ITEMS_SETTING, Caps, CustomFeed, caps_setting
from feeds.errors import ConfigError
from feeds.mediatypes import CacheControl
from feeds.settings import Reader, int_setting, keys, setting


# keyword-only: the derived keys have no default yet keep their place among the others,
# the order in which messages and the README list them.
@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """Who publishes the feeds and where they are served."""

    title: str = setting(check=checks.text, doc="the site's name; title of the all-articles feed")
    base_url: str = setting(
        check=checks.base_url,
        doc="the absolute http(s) URL where `output.dir` is served; feed `self` links and "
        "ids are built from it",
    )
    link: str = setting(
        check=checks.http_url,
        default_from="base_url",
        doc='the human site: RSS channel `<link>` and Atom `rel="alternate"`',
    )
    description: str = setting(
        check=checks.text, default_from="title", doc="the all-articles feed's description"
    )
    language: str = setting(
        "en", check=checks.language, doc="a BCP 47 tag (`en`, `en-US`; not `en_US`)"
    )
    author: str = setting(
        check=checks.text, default_from="title", doc="the Atom feed-level `<author>`"
    )
    timezone: ZoneInfo = setting(
        ZoneInfo("UTC"),
        check=checks.timezone,
        doc="IANA zone for dates written without an offset",
    )
    websub_hub: str | None = setting(
        None,
        check=checks.http_url,
        doc="a WebSub hub URL: announced in every feed and pinged when a feed changes "
        "(see Publishing)",
    )
    websub_budget: float = setting(
        30.0,
        check=checks.seconds_up_to(600),
        doc="seconds all WebSub pings of one run may take together; the pings left when it "
        "is spent are skipped, with one warning (see WebSub)",
    )
    logo: str | None = setting(
        None,
        check=checks.http_url,
        doc="absolute http(s) URL of a logo: RSS `<image>`, Atom `<logo>`, JSON Feed `icon`",
    )
    icon: str | None = setting(
        None,
        check=checks.http_url,
        doc="absolute http(s) URL of a small square icon: Atom `<icon>`, JSON Feed `favicon`, "
        'the pages\' `<link rel="icon">` (instead of the `favicon.svg` written)',
    )
    ttl: int | None = int_setting(None, 525_600, "minutes readers may cache a feed: RSS `<ttl>`")
    copyright: str | None = setting(
        None, check=checks.text, doc="RSS `<copyright>`, Atom `<rights>`"
    )


@dataclass(frozen=True, slots=True)
class Content:
    """Where the article files are and which ones to read."""

    dir: Path = setting(
        check=checks.folder,
        doc="the folder of article files, searched recursively; names starting with `.` are "
        "skipped. It may not be, contain or lie inside `output.dir`",
    )
    patterns: tuple[str, ...] = setting(
        ("*.md", "*.markdown", "*.txt"),
        check=checks.patterns,
        doc="file name patterns of article files",
    )
    max_bytes: int = int_setting(1_048_576, 2**30, "larger files are rejected unread")


@dataclass(frozen=True, slots=True)
class Output:
    """Where the feeds are written, in which formats, and whether with HTML pages."""

    dir: Path = setting(check=checks.folder, doc="where the feeds are written")
    headers_file: bool = setting(
        False,
        check=checks.boolean,
        doc="also write `_headers` (Netlify, Cloudflare Pages) with every file's Content-Type "
        "and Cache-Control",
    )
    cache_control: CacheControl = setting(CacheControl(), credentials_hint=True)
    formats: tuple[str, ...] = setting(
        FORMATS,
        check=checks.formats,
        doc="which feed files to write (`rss.xml`, `atom.xml`, `feed.json`); always written "
        "in this order",
    )
    pages: bool = setting(
        True,
        check=checks.boolean,
        doc="write a web page (`index.html`) in each topic, provider and custom feed's folder; "
        "feeds then link to their page (below). The front page is always written",
    )


@dataclass(frozen=True, slots=True)
class SelectRules:
    """Which valid articles are published."""

    published_only: bool = setting(
        True,
        check=checks.boolean,
        doc="publish only articles whose `published` is true (or missing)",
    )
    min_quality: float = setting(
        0,
        check=checks.number,
        doc="publish only articles with `quality` at least this (any finite number)",
    )
    types: tuple[str, ...] = setting(
        (), check=checks.text_list, doc="when non-empty, publish only these `type`s"
    )
    include_future: bool = setting(
        False, check=checks.boolean, doc="publish articles dated after the build time"
    )
    max_age_days: int | None = int_setting(
        None, 36_500, "when set, leave out articles older than this many days"
    )
    max_topics: int = setting(
        50,
        check=checks.int_between(1, 1000),
        doc="at most this many topics per article (1 to 1000): the first distinct ones are "
        "kept, the rest dropped with a warning, since each topic is a feed to write",
    )


@dataclass(frozen=True, slots=True)
class Templates:
    """One text template per kind of feed, with {name} and {site} placeholders.

    {name} is the group's name (the site title for 'all'), {site} the site title. The
    defaults are those of the key holding the templates (`feeds.titles`, ...).
    """

    all: str = setting(check=checks.template)
    topic: str = setting(check=checks.template)
    provider: str = setting(check=checks.template)

    def fill(self, kind: str, name: str, site: str) -> str:
        """The template for `kind` ('all', 'topic', 'provider') with its placeholders filled."""
        template: str = getattr(self, kind)
        return template.format(name=name, site=site)


_TEMPLATE_MAPPING = f"a mapping with keys {', '.join(f.name for f in fields(Templates))}"


@dataclass(frozen=True, slots=True)
class FeedRules:
    """Which feeds exist and how long they are."""

    max_items: Caps = caps_setting("the newest N articles per feed")
    min_items: int = MIN_ITEMS_SETTING
    all: bool = setting(True, check=checks.boolean, doc="write the all-articles feed")
    groups: tuple[str, ...] = setting(
        GROUPINGS, check=checks.groups, doc="which per-group feeds to write"
    )
    titles: Templates = setting(
        Templates(all="{site}", topic="{site}: {name}", provider="{site}: {name}"),
        expected=_TEMPLATE_MAPPING,
        doc="feed titles per kind of feed; `{name}` is the topic or provider name (the site "
        "title for `all`), `{site}` the site title; `{{`/`}}` are literal braces; kinds left "
        "out keep their default",
    )
    descriptions: Templates = setting(
        Templates(
            all="",  # empty: the all-articles feed takes site.description (feeds.meta)
            topic="The newest articles about {name} on {site}.",
            provider="The newest articles from {name} on {site}.",
        ),
        expected=_TEMPLATE_MAPPING,
        doc="feed descriptions, templates as in `feeds.titles`",
    )
    content: str = setting(
        "full",
        check=checks.choice(*CONTENT_MODES),
        doc="`full`: the HTML body (image, excerpt, related coverage) goes into "
        "`content:encoded`, Atom `<content>` and JSON `content_html`; `summary`: only the "
        'excerpt (JSON `content_text`); Atom `rel="related"` links and JSON `_feeds.related` '
        "stay",
    )
    archive: bool = ARCHIVE_SETTING
    archive_page_size: int | None = PAGE_SIZE_SETTING
    custom: tuple[CustomFeed, ...] = setting((), unique="path", doc="editorial feeds (below)")


@dataclass(frozen=True, slots=True)
class S3Target:
    """`publish.s3`: the bucket and prefix the output folder is synced to.

    Credentials never come from here: boto3 reads them from the environment, the shared
    credentials file or the instance role.
    """

    bucket: str = setting(check=checks.text, doc="the bucket `feeds publish` uploads to")
    prefix: str = setting(  # '' or ends with '/'
        "", check=checks.prefix, doc="key prefix (a folder in the bucket), e.g. `feeds/`"
    )
    endpoint_url: str | None = setting(
        None,
        check=checks.endpoint_url,
        doc="the S3 API endpoint for R2, MinIO, Ceph, GCS (AWS when unset)",
    )
    region: str | None = setting(
        None, check=checks.text, doc="signing region (AWS chain default; `auto` for R2)"
    )
    addressing_style: str = setting(
        "auto",
        check=checks.choice(*ADDRESSING_STYLES),
        doc="`path` (MinIO, Ceph), `virtual` or `auto`",
    )
    delete: bool = setting(
        False,
        check=checks.boolean,
        doc="delete objects this program uploaded that are no longer produced",
    )
    budget: float = setting(
        120.0,
        check=checks.seconds_up_to(3600),
        doc="seconds one publish may take; past it no request starts, the manifest records "
        "what succeeded and the run exits 1 (see Publishing)",
    )
    backoff: float = setting(
        1.0,
        check=checks.seconds_up_to(60),
        doc="seconds before the first retry of a failed request, doubled for each next one "
        "(a random pause up to that)",
    )


@dataclass(frozen=True, slots=True)
class Publish:
    """The `publish` section: where `feeds publish` uploads the output folder."""

    s3: S3Target = setting(credentials_hint=True)


@dataclass(frozen=True, slots=True)
class Cache:
    """Where the parse cache lives."""

    dir: Path = setting(
        Path(".feeds-cache"),
        check=checks.folder,
        doc="the parse cache folder (relative to the config file's folder); safe to delete. "
        "It may not be, contain or lie inside `content.dir` or `output.dir`",
    )


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
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from exc
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


_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)  # type: ignore[type-var]
_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml12.construct_timestamp)  # type: ignore[type-var]

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
