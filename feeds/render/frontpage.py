"""The site's front page, and the directory pages that keep it short.

The front page is the all-articles feed's page plus a directory of every feed, grouped as
in the OPML list. A kind with more than `FRONT_PAGE_FEEDS` feeds (topics, providers) is
listed on a page of its own instead (`topics.html`, `providers.html`), which the front
page links, so that a site with thousands of providers still has a front page of a few
screens; `feeds.opml` lists every feed either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feeds.config import Config
from feeds.formats import FORMAT_FILES, FORMAT_NAMED, OPML_FILE, media_type
from feeds.model import AnyGroup, Article, FeedGroup, GroupKind
from feeds.render.meta import directory_file, feed_meta
from feeds.render.opml import ALL_TITLE, SECTION_TITLES
from feeds.render.pages import (
    ARTICLES_ID,
    article_list,
    page_head,
    rule_text,
    subscribe_box,
    summary_line,
    time_html,
)

FRONT_PAGE_FEEDS = 50  # topics or providers beyond this many get a page of their own
# Every directory table has the same fixed columns (style.css sizes them), so that the
# tables under each other line up whatever their contents; narrow screens leave out the
# dates, which a feed's own page shows.
_TABLE_HEAD = (
    '<colgroup><col><col class="count"><col class="updated"><col class="links"></colgroup>\n'
    '<thead><tr><th scope="col">Feed</th><th scope="col" class="num">Articles</th>'
    '<th scope="col" class="updated">Updated</th><th scope="col">Subscribe</th></tr></thead>\n'
)
_OPML_LINE = (
    f'<p>For readers that import a list: <a href="{OPML_FILE}" type="{media_type(OPML_FILE)}">'
    f"{OPML_FILE}</a> (OPML) subscribes to every feed at once.</p>\n"
)


def _row(group: AnyGroup, config: Config) -> str:
    meta = feed_meta(group, config)
    folder = f"{group.folder}/" if group.folder else ""
    name = escape(group.name if group.kind is not GroupKind.ALL else ALL_TITLE)
    if config.output.pages:
        name = f'<a href="{folder or "./"}">{name}</a>'
    if rule := rule_text(group, config):
        name += f'<small class="rule">{rule}</small>'
    updated = time_html(meta.updated) if group.shown else "never"
    links = " ".join(
        f'<a href="{escape(meta.url(FORMAT_FILES[f]))}" type="{FORMAT_NAMED[f].media_type}">'
        f"{FORMAT_NAMED[f].label}</a>"
        for f in config.output.formats
    )
    cells = f'<td class="num">{group.total}</td><td class="updated">{updated}</td><td>{links}</td>'
    return f'<tr><th scope="row">{name}</th>{cells}</tr>\n'


def _table(members: Sequence[AnyGroup], config: Config) -> str:
    rows = "".join(_row(group, config) for group in members)
    return f"<table>\n{_TABLE_HEAD}<tbody>\n{rows}</tbody>\n</table>\n"


def _sections(groups: Sequence[AnyGroup]) -> list[tuple[GroupKind, str, list[AnyGroup]]]:
    """(kind, title, feeds) as in the OPML list: all articles, custom feeds (in config
    order), topics, providers; kinds without feeds left out."""
    kinds = [(GroupKind.ALL, "Everything"), *SECTION_TITLES.items()]
    sections = [(kind, title, [g for g in groups if g.kind is kind]) for kind, title in kinds]
    return [section for section in sections if section[2]]


def _own_page(kind: GroupKind, members: Sequence[AnyGroup]) -> bool:
    return kind.per_group and len(members) > FRONT_PAGE_FEEDS


def _directory(groups: Sequence[AnyGroup], config: Config) -> str:
    """Every feed in a table per kind, or a link to the kind's own page."""
    parts = []
    for kind, title, members in _sections(groups):
        if _own_page(kind, members):
            link = f'<a href="{directory_file(kind)}">All {len(members)} {kind.value} feeds</a>'
            parts.append(f"<h3>{title}</h3>\n<p>{link}, on a page of their own.</p>\n")
        else:
            parts.append(f"<h3>{title}</h3>\n{_table(members, config)}")
    return (
        f'<section class="directory">\n<h2>All feeds</h2>\n{_OPML_LINE}{"".join(parts)}</section>\n'
    )


def directory_pages(groups: Sequence[AnyGroup], config: Config) -> list[tuple[str, str]]:
    """(file name, HTML) of the page of each kind with too many feeds for the front page."""
    site = escape(config.site.title)
    pages = []
    for kind, title, members in _sections(groups):
        if not _own_page(kind, members):
            continue
        description = f"Every {kind.value} feed of {config.site.title}, with its feed links."
        html = (
            page_head(f"{title}: {config.site.title}", description, None, config, "")
            + f'<header><p class="crumbs"><a href="./">{site}</a> &gt; All feeds</p>\n'
            f"<h1>{title}</h1>\n"
            f'<p class="count">{len(members)} {kind.value} feeds</p>\n</header>\n'
            f'<main>\n<section class="directory">\n{_OPML_LINE}{_table(members, config)}'
            f'</section>\n</main>\n<footer><p><a href="./">All feeds of {site}</a></p></footer>\n'
            "</body>\n</html>\n"
        )
        pages.append((directory_file(kind), html))
    return pages


def index_page(
    groups: Sequence[AnyGroup], everything: FeedGroup[Article] | None, config: Config
) -> str:
    """The site's front page: the page of the all-articles feed, `everything` (None with
    `feeds.all: false`), plus the directory of feeds; a skip link leads past the
    directory to the articles."""
    site = config.site
    meta = feed_meta(everything, config) if everything is not None else None
    # Without an all-articles feed (feeds.all: false) the front page advertises no feed.
    head = page_head(site.title, site.description, meta, config, "")
    articles = ""
    if everything is not None and config.output.pages:
        articles = article_list(everything, config)
    skip = f'<a class="skip" href="#{ARTICLES_ID}">Skip to the newest articles</a>\n'
    body = (
        (skip if articles else "")
        + f"<header>\n<h1>{escape(site.title)}</h1>\n"
        + f'<p class="description">{escape(site.description)}</p>\n'
        + (summary_line(everything, meta) if everything is not None and meta else "")
        + "</header>\n<main>\n"
        + (subscribe_box(meta, config) if meta else "")
        + _directory(groups, config)
        + articles
    )
    return head + body + "</main>\n</body>\n</html>\n"
