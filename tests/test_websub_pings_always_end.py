"""The WebSub ping phase always ends: each request has a deadline for the whole exchange,
the phase a budget (`site.websub_budget`), and a hub that keeps failing trips a breaker.
A hub that misbehaves never changes `feeds build`'s exit code."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from feeds.config import parse_config
from feeds.errors import ConfigError
from feeds.publish.websub import BATCH_SIZE, PingResult, ping_hub
from tests.kit import BASE_URL, config_data, make_site, small_corpus
from tests.servers import Hub, SlowHub, feed_urls

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


@pytest.mark.parametrize("value", [0, -1, 601, math.nan, math.inf, True, "30"])
def test_the_budget_is_a_positive_number_of_seconds_up_to_600(value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data(site={"websub_budget": value}), Path("f.yaml"))
    (problem,) = caught.value.problems
    assert problem.startswith(
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got "
    )


def test_the_budget_defaults_to_30_seconds_and_takes_fractions() -> None:
    assert parse_config(config_data(), Path("f.yaml")).site.websub_budget == 30
    config = parse_config(config_data(site={"websub_budget": 0.5}), Path("f.yaml"))
    assert config.site.websub_budget == 0.5


def test_a_budget_that_is_spent_sends_nothing_more() -> None:
    """After the budget, no request starts, even with attempts left."""
    with Hub() as hub:
        hub.status = 503
        result = ping_hub(hub.url, feed_urls(1), budget=0.2)
    assert len(hub.pings) == 1  # the first backoff (0.5 s) would outlast the budget
    assert result.failed == ((feed_urls(1)[0], "HTTP 503"),)
