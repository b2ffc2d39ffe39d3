"""The publish plan (a pure function), content types, `_headers` and the publish config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feeds.config import CacheControl, parse_config
from feeds.errors import ConfigError
from feeds.formats import HEADERS_FILE
from feeds.httpheaders import headers_for, render_headers_file
from feeds.publish.plan import (
    Action,
    BucketManifest,
    LocalFile,
    ManifestEntry,
    RemoteObject,
    make_plan,
    parse_manifest,
    render_manifest,
)
from tests.kit import config_data, make_site, small_corpus

CACHE = CacheControl()


def local(key: str, sha: str = "s1", size: int = 10) -> LocalFile:
    return LocalFile(key, sha, size, headers_for(key, CACHE))


def entry(key: str, sha: str = "s1", size: int = 10, etag: str = '"e1"') -> ManifestEntry:
    headers = headers_for(key, CACHE)
    return ManifestEntry(sha, size, etag, headers.content_type, headers.cache_control)


@pytest.mark.parametrize(
    ("remote", "recorded", "file", "expected"),
    [
        (None, None, local("rss.xml"), "new"),
        (RemoteObject(10, '"e1"'), None, local("rss.xml"), "not uploaded by feeds"),
        (None, entry("rss.xml"), local("rss.xml"), "missing from the bucket"),
        (
            RemoteObject(10, '"other"'),
            entry("rss.xml"),
            local("rss.xml"),
            "changed in the bucket since the last publish",
        ),
        (
            RemoteObject(11, '"e1"'),
            entry("rss.xml"),
            local("rss.xml"),
            "changed in the bucket since the last publish",
        ),
        (RemoteObject(10, '"e1"'), entry("rss.xml"), local("rss.xml", sha="s2"), "content changed"),
        (
            RemoteObject(10, '"e1"'),
            entry("rss.xml"),
            LocalFile("rss.xml", "s1", 10, headers_for("rss.xml", CacheControl(feed="no-cache"))),
            "headers changed",
        ),
        (RemoteObject(10, '"e1"'), entry("rss.xml"), local("rss.xml"), "unchanged"),
    ],
)
def test_plan_reason_per_file(
    remote: RemoteObject | None,
    recorded: ManifestEntry | None,
    file: LocalFile,
    expected: str,
) -> None:
    remotes = {"rss.xml": remote} if remote else {}
    manifest = {"rss.xml": recorded} if recorded else {}
    plan = make_plan([file], remotes, manifest, delete=False)
    assert [(step.key, step.reason) for step in plan.steps] == [("rss.xml", expected)]
    assert [f.key for f in plan.uploads] == ([] if expected == "unchanged" else ["rss.xml"])


def test_plan_orders_assets_feeds_feed_pages_then_site_pages() -> None:
    keys = ["index.html", "feeds.opml", "topics/a/index.html", "topics/a/rss.xml", "style.css"]
    keys += ["atom.xml", "topics/a/feed.json"]
    plan = make_plan([local(k) for k in keys], {}, {}, delete=False)
    assert [f.key for f in plan.uploads] == [
        "style.css",
        "atom.xml",
        "topics/a/feed.json",
        "topics/a/rss.xml",
        "topics/a/index.html",
        "feeds.opml",
        "index.html",
    ]


def test_plan_deletes_only_our_own_keys_that_are_still_there_and_only_when_enabled() -> None:
    remote = {
        "rss.xml": RemoteObject(10, '"e1"'),
        "old/rss.xml": RemoteObject(10, '"e1"'),
        "foreign.txt": RemoteObject(3, '"x"'),
    }
    manifest = {"rss.xml": entry("rss.xml"), "old/rss.xml": entry("old/rss.xml")}
    manifest["gone.xml"] = entry("gone.xml")  # in the manifest, no longer in the bucket
    kept = make_plan([local("rss.xml")], remote, manifest, delete=False)
    assert kept.deletes == ()
    assert [(s.action, s.key) for s in kept.steps] == [
        (Action.SKIP, "rss.xml"),
        (Action.SKIP, "old/rss.xml"),
    ]
    deleting = make_plan([local("rss.xml")], remote, manifest, delete=True)
    assert deleting.deletes == ("old/rss.xml",)
    assert str(deleting.steps[-1]) == "delete old/rss.xml (no longer produced)"


def test_manifest_round_trips_and_an_unreadable_one_counts_as_empty(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entries = {"b.xml": entry("b.xml"), "a/rss.xml": entry("a/rss.xml", sha="s9")}
    body = render_manifest(entries)
    assert parse_manifest(body, "s3://b/") == BucketManifest(entries)
    assert body == render_manifest(dict(reversed(entries.items())))
    assert parse_manifest(b"{not json", "s3://b/.feeds-manifest.json") == BucketManifest()
    assert "s3://b/.feeds-manifest.json: unreadable manifest" in caplog.text


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


def test_publish_config_defaults_and_normalised_prefix() -> None:
    config = parse_config(
        config_data(publish={"s3": {"bucket": "b", "prefix": "/feeds/news"}}), Path("f.yaml")
    )
    assert config.publish is not None
    s3 = config.publish.s3
    assert (s3.bucket, s3.prefix, s3.endpoint_url, s3.region) == ("b", "feeds/news/", None, None)
    assert (s3.addressing_style, s3.delete) == ("auto", False)
    assert config.output.cache_control == CacheControl()
    assert (config.output.headers_file, config.site.websub_hub) == (False, None)
    assert parse_config(config_data(), Path("f.yaml")).publish is None


@pytest.mark.parametrize(
    ("sections", "problem"),
    [
        ({"publish": {}}, "publish.s3: required, but missing"),
        ({"publish": {"s3": {"prefix": "x"}}}, "publish.s3.bucket: required, but missing"),
        (
            {"publish": {"s3": {"bucket": "b", "aws_secret_access_key": "x"}}},
            "publish.s3.aws_secret_access_key: credentials are never read from the config "
            "file; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or "
            "use AWS_PROFILE or an instance role",
        ),
        (
            {"publish": {"s3": {"bucket": "b", "addressing_style": "dns"}}},
            'publish.s3.addressing_style: expected one of auto, path, virtual, got "dns"',
        ),
        (
            {"publish": {"s3": {"bucket": "b", "endpoint_url": "https://k:s@r2.example"}}},
            "publish.s3.endpoint_url: credentials don't belong in the URL; set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        ),
        (
            {"publish": {"s3": {"bucket": "b", "prefix": "a//b"}}},
            "publish.s3.prefix: expected key segments without '.', '..' or '//', got \"a//b\"",
        ),
        (
            {"publish": {"s3": {"bucket": "b", "delete": "yes"}}},
            'publish.s3.delete: expected true or false, got "yes"',
        ),
        (
            {"output": {"cache_control": {"feed": "max-age=1\nX-Evil: 1"}}},
            "output.cache_control.feed: expected one line of header text, got "
            '"max-age=1\\nX-Evil: 1"',
        ),
        (
            {"output": {"cache_control": {"feeds": "max-age=1"}}},
            "output.cache_control.feeds: unknown key (known keys: feed, archive, page, asset)",
        ),
        (
            {"site": {"websub_hub": "ftp://hub.example/"}},
            'site.websub_hub: expected an absolute http(s) URL, got "ftp://hub.example/"',
        ),
    ],
)
def test_publish_config_errors_name_their_path(sections: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data(**sections), Path("f.yaml"))
    assert caught.value.problems == (problem,)


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
