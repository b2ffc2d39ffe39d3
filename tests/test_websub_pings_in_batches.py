"""WebSub pings name up to BATCH_SIZE feeds per request (`hub.url` repeated); a hub that
refuses a batch with a 4xx gets one feed per request instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.publish.websub import BATCH_SIZE, ping_hub
from tests.kit import BASE_URL, article, make_site, small_corpus
from tests.servers import Hub, feed_urls

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
