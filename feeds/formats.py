"""The names of the output's files and folders, each declared once.

Every module that writes, lists, serves or checks an output file takes its name from
here: the feed formats' files, the pages, the OPML list, the style sheet, the icon, the
`_headers` file and the archive pages' folders. Nothing here reads the config, so the
config's checks (a custom feed's folder may not take these names) can read it too.
"""

from __future__ import annotations

import re
from enum import StrEnum

ARCHIVE_FOLDER = "archive"
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
PAGE_FILE = "index.html"  # a feed's page; the top one is the front page
OPML_FILE = "feeds.opml"
STYLE_FILE = "style.css"  # the pages' style sheet
ICON_FILE = "favicon.svg"  # the pages' icon, unless `site.icon` names one
HEADERS_FILE = "_headers"  # the static hosts' headers (`output.headers_file`)
# Each format's file, in the order pages and OPML prefer them.
FORMAT_FILES = {"rss": RSS_FILE, "atom": ATOM_FILE, "json": JSON_FILE}
# The files at the top of output.dir: a custom feed's folder may not take their names.
SITE_FILES = frozenset(
    [*FORMAT_FILES.values(), PAGE_FILE, OPML_FILE, STYLE_FILE, ICON_FILE, HEADERS_FILE]
)


class FileKind(StrEnum):
    """How often a kind of file changes, which picks its Cache-Control."""

    FEED = "feed"
    ARCHIVE = "archive"
    PAGE = "page"
    ASSET = "asset"


_PAGE_FOLDER = re.compile(rf"(?:.+/)?{ARCHIVE_FOLDER}/[1-9][0-9]*")


def page_folder(feed_folder: str, number: int) -> str:
    """The folder of a feed's archive page `number` (1 is the oldest), relative to the
    output dir: 'topics/ai/archive/3', or 'archive/3' for the all-articles feed."""
    return (
        f"{feed_folder}/{ARCHIVE_FOLDER}/{number}" if feed_folder else f"{ARCHIVE_FOLDER}/{number}"
    )


def is_page_folder(folder: str) -> bool:
    """Whether a folder (relative to the output dir) is an archive page's."""
    return _PAGE_FOLDER.fullmatch(folder) is not None
