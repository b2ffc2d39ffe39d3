"""Content-Type and Cache-Control per file, as publishing and `feeds serve` give them, and
the `_headers` file that gives them to a CDN (`output.headers_file`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import CacheControl
from feeds.formats import HEADERS_FILE
from feeds.httpheaders import headers_for, render_headers_file
from tests.kit import make_site, small_corpus

CACHE = CacheControl()


@pytest.mark.parametrize(
    ("path", "content_type", "cache_control"),
    [
        ("rss.xml", "application/rss+xml; charset=utf-8", "max-age=300"),
        ("topics/ai/atom.xml", "application/atom+xml; charset=utf-8", "max-age=300"),
        ("providers/x/feed.json", "application/feed+json; charset=utf-8", "max-age=300"),
        ("feeds.opml", "text/x-opml; charset=utf-8", "max-age=60"),
        ("index.html", "text/html; charset=utf-8", "max-age=60"),
        ("style.css", "text/css; charset=utf-8", "max-age=86400"),
        ("logo.PNG", "image/png", "max-age=86400"),
        ("odd.bin", "application/octet-stream", "max-age=86400"),
    ],
)
def test_content_type_and_cache_control_per_kind(
    path: str, content_type: str, cache_control: str
) -> None:
    headers = headers_for(path, CacheControl(page="max-age=60"))
    assert (headers.content_type, headers.cache_control) == (content_type, cache_control)


def test_headers_file_has_one_rule_per_file_name_and_folder() -> None:
    paths = ["rss.xml", "index.html", "topics/ai/rss.xml", "topics/c-cedb1bac/rss.xml"]
    paths += ["providers/bbc.co.uk/atom.xml", "topics/ai/index.html", "style.css"]
    text = render_headers_file(paths, CACHE).decode()
    patterns = [line for line in text.splitlines() if line.startswith("/")]
    assert patterns == [
        "/",
        "/index.html",
        "/providers/:slug/atom.xml",
        "/rss.xml",
        "/style.css",
        "/topics/:slug/",
        "/topics/:slug/index.html",
        "/topics/:slug/rss.xml",
    ]
    assert (
        "/topics/:slug/rss.xml\n  Content-Type: application/rss+xml; charset=utf-8\n"
        "  Cache-Control: max-age=300\n"
    ) in text


def test_build_writes_the_headers_file_only_when_asked(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()
    assert not (site.out / HEADERS_FILE).exists()
    site.configure(output={"headers_file": True, "cache_control": {"feed": "max-age=120"}})
    assert HEADERS_FILE in site.build().report.written
    text = (site.out / HEADERS_FILE).read_text()
    assert (
        "/topics/:slug/atom.xml\n  Content-Type: application/atom+xml; charset=utf-8\n"
        "  Cache-Control: max-age=120\n"
    ) in text
    assert "/feeds.opml\n  Content-Type: text/x-opml; charset=utf-8\n" in text
    # Deleted by hand, the next build writes the very same file again, and only it.
    (site.out / HEADERS_FILE).unlink()
    assert site.build().report.written == (HEADERS_FILE,)
    assert (site.out / HEADERS_FILE).read_text() == text
