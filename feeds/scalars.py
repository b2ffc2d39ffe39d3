"""Read one YAML scalar as what an article field holds: a date, a flag or a number.

Each reader returns None for a value it cannot take, so its field's rule in
`feeds.validate` decides what that means (a rejection or a warning); `describe` renders the
value for the report line.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, tzinfo

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
# Numbers this long are shown by their length: Python refuses to print past 4,300 digits.
_SHOWN_DIGITS = 80
_SHOWN_LIMIT = 10**_SHOWN_DIGITS
_MAX_FLOAT = sys.float_info.max


def describe(value: object) -> str:
    """A short, terminal-safe rendering of a bad value for a report line."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) >= _SHOWN_LIMIT:
        return f"a number of more than {_SHOWN_DIGITS} digits"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def to_utc(value: object, tz: tzinfo) -> datetime | None:
    """An aware UTC datetime (whole seconds) from YAML's datetime, date or ISO 8601 text.

    Values without an offset are read in `tz`; a date alone is midnight there. Numbers and
    anything else return None: a bare number is far more often a mistake than a timestamp.
    """
    if isinstance(value, str):
        # Imported here: dateutil costs ~9 ms to import, and a run that parses no file
        # never reads a date.
        from dateutil.parser import isoparse

        try:
            value = isoparse(value.strip())
        except (ValueError, OverflowError):
            return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tzinfo=tz)
    else:
        return None
    try:
        return moment.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None


def parse_published(value: object) -> bool | None:
    """True/False for the spellings real data uses; None for anything else (a typo)."""
    if value is None:
        return True  # as in Jekyll and Hugo: no flag means published
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def parse_number(value: object) -> float | None:
    """A finite number (one a float can hold) from a number or numeric text; None when it
    is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int):
        return value if abs(value) <= _MAX_FLOAT else None
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() else value
    return None
