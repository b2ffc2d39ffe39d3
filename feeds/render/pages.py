"""The web pages written beside the feeds: one per feed, and the parts the site's front
page shares with them (`feeds.render.frontpage`).

Plain HTML5 and one small CSS file, no JavaScript. Links to feed files are absolute
(readers get the public URL); navigation and the style sheet are relative. Every text is
escaped here with `html.escape`; nothing from an article is inserted as markup. Pages
depend only on their arguments (no clock, no locale), so unchanged input gives unchanged
bytes.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from feeds.config import Config
from feeds.curate import rule_words
from feeds.formats import FORMAT_FILES, FORMAT_NAMED, ICON_FILE, STYLE_FILE, media_type
from feeds.model import AnyGroup, Article, FeedGroup, GroupKind
from feeds.render.body import size_attributes
from feeds.render.jsonfeed import json_number
from feeds.render.meta import FeedMeta, custom_feed
from feeds.render.opml import ALL_TITLE

_KIND_LABELS = {
    GroupKind.ALL: ALL_TITLE,
    GroupKind.TOPIC: "Topic",
    GroupKind.PROVIDER: "Source",
    GroupKind.CUSTOM: "Custom feed",
}
ARTICLES_ID = "articles"  # the id of a page's list of articles (its heading)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(moment: datetime) -> str:
    """'6 Nov 2023, 18:38 UTC': fixed English month names, independent of the locale."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year:04d}, {moment:%H:%M} UTC"


def time_html(moment: datetime) -> str:
    """A `<time>` element showing `human_date`."""
    return f'<time datetime="{moment.isoformat()}">{escape(human_date(moment))}</time>'


def _root(group: AnyGroup) -> str:
    """The relative path from a feed's folder up to the output folder ('../../' or '')."""
    return "../" * (group.folder.count("/") + 1) if group.folder else ""


def page_head(
    title: str, description: str, meta: FeedMeta | None, config: Config, root: str
) -> str:
    """The page head; `meta` is the feed the page advertises to readers (autodiscovery)."""
    alternates = ""
    if meta is not None:
        alternates = "".join(
            f'<link rel="alternate" type="{FORMAT_NAMED[name].media_type}"'
            f' title="{escape(meta.title)} ({FORMAT_NAMED[name].label})"'
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
    return f'<link rel="icon" type="{media_type(ICON_FILE)}" href="{root}{ICON_FILE}">\n'


def _breakable(url: str) -> str:
    """`url` as HTML text that may wrap after a '/' of its path (`<wbr>`), so that a
    narrow screen breaks it between names, never inside one ('atom.xm' + 'l')."""
    scheme, colon_slashes, rest = url.partition("://")
    return escape(scheme + colon_slashes) + "/<wbr>".join(map(escape, rest.split("/")))


def subscribe_box(meta: FeedMeta, config: Config) -> str:
    """'Subscribe' links to every format, with the address to paste into a reader."""
    urls = {name: meta.url(FORMAT_FILES[name]) for name in config.output.formats}
    rows = "".join(
        f'<li><a class="feed" href="{escape(url)}" type="{FORMAT_NAMED[name].media_type}">'
        f"{FORMAT_NAMED[name].label}</a> <code>{_breakable(url)}</code></li>\n"
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
    byline.append(time_html(article.published_at))
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


def rule_text(group: AnyGroup, config: Config) -> str:
    """A custom feed's rule in plain words, escaped; '' for other feeds."""
    custom = custom_feed(group, config)
    return "" if custom is None else escape(rule_words(custom))


def article_list(group: FeedGroup[Article], config: Config) -> str:
    """The feed's items as cards under a heading with id `articles` (the front page's skip
    link goes there)."""
    if not group.items:
        return f'<p id="{ARTICLES_ID}">No articles yet.</p>\n'
    custom = custom_feed(group, config)
    by_heat = custom is not None and custom.order == "heat"
    which = "hottest" if by_heat else "newest"
    shown = (
        f" (the {which} {len(group.items)} of {group.total})"
        if group.total > len(group.items)
        else ""
    )
    heading = f'<h2 id="{ARTICLES_ID}">{which.capitalize()} articles{shown}</h2>\n'
    cards = "".join(_article(article, by_heat) for article in group.items)
    return f'{heading}<ol class="items">\n{cards}</ol>\n'


def summary_line(group: AnyGroup, meta: FeedMeta) -> str:
    """'12 articles, updated <date>'."""
    count = f"{group.total} article{'' if group.total == 1 else 's'}"
    updated = f", updated {time_html(meta.updated)}" if group.shown else ""
    return f'<p class="count">{count}{updated}</p>\n'


def feed_page(group: FeedGroup[Article], config: Config, meta: FeedMeta) -> str:
    """The page of one topic, provider or custom feed: subscribe links, then its articles
    (a custom feed's rule in words first)."""
    root = _root(group)
    site = escape(config.site.title)
    rule = rule_text(group, config)
    return (
        page_head(meta.title, meta.description, meta, config, root)
        + f'<header><p class="crumbs"><a href="{root}">{site}</a> &gt; '
        f"{_KIND_LABELS[group.kind]}</p>\n<h1>{escape(meta.title)}</h1>\n"
        f'<p class="description">{escape(meta.description)}</p>\n'
        + (f'<p class="rule">{rule}</p>\n' if rule else "")
        + summary_line(group, meta)
        + "</header>\n<main>\n"
        + subscribe_box(meta, config)
        + article_list(group, config)
        + f'</main>\n<footer><p><a href="{root}">All feeds of {site}</a></p></footer>\n'
        "</body>\n</html>\n"
    )
