"""The HTTP headers of the output files: which are served, with which Content-Type and
Cache-Control.

The media types of `feeds.formats` and the kinds of files here decide it, so the object
store (`feeds publish`), static hosts (the `_headers` file) and the preview (`feeds serve`)
serve every file the same way. Feeds change every cron run and get a short max-age; their
archive documents keep their bytes as articles arrive and can be cached for long; pages
list the feeds; assets (CSS, images) change rarely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from posixpath import basename, splitext

from feeds.config import CacheControl
from feeds.formats import (
    FORMAT_FILES,
    HEADERS_FILE,
    PAGE_FILE,
    FileKind,
    content_type,
    is_page_folder,
)


@dataclass(frozen=True, slots=True)
class Headers:
    """The two headers every published file carries."""

    content_type: str
    cache_control: str


# Kinds of files other than feeds that list the feeds, and change with them.
_PAGE_EXTENSIONS = frozenset([".opml", ".html", ".xml", ".json", ".txt"])


def is_public(path: str) -> bool:
    """Whether the output file at '/'-separated `path` is served at all. Names starting with
    '.' are internal (the lock, the manifest, the journal, temporary files), and `_headers`
    configures a static host rather than being a page of the site."""
    return not any(part.startswith(".") for part in path.split("/")) and path != HEADERS_FILE


def classify(path: str) -> tuple[str, FileKind]:
    """The Content-Type and kind of an output file, from its '/'-separated path."""
    folder, _, name = path.lower().rpartition("/")
    if name in FORMAT_FILES.values():
        return content_type(name), FileKind.ARCHIVE if is_page_folder(folder) else FileKind.FEED
    kind = FileKind.PAGE if splitext(name)[1] in _PAGE_EXTENSIONS else FileKind.ASSET
    return content_type(name), kind


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
        if basename(path) == PAGE_FILE:
            rules.setdefault(pattern[: -len(PAGE_FILE)], headers)
    blocks = [
        f"{pattern}\n  Content-Type: {h.content_type}\n  Cache-Control: {h.cache_control}\n"
        for pattern, h in sorted(rules.items())
    ]
    header = "# Written by feeds: the Content-Type and Cache-Control of every output file.\n"
    return (header + "".join(blocks)).encode("utf-8")
