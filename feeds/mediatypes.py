"""Which output files are served, and as what: their Content-Type and Cache-Control.

One table decides it, so the object store (`feeds publish`), static hosts (the `_headers`
file) and the preview (`feeds serve`) serve every file the same way. Feeds change every
cron run and get a short max-age; their archive documents keep their bytes as articles
arrive and can be cached for long; pages list the feeds; assets (CSS, images) change rarely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from posixpath import basename, splitext

from feeds.config import CacheControl
from feeds.formats import HEADERS_FILE, FileKind, is_page_folder


@dataclass(frozen=True, slots=True)
class Headers:
    """The two headers every published file carries."""

    content_type: str
    cache_control: str


# Exact file names first: every feed format is `.xml` or `.json`, so the name tells them
# apart (feed-pitfalls §16: Atom is registered, RSS is not but is what readers expect).
_BY_NAME: dict[str, tuple[str, FileKind]] = {
    "rss.xml": ("application/rss+xml; charset=utf-8", FileKind.FEED),
    "atom.xml": ("application/atom+xml; charset=utf-8", FileKind.FEED),
    "feed.json": ("application/feed+json; charset=utf-8", FileKind.FEED),
}
_BY_EXTENSION: dict[str, tuple[str, FileKind]] = {
    ".opml": ("text/x-opml; charset=utf-8", FileKind.PAGE),
    ".html": ("text/html; charset=utf-8", FileKind.PAGE),
    ".xml": ("application/xml; charset=utf-8", FileKind.PAGE),
    ".json": ("application/json; charset=utf-8", FileKind.PAGE),
    ".txt": ("text/plain; charset=utf-8", FileKind.PAGE),
    ".css": ("text/css; charset=utf-8", FileKind.ASSET),
    ".js": ("text/javascript; charset=utf-8", FileKind.ASSET),
    ".xsl": ("text/xsl; charset=utf-8", FileKind.ASSET),
    ".svg": ("image/svg+xml", FileKind.ASSET),
    ".png": ("image/png", FileKind.ASSET),
    ".jpg": ("image/jpeg", FileKind.ASSET),
    ".jpeg": ("image/jpeg", FileKind.ASSET),
    ".gif": ("image/gif", FileKind.ASSET),
    ".webp": ("image/webp", FileKind.ASSET),
    ".ico": ("image/vnd.microsoft.icon", FileKind.ASSET),
    ".woff2": ("font/woff2", FileKind.ASSET),
}
_DEFAULT = ("application/octet-stream", FileKind.ASSET)


def is_public(path: str) -> bool:
    """Whether the output file at '/'-separated `path` is served at all. Names starting with
    '.' are internal (the lock, the manifest, the journal, temporary files), and `_headers`
    configures a static host rather than being a page of the site."""
    return not any(part.startswith(".") for part in path.split("/")) and path != HEADERS_FILE


def classify(path: str) -> tuple[str, FileKind]:
    """The Content-Type and kind of an output file, from its '/'-separated path."""
    folder, _, name = path.lower().rpartition("/")
    if name in _BY_NAME:
        content_type, kind = _BY_NAME[name]
        return content_type, FileKind.ARCHIVE if is_page_folder(folder) else kind
    return _BY_EXTENSION.get(splitext(name)[1], _DEFAULT)


def headers_for(path: str, cache: CacheControl) -> Headers:
    """The Content-Type and Cache-Control `path` is served with."""
    content_type, kind = classify(path)
    return Headers(content_type, cache.for_kind(kind))


def _pattern(path: str) -> str:
    """The `_headers` URL pattern covering `path` and its siblings in other feed folders
    and archive pages.

    Feed folders are `<kind>/<slug>/`, and their archive pages `archive/<n>/` in them:
    one `:slug` (and `:page`) rule per file name keeps the file small (Cloudflare Pages
    reads at most 100 rules) and never lets two rules match the same URL (hosts merge the
    headers of every matching rule).
    """
    parts = path.split("/")
    feed_depth = len(parts) - 1
    if is_page_folder(path.rpartition("/")[0]):
        parts[-2] = ":page"
        feed_depth -= 2
    if feed_depth == 2:
        parts[1] = ":slug"
    return "/" + "/".join(parts)


def render_headers_file(paths: Iterable[str], cache: CacheControl) -> bytes:
    """A `_headers` file (Netlify, Cloudflare Pages) giving every path its headers.

    An `index.html` is also matched by its folder URL (`/`, `/topics/:slug/`), which is
    how static hosts serve it.
    """
    rules: dict[str, Headers] = {}
    for path in sorted(paths):
        headers = headers_for(path, cache)
        pattern = _pattern(path)
        rules.setdefault(pattern, headers)
        if basename(path) == "index.html":
            rules.setdefault(pattern[: -len("index.html")], headers)
    blocks = [
        f"{pattern}\n  Content-Type: {h.content_type}\n  Cache-Control: {h.cache_control}\n"
        for pattern, h in sorted(rules.items())
    ]
    header = "# Written by feeds: the Content-Type and Cache-Control of every output file.\n"
    return (header + "".join(blocks)).encode("utf-8")
