"""`feeds publish` against a real S3 API server (moto) on 127.0.0.1.

Deletion trusts the listing, not the manifest alone: a key planted in the bucket's
manifest is never deleted unless the object is exactly what the manifest recorded.
Publish reads only regular files of the output folder, and never blocks on one: a FIFO
there once held the output lock forever, and every later cron run exited 75.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from feeds.config import CacheControl
from feeds.lock import output_lock
from feeds.publish import publish
from feeds.publish.plan import (
    MANIFEST_NAME,
    ManifestEntry,
    render_manifest,
    scan_output,
)
from tests.fake_aws import ACCESS_KEY, SECRET_KEY, publish_to, s3_client
from tests.kit import article, make_site, small_corpus, write_tree
from tests.servers import S3Server

pytestmark = pytest.mark.usefixtures("aws_env")


def objects(s3: S3Server, bucket: str) -> dict[str, Any]:
    client = s3_client(s3.url)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {obj["Key"]: obj for page in pages for obj in page.get("Contents", [])}


def manifest(s3: S3Server, bucket: str, prefix: str = "") -> dict[str, Any]:
    body = s3_client(s3.url).get_object(Bucket=bucket, Key=prefix + MANIFEST_NAME)["Body"]
    objects: dict[str, Any] = json.loads(body.read())["objects"]
    return objects


def local_files(out_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out_dir).as_posix(): p.read_bytes()
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_first_publish_uploads_every_file_with_its_headers(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, small_corpus(), publish=publish_to(s3.url, bucket, prefix="site/"))
    result = site.cli("build", "--publish")
    assert result.exit_code == 0, result.output
    local = local_files(site.out)
    assert "topics/climate/atom.xml" in local
    remote = objects(s3, bucket)
    assert set(remote) == {f"site/{key}" for key in local} | {f"site/{MANIFEST_NAME}"}
    client = s3_client(s3.url)
    expected = {
        "rss.xml": ("application/rss+xml; charset=utf-8", "max-age=300"),
        "topics/ai/atom.xml": ("application/atom+xml; charset=utf-8", "max-age=300"),
        "feeds.opml": ("text/x-opml; charset=utf-8", "max-age=300"),
        "index.html": ("text/html; charset=utf-8", "max-age=300"),
    }
    for key, (content_type, cache_control) in expected.items():
        head = client.head_object(Bucket=bucket, Key=f"site/{key}")
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control)
        body = client.get_object(Bucket=bucket, Key=f"site/{key}")["Body"].read()
        assert body == local[key]
        assert head["Metadata"]["sha256"] == manifest(s3, bucket, "site/")[key]["sha256"]
    # The manifest naming every upload to come, every file, then the manifest again.
    assert s3.count("PutObject") == len(local) + 2
    assert s3.keys("PutObject")[0] == s3.keys("PutObject")[-1] == f"site/{MANIFEST_NAME}"
    assert s3.count("DeleteObject") == 0


def test_upload_order_puts_feeds_before_pages_and_the_manifest_last(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, small_corpus(), publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"style.css": b"body{}", "topics/ai/index.html": b"x"})
    assert site.cli("build", "--publish").exit_code == 0
    puts = s3.keys("PutObject")
    position = {key: i for i, key in enumerate(puts)}
    feeds = [k for k in puts if k.endswith(("rss.xml", "atom.xml"))]
    assert position["style.css"] < min(position[k] for k in feeds)
    assert max(position[k] for k in feeds) < position["topics/ai/index.html"]
    assert position["topics/ai/index.html"] < min(position["feeds.opml"], position["index.html"])
    assert puts[-1] == MANIFEST_NAME


def test_archive_pages_are_uploaded_first_to_be_cached_for_a_year(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    articles = {f"{n:02d}.md": article(n) for n in range(1, 8)}
    feeds = {"archive": True, "max_items": 2}
    site = make_site(tmp_path, articles, publish=publish_to(s3.url, bucket), feeds=feeds)
    assert site.cli("build", "--publish").exit_code == 0
    puts = s3.keys("PutObject")
    pages = [key for key in puts if "/archive/" in f"/{key}"]
    feeds_linking_them = [key for key in puts if key.endswith(("rss.xml", "atom.xml"))]
    assert "topics/ai/archive/3/atom.xml" in pages
    assert puts.index(pages[-1]) < min(puts.index(k) for k in feeds_linking_them if k not in pages)
    head = s3_client(s3.url).head_object(Bucket=bucket, Key="topics/ai/archive/3/atom.xml")
    assert (head["ContentType"], head["CacheControl"]) == (
        "application/atom+xml; charset=utf-8",
        "max-age=31536000, immutable",
    )


def test_second_publish_without_changes_uploads_nothing(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, small_corpus(), publish=publish_to(s3.url, bucket))
    assert site.cli("build", "--publish").exit_code == 0
    before = manifest(s3, bucket)
    s3.reset()
    result = site.cli("build", "--publish")
    assert result.exit_code == 0, result.output
    assert (s3.count("ListObjectsV2"), s3.count("GetObject"), s3.count("PutObject")) == (1, 1, 0)
    assert manifest(s3, bucket) == before


def test_changed_article_uploads_exactly_the_changed_files(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, small_corpus(), publish=publish_to(s3.url, bucket))
    assert site.cli("build", "--publish").exit_code == 0
    before = local_files(site.out)
    site.write(
        {"two.md": article(2, title="Second, edited", topics=["Climate"], provider="b.example")}
    )
    s3.reset()
    assert site.cli("build", "--publish").exit_code == 0
    after = local_files(site.out)
    changed = {key for key in after if before.get(key) != after[key]}
    assert {"rss.xml", "topics/climate/rss.xml", "providers/b.example/atom.xml"} <= changed
    assert "providers/a.example/rss.xml" not in changed
    assert sorted(s3.keys("PutObject")) == sorted([*changed, MANIFEST_NAME, MANIFEST_NAME])
    for key in changed:
        assert manifest(s3, bucket)[key]["size"] == len(after[key])


def test_same_size_but_new_bytes_is_uploaded(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss>aaaa</rss>", "atom.xml": b"<a/>"})
    assert site.cli("publish").exit_code == 0
    write_tree(site.out, {"rss.xml": b"<rss>bbbb</rss>"})
    s3.reset()
    assert site.cli("publish").exit_code == 0
    assert s3.keys("PutObject") == [MANIFEST_NAME, "rss.xml", MANIFEST_NAME]
    body = s3_client(s3.url).get_object(Bucket=bucket, Key="rss.xml")["Body"].read()
    assert body == b"<rss>bbbb</rss>"


def test_object_changed_behind_our_back_is_uploaded_again(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss>ours</rss>", "atom.xml": b"<a/>"})
    assert site.cli("publish").exit_code == 0
    s3_client(s3.url).put_object(Bucket=bucket, Key="rss.xml", Body=b"<rss>theirs</rss>")
    s3.reset()
    assert site.cli("publish").exit_code == 0
    assert s3.keys("PutObject") == [MANIFEST_NAME, "rss.xml", MANIFEST_NAME]
    body = s3_client(s3.url).get_object(Bucket=bucket, Key="rss.xml")["Body"].read()
    assert body == b"<rss>ours</rss>"


def test_dot_files_and_headers_file_are_never_uploaded(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(
        site.out,
        {"rss.xml": b"r", ".feeds.lock": b"", ".cache/x.json": b"{}", "_headers": b"/x\n"},
    )
    (tmp_path / "secret.txt").write_text("outside")
    (site.out / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert site.cli("publish").exit_code == 0
    assert set(objects(s3, bucket)) == {"rss.xml", MANIFEST_NAME}


def test_dry_run_prints_the_plan_and_changes_nothing(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, delete=True))
    write_tree(site.out, {"rss.xml": b"one", "atom.xml": b"two", "old.xml": b"3"})
    assert site.cli("publish").exit_code == 0
    write_tree(site.out, {"rss.xml": b"ONE", "index.html": b"<p>"})
    (site.out / "old.xml").unlink()
    before = {key: obj["ETag"] for key, obj in objects(s3, bucket).items()}
    s3.reset()
    result = site.cli("publish", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "skip   atom.xml (unchanged)",
        "upload rss.xml (content changed)",
        "upload index.html (new)",
        "delete old.xml (no longer produced)",
        f"dry run: s3://{bucket}/: 2 to upload, 1 to skip, 1 to delete; nothing was changed",
    ]
    assert s3.count("PutObject") + s3.count("DeleteObject") == 0
    assert {key: obj["ETag"] for key, obj in objects(s3, bucket).items()} == before


def test_deletion_is_opt_in_and_only_of_our_own_objects(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    out = site.out
    write_tree(out, {"rss.xml": b"r", "topics/gone/rss.xml": b"g"})
    client = s3_client(s3.url)
    client.put_object(Bucket=bucket, Key="robots.txt", Body=b"not ours")
    assert site.cli("publish").exit_code == 0
    (out / "topics/gone/rss.xml").unlink()

    result = site.cli("publish", "--dry-run")
    assert "skip   topics/gone/rss.xml (no longer produced; publish.s3.delete is off)" in (
        result.stdout
    )
    assert site.cli("publish").exit_code == 0
    assert "topics/gone/rss.xml" in objects(s3, bucket)

    site.configure(publish=publish_to(s3.url, bucket, delete=True))
    s3.reset()
    assert site.cli("publish").exit_code == 0
    assert s3.keys("DeleteObject") == ["topics/gone/rss.xml"]
    assert set(objects(s3, bucket)) == {"rss.xml", "robots.txt", MANIFEST_NAME}
    assert set(manifest(s3, bucket)) == {"rss.xml"}


def test_deletion_stays_inside_the_prefix(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, prefix="other/"))
    out = site.out
    write_tree(out, {"rss.xml": b"r", "old.xml": b"o"})
    assert site.cli("publish").exit_code == 0
    site.configure(publish=publish_to(s3.url, bucket, prefix="mine/", delete=True))
    assert site.cli("publish").exit_code == 0
    (out / "old.xml").unlink()
    assert site.cli("publish").exit_code == 0
    assert set(objects(s3, bucket)) == {
        "other/rss.xml",
        "other/old.xml",
        f"other/{MANIFEST_NAME}",
        "mine/rss.xml",
        f"mine/{MANIFEST_NAME}",
    }


def test_five_thousand_unchanged_objects_take_five_lists_one_get_no_put(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    """The bucket is seeded server-side with what a first publish leaves (HTTP is too slow
    for 5,000 PUTs in a unit test; the small tests above check that a publish does this)."""
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    out = site.out
    write_tree(out, {f"p{i // 100:02d}/{i:04d}.xml": b"%d" % i for i in range(5000)})
    config = site.config()
    local = scan_output(out, config.output.cache_control)
    etags = s3.seed(bucket, {file.key: (out / file.key).read_bytes() for file in local})
    entries = {
        f.key: ManifestEntry(
            f.sha256, f.size, etags[f.key], f.headers.content_type, f.headers.cache_control
        )
        for f in local
    }
    s3.seed(bucket, {MANIFEST_NAME: render_manifest(entries)})
    report = publish(config)
    assert (report.uploaded, report.manifest_written, len(report.plan.steps)) == ((), False, 5000)
    counts = (s3.count("ListObjectsV2"), s3.count("GetObject"), s3.count("PutObject"))
    assert counts == (5, 1, 0)


def test_a_publish_leaves_exactly_what_the_seeded_test_assumes(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    out = site.out
    write_tree(out, {f"providers/p{i}/rss.xml": b"%d" % i for i in range(3)})
    config = site.config()
    publish(config)
    local = scan_output(out, config.output.cache_control)
    listed = objects(s3, bucket)
    assert manifest(s3, bucket) == {
        f.key: {
            "sha256": f.sha256,
            "size": f.size,
            "etag": listed[f.key]["ETag"],
            "content_type": f.headers.content_type,
            "cache_control": f.headers.cache_control,
        }
        for f in local
    }


def test_throttling_and_server_errors_are_retried(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"r", "atom.xml": b"a"})
    s3.faults.count, s3.faults.status = 2, 503
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    assert sum(1 for r in s3.requests if r.status == 503) == 2
    assert set(objects(s3, bucket)) == {"rss.xml", "atom.xml", MANIFEST_NAME}


def test_failed_upload_exits_1_naming_keys_and_the_manifest_keeps_only_successes(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, delete=True))
    out = site.out
    write_tree(out, {"rss.xml": b"r1", "atom.xml": b"a1", "topics/x/rss.xml": b"x1"})
    assert site.cli("publish").exit_code == 0
    write_tree(out, {"rss.xml": b"r2", "atom.xml": b"a2", "topics/x/rss.xml": b"x2"})
    s3.reset()
    s3.faults.put_keys = {"atom.xml", "topics/x/rss.xml"}
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "error: atom.xml: InternalError (HTTP 500): injected" in result.stderr
    assert "error: topics/x/rss.xml: InternalError (HTTP 500): injected" in result.stderr
    assert "2 key(s) failed to publish" in result.stderr
    client = s3_client(s3.url)
    assert client.get_object(Bucket=bucket, Key="atom.xml")["Body"].read() == b"a1"
    assert client.get_object(Bucket=bucket, Key="rss.xml")["Body"].read() == b"r2"
    recorded = manifest(s3, bucket)
    assert recorded["rss.xml"]["size"] == 2
    assert recorded["atom.xml"]["etag"] == objects(s3, bucket)["atom.xml"]["ETag"]

    s3.reset()
    assert site.cli("publish").exit_code == 0
    assert sorted(s3.keys("PutObject")) == sorted(
        ["atom.xml", "topics/x/rss.xml", MANIFEST_NAME, MANIFEST_NAME]
    )


def test_skipped_deletions_and_failed_keys_read_as_before_and_are_json_too(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket, delete=True))
    out = site.out
    write_tree(out, {"rss.xml": b"r1", "atom.xml": b"a1", "old.xml": b"o"})
    assert site.cli("publish").exit_code == 0
    (out / "old.xml").unlink()
    write_tree(out, {"atom.xml": b"a2"})
    s3.faults.put_keys = {"atom.xml"}
    result = site.cli("publish")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "warning: deletions skipped because 1 upload(s) failed",
        "error: atom.xml: InternalError (HTTP 500): injected",
    ]
    result = site.cli("publish", "--log-format", "json")
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records[:2] == [
        {
            "level": "warning",
            "message": "deletions skipped because 1 upload(s) failed",
            "failed": 1,
        },
        {
            "level": "error",
            "message": "atom.xml: InternalError (HTTP 500): injected",
            "key": "atom.xml",
            "reason": "InternalError (HTTP 500): injected",
        },
    ]
    assert "old.xml" in objects(s3, bucket)


def test_credentials_never_appear_in_output_or_logs(
    s3: S3Server, bucket: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(tmp_path, small_corpus(), publish=publish_to(s3.url, bucket))
    caplog.set_level(logging.DEBUG, logger="feeds")
    results = [site.cli("build", "--publish", "-v")]
    s3.faults.put_keys = {"rss.xml"}
    site.write({"one.md": article(1, title="New", topics=["AI"], provider="a.example")})
    results.append(site.cli("build", "--publish", "-v"))
    site.configure(publish=publish_to(s3.url, "no-such-bucket-feeds"))
    results.append(site.cli("publish", "-v", "--dry-run"))
    assert [r.exit_code for r in results] == [0, 1, 1]
    text = "".join(r.stdout + r.stderr for r in results) + caplog.text
    assert "published" in text
    assert "NoSuchBucket" in text
    for secret in (ACCESS_KEY, SECRET_KEY, SECRET_KEY.split("/")[1]):
        assert secret not in text


def test_publish_exit_codes(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    write_tree(site.out, {"rss.xml": b"r"})
    result = site.cli("publish")
    assert (result.exit_code, "no publish section" in result.stderr) == (1, True)

    site.configure(publish=publish_to(s3.url, bucket))
    with output_lock(site.out):
        locked = site.cli("publish")
    assert locked.exit_code == 75
    assert "another feeds run holds .feeds.lock" in locked.stderr

    assert site.cli("publish", "--bogus").exit_code == 2
    site.configure(output={"dir": "empty"})
    (tmp_path / "empty").mkdir()
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "has no files to publish; run `feeds build` first" in result.stderr
    assert s3.count("PutObject") == 0


def test_unreachable_store_exits_1_with_the_reason(tmp_path: Path) -> None:
    site = make_site(
        tmp_path, publish=publish_to("http://127.0.0.1:9", "feeds", region="eu-west-1")
    )
    write_tree(site.out, {"rss.xml": b"r"})
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "s3://feeds/: cannot read .feeds-manifest.json: Could not connect" in result.stderr


PREFIX = "site/"


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


GENEROUS = 20  # seconds: a bound on waiting for a hang, never a speed check


T = TypeVar("T")


def release(fifo: Path) -> None:
    """End a reader blocked on `fifo` (it reads end of file), if there is one."""
    with contextlib.suppress(OSError):  # ENXIO: no reader, so nothing is blocked
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def unblocked(fifo: Path, task: Callable[[], T]) -> T:
    """Run `task` in a thread; fail (after releasing it) if it is still blocked later on."""
    results: list[T] = []
    worker = threading.Thread(target=lambda: results.append(task()), daemon=True)
    worker.start()
    worker.join(GENEROUS)
    blocked = worker.is_alive()
    while worker.is_alive():
        release(fifo)
        worker.join(0.1)
    assert not blocked, f"blocked on the FIFO {fifo}"
    return results[0]


def test_a_fifo_in_the_output_folder_is_skipped_and_publish_ends(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=bucket)
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss/>", "topics/ai/atom.xml": b"<feed/>"})
    fifo = site.out / "topics/ai/rss.xml"
    os.mkfifo(fifo)

    result = unblocked(fifo, lambda: site.cli("publish"))
    assert result.exit_code == 0, result.output
    assert (
        "warning: topics/ai/rss.xml: not a regular file (a FIFO, socket or device); "
        "not published" in result.stderr.splitlines()
    )
    listing = s3_client(s3.url).list_objects_v2(Bucket=bucket)["Contents"]
    assert {obj["Key"] for obj in listing} == {
        "rss.xml",
        "topics/ai/atom.xml",
        ".feeds-manifest.json",
    }
    again = unblocked(fifo, lambda: site.cli("publish"))  # the lock was released: no exit 75
    assert again.exit_code == 0, again.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # left as it was


def test_an_unreadable_output_file_stops_the_publish_before_any_upload(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=bucket)
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss/>", "atom.xml": b"<feed/>"})
    locked = site.out / "atom.xml"
    real_open = os.open

    def refusing_open(path: object, flags: int, *args: int, **kwargs: object) -> int:
        if path == locked:  # what a chmod 000 file gives a non-root user
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert f"{locked}: cannot be read (Permission denied)" in result.stderr
    assert "Contents" not in s3_client(s3.url).list_objects_v2(Bucket=bucket)


def test_scan_output_lists_regular_files_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"rss.xml": b"<rss/>", "topics/a/atom.xml": b"<feed/>"})
    fifo = tmp_path / "topics/a/feed.json"
    os.mkfifo(fifo)
    (tmp_path / "index.html").symlink_to(tmp_path / "rss.xml")
    found = unblocked(fifo, lambda: scan_output(tmp_path, CacheControl()))
    assert [file.key for file in found] == ["rss.xml", "topics/a/atom.xml"]
