"""WebSub: hub links in the feeds, and pings to a real hub on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feeds.publish.websub import ping_hub
from tests.fake_aws import publish_to, s3_client
from tests.kit import BASE_URL, Site, article, make_site, small_corpus
from tests.servers import Hub, S3Server

pytestmark = pytest.mark.usefixtures("aws_env")

ATOM = "{http://www.w3.org/2005/Atom}"
FOLDERS = ("", "topics/ai/", "topics/climate/", "providers/a.example/", "providers/b.example/")
ALL_FEEDS = sorted(
    BASE_URL + folder + name for folder in FOLDERS for name in ("rss.xml", "atom.xml", "feed.json")
)


@pytest.fixture
def hub() -> Iterator[Hub]:
    with Hub() as running:
        yield running


def build(site: Site, *args: str) -> str:
    """Run `feeds build`; returns its stderr."""
    result = site.cli("build", *args)
    assert result.exit_code == 0, result.output
    return result.stderr


def feed_bytes(out_dir: Path) -> dict[str, bytes]:
    return {
        BASE_URL + p.relative_to(out_dir).as_posix(): p.read_bytes()
        for p in out_dir.rglob("*")
        if p.name in ("rss.xml", "atom.xml", "feed.json")
    }


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(url for url, content in after.items() if before.get(url) != content)


def test_feeds_carry_the_hub_and_self_links(hub: Hub, tmp_path: Path) -> None:
    hub_url = hub.url
    site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub_url})
    build(site)
    for name in ("rss.xml", "atom.xml"):
        content = (site.out / "topics/ai" / name).read_bytes()
        assert feedparser.parse(content).bozo == 0
        root = etree.fromstring(content)
        links = {link.get("rel"): link.get("href") for link in root.iter(f"{ATOM}link")}
        assert links["hub"] == hub_url
        assert links["self"] == f"{BASE_URL}topics/ai/{name}"
    rss = etree.fromstring((site.out / "rss.xml").read_bytes())
    assert [link.getparent().tag for link in rss.iter(f"{ATOM}link")] == ["channel", "channel"]
    feed = json.loads((site.out / "topics/ai/feed.json").read_bytes())
    assert feed["hubs"] == [{"type": "WebSub", "url": hub_url}]
    assert feed["feed_url"] == f"{BASE_URL}topics/ai/feed.json"


def test_no_hub_link_without_a_hub(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    build(site)
    for name in ("rss.xml", "atom.xml"):
        root = etree.fromstring((site.out / name).read_bytes())
        assert [link.get("rel") for link in root.iter(f"{ATOM}link")].count("hub") == 0
    assert "hubs" not in json.loads((site.out / "feed.json").read_bytes())


def test_ping_posts_publish_mode_and_the_url(hub: Hub) -> None:
    result = ping_hub(hub.url, [BASE_URL + "rss.xml", BASE_URL + "atom.xml"], budget=10)
    assert result.failed == ()
    # One request announces both (hub.url repeated, as PubSubHubbub 0.4 allows).
    assert hub.pings == [
        {"hub.mode": ["publish"], "hub.url": [BASE_URL + "rss.xml", BASE_URL + "atom.xml"]}
    ]


def test_failing_hub_is_retried_with_backoff_and_reported_not_raised(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    hub.status = 500
    waits: list[float] = []
    result = ping_hub(hub.url, [BASE_URL + "rss.xml"], budget=10, sleep=waits.append)
    assert (result.pinged, result.failed) == ((), ((BASE_URL + "rss.xml", "HTTP 500"),))
    assert (len(hub.pings), waits) == (3, [0.5, 1.0])
    assert f"websub hub {hub.url}: ping for {BASE_URL}rss.xml failed: HTTP 500" in caplog.text


def test_build_without_publish_pings_exactly_the_changed_feeds(hub: Hub, tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub.url})
    build(site)
    assert hub.urls() == ALL_FEEDS
    hub.pings.clear()
    build(site)
    assert hub.urls() == []
    site.write({"one.md": article(1, title="First, again", topics=["AI"], provider="a.example")})
    before = feed_bytes(site.out)
    stderr = build(site, "-v")
    assert hub.urls() == changed(before, feed_bytes(site.out))
    assert hub.urls() == [
        BASE_URL + path
        for path in (
            "atom.xml",
            "feed.json",
            "providers/a.example/atom.xml",
            "providers/a.example/feed.json",
            "providers/a.example/rss.xml",
            "rss.xml",
            "topics/ai/atom.xml",
            "topics/ai/feed.json",
            "topics/ai/rss.xml",
        )
    ]
    assert f"websub: pinged {hub.url} for {BASE_URL}topics/ai/rss.xml" in stderr.splitlines()


def test_hub_errors_never_fail_the_build(hub: Hub, tmp_path: Path) -> None:
    hub.status = 500
    site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub.url}, feeds={"groups": []})
    result = site.cli("build")
    assert result.exit_code == 0
    assert (
        f"warning: websub hub {hub.url}: ping for {BASE_URL}atom.xml and 2 more failed: HTTP 500"
        in result.stderr.splitlines()
    )
    assert len(hub.pings) == 3  # the three feed files in one request, three attempts


def test_hub_errors_in_json_carry_hub_url_and_reason(hub: Hub, tmp_path: Path) -> None:
    hub.status = 500
    site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub.url}, feeds={"groups": []})
    stderr = build(site, "--log-format", "json", "-v")
    records = [json.loads(line) for line in stderr.splitlines()]
    named = f"{BASE_URL}atom.xml and 2 more"
    about = {"url": BASE_URL + "atom.xml", "more": 2, "feeds": named, "reason": "HTTP 500"}
    assert {
        "level": "warning",
        "message": f"websub hub {hub.url}: ping for {named} failed: HTTP 500",
        "hub": hub.url,
        **about,
    } in records
    assert {
        "level": "info",
        "message": f"{named}: HTTP 500 (attempt 1 of 3)",
        **about,
        "attempt": 1,
        "attempts": 3,
    } in records


def test_with_a_publish_section_pings_follow_the_upload(
    hub: Hub, s3: S3Server, tmp_path: Path
) -> None:
    bucket = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=bucket)
    site = make_site(
        tmp_path, small_corpus(), site={"websub_hub": hub.url}, publish=publish_to(s3.url, bucket)
    )
    build(site)
    assert hub.urls() == []  # written, but not live yet
    assert site.cli("publish", "--dry-run").exit_code == 0
    assert hub.urls() == []
    assert site.cli("publish").exit_code == 0
    assert hub.urls() == ALL_FEEDS
    hub.pings.clear()
    build(site, "--publish")
    assert hub.urls() == []
    before = feed_bytes(site.out)
    site.write({"two.md": article(2, title="Second", topics=["AI"], provider="b.example")})
    build(site, "--publish")
    expected = changed(before, feed_bytes(site.out))
    assert BASE_URL + "topics/climate/rss.xml" in expected
    assert BASE_URL + "providers/a.example/rss.xml" not in expected
    assert hub.urls() == expected


def test_archive_pages_are_not_pinged(hub: Hub, tmp_path: Path) -> None:
    """Archive pages never change as articles arrive: nobody subscribes to them."""
    articles = {f"{n:02d}.md": article(n) for n in range(1, 8)}
    feeds = {"archive": True, "max_items": 2}
    site = make_site(tmp_path, articles, site={"websub_hub": hub.url}, feeds=feeds)
    build(site)
    assert (site.out / "archive/3/rss.xml").is_file()
    live = [url for url in feed_bytes(site.out) if "/archive/" not in url]
    assert hub.urls() == sorted(live)
