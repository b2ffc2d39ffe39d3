"""WebSub: hub links in the feeds, and pings to a real hub on 127.0.0.1.

Pings name up to BATCH_SIZE feeds per request (`hub.url` repeated); a hub that refuses a
batch with a 4xx gets one feed per request instead. The ping phase always ends: each
request has a deadline for the whole exchange, the phase a budget (`site.websub_budget`),
and a hub that keeps failing trips a breaker. A hub that misbehaves never changes
`feeds build`'s exit code."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import feedparser
import pytest
from lxml import etree

from feeds.publish.websub import BATCH_SIZE, PingResult, ping_hub
from tests.fake_aws import publish_to, s3_client
from tests.kit import BASE_URL, Site, article, make_site, small_corpus
from tests.servers import Hub, S3Server, SlowHub, feed_urls

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


FEEDS_OF_SMALL_CORPUS = 15  # all, two topics, two providers: three formats each


def test_many_feeds_go_out_a_batch_at_a_time_in_order() -> None:
    urls = feed_urls(2 * BATCH_SIZE + 50)
    with Hub() as hub:
        result = ping_hub(hub.url, urls, budget=30.0)
    assert [form["hub.url"] for form in hub.pings] == [
        urls[:BATCH_SIZE],
        urls[BATCH_SIZE : 2 * BATCH_SIZE],
        urls[2 * BATCH_SIZE :],
    ]
    assert all(form["hub.mode"] == ["publish"] for form in hub.pings)
    assert (result.pinged, result.failed, result.skipped) == (tuple(urls), (), ())


def test_a_hub_that_refuses_a_batch_gets_one_feed_per_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    urls = feed_urls(4)
    with Hub() as hub:
        hub.max_urls = 1  # answers 400 to a ping naming more
        result = ping_hub(hub.url, urls, budget=30.0)
    assert [form["hub.url"] for form in hub.pings] == [urls] + [[url] for url in urls]
    assert result.pinged == tuple(urls)
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []


def test_a_build_pings_its_changed_feeds_in_one_request(tmp_path: Path) -> None:
    with Hub() as hub:
        site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub.url})
        assert site.cli("build").exit_code == 0
        assert [len(form["hub.url"]) for form in hub.pings] == [FEEDS_OF_SMALL_CORPUS]
        hub.pings.clear()
        assert site.cli("build").exit_code == 0
        assert hub.pings == []  # nothing changed, nothing announced
        site.write({"three.md": article(3, title="Third, again", topics=["Climate"])})
        assert site.cli("build").exit_code == 0
    (form,) = hub.pings
    assert f"{BASE_URL}topics/climate/rss.xml" in form["hub.url"]
    assert f"{BASE_URL}topics/ai/rss.xml" not in form["hub.url"]


GENEROUS = 120  # seconds: a bound on waiting for the phase to end (a loaded CI machine is slow), never a speed check


T = TypeVar("T")


def ends(task: Callable[[], T]) -> T:
    """`task()`, run in a thread that must be done within GENEROUS seconds."""
    results: list[T] = []
    worker = threading.Thread(target=lambda: results.append(task()), daemon=True)
    worker.start()
    worker.join(GENEROUS)
    assert not worker.is_alive(), f"still running after {GENEROUS} s"
    return results[0]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_hub_that_trickles_its_answer_is_cut_off_at_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    urls = feed_urls(2)
    with SlowHub(interval=0.05) as hub:  # a byte every 50 ms: the answer takes a minute
        result = ends(lambda: ping_hub(hub.url, urls, budget=1.0))
        assert hub.urls() == urls  # one request naming both; no time left for a retry
        assert len(hub.pings) == 1
    assert result.pinged == ()
    assert [url for url, _ in result.failed] == urls
    assert all(reason.startswith("no answer within") for _, reason in result.failed)
    assert warnings(caplog) == [
        f"websub hub {hub.url}: ping for {urls[0]} and 1 more failed: {result.failed[0][1]}"
    ]


def test_a_hub_that_never_answers_costs_the_budget_then_the_rest_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    urls = feed_urls(BATCH_SIZE + 50)
    with SlowHub(interval=None) as hub:
        result = ends(lambda: ping_hub(hub.url, urls, budget=1.0))
        assert len(hub.pings) == 1
        assert hub.urls() == urls[:BATCH_SIZE]
    assert (len(result.failed), result.skipped) == (BATCH_SIZE, tuple(urls[BATCH_SIZE:]))
    assert warnings(caplog)[-1] == (
        f"websub hub {hub.url}: 50 pings not sent: "
        "the ping budget (site.websub_budget, 1 s) is spent"
    )
    assert len(warnings(caplog)) == 2  # the failed request, the skipped pings


def test_three_failed_requests_in_a_row_stop_the_phase_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    urls = feed_urls(2 * BATCH_SIZE + 50)
    waits: list[float] = []
    with Hub() as hub:
        hub.status = 503
        result = ping_hub(hub.url, urls, budget=30.0, sleep=waits.append)
    assert [form["hub.url"] for form in hub.pings] == [urls[:BATCH_SIZE]] * 3
    assert waits == [0.5, 1.0]
    assert result == PingResult(
        (), tuple((url, "HTTP 503") for url in urls[:BATCH_SIZE]), tuple(urls[BATCH_SIZE:])
    )
    assert warnings(caplog) == [
        f"websub hub {hub.url}: ping for {urls[0]} and {BATCH_SIZE - 1} more failed: HTTP 503",
        f"websub hub {hub.url}: {BATCH_SIZE + 50} pings not sent: 3 requests in a row failed",
    ]


def test_the_breaker_counts_single_pings_after_a_refused_batch() -> None:
    urls = feed_urls(5)
    with Hub() as hub:
        hub.max_urls, hub.status = 1, 500
        result = ping_hub(hub.url, urls, budget=30.0, sleep=lambda _: None)
    assert [form["hub.url"] for form in hub.pings] == [urls] + [urls[:1]] * 3
    assert (result.failed, result.skipped) == (((urls[0], "HTTP 500"),), tuple(urls[1:]))


def test_a_refused_single_ping_is_not_retried() -> None:
    with Hub() as hub:
        hub.status = 404
        result = ping_hub(hub.url, feed_urls(1), budget=30.0, sleep=lambda _: None)
    assert len(hub.pings) == 1
    assert result.failed == ((feed_urls(1)[0], "HTTP 404"),)


@pytest.mark.parametrize("interval", [None, 0.05])
def test_feeds_build_ends_and_exits_0_whatever_the_hub_does(
    tmp_path: Path, interval: float | None
) -> None:
    with SlowHub(interval) as hub:
        site = make_site(tmp_path, small_corpus(), site={"websub_hub": hub.url, "websub_budget": 1})
        result = ends(lambda: site.cli("build"))
        assert len(hub.pings) == 1  # every changed feed in one request
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"warning: websub hub {hub.url}: ping for {BASE_URL}")
    assert "more failed: no answer within" in lines[0]


def test_a_budget_that_is_spent_sends_nothing_more() -> None:
    """After the budget, no request starts, even with attempts left."""
    with Hub() as hub:
        hub.status = 503
        result = ping_hub(hub.url, feed_urls(1), budget=0.2)
    assert len(hub.pings) == 1  # the first backoff (0.5 s) would outlast the budget
    assert result.failed == ((feed_urls(1)[0], "HTTP 503"),)
