"""`feeds publish` through a fault-injecting proxy (tests/fault_proxy.py) in front of moto.

After every scenario one clean run must leave the bucket equal to the output folder:
the same keys (plus the manifest), bytes, Content-Type and Cache-Control.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feeds.publish_plan import MANIFEST_NAME, scan_output
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
    """A built site of ~160 files publishing through the proxy, retrying after 10 ms."""
    publish = publish_to(proxy.url, bucket, delete=True, backoff=0.01, **s3)
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


def test_objects_uploaded_before_a_failed_manifest_write_are_deleted_with_their_feed(
    s3: S3Server, bucket: str, tmp_path: Path, proxy: FaultProxy
) -> None:
    site = faulty_site(tmp_path, proxy, bucket)
    clean_publish(site, proxy)
    site.write(
        {"solo.md": article(999, title="Solo, edited", topics=["T1"], provider="solo.example")}
    )
    site.build()
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
