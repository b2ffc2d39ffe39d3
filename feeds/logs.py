"""The arguments of a library log line: its structured fields.

Library modules log plain messages, written as %-format strings over named fields::

    log.warning("%(path)s: unusable parse cache (%(reason)s); rebuilding it",
                fields(path=path, reason=exc))

The record's message reads as a sentence wherever it goes, and the fields stay on
`record.args` as a mapping, which the CLI's JSON formatter emits as keys. The CLI alone
adds the `warning: ` / `feeds: ` wording (see feeds/clitools.py).
"""

from __future__ import annotations


def fields(**values: object) -> dict[str, object]:
    """`values` as log arguments: numbers, booleans, None and strings kept, the rest str()."""
    return {
        key: value if value is None or isinstance(value, str | int | float) else str(value)
        for key, value in values.items()
    }
