"""Checkers for config values, each named in a key's declaration (`feeds.config.settings.setting`).

A checker turns a YAML value into its typed form or raises `Invalid` saying what was
expected; the reader reports that as 'dotted.path: expected ..., got ...'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from string import Formatter
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds import scalars
from feeds.text import not_an_http_url, strip_forbidden

Checker = Callable[[Any], Any]

TEMPLATE_FIELDS = ("name", "site")
# BCP 47 as RSS <language> and xml:lang want it: 'en', 'en-US', 'pt-BR', 'zh-Hant'.
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# YAML's words for the floats that are not numbers: Python's would read as text.
_NOT_FINITE = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}


class Invalid(Exception):
    """A checker's complaint about one value (becomes 'path: message')."""


def show(value: object) -> str:
    """A value as the config's YAML gives it: a string in double quotes (control
    characters escaped), a number, true or false, null or a date as written, and a list or
    mapping by what it is, never its contents (which would be Python's text)."""
    if isinstance(value, str):
        return f'"{_CONTROL.sub(_escaped, value)}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else _NOT_FINITE[repr(value)]
    if isinstance(value, int):
        shown = scalars.describe(value)  # which knows how long a number it can print
        return str(value) if shown.startswith("a number (") else shown
    if isinstance(value, date):
        return value.isoformat()
    return scalars.describe(value)


def _escaped(match: re.Match[str]) -> str:
    """A control character as a double-quoted YAML string writes it: no message line
    ever holds one raw."""
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def text(value: Any) -> str:
    """A non-empty string, stripped, of characters XML can carry (which every config text
    reaches: a title, a URL, a path in a message)."""
    if not isinstance(value, str) or not value.strip():
        msg = f"expected a non-empty string, got {show(value)}"
        raise Invalid(msg)
    if strip_forbidden(value) != value:
        msg = f"expected text without control characters, got {show(value)}"
        raise Invalid(msg)
    return value.strip()


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        msg = f"expected true or false, got {show(value)}"
        raise Invalid(msg)
    return value


def positive_int(high: int) -> Checker:
    """A checker accepting an integer from 1 to `high` (not a bool)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            msg = f"expected a positive integer, got {show(value)}"
            raise Invalid(msg)
        if value > high:
            msg = f"expected a positive integer of at most {high}, got {show(value)}"
            raise Invalid(msg)
        return value

    return check


def int_between(low: int, high: int) -> Checker:
    """A checker accepting an integer from `low` to `high` (not a bool)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            msg = f"expected an integer from {low} to {high}, got {show(value)}"
            raise Invalid(msg)
        return value

    return check


def number(value: Any) -> float:
    """A finite integer or float (not a bool): NaN compares false with everything, and an
    infinity would select all or nothing. (Integers are finite, however large.)"""
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        msg = f"expected a {'finite ' if isinstance(value, float) else ''}number, got {show(value)}"
        raise Invalid(msg)
    return value


def _finite(value: float) -> bool:
    # math.isfinite would overflow on an int too large for a float; every int is finite.
    return isinstance(value, int) or math.isfinite(value)


def text_list(value: Any) -> tuple[str, ...]:
    """A list of non-empty strings, each stripped."""
    if not isinstance(value, list):
        msg = f"expected a list of strings, got {show(value)}"
        raise Invalid(msg)
    return tuple(text(item) for item in value)


def choice(*allowed: str) -> Checker:
    """A checker accepting exactly one of `allowed`."""

    def check(value: Any) -> str:
        if value not in allowed:
            msg = f"expected one of {', '.join(allowed)}, got {show(value)}"
            raise Invalid(msg)
        return str(value)

    return check


def folder(value: Any) -> Path:
    """A folder's path (the config reader resolves it against the config file's folder)."""
    return Path(text(value))  # which refuses a NUL, which no file system takes


def http_url(value: Any) -> str:
    """An absolute http or https URL."""
    url = text(value)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed '[' of an IPv6 address, for one
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = not_an_http_url(show(value))
        raise Invalid(msg)
    return url


def base_url(value: Any) -> str:
    """An absolute http(s) URL ending with '/', so relative paths can be appended."""
    url = http_url(value)
    return url if url.endswith("/") else url + "/"


def language(value: Any) -> str:
    """A BCP 47 language tag."""
    tag = text(value)
    if not LANGUAGE_RE.fullmatch(tag):
        hint = f" (did you mean {tag.replace('_', '-')!r}?)" if "_" in tag else ""
        msg = f"expected a BCP 47 language tag such as 'en' or 'en-US', got {show(value)}{hint}"
        raise Invalid(msg)
    return tag


