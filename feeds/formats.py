"""The output's formats, file names, folders and media types, each declared once.

Every module that writes, lists, serves or checks an output file takes its name and
media type from here: each feed format is one `Format` (its name in the config, its file,
its media type, its label on pages), beside the pages, the OPML list, the style sheet,
the icon, the `_headers` file, the archive pages' folders and the one table of media
types by extension. Nothing here reads the config, so the config's checks (a custom
feed's folder may not take these names) can read it too. A format's renderer is bound to
it in `feeds.render`, which reads the config.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Format:
    """One feed format: everything that names it, but its renderer."""

    name: str  # in `output.formats`
    file_name: str  # in each feed's folder
    media_type: str  # without parameters: pages and links name it so
    label: str  # on pages


# In the order pages and OPML prefer them, which is also the order they are written in.
# RSS's media type is not registered, but it is what readers expect (feed-pitfalls §16).
RSS = Format("rss", "rss.xml", "application/rss+xml", "RSS")
ATOM = Format("atom", "atom.xml", "application/atom+xml", "Atom")
JSON = Format("json", "feed.json", "application/feed+json", "JSON Feed")
FORMATS = (RSS, ATOM, JSON)
FORMAT_NAMED = {f.name: f for f in FORMATS}
FORMAT_FILES = {f.name: f.file_name for f in FORMATS}
RSS_FILE, ATOM_FILE, JSON_FILE = (f.file_name for f in FORMATS)

ARCHIVE_FOLDER = "archive"
PAGE_FILE = "index.html"  # a feed's page; the top one is the front page
OPML_FILE = "feeds.opml"
STYLE_FILE = "style.css"  # the pages' style sheet
ICON_FILE = "favicon.svg"  # the pages' icon, unless `site.icon` names one
HEADERS_FILE = "_headers"  # the static hosts' headers (`output.headers_file`)
# Which files this program wrote: the build's in output.dir, a publish's at the bucket prefix.
MANIFEST_FILE = ".feeds-manifest.json"
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


# The media type of every other file, by its extension (lower case).
MEDIA_TYPES = {
    ".opml": "text/x-opml",
    ".html": "text/html",
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".css": "text/css",
    ".js": "text/javascript",
    ".xsl": "text/xsl",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    # The registered type; `image/x-icon` is the older, unregistered name.
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
}
UNKNOWN_TYPE = "application/octet-stream"


def media_type(name: str) -> str:
    """The media type of a file, by its name: a feed format's, else its extension's."""
    name = name.lower()
    found = next((f.media_type for f in FORMATS if f.file_name == name), None)
    return found or MEDIA_TYPES.get(posixpath.splitext(name)[1], UNKNOWN_TYPE)


def content_type(name: str) -> str:
    """The Content-Type header of a file, by its name: its media type, with the charset
    of every text this program writes (UTF-8) unless it is an image, font or unknown."""
    found = media_type(name)
    binary = found == UNKNOWN_TYPE or found.startswith(("image/", "font/"))
    return found if binary else f"{found}; charset=utf-8"


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
