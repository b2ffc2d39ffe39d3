"""Tell a WebSub hub which feeds changed, so subscribers fetch them within seconds.

W3C WebSub leaves the publish request to the hub; the form every public hub accepts is a
POST of `hub.mode=publish&hub.url=<feed URL>`. Ping only once the new bytes are live
(feed-pitfalls §19). A hub that is down must never fail the build: failures are retried
a few times, logged with their status, and reported back, never raised.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode

from feeds import __version__
from feeds.config import Site
from feeds.logs import fields
from feeds.mediatypes import FileKind, classify

log = logging.getLogger("feeds.websub")

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
TIMEOUT_SECONDS = 10
WORKERS = 4


@dataclass(frozen=True, slots=True)
class PingResult:
    """Feed URLs the hub accepted, and those it did not (with the last status or error)."""

    pinged: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def changed_feed_urls(site: Site, paths: Iterable[str]) -> tuple[str, ...]:
    """The public URLs of the feed files among `paths` (relative to the output folder)."""
    return tuple(
        site.base_url + path for path in sorted(paths) if classify(path)[1] is FileKind.FEED
    )


def _post(hub: str, url: str) -> None:
    """One publish request; raises on a non-2xx status or a network error."""
    body = urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
    # config.py accepts only http(s) hub URLs, so urlopen never opens a file: URL here.
    request = urllib.request.Request(
        hub,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": f"feeds/{__version__}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc)


def ping_one(
    hub: str, url: str, *, attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Ping the hub about `url`, retrying with backoff; '' on success, else the last error."""
    error = ""
    for attempt in range(attempts):
        if attempt:
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            _post(hub, url)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            error = _describe(exc)
            log.info(
                "%(url)s: %(reason)s (attempt %(attempt)d of %(attempts)d)",
                fields(url=url, reason=error, attempt=attempt + 1, attempts=attempts),
            )
            continue
        log.info("pinged %(hub)s for %(url)s", fields(hub=hub, url=url))
        return ""
    return error


def ping_hub(
    hub: str | None,
    urls: Iterable[str],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> PingResult:
    """Ping `hub` for each URL (none when `hub` is None); failures are logged, not raised."""
    targets = list(urls)
    if hub is None or not targets:
        return PingResult((), ())
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        errors = list(
            pool.map(lambda url: ping_one(hub, url, attempts=attempts, sleep=sleep), targets)
        )
    failed = tuple((url, error) for url, error in zip(targets, errors, strict=True) if error)
    for url, error in failed:
        log.warning(
            "websub hub %(hub)s: ping for %(url)s failed: %(reason)s",
            fields(hub=hub, url=url, reason=error),
        )
    pinged = tuple(url for url, error in zip(targets, errors, strict=True) if not error)
    return PingResult(pinged, failed)
