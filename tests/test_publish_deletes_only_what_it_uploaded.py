"""Deletion trusts the listing, not the manifest alone: a key planted in the bucket's
manifest is never deleted unless the object is exactly what the manifest recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from feeds.config import CacheControl
from feeds.httpheaders import headers_for
from feeds.publish.plan import (
    MANIFEST_NAME,
    Action,
    LocalFile,
    ManifestEntry,
    RemoteObject,
    make_plan,
)
from tests.fake_aws import publish_to, s3_client
from tests.kit import make_site, write_tree
from tests.servers import S3Server

pytestmark = pytest.mark.usefixtures("aws_env")

PREFIX = "site/"


def entry(key: str, size: int, etag: str) -> ManifestEntry:
    headers = headers_for(key, CacheControl())
    return ManifestEntry("sha", size, etag, headers.content_type, headers.cache_control)


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
    manifest = {"rss.xml": entry("rss.xml", 10, '"r"'), "old.xml": entry("old.xml", 10, '"ours"')}
    remote = {"rss.xml": RemoteObject(10, '"r"'), "old.xml": listed}
    plan = make_plan([keep], remote, manifest, delete=True)
    assert plan.deletes == (("old.xml",) if deleted else ())
    gone = [step for step in plan.steps if step.key == "old.xml"]
    assert [step.action for step in gone] == [Action.DELETE if deleted else Action.SKIP]
    assert plan.kept == (() if deleted else tuple(gone))
    assert deleted or "not deleted" in gone[0].reason


def test_plan_with_delete_off_keeps_nothing_aside() -> None:
    manifest = {"old.xml": entry("old.xml", 10, '"ours"')}
    plan = make_plan([], {"old.xml": RemoteObject(9, '"theirs"')}, manifest, delete=False)
    assert (plan.deletes, plan.kept) == ((), ())
    assert [step.reason for step in plan.steps] == ["no longer produced; publish.s3.delete is off"]


def read_manifest(client: Any, bucket: str) -> dict[str, Any]:
    body = client.get_object(Bucket=bucket, Key=PREFIX + MANIFEST_NAME)["Body"].read()
    return json.loads(body)  # type: ignore[no-any-return]


def plant(client: Any, bucket: str, key: str, size: int, etag: str) -> None:
    """Add `key` to the bucket's manifest, as anyone who can write the prefix could."""
    data = read_manifest(client, bucket)
    data["objects"][key] = {
        "sha256": "0" * 64,
        "size": size,
        "etag": etag,
        "content_type": "text/plain",
        "cache_control": "max-age=300",
    }
    client.put_object(Bucket=bucket, Key=PREFIX + MANIFEST_NAME, Body=json.dumps(data).encode())


def test_a_key_planted_in_the_manifest_is_kept_reported_once_and_forgotten(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, prefix=PREFIX, delete=True))
    write_tree(site.out, {"rss.xml": b"<rss/>", "old.xml": b"<old/>"})
    assert site.cli("publish").exit_code == 0
    client = s3_client(s3.url)
    # Someone else's objects under the prefix, then listed in the manifest as if ours:
    # one with a made-up ETag, one with its real ETag but another size.
    client.put_object(Bucket=bucket, Key=PREFIX + "theirs.txt", Body=b"precious")
    client.put_object(Bucket=bucket, Key=PREFIX + "also.txt", Body=b"precious too")
    real_etag = client.head_object(Bucket=bucket, Key=PREFIX + "also.txt")["ETag"]
    plant(client, bucket, "theirs.txt", 8, '"0123456789abcdef0123456789abcdef"')
    plant(client, bucket, "also.txt", 99, real_etag)
    (site.out / "old.xml").unlink()
    s3.reset()

    result = site.cli("publish", "--log-format", "json")
    assert result.exit_code == 0, result.output
    assert s3.keys("DeleteObject") == [PREFIX + "old.xml"]  # our own still goes
    listed = {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {PREFIX + "theirs.txt", PREFIX + "also.txt"} <= listed
    records = [json.loads(line) for line in result.stderr.splitlines()]
    warnings = [r for r in records if r["level"] == "warning"]
    assert sorted(r["key"] for r in warnings) == ["also.txt", "theirs.txt"]
    assert all(r["reason"].startswith("no longer produced, but not deleted") for r in warnings)
    assert set(read_manifest(client, bucket)["objects"]) == {"rss.xml"}

    again = site.cli("publish")
    assert (again.exit_code, again.stderr) == (0, "")  # reported once, then forgotten


def test_dry_run_shows_the_kept_key(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, prefix=PREFIX, delete=True))
    write_tree(site.out, {"rss.xml": b"<rss/>"})
    assert site.cli("publish").exit_code == 0
    client = s3_client(s3.url)
    client.put_object(Bucket=bucket, Key=PREFIX + "theirs.txt", Body=b"precious")
    plant(client, bucket, "theirs.txt", 8, '"made-up"')
    result = site.cli("publish", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "skip   theirs.txt (no longer produced, but not deleted: " in result.stdout
    assert "0 to delete" in result.stdout
    assert "warning: theirs.txt: no longer produced, but not deleted: " in result.stderr
