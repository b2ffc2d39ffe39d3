"""The web pages written beside the feeds: one per feed and the site's index.

Plain HTML5 and one small CSS file, no JavaScript. Links to feed files are absolute
(readers get the public URL); navigation and the style sheet are relative. Every text is
escaped here with `html.escape`; nothing from an article is inserted as markup. Pages
depend only on their arguments (no clock, no locale), so unchanged input gives unchanged
bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from feeds.body import size_attributes
from feeds.config import Config
from feeds.curate import rule_words
from feeds.jsonfeed import json_number
from feeds.meta import (
    FORMAT_FILES,
    FORMAT_LABELS,
    FORMAT_TYPES,
    ICON_FILE,
    OPML_FILE,
    STYLE_FILE,
    FeedMeta,
    custom_feed,
    feed_meta,
)
from feeds.model import AnyGroup, Article, FeedGroup, GroupKind

SECTION_TITLES = {
    GroupKind.CUSTOM: "Custom feeds",
    GroupKind.TOPIC: "Topics",
    GroupKind.PROVIDER: "Providers",
}
_KIND_LABELS = {
    GroupKind.ALL: "All articles",
    GroupKind.TOPIC: "Topic",
    GroupKind.PROVIDER: "Source",
    GroupKind.CUSTOM: "Custom feed",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(moment: datetime) -> str:
    """'6 Nov 2023, 18:38 UTC': fixed English month names, independent of the locale."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year:04d}, {moment:%H:%M} UTC"


def _time(moment: datetime) -> str:
    return f'<time datetime="{moment.isoformat()}">{escape(human_date(moment))}</time>'


def _root(group: AnyGroup) -> str:
    """The relative path from a feed's folder up to the output folder ('../../' or '')."""
    return "../" * (group.folder.count("/") + 1) if group.folder else ""


def _head(title: str, description: str, meta: FeedMeta | None, config: Config, root: str) -> str:
    """The page head; `meta` is the feed the page advertises to readers (autodiscovery)."""
    alternates = ""
    if meta is not None:
        alternates = "".join(
            f'<link rel="alternate" type="{FORMAT_TYPES[name]}"'
            f' title="{escape(meta.title)} ({FORMAT_LABELS[name]})"'
            f' href="{escape(meta.url(FORMAT_FILES[name]))}">\n'
            for name in config.output.formats
        )
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(config.site.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="description" content="{escape(description)}">\n'
        f'<link rel="stylesheet" href="{root}{STYLE_FILE}">\n'
        f"{_icon(config, root)}{alternates}</head>\n<body>\n"
    )


def _icon(config: Config, root: str) -> str:
    """The page's icon: `site.icon` when set, else the SVG icon every build writes (a page
    that names none makes browsers ask for `/favicon.ico`)."""
    if config.site.icon:
        return f'<link rel="icon" href="{escape(config.site.icon)}">\n'
    return f'<link rel="icon" type="image/svg+xml" href="{root}{ICON_FILE}">\n'


def _breakable(url: str) -> str:
    """`url` as HTML text that may wrap after a '/' of its path (`<wbr>`), so that a
    narrow screen breaks it between names, never inside one ('atom.xm' + 'l')."""
    scheme, colon_slashes, rest = url.partition("://")
    return escape(scheme + colon_slashes) + "/<wbr>".join(map(escape, rest.split("/")))


def _subscribe(meta: FeedMeta, config: Config) -> str:
    """'Subscribe' links to every format, with the address to paste into a reader."""
    urls = {name: meta.url(FORMAT_FILES[name]) for name in config.output.formats}
    rows = "".join(
        f'<li><a class="feed" href="{escape(url)}" type="{FORMAT_TYPES[name]}">'
        f"{FORMAT_LABELS[name]}</a> <code>{_breakable(url)}</code></li>\n"
        for name, url in urls.items()
    )
    return (
        '<section class="subscribe">\n<h2>Subscribe</h2>\n'
        "<p>Paste an address into your feed reader, or open a link to add it.</p>\n"
        f"<ul>\n{rows}</ul>\n</section>\n"
    )


def _article(article: Article, ranked_by_heat: bool) -> str:
    """One article's card; in a feed ranked by heat its heat (as `feed.json` gives it)
    ends the byline, so that readers see the ranking."""
    parts = ['<li class="item">\n']
    if article.images:
        image = article.images[0]
        size = size_attributes(image)
        parts.append(f'<img src="{escape(image.url)}" alt="" loading="lazy"{size}>\n')
    parts.append(f'<h3><a href="{escape(article.url)}">{escape(article.title)}</a></h3>\n')
    byline = [escape(article.provider.name)] if article.provider.name else []
    byline.append(_time(article.published_at))
    if ranked_by_heat and article.heat is not None:
        heat = json_number(article.heat)
        byline.append(f'<data class="heat" value="{heat}">heat {heat}</data>')
    parts.append(f'<p class="byline">{" · ".join(byline)}</p>\n')
    if article.excerpt:
        parts.append(f'<p class="excerpt">{escape(article.excerpt)}</p>\n')
    if article.related:
        links = "".join(
            f'<li><a href="{escape(r.url)}">{escape(r.title)}</a>'
            + (f" <span>({escape(r.provider)})</span>" if r.provider else "")
            + "</li>\n"
            for r in article.related
        )
        parts.append(f'<div class="related"><p>Related coverage</p>\n<ul>\n{links}</ul></div>\n')
    parts.append("</li>\n")
    return "".join(parts)


