"""Compose the stages into one build. No click, no printing: the CLI and tests call this."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from feeds.config import Config
from feeds.errors import OutputError
from feeds.group import make_groups
from feeds.load import find_article_files, read_document, require_articles
from feeds.mediatypes import HEADERS_FILE, render_headers_file
from feeds.model import Article, BuildReport, FeedGroup, Problem, RenderedFile, Validated
from feeds.opml import render_opml
from feeds.pages import STYLE, STYLE_FILE, index_page
from feeds.render import feed_file_names, render_group
from feeds.select import decide
from feeds.validate import validate
from feeds.write import write_files

OPML_FILE = "feeds.opml"
INDEX_FILE = "index.html"


def parse_file(root: Path, path: str, max_bytes: int, tz: tzinfo) -> Validated:
    """Read, parse and validate one article file: the unit of work per file."""
    doc = read_document(root, path, max_bytes)
    if isinstance(doc, Problem):
        return Validated(None, (doc,))
    return validate(doc, tz)


def parse_all(config: Config, paths: Iterable[str]) -> list[Validated]:
    """Parse and validate every file, in order."""
    content = config.content
    tz = config.site.timezone
    return [parse_file(content.dir, path, content.max_bytes, tz) for path in paths]


def render_site_files(groups: Sequence[FeedGroup], config: Config) -> list[RenderedFile]:
    """The files that list every feed: the OPML subscription list, the index page (which
    is also the all-articles feed's page), the pages' style sheet and, with
    `output.headers_file`, the `_headers` file of static hosts."""
    files = [
        RenderedFile(OPML_FILE, render_opml(groups, config)),
        RenderedFile(INDEX_FILE, index_page(groups, config).encode("utf-8")),
        RenderedFile(STYLE_FILE, STYLE.encode("utf-8")),
    ]
    if config.output.headers_file:
        # Its rules depend on the file names of every feed folder, not on their contents.
        feed_paths = [
            f"{group.folder}/{name}" if group.folder else name
            for group in groups
            for name in feed_file_names(group, config)
        ]
        paths = feed_paths + [file.path for file in files]
        headers = render_headers_file(paths, config.output.cache_control)
        files.append(RenderedFile(HEADERS_FILE, headers))
    return files


def render_all(groups: Sequence[FeedGroup], config: Config) -> list[RenderedFile]:
    """Every output file: each group's feeds, then the site-wide files."""
    files = [file for group in groups for file in render_group(group, config)]
    return files + render_site_files(groups, config)


def build(config: Config, *, now: datetime, strict: bool = False) -> BuildReport:
    """Build every feed of `config` into its output folder, as of `now`.

    Bad article files are reported in the result and skipped. Raises InputError when no
    article file is found (a mistyped or unmounted folder must not wipe the feeds) or,
    with `strict`, when any file is rejected; OutputError when output can't be written.
    Nothing is written before every file has been read and every feed rendered.
    """
    content = config.content
    paths = find_article_files(content.dir, content.patterns)
    require_articles(content.dir, content.patterns, paths)
    validated = parse_all(config, paths)
    problems = [problem for result in validated for problem in result.problems]
    articles: list[Article] = [r.article for r in validated if r.article is not None]
    decision = decide(articles, problems, config.select, now, strict=strict)
    groups = make_groups(decision.selected, config.feeds, all_name=config.site.title)
    files = render_all(groups, config)
    if config.output.dir.exists() and not config.output.dir.is_dir():
        msg = f"output.dir {config.output.dir} exists and is not a folder"
        raise OutputError(msg)
    result = write_files(files, config.output.dir)
    return BuildReport(
        files_found=len(paths),
        articles_valid=len(articles),
        articles_selected=len(decision.selected),
        rejected_files=len(decision.rejected),
        problems=decision.problems,
        groups=groups,
        written=result.written,
        unchanged=result.unchanged,
    )
