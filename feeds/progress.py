"""How the build reports progress: the library counts, the CLI decides whether to draw."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class Progress(Protocol):
    """A progress display: `advance(n)` after n more units of work."""

    def advance(self, n: int) -> None:
        """Count n more units done."""


# label, total units -> a context manager giving a Progress
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


class _NoProgress:
    def advance(self, n: int) -> None:
        pass


def no_progress(label: str, length: int) -> AbstractContextManager[Progress]:
    """The progress display for when nobody watches."""
    return nullcontext(_NoProgress())
