"""Tell a WebSub hub which feeds changed, so subscribers fetch them within seconds.

W3C WebSub leaves the publish request to the hub; the form public hubs accept is a POST
of `hub.mode=publish&hub.url=<feed URL>`, and PubSubHubbub 0.4 (§7.1) lets `hub.url`
repeat to name several topics. So the changed feeds go out BATCH_SIZE URLs per request;
a hub that answers a batch with a 4xx gets one URL per request for the rest of the run.
Ping only once the new bytes are live (feed-pitfalls §19).

A hub that is slow or down must never hold up cron or fail the build, so:
- each request has REQUEST_SECONDS in total (feeds/httppost.py), not per socket read;
- failed requests are retried with backoff (5xx, 429 and network failures only);
- after BREAKER failed requests in a row the hub is taken to be down (circuit breaker);
- the whole phase stops when its budget (`site.websub_budget` seconds) is spent;
and the pings never sent are reported in one warning. Nothing here raises.
"""

from __future__ import annotations

import logging
import time
import urllib.error
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from feeds import __version__
from feeds.config import Site
from feeds.formats import FileKind
from feeds.httpheaders import classify
from feeds.publish.httppost import post_form
from feeds.reporting import fields

log = logging.getLogger("feeds.websub")

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
REQUEST_SECONDS = 10.0
BREAKER = 3
# 100 URLs of ~100 bytes make a 10 KB form: far below any server's body limit, and a
# 2,000-feed site then needs 20 requests.
BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class PingResult:
    """Feed URLs the hub accepted, those it did not (with the reason), and those not sent."""

    pinged: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Answer:
    """How one request went: no error, or the error and whether to try again."""

    error: str = ""
    retry: bool = False  # a 5xx, a 429, a network failure or the deadline
    rejected: bool = False  # another 4xx: the hub refuses the request as it is


def changed_feed_urls(site: Site, paths: Iterable[str]) -> tuple[str, ...]:
    """The public URLs of the feed files among `paths` (relative to the output folder)."""
    return tuple(
        site.base_url + path for path in sorted(paths) if classify(path)[1] is FileKind.FEED
    )


def _send(hub: str, urls: Sequence[str], seconds: float) -> _Answer:
    """One publish request naming every URL of `urls`, all within `seconds`."""
    form = [("hub.mode", "publish"), *(("hub.url", url) for url in urls)]
    try:
        post_form(hub, form, seconds=seconds, headers={"User-Agent": f"feeds/{__version__}"})
    except urllib.error.HTTPError as exc:
        transient = exc.code >= 500 or exc.code == 429
        return _Answer(f"HTTP {exc.code}", transient, 400 <= exc.code < 500 and not transient)
    except urllib.error.URLError as exc:
        return _Answer(str(exc.reason), retry=True)
    except OSError as exc:
        return _Answer(str(exc) or type(exc).__name__, retry=True)
    except ValueError as exc:  # a hub URL urllib or http.client refuses
        return _Answer(str(exc) or type(exc).__name__)
    return _Answer()


def _about(urls: Sequence[str]) -> dict[str, object]:
    """The fields that name the feeds of one request: the first URL, how many more, and
    both as the words a message shows (`feeds`)."""
    more = len(urls) - 1
    named = urls[0] if not more else f"{urls[0]} and {more} more"
    return fields(url=urls[0], more=more, feeds=named)


class _Phase:
    """One run's pings: its budget, the breaker's count, and what became of each URL."""

    def __init__(
        self, hub: str, budget: float, attempts: int, sleep: Callable[[float], None]
    ) -> None:
        self.hub, self.budget, self.attempts, self.sleep = hub, budget, attempts, sleep
        self.deadline = time.monotonic() + budget
        self.failures_in_a_row = 0
        self.pinged: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def left(self) -> float:
        """Seconds of the budget left (0 or less: spent)."""
        return self.deadline - time.monotonic()

    def stop_reason(self) -> str:
        """Why no more requests go out ('' while they may)."""
        if self.failures_in_a_row >= BREAKER:
            return f"{BREAKER} requests in a row failed"
        if self.left() <= 0:
            return f"the ping budget (site.websub_budget, {self.budget:g} s) is spent"
        return ""

    def send(self, urls: Sequence[str]) -> bool:
        """Ping about `urls` in one request, retrying; False if the hub refused the batch."""
        answer = _Answer()
        for attempt in range(self.attempts):
            if attempt and not self._back_off(attempt):
                break
            answer = _send(self.hub, urls, max(0.0, min(REQUEST_SECONDS, self.left())))
            if not answer.error:
                self._succeeded(urls)
                return True
            if answer.rejected and len(urls) > 1:
                return False
            self._attempt_failed(urls, answer.error, attempt)
            if not answer.retry:
                break
        self._gave_up(urls, answer.error)
        return True

    def _back_off(self, attempt: int) -> bool:
        """Wait before another attempt; False when the breaker or the budget says stop."""
        pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
        if self.stop_reason() or pause >= self.left():
            return False
        self.sleep(pause)
        return True

    def _succeeded(self, urls: Sequence[str]) -> None:
        self.failures_in_a_row = 0
        self.pinged += urls
        for url in urls:
            log.info("pinged %(hub)s for %(url)s", fields(hub=self.hub, url=url))

    def _attempt_failed(self, urls: Sequence[str], error: str, attempt: int) -> None:
        self.failures_in_a_row += 1
        log.info(
            "%(feeds)s: %(reason)s (attempt %(attempt)d of %(attempts)d)",
            fields(reason=error, attempt=attempt + 1, attempts=self.attempts, **_about(urls)),
        )

    def _gave_up(self, urls: Sequence[str], error: str) -> None:
        self.failed += ((url, error) for url in urls)
        log.warning(
            "websub hub %(hub)s: ping for %(feeds)s failed: %(reason)s",
            fields(hub=self.hub, reason=error, **_about(urls)),
        )


def ping_hub(
    hub: str | None,
    urls: Iterable[str],
    *,
    budget: float,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> PingResult:
    """Ping `hub` about `urls` (nothing when `hub` is None) within `budget` seconds.

    Failures are logged, never raised; the URLs left when the breaker trips or the budget
    is spent are skipped, with one warning.
    """
    queue = deque(urls)
    if hub is None or not queue:
        return PingResult((), ())
    phase = _Phase(hub, budget, attempts, sleep)
    size = BATCH_SIZE
    while queue and not phase.stop_reason():
        batch = [queue.popleft() for _ in range(min(size, len(queue)))]
        if not phase.send(batch):
            size = 1  # this hub takes one URL per request
            queue.extendleft(reversed(batch))
    if queue:
        log.warning(
            "websub hub %(hub)s: %(skipped)d pings not sent: %(reason)s",
            fields(hub=hub, skipped=len(queue), reason=phase.stop_reason()),
        )
    return PingResult(tuple(phase.pinged), tuple(phase.failed), tuple(queue))
