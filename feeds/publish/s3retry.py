"""Bounded S3 requests: each tried up to ATTEMPTS times, all of a publish within one budget.

botocore's own retries are off (the client makes one attempt per call): its "standard"
mode counts `max_attempts` as retries (6 tries, not 5), and its retry quota runs dry under
a burst of faults, after which every failed request is tried once only. Here every
request gets the same ATTEMPTS tries whatever the others went through, with exponential
backoff and full jitter, and no try starts once the publish's budget is spent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

ATTEMPTS = 5
# Per request: a stalled connection or read fails in seconds, not minutes, and is retried.
CONNECT_SECONDS = 5.0
READ_SECONDS = 20.0
THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout"})

T = TypeVar("T")


class BudgetSpent(Exception):
    """The publish's budget was spent before this request could start."""


@dataclass
class Deadline:
    """A publish's budget (`publish.s3.budget`) and its retry backoff (`publish.s3.backoff`)."""

    budget: float
    backoff: float
    end: float = field(init=False)

    def __post_init__(self) -> None:
        self.end = time.monotonic() + self.budget

    def left(self) -> float:
        """Seconds left (0 or less: spent)."""
        return self.end - time.monotonic()

    def spent(self) -> bool:
        """Whether no request may start any more."""
        return self.left() <= 0

    def reason(self) -> str:
        """Why requests stopped, in words."""
        return f"the publish budget (publish.s3.budget, {self.budget:g} s) is spent"


def transient(exc: Exception) -> bool:
    """Whether another try may succeed: a 5xx, throttling, or a connection that failed."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        return status >= 500 or status == 429 or code in THROTTLED
    return isinstance(exc, HTTPClientError | BotoConnectionError)


def call(deadline: Deadline, request: Callable[[], T]) -> T:
    """`request()`, tried up to ATTEMPTS times while it fails transiently.

    Raises BudgetSpent when the budget is spent before the first try, and the last
    failure when the tries run out or the next pause would outlast the budget.
    """
    if deadline.spent():
        raise BudgetSpent(deadline.reason())
    attempt = 0
    while True:
        try:
            return request()
        except (ClientError, BotoCoreError) as exc:
            pause = random.uniform(0, deadline.backoff * 2**attempt)
            attempt += 1
            if attempt == ATTEMPTS or not transient(exc) or pause >= deadline.left():
                raise
        time.sleep(pause)
