"""The test kit: one clock, one article factory and one way to build a site.

Every test that builds output builds it as `feeds build` does: through `feeds.engine.build`
(`Site.build`) or through the command line itself (`Site.cli`, `feeds_cli`).

    site = make_site(tmp_path, {"a.md": article(1, topics=["AI"])}, feeds={"max_items": 5})
    outcome = site.build()                      # engine.build as of NOW
    result = site.cli("build", "-v")            # `feeds build --config ... -v`
    snapshot(site.out)                          # every served file's bytes
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result
from lxml import etree

from feeds.cli import cli
from feeds.config import Config, load_config
from feeds.engine import Options, Outcome, build
from feeds.load import PARSER, parse_file
from feeds.model import Article, Listing
from feeds.records import unpack_article

# The moment every in-process build runs at. The CLI builds as of the real clock, which is
# after every date the tests write unless they say otherwise.
NOW = datetime(2023, 11, 20, 12, 0, tzinfo=UTC)
LONG_AGO_NS = 1_000_000_000 * 10**9  # 2001-09-09: an mtime no build leaves (see `age`)
SECRET = "SECRET-do-not-publish-7f3a"  # every article's private field: never in the output
BASE_URL = "https://feeds.example.org/"
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
PATTERNS = ("*.md", "*.markdown", "*.txt")
ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def article(n: int = 1, **fields: Any) -> dict[str, Any]:
    """Front matter of a plain, valid article number n (its URL, and so its id, is unique).

    Keyword arguments override fields; None removes one. Two shorthands: `provider` may be
    a domain ("beta.example.com" is provider Beta of that domain), and a datetime
    `publishedDateTime` is written as UTC ISO 8601. Article n is dated 2023-11-(1 + n % 19)
    at n % 24 hours and n % 60 minutes, before NOW.
    """
    data: dict[str, Any] = {
        "title": f"Article {n}",
        "excerpt": f"Excerpt {n}.",
        "type": "article",
        "publishedDateTime": f"2023-11-{1 + n % 19:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "webUrl": f"https://news.example.com/{n}",
        "originalUrl": f"https://news.example.com/{n}",
        "published": True,
        "quality": 50,
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
        "secured": SECRET,
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        elif key == "provider" and isinstance(value, str):
            data[key] = {"name": value.split(".")[0].title(), "domain": value}
        elif key == "publishedDateTime" and isinstance(value, datetime):
            data[key] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            data[key] = value
    return data


# Characters a YAML parser may not take raw (C0 and C1 controls, DEL, lone surrogates,
# line and paragraph separators, BOM and non-characters): written as escapes.
_ESCAPED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]")


def front_matter(data: Mapping[str, Any], *, json_values: bool = False) -> str:
    """An article file's text: `data` between '---' lines.

    As PyYAML writes it, or with `json_values` one `key: <JSON>` line per field (JSON is
    YAML 1.2 flow syntax), every character a parser may not take raw as a \\u escape: the
    form that carries any text, a lone surrogate included (which only the pure-Python
    parser accepts; the others reject the file).
    """
    if json_values:
        lines = [
            f"{key}: {_ESCAPED.sub(_escape, json.dumps(value, ensure_ascii=False))}\n"
            for key, value in data.items()
        ]
        body = "".join(lines)
    else:
        body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    return f"---\n{body}---\n"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


FileContent = Mapping[str, Any] | str | bytes


def write_tree(root: Path, files: Mapping[str, FileContent]) -> None:
    """Write {relative path: front matter mapping | text | bytes} under root."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(front_matter(content), encoding="utf-8")


