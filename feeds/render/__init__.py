"""Every output file's bytes, made from values: the feed documents in each format, the
feed pages, the front page, OPML and the other site-wide files.

The rule of this folder: nothing in it reads or writes a file, a cache or the network;
it turns the config and the selected articles into bytes, which `feeds.output_stages` writes.
A feed format is declared in `feeds.formats` and rendered by the renderer bound to its
file name here (`_RENDERERS`).
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.archive import ArchivePage
from feeds.config import Config
from feeds.formats import ATOM, FORMAT_FILES, JSON, PAGE_FILE, RSS, RSS_FILE
from feeds.model import AnyGroup, Article, FeedGroup, GroupKind, RenderedFile
from feeds.render.body import entry_html
from feeds.render.jsonfeed import render_json
from feeds.render.meta import FeedMeta, content_mode, feed_meta, page_meta
from feeds.render.pages import feed_page
from feeds.render.xmlfeeds import render_atom, render_rss


def render_group(
    group: FeedGroup[Article], config: Config, sources: Sequence[str] = ()
) -> tuple[RenderedFile, ...]:
    """Every file of one feed: its RSS, Atom and JSON Feed documents (those `output.formats`
    names) and, with `output.pages`, its web page. Depends on nothing but its arguments.

    `sources` are the folders of the items' providers' feeds ('' for none; none at all
    when empty), which RSS items name as their `<source>`. The all-articles feed's page is
    the site's top index.html, written with the site files.
    """
    meta = feed_meta(group, config)
    return _documents(group, config, meta, group.folder, feed_file_names(group, config), sources)


def render_archive_page(
    page: ArchivePage[Article], config: Config, sources: Sequence[str] = ()
) -> tuple[RenderedFile, ...]:
    """The files of one archive page of a feed: its RSS, Atom and JSON Feed documents."""
    names = tuple(FORMAT_FILES[name] for name in config.output.formats)
    meta = page_meta(page, config)
    return _documents(page.feed, config, meta, page.folder, names, sources)


def _documents(
    group: FeedGroup[Article],
    config: Config,
    meta: FeedMeta,
    folder: str,
    names: Sequence[str],
    sources: Sequence[str],
) -> tuple[RenderedFile, ...]:
    """The files `names` of one feed document, in `folder`."""
    prefix = f"{folder}/" if folder else ""
    # Each item's HTML body, made once for the three formats.
    full = content_mode(group, config) == "full"
    bodies = tuple(entry_html(article) for article in group.items) if full else None
    base = config.site.base_url
    urls = tuple(f"{base}{source}/{RSS_FILE}" if source else "" for source in sources)
    urls = urls or ("",) * len(group.items)
    files: list[RenderedFile] = []
    for name in names:
        if name == PAGE_FILE:
            content = feed_page(group, config, meta).encode("utf-8")
        else:
            content = _RENDERERS[name](group, config, meta, bodies, urls)
        files.append(RenderedFile(prefix + name, content))
    return tuple(files)


def feed_file_names(group: AnyGroup, config: Config) -> tuple[str, ...]:
    """The names of the files `render_group` writes into the group's folder, in order."""
    names = [FORMAT_FILES[name] for name in config.output.formats]
    if config.output.pages and group.kind is not GroupKind.ALL:
        names.append(PAGE_FILE)
    return tuple(names)


# Each format's renderer, by its file name (a format is declared in feeds.formats).
_RENDERERS = {RSS.file_name: render_rss, ATOM.file_name: render_atom, JSON.file_name: render_json}