def _rule(group: AnyGroup, config: Config) -> str:
    """A custom feed's rule in plain words, escaped; '' for other feeds."""
    custom = custom_feed(group, config)
    return "" if custom is None else escape(rule_words(custom))


def _articles(group: FeedGroup[Article], config: Config) -> str:
    if not group.items:
        return "<p>No articles yet.</p>\n"
    custom = custom_feed(group, config)
    by_heat = custom is not None and custom.order == "heat"
    which = "hottest" if by_heat else "newest"
    shown = (
        f"the {which} {len(group.items)} of {group.total}" if group.total > len(group.items) else ""
    )
    heading = f"<h2>{which.capitalize()} articles{f' ({shown})' if shown else ''}</h2>\n"
    cards = "".join(_article(article, by_heat) for article in group.items)
    return f'{heading}<ol class="items">\n{cards}</ol>\n'


def _summary(group: AnyGroup, meta: FeedMeta) -> str:
    count = f"{group.total} article{'' if group.total == 1 else 's'}"
    updated = f", updated {_time(meta.updated)}" if group.items else ""
    return f'<p class="count">{count}{updated}</p>\n'


def feed_page(group: FeedGroup[Article], config: Config, meta: FeedMeta) -> str:
    """The page of one topic, provider or custom feed: subscribe links, then its articles
    (a custom feed's rule in words first)."""
    root = _root(group)
    site = escape(config.site.title)
    rule = _rule(group, config)
    return (
        _head(meta.title, meta.description, meta, config, root)
        + f'<header><p class="crumbs"><a href="{root}">{site}</a> &gt; '
        f"{_KIND_LABELS[group.kind]}</p>\n<h1>{escape(meta.title)}</h1>\n"
        f'<p class="description">{escape(meta.description)}</p>\n'
        + (f'<p class="rule">{rule}</p>\n' if rule else "")
        + _summary(group, meta)
        + "</header>\n<main>\n"
        + _subscribe(meta, config)
        + _articles(group, config)
        + f'</main>\n<footer><p><a href="{root}">All feeds of {site}</a></p></footer>\n'
        "</body>\n</html>\n"
    )


def _directory_row(group: AnyGroup, config: Config) -> str:
    meta = feed_meta(group, config)
    folder = f"{group.folder}/" if group.folder else ""
    name = escape(group.name if group.kind is not GroupKind.ALL else "All articles")
    if config.output.pages:
        name = f'<a href="{folder or "./"}">{name}</a>'
    if rule := _rule(group, config):
        name += f'<small class="rule">{rule}</small>'
    updated = _time(meta.updated) if group.items else "never"
    links = " ".join(
        f'<a href="{escape(meta.url(FORMAT_FILES[f]))}" type="{FORMAT_TYPES[f]}">'
        f"{FORMAT_LABELS[f]}</a>"
        for f in config.output.formats
    )
    cells = f'<td class="num">{group.total}</td><td class="updated">{updated}</td><td>{links}</td>'
    return f'<tr><th scope="row">{name}</th>{cells}</tr>\n'


# Every directory table has the same fixed columns (style.css sizes them), so that the
# tables under each other line up whatever their contents; narrow screens leave out the
# dates, which a feed's own page shows.
_DIRECTORY_HEAD = (
    '<colgroup><col><col class="count"><col class="updated"><col class="links"></colgroup>\n'
    '<thead><tr><th scope="col">Feed</th><th scope="col" class="num">Articles</th>'
    '<th scope="col" class="updated">Updated</th><th scope="col">Subscribe</th></tr></thead>\n'
)


def _directory(groups: Sequence[AnyGroup], config: Config) -> str:
    """Every feed, grouped as in the OPML list: all articles, then custom feeds, then
    topics, then providers."""
    sections = [("Everything", [g for g in groups if g.kind is GroupKind.ALL])]
    sections += [
        (title, [g for g in groups if g.kind is kind]) for kind, title in SECTION_TITLES.items()
    ]
    tables = "".join(
        f"<h3>{title}</h3>\n<table>\n{_DIRECTORY_HEAD}<tbody>\n"
        + "".join(_directory_row(g, config) for g in members)
        + "</tbody>\n</table>\n"
        for title, members in sections
        if members
    )
    return (
        '<section class="directory">\n<h2>All feeds</h2>\n'
        f'<p>For readers that import a list: <a href="{OPML_FILE}" type="text/x-opml">'
        f"{OPML_FILE}</a> (OPML) subscribes to every feed at once.</p>\n{tables}</section>\n"
    )


def index_page(
    groups: Sequence[AnyGroup], everything: FeedGroup[Article] | None, config: Config
) -> str:
    """The site's front page: the page of the all-articles feed, `everything` (None with
    `feeds.all: false`), plus a directory of every feed."""
    site = config.site
    meta = feed_meta(everything, config) if everything is not None else None
    # Without an all-articles feed (feeds.all: false) the front page advertises no feed.
    head = _head(site.title, site.description, meta, config, "")
    body = (
        f"<header>\n<h1>{escape(site.title)}</h1>\n"
        f'<p class="description">{escape(site.description)}</p>\n'
    )
    if everything is not None and meta is not None:
        body += _summary(everything, meta) + "</header>\n<main>\n" + _subscribe(meta, config)
        body += _directory(groups, config)
        if config.output.pages:
            body += _articles(everything, config)
    else:
        body += "</header>\n<main>\n" + _directory(groups, config)
    return head + body + "</main>\n</body>\n</html>\n"
