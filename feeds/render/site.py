"""The site-wide files: the ones that list every feed rather than belong to one."""

from __future__ import annotations

from collections.abc import Sequence

from feeds.archive import newest_page, page_size
from feeds.config import Config
from feeds.formats import (
    FORMAT_FILES,
    HEADERS_FILE,
    ICON_FILE,
    OPML_FILE,
    PAGE_FILE,
    STYLE_FILE,
    page_folder,
)
from feeds.httpheaders import render_headers_file
from feeds.model import AnyGroup, Article, FeedGroup, RenderedFile
from feeds.render import feed_file_names
from feeds.render.assets import ICON, STYLE
from feeds.render.frontpage import directory_pages, index_page
from feeds.render.opml import render_opml


def render_site_files(
    groups: Sequence[AnyGroup], everything: FeedGroup[Article] | None, config: Config
) -> list[RenderedFile]:
    """The OPML subscription list, the front page (which is also the page of the
    all-articles feed, `everything`, so that one holds whole articles), the pages' style
    sheet, their icon (unless `site.icon` names one), the directory pages of the kinds too
    many for the front page and, with `output.headers_file`, the `_headers` file of
    static hosts."""
    files = [
        RenderedFile(OPML_FILE, render_opml(groups, config)),
        RenderedFile(PAGE_FILE, index_page(groups, everything, config).encode("utf-8")),
        RenderedFile(STYLE_FILE, STYLE.encode("utf-8")),
    ]
    if not config.site.icon:
        files.append(RenderedFile(ICON_FILE, ICON.encode("utf-8")))
    files += [
        RenderedFile(name, html.encode("utf-8")) for name, html in directory_pages(groups, config)
    ]
    if config.output.headers_file:
        # Its rules depend on the file names of every feed folder, not on their contents.
        feed_paths = [
            f"{group.folder}/{name}" if group.folder else name
            for group in groups
            for name in feed_file_names(group, config)
        ]
        # Every archive page of a feed has the rule of its first page.
        formats = [FORMAT_FILES[name] for name in config.output.formats]
        feed_paths += [
            f"{page_folder(group.folder, 1)}/{name}"
            for group in groups
            if newest_page(group, page_size(config.feeds))
            for name in formats
        ]
        paths = feed_paths + [file.path for file in files]
        headers = render_headers_file(paths, config.output.cache_control)
        files.append(RenderedFile(HEADERS_FILE, headers))
    return files