def config_data(**sections: dict[str, Any]) -> dict[str, Any]:
    """A valid config mapping; keyword arguments update whole sections key by key."""
    data: dict[str, Any] = {
        "site": {"title": "Test Site", "base_url": BASE_URL},
        "content": {"dir": "content"},
        "output": {"dir": "public"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def store_url(database: Path | str) -> str:
    """`content.database` for a store: a SQLite file's URL, or a PostgreSQL URL as it is."""
    return f"sqlite:///{database}" if isinstance(database, Path) else database


def small_corpus() -> dict[str, dict[str, Any]]:
    """Three articles: topics AI and Climate, providers a.example and b.example."""
    return {
        "one.md": article(1, title="First", topics=["AI"], provider="a.example"),
        "two.md": article(2, title="Second", topics=["AI", "Climate"], provider="b.example"),
        "three.md": article(3, title="Third", topics=["Climate"], provider="a.example"),
    }


def feeds_cli(*args: str) -> Result:
    """Run the `feeds` command in-process; stdout and stderr stay apart."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@dataclass
class Site:
    """A config file `root/feeds.yaml` (content in root/content and output in root/public
    unless its sections say otherwise) and the ways to build it."""

    root: Path
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.root / "feeds.yaml"

    def config(self) -> Config:
        """The config as the CLI loads it."""
        return load_config(self.config_path)

    def _dir(self, section: str) -> Path:
        # As the config resolves it (relative to the config file), without loading it:
        # a test may write a config that does not load.
        return (self.root / config_data(**self.sections)[section]["dir"]).resolve()

    @property
    def content(self) -> Path:
        return self._dir("content")

    @property
    def out(self) -> Path:
        return self._dir("output")

    def configure(self, **sections: dict[str, Any]) -> None:
        """Update config sections key by key (as config_data does) and rewrite the file."""
        for name, values in sections.items():
            self.sections[name] = {**self.sections.get(name, {}), **values}
        self.root.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(config_data(**self.sections), allow_unicode=True)
        self.config_path.write_text(text, encoding="utf-8")

    def write(self, files: Mapping[str, FileContent]) -> None:
        """Write article files (or any text or bytes) into the content folder."""
        write_tree(self.content, files)

    def build(self, *, now: datetime = NOW, **options: Any) -> Outcome:
        """One in-process `feeds build` as of `now`; `options` are engine Options.

        One worker unless asked (no process pool in unit tests), and no racy-file window:
        tests edit files and build at once, and edits never overlap a build here, so the
        racy-file rule (tested on its own) would only hide what the cache does.
        """
        options = {"workers": 1, "racy_seconds": 0.0, **options}
        return build(self.config(), now=now, options=Options(**options))

    def fresh_output(self, root: Path) -> dict[str, bytes]:
        """The files a --no-cache build of the same config and articles writes into the
        output folder of a site at root (made on the first call): what any incremental
        build must equal."""
        content = {**self.sections.get("content", {}), "dir": str(self.content)}
        fresh = make_site(root, **{**self.sections, "content": content})
        fresh.build(use_cache=False)
        return snapshot(fresh.out)

    def cli(self, *args: str) -> Result:
        """`feeds COMMAND --config <this site> [ARGS]`: args[0] is the command
        ("cache clear" for a subcommand)."""
        command, *rest = args
        return feeds_cli(*command.split(), "--config", str(self.config_path), *rest)


def make_site(
    root: Path, articles: Mapping[str, FileContent] | None = None, **sections: dict[str, Any]
) -> Site:
    """Write a config (config_data plus `sections`) into root and the articles into its
    content folder; build nothing yet."""
    site = Site(root)
    site.configure(**sections)
    if config_data(**site.sections)["content"].get("dir") is not None:  # not a store's
        site.content.mkdir(parents=True, exist_ok=True)
        site.write(articles or {})
    return site


def make_store_site(root: Path, database: Path | str, **sections: dict[str, Any]) -> Site:
    """A site that reads the article store `database` in place of a content folder."""
    content = {**sections.pop("content", {}), "dir": None, "database": store_url(database)}
    return make_site(root, content=content, **sections)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every served file under folder (no dot-files or dot-folders): relative path -> bytes."""
    found: dict[str, bytes] = {}
    for dirpath, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
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


def age(folder: Path) -> None:
    """Set every file's mtime under folder to LONG_AGO_NS, so that any rewrite shows."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))


def article_files(root: Path) -> list[str]:
    """The article files under root a build reads (PATTERNS, no dot-names), sorted."""
    return sorted(
        path.relative_to(root).as_posix()
        for pattern in PATTERNS
        for path in root.rglob(pattern)
        if not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def feed_items(config: Config, feed: Listing, parser: str = PARSER) -> list[Article]:
    """A feed's items, in feed order, as the whole articles the build makes of their files:
    the ids its Atom (else RSS) file lists, each matched with the file under `content.dir`
    (dot-names included) whose article has that id, the later of duplicates (as a build
    decides: later date, then greater path)."""
    folder = config.output.dir / feed.folder
    if (folder / "atom.xml").exists():
        ids = etree.parse(str(folder / "atom.xml")).xpath(
            "/atom:feed/atom:entry/atom:id/text()", namespaces=NS
        )
    else:
        ids = etree.parse(str(folder / "rss.xml")).xpath("/rss/channel/item/guid/text()")
    by_id: dict[str, Article] = {}
    root = config.content.dir
    for path in sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()):
        record = parse_file(config, parser, path, None)  # what a pool worker runs
        if record.article is not None:
            found = unpack_article(record.article)
            known = by_id.get(found.id)
            if known is None or (found.published_at, found.path) > (known.published_at, known.path):
                by_id[found.id] = found
    return [by_id[str(item_id)] for item_id in ids]


def served_url(out: Path, path: Path) -> str:
    """The public URL a file of the output folder is served at."""
    return BASE_URL + path.relative_to(out).as_posix()


def assert_valid_atom(content: bytes) -> None:
    """Validate against RFC 4287's schema plus its two Schematron rules the schema skips."""
    doc = etree.fromstring(content)
    assert ATOM_SCHEMA.validate(doc), ATOM_SCHEMA.error_log
    feed_author = doc.find("atom:author", NS) is not None
    for entry in doc.findall("atom:entry", NS):
        assert feed_author or entry.find("atom:author", NS) is not None
        alternate = entry.xpath("atom:link[not(@rel) or @rel='alternate']", namespaces=NS)
        assert alternate or entry.find("atom:content", NS) is not None