def timezone(value: Any) -> ZoneInfo:
    """An IANA time zone."""
    name = text(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"expected an IANA time zone name such as 'UTC' or 'Europe/Paris', got {show(value)}"
        raise Invalid(msg) from exc


def patterns(value: Any) -> tuple[str, ...]:
    """A non-empty list of file name patterns."""
    found = text_list(value)
    if not found:
        msg = "expected at least one file pattern such as '*.md'"
        raise Invalid(msg)
    return found


def template(value: Any) -> str:
    """A text with only {name} and {site} placeholders ('{{' and '}}' are literal braces)."""
    given = text(value)
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in Formatter().parse(given) if f is not None]
    except ValueError as exc:
        msg = f"not a valid template ({exc}); write {{{{ and }}}} for literal braces"
        raise Invalid(msg) from exc
    for placeholder, spec, conversion in fields:
        if placeholder not in TEMPLATE_FIELDS or spec or conversion:
            shown = "{" + placeholder + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            msg = f"unknown placeholder {shown} in {show(given)}; use {{name}} or {{site}}"
            raise Invalid(msg)
    return given


def header_value(value: Any) -> str:
    """One line of HTTP header text."""
    line = text(value)
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in line):
        msg = f"expected one line of header text, got {show(value)}"
        raise Invalid(msg)
    return line


def endpoint_url(value: Any) -> str:
    """An http(s) URL without credentials in it."""
    url = http_url(value)
    if "@" in urlsplit(url).netloc:
        msg = "credentials don't belong in the URL; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        raise Invalid(msg)
    return url


def prefix(value: Any) -> str:
    """An object key prefix: '' or '/'-separated segments ending with '/'."""
    if not isinstance(value, str):
        msg = f"expected a string such as 'feeds/', got {show(value)}"
        raise Invalid(msg)
    stripped = value.strip().strip("/")
    if stripped and any(part in ("", ".", "..") for part in stripped.split("/")):
        msg = f"expected key segments without '.', '..' or '//', got {show(value)}"
        raise Invalid(msg)
    return stripped + "/" if stripped else ""


def seconds_up_to(high: float) -> Checker:
    """A checker accepting a number of seconds above 0 and at most `high` (not a bool)."""

    def check(value: Any) -> float:
        # The comparison also turns away .nan and .inf, which YAML can spell.
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= high:
            msg = f"expected a number of seconds above 0 and at most {high:g}, got {show(value)}"
            raise Invalid(msg)
        return float(value)

    return check


def overlap(folder: Path, other: Path) -> str | None:
    """How `folder` and `other` (both resolved) overlap, in words, if they do."""
    if folder == other:
        return "is"
    if other.is_relative_to(folder):
        return "contains"
    return "lies inside" if folder.is_relative_to(other) else None


# A table or column name: lowercase, as PostgreSQL folds unquoted names, so the name in
# the config is the name an unquoted `CREATE TABLE` made. It is quoted in every statement.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def identifier(value: Any) -> str:
    """A lowercase SQL name (letters, digits, '_'; at most 63 characters, PostgreSQL's limit)."""
    name = text(value)
    if not _IDENTIFIER.fullmatch(name):
        msg = (
            "expected a lowercase SQL name (letters a-z, digits and '_', not starting with a "
            f"digit, at most 63 characters), got {show(value)}"
        )
        raise Invalid(msg)
    return name


def table_name(value: Any) -> str:
    """A table or view name, optionally schema-qualified (`feeds.articles`)."""
    name = text(value)
    try:
        return ".".join(identifier(part) for part in name.split(".", 1))
    except Invalid:
        msg = f"expected a lowercase SQL name, optionally schema.name, got {show(value)}"
        raise Invalid(msg) from None


def optional_column(value: Any) -> str | None:
    """A column name, or false: no such column."""
    if value is False:
        return None
    try:
        return identifier(value)
    except Invalid:
        msg = f"expected a lowercase SQL name, or false for no such column, got {show(value)}"
        raise Invalid(msg) from None


def store_url(value: Any) -> Path | str:
    """An article store: a SQLite file (`sqlite:///relative.db`, `sqlite:////abs.db`) as a
    Path, which the reader resolves like any folder, or a PostgreSQL URL as given."""
    url = text(value)
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        if not rest.startswith("/") or len(rest) < 2 or "?" in rest or "#" in rest:
            shown = show(value)
            msg = f"expected sqlite:///relative.db or sqlite:////absolute.db, got {shown}"
            raise Invalid(msg)
        return Path(rest[1:])
    if scheme not in ("postgresql", "postgres"):
        msg = f"expected a sqlite:/// or postgresql:// URL, got {show(value)}"
        raise Invalid(msg)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        msg = f"expected a postgresql:// URL, got {show(value)}"
        raise Invalid(msg) from exc
    if parts.password is not None or "password" in parts.query.lower():
        msg = (
            "a password does not belong in the config file; set PGPASSWORD, or use a "
            "password file (PGPASSFILE, ~/.pgpass) or a service file"
        )
        raise Invalid(msg)
    return url
