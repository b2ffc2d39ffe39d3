"""How the library reports to whoever runs it: log lines with structured fields, and
progress counts. The library says what happened; the CLI chooses the words and whether to
draw a progress bar.

Library modules log plain messages, written as %-format strings over named fields::

    log.warning("%(path)s: unusable parse cache (%(reason)s); rebuilding it",
                fields(path=path, reason=exc))

The record's message reads as a sentence wherever it goes, and the fields stay on
`record.args` as a mapping, which the CLI's JSON formatter emits as keys. The CLI alone
adds the `warning: ` / `feeds: ` wording (see feeds/cli/console.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


def fields(**values: object) -> dict[str, object]:
    """`values` as log arguments: numbers, booleans, None and strings kept, the rest str()."""
    return {
        key: value if value is None or isinstance(value, str | int | float) else str(value)
        for key, value in values.items()
    }


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
