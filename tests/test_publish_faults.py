"""`feeds publish` through a fault-injecting proxy (tests/fault_proxy.py) in front of moto.

After every scenario one clean run must leave the bucket equal to the output folder:
the same keys (plus the manifest), bytes, Content-Type and Cache-Control.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feeds.publish.plan import MANIFEST_NAME, scan_output
from tests.fake_aws import publish_to, s3_client
from tests.fault_proxy import FaultProxy
from tests.kit import Site, article, make_site
from tests.servers import S3Server

pytestmark = pytest.mark.usefixtures("aws_env")

SOLO = "providers/solo.example/"  # the feed folder of a provider with one article


@pytest.fixture
def proxy(s3: S3Server) -> Iterator[FaultProxy]:
    with FaultProxy(s3.url) as running:
        yield running


def corpus(count: int) -> dict[str, dict[str, Any]]:
    """`count` articles over 13 topics and 19 providers, and one of provider solo.example."""
    articles = {
        f"a{n:03d}.md": article(n, topics=[f"T{n % 13}"], provider=f"p{n % 19}.example")
        for n in range(1, count + 1)
    }
    articles["solo.md"] = article(999, title="Solo", topics=["T1"], provider="solo.example")
    return articles


def faulty_site(tmp_path: Path, proxy: FaultProxy, bucket: str, **s3: Any) -> Site:
    """A built site of ~160 files publishing through the proxy."""
    publish = publish_to(proxy.url, bucket, delete=True, **s3)
    site = make_site(tmp_path, corpus(40), publish=publish, feeds={"archive": True, "max_items": 5})
    site.build()
    return site


def bucket_manifest(s3: S3Server, bucket: str) -> dict[str, Any]:
    body = s3_client(s3.url).get_object(Bucket=bucket, Key=MANIFEST_NAME)["Body"].read()
    data: dict[str, Any] = json.loads(body)
    return data


def assert_bucket_is_the_output(s3: S3Server, bucket: str, site: Site) -> None:
    """Every output file in the bucket with its bytes and headers, nothing else but the
    manifest, and the manifest expecting no upload."""
    client = s3_client(s3.url)
    local = {file.key: file for file in scan_output(site.out, site.config().output.cache_control)}
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    listed = {obj["Key"] for page in pages for obj in page.get("Contents", [])}
    assert listed == {*local, MANIFEST_NAME}
    for key, file in local.items():
        got = client.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == (site.out / key).read_bytes(), key
        assert (got["ContentType"], got["CacheControl"]) == (
            file.headers.content_type,
            file.headers.cache_control,
        ), key
    assert "pending" not in bucket_manifest(s3, bucket)


def clean_publish(site: Site, proxy: FaultProxy) -> None:
    proxy.clear()
    result = site.cli("publish")
    assert result.exit_code == 0, result.output


def published_then_solo_edited(tmp_path: Path, proxy: FaultProxy, bucket: str) -> Site:
    """A site published cleanly, then its one-article provider's article edited and built."""
    site = faulty_site(tmp_path, proxy, bucket)
    clean_publish(site, proxy)
    site.write(
        {"solo.md": article(999, title="Solo, edited", topics=["T1"], provider="solo.example")}
    )
    site.build()
    return site


