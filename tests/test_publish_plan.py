"""The publish plan (a pure function) and the bucket manifest."""

from __future__ import annotations

import pytest

from feeds.config import CacheControl
from feeds.httpheaders import headers_for
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
    keys = [
        "index.html",
        "feeds.opml",
        "topics/a/index.html",
        "topics/a/rss.xml",
        "style.css",
    ]
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
    ("listed", "deleted"),
    [
        (RemoteObject(10, '"ours"'), True),
        (RemoteObject(10, '"theirs"'), False),  # same size, another ETag
        (RemoteObject(11, '"ours"'), False),  # same ETag, another size
    ],
)
def test_plan_deletes_a_gone_key_only_when_the_listing_matches_the_manifest(
    listed: RemoteObject, deleted: bool
) -> None:
    keep = LocalFile("rss.xml", "sha", 10, headers_for("rss.xml", CacheControl()))
    manifest = {
        "rss.xml": entry("rss.xml", "sha", 10, '"r"'),
        "old.xml": entry("old.xml", "sha", 10, '"ours"'),
    }
    remote = {"rss.xml": RemoteObject(10, '"r"'), "old.xml": listed}
    plan = make_plan([keep], remote, manifest, delete=True)
    assert plan.deletes == (("old.xml",) if deleted else ())
    gone = [step for step in plan.steps if step.key == "old.xml"]
    assert [step.action for step in gone] == [Action.DELETE if deleted else Action.SKIP]
    assert plan.kept == (() if deleted else tuple(gone))
    assert deleted or "not deleted" in gone[0].reason


def test_plan_with_delete_off_keeps_nothing_aside() -> None:
    manifest = {"old.xml": entry("old.xml", "sha", 10, '"ours"')}
    plan = make_plan([], {"old.xml": RemoteObject(9, '"theirs"')}, manifest, delete=False)
    assert (plan.deletes, plan.kept) == ((), ())
    assert [step.reason for step in plan.steps] == ["no longer produced; publish.s3.delete is off"]
