"""The config sections but `feeds`: where the site is served, where its articles and
output are, which articles are published, where the output is uploaded and where the
cache lives. Each key is one field (`feeds.config.settings.setting`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feeds.config import checks
from feeds.config.checks import Invalid, show
from feeds.config.settings import int_setting, setting
from feeds.errors import InputError
from feeds.formats import FORMAT_FILES, FileKind

FORMATS = tuple(FORMAT_FILES)
ADDRESSING_STYLES = ("auto", "path", "virtual")
MAX_AGE_DAYS = 36_500  # `max_age_days` of `select` and of a custom feed: a hundred years


def formats(value: Any) -> tuple[str, ...]:
    """A non-empty list of feed formats, in FORMATS order."""
    given = checks.text_list(value)
    unknown = [f for f in given if f not in FORMATS]
    if unknown or not given:
        got = show(unknown[0]) if unknown else "an empty list"
        msg = f"expected a non-empty list of {', '.join(FORMATS)}, got {got}"
        raise Invalid(msg)
    return tuple(f for f in FORMATS if f in given)  # one fixed order: stable output


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
class StoreColumns:
    """`content.columns`: the names of an article store's columns (see Article stores)."""

    key: str = setting("key", check=checks.identifier, doc="the article's unique key (text)")
    changed: str = setting(
        "changed", check=checks.identifier, doc="the stamp a trigger sets on every write"
    )
    document: str = setting("document", check=checks.identifier, doc="the article as a JSON object")
    deleted: str | None = setting(
        "deleted",
        check=checks.optional_column,
        doc="the boolean tombstone; `false`: no such column, deletions are found by key",
    )


@dataclass(frozen=True, slots=True)
class Content:
    """Where the articles are (a folder of files or a database) and which ones to read."""

    dir: Path | None = setting(
        None,
        check=checks.folder,
        doc="the folder of article files, searched recursively; names starting with `.` are "
        "skipped. It may not be, contain or lie inside `output.dir`. Required unless "
        "`content.database` is given",
    )
    database: Path | str | None = setting(
        None,
        check=checks.store_url,
        doc="an article store instead of `content.dir`: `sqlite:///articles.db` (relative "
        "to the config file's folder) or `postgresql://user@host/db` (see Article stores)",
    )
    table: str = setting("articles", check=checks.table_name, doc="the store's table or view")
    columns: StoreColumns = setting(StoreColumns())
    patterns: tuple[str, ...] = setting(
        ("*.md", "*.markdown", "*.txt"),
        check=checks.patterns,
        doc="file name patterns of article files",
    )
    max_bytes: int = int_setting(1_048_576, 2**30, "larger files are rejected unread")

    @property
    def folder(self) -> Path:
        """`content.dir`, which the config has unless it reads an article store."""
        if self.dir is None:
            msg = "content.dir: this config reads articles from content.database, not a folder"
            raise InputError(msg)
        return self.dir


@dataclass(frozen=True, slots=True)
class CacheControl:
    """`output.cache_control`: the Cache-Control value per kind of file."""

    feed: str = setting(
        "max-age=300",
        check=checks.header_value,
        doc="Cache-Control of `rss.xml`, `atom.xml`, `feed.json`",
    )
    archive: str = setting(
        "max-age=31536000, immutable",
        check=checks.header_value,
        doc="Cache-Control of archive documents (`archive/<n>/rss.xml`, ...), which new "
        "articles never change (see Output, Archives)",
    )
    page: str = setting(
        "max-age=300",
        check=checks.header_value,
        doc="Cache-Control of `index.html` pages and `feeds.opml`",
    )
    asset: str = setting(
        "max-age=86400",
        check=checks.header_value,
        doc="Cache-Control of CSS, images and other assets",
    )

    def for_kind(self, kind: FileKind) -> str:
        """The Cache-Control value for files of `kind`."""
        return str(getattr(self, kind.value))


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
        check=formats,
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
        None, MAX_AGE_DAYS, "when set, leave out articles older than this many days"
    )
    max_topics: int = setting(
        50,
        check=checks.int_between(1, 1000),
        doc="at most this many topics per article (1 to 1000): the first distinct ones are "
        "kept, the rest dropped with a warning, since each topic is a feed to write",
    )


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