def test_objects_uploaded_before_a_failed_manifest_write_are_deleted_with_their_feed(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = published_then_solo_edited(tmp_path, proxy, bucket)
    # From the moment the feed's page (after its feeds) is uploaded, manifest PUTs fail.
    fail_manifest = lambda: proxy.add("PUT", MANIFEST_NAME, "500", times=0)  # noqa: E731
    proxy.add("PUT", SOLO + "index.html", "", then=fail_manifest)
    assert site.cli("publish").exit_code == 1
    (site.content / "solo.md").unlink()
    site.build()
    clean_publish(site, proxy)
    clean_publish(site, proxy)
    listed = s3_client(s3.url).list_objects_v2(Bucket=bucket, Prefix=SOLO)
    assert listed["KeyCount"] == 0
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_manifest_get_answered_404_changes_nothing(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    clean_publish(site, proxy)
    (site.content / "solo.md").unlink()
    site.build()
    before = bucket_manifest(s3, bucket)
    proxy.clear()
    proxy.add("GET", MANIFEST_NAME, "404")
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "the listing shows it, yet its GET answered 404; nothing was changed" in result.stderr
    assert (proxy.requests("PUT"), proxy.requests("DELETE")) == ([], [])
    assert bucket_manifest(s3, bucket) == before
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_failed_archive_page_stops_the_feeds_and_pages_above_it(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    proxy.add("PUT", "archive/2/rss.xml", "500", times=0)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "error: archive/2/rss.xml: InternalError (HTTP 500): injected" in result.stderr
    assert "upload(s) not attempted: no page or feed is uploaded above a rank" in result.stderr
    puts = {seen.key for seen in proxy.requests("PUT")}
    assert {"archive/1/rss.xml", "archive/2/rss.xml"} <= puts
    assert not {"rss.xml", "atom.xml", "index.html", SOLO + "rss.xml"} & puts
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_failed_style_sheet_stops_every_page(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    (site.out / "style.css").write_bytes(b"body{}")
    proxy.add("PUT", "style.css", "reset", times=0)
    assert site.cli("publish").exit_code == 1
    assert [seen.key for seen in proxy.requests("PUT", "*.html")] == []
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_uploads_before_a_failed_last_manifest_write_are_not_uploaded_again(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    fail_manifest = lambda: proxy.add("PUT", MANIFEST_NAME, "503", times=0)  # noqa: E731
    proxy.add("PUT", "index.html", "", then=fail_manifest)  # the last upload
    assert site.cli("publish").exit_code == 1
    assert len(proxy.requests("PUT", "*.xml")) > 80
    clean_publish(site, proxy)
    assert [seen.key for seen in proxy.requests("PUT")] == [MANIFEST_NAME]
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_stalled_upload_ends_with_the_budget_and_the_manifest_keeps_what_succeeded(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket, budget=3)
    stalled = "archive/1/atom.xml"  # the first upload
    held = proxy.add("PUT", stalled, "hold", times=0)  # stored, but never answered
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "publish.s3.budget, 3 s) is spent" in result.stderr
    assert held.fired.is_set()
    recorded = bucket_manifest(s3, bucket)
    client = s3_client(s3.url)
    for key, entry in recorded["objects"].items():
        assert client.head_object(Bucket=bucket, Key=key)["ETag"] == entry["etag"]
    assert set(recorded["pending"]) == {stalled}
    assert "index.html" not in recorded["objects"]
    site.configure(publish={"s3": {**site.sections["publish"]["s3"], "budget": 120}})
    clean_publish(site, proxy)
    assert stalled not in {seen.key for seen in proxy.requests("PUT")}  # stored already
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_stalled_listing_ends_with_the_budget_and_changes_nothing(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket, budget=2)
    proxy.add("GET", "", "hold", times=0)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert f"s3://{bucket}/: cannot list the bucket: Read timeout" in result.stderr
    assert proxy.requests("PUT") == []
    site.configure(publish={"s3": {**site.sections["publish"]["s3"], "budget": 120}})
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


@pytest.mark.parametrize(("failures", "exit_code"), [(4, 0), (9, 1)])
def test_a_failing_request_is_tried_five_times_in_all(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy, failures: int, exit_code: int
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    proxy.add("PUT", "feeds.opml", "503", times=failures)
    assert site.cli("publish").exit_code == exit_code
    assert len(proxy.requests("PUT", "feeds.opml")) == min(failures + 1, 5)
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_burst_of_faults_gets_every_request_its_tries(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    """Every key's first two PUTs fail (over 300 retries): botocore's retry quota would
    have run dry after 100 of them."""
    site = faulty_site(tmp_path, proxy, bucket)
    proxy.add("PUT", "*", "503", times=2, each_key=True)
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    tries = Counter(seen.key for seen in proxy.requests("PUT"))
    local = scan_output(site.out, site.config().output.cache_control)
    assert {tries[file.key] for file in local} == {3}  # 2 failures, then success
    assert tries[MANIFEST_NAME] == 3 + 1  # before the uploads, and after them
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_put_applied_but_never_answered_leaves_the_new_bytes_and_is_known(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = published_then_solo_edited(tmp_path, proxy, bucket)
    proxy.clear()
    proxy.add("PUT", SOLO + "rss.xml", "cut", times=0)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert len(proxy.requests("PUT", SOLO + "rss.xml")) == 5
    body = s3_client(s3.url).get_object(Bucket=bucket, Key=SOLO + "rss.xml")["Body"].read()
    assert body == (site.out / SOLO / "rss.xml").read_bytes()  # the new bytes, not the old
    (site.content / "solo.md").unlink()
    site.build()
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def publish_killed_at(site: Site, proxy: FaultProxy, method: str, key: str, nth: int) -> None:
    """Run `feeds publish` as a process; SIGKILL it when the nth request matching `method`
    and `key` arrives (held, unforwarded, until then)."""
    rule = proxy.add(method, key, "stall", nth=nth)
    command = [sys.executable, "-m", "feeds", "publish", "--config", str(site.config_path)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
        while not rule.fired.wait(0.05) and run.poll() is None:
            pass
        run.kill()
    assert rule.fired.is_set(), "the publish ended before the chosen request"
    proxy.clear()


@pytest.mark.parametrize(
    ("method", "key", "nth"),
    [
        ("PUT", MANIFEST_NAME, 1),  # before the first upload
        ("PUT", SOLO + "index.html", 1),  # mid-upload: its feeds are up, its page not
        ("PUT", MANIFEST_NAME, 2),  # every upload done, the manifest not yet written
    ],
)
def test_a_publish_killed_at_a_chosen_request_leaves_nothing_unknown(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy, method: str, key: str, nth: int
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    clean_publish(site, proxy)
    site.write(
        {"solo.md": article(999, title="Solo, again", topics=["T1"], provider="solo.example")}
    )
    site.build()
    publish_killed_at(site, proxy, method, key, nth)
    (site.content / "solo.md").unlink()
    site.build()
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_any_sequence_of_faults_and_kills_then_one_clean_run_leaves_exactly_the_output(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    publish_killed_at(site, proxy, "PUT", "*/*", 30)  # a first publish, killed

    proxy.add("PUT", "*", "503", times=1, each_key=True)  # then every key fails once
    proxy.add("PUT", "topics/t3/*", "cut", times=0)  # applied, never answered
    proxy.add("DELETE", "*", "reset", times=0)
    assert site.cli("publish").exit_code == 1
    proxy.clear()

    site.write(
        {"solo.md": article(999, title="Solo, edited", topics=["T2"], provider="solo.example")}
    )
    site.write(
        {"a007.md": article(7, title="Seventh, edited", topics=["T7"], provider="new.example")}
    )
    site.build()
    proxy.add("GET", MANIFEST_NAME, "404")
    assert site.cli("publish").exit_code == 1
    proxy.clear()
    fail_manifest = lambda: proxy.add("PUT", MANIFEST_NAME, "500", times=0)  # noqa: E731
    proxy.add("PUT", "index.html", "", then=fail_manifest)
    proxy.add("PUT", "archive/*", "reset", times=1, each_key=True)
    site.cli("publish")  # may exit 0 or 1: only the next runs matter
    proxy.clear()

    (site.content / "solo.md").unlink()
    (site.content / "a011.md").unlink()
    site.build()
    publish_killed_at(site, proxy, "DELETE", "*", 2)
    proxy.add("GET", "", "500", times=5)  # a listing that fails all its tries
    assert site.cli("publish").exit_code == 1
    publish_killed_at(site, proxy, "PUT", MANIFEST_NAME, 1)

    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_failed_first_manifest_write_uploads_nothing(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    proxy.add("PUT", MANIFEST_NAME, "500", times=0)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert (
        f"Error: s3://{bucket}/: cannot write {MANIFEST_NAME} before uploading: "
        "InternalError (HTTP 500): injected; nothing was uploaded"
    ) in result.stderr
    assert {seen.key for seen in proxy.requests("PUT")} == {MANIFEST_NAME}
    clean_publish(site, proxy)
    assert_bucket_is_the_output(s3, bucket, site)


def test_a_store_whose_etags_are_not_md5s_still_knows_what_a_killed_run_wrote(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    """As on AWS with SSE-KMS: the ETag a pending entry expects is not the one listed, so
    the object's x-amz-meta-sha256 tells whether it is the upload that was pending."""
    site = faulty_site(tmp_path, proxy, bucket)
    clean_publish(site, proxy)
    site.write(
        {"solo.md": article(999, title="Solo, again", topics=["T1"], provider="solo.example")}
    )
    site.build()
    publish_killed_at(site, proxy, "PUT", SOLO + "index.html", 1)
    data = bucket_manifest(s3, bucket)
    assert {SOLO + "rss.xml", SOLO + "index.html"} <= set(data["pending"])
    for entry in data["pending"].values():
        entry["etag"] = '"' + "f" * 32 + '-1"'  # what this store would have answered
    client = s3_client(s3.url)
    client.put_object(Bucket=bucket, Key=MANIFEST_NAME, Body=json.dumps(data).encode())
    (site.content / "solo.md").unlink()
    site.build()
    result = site.cli("publish")
    assert (result.exit_code, result.stderr) == (0, "")
    heads = {seen.key for seen in proxy.requests("HEAD")}
    assert {SOLO + "rss.xml", SOLO + "atom.xml"} <= heads <= set(data["pending"])
    assert_bucket_is_the_output(s3, bucket, site)
