"""Config keys declared once, as dataclass fields, and the reader that checks YAML against them.

A section is a frozen dataclass; each of its fields made by `setting()` is one key, with
its default (none: the key is required), the checker that turns the YAML value into the
field's value and the line the README's config table shows for it. A key whose type is
itself a section is a nested mapping (`output.cache_control`, `publish.s3`), read by the
same code, and so is each item of a key whose type is a tuple of sections (`feeds.custom`,
a list of mappings, its items' paths written `feeds.custom[1].path`). Every problem is
collected as 'dotted.path: message', so all are reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin, get_type_hints

from feeds.config.checks import Checker, Invalid, positive_int, show

_CREDENTIAL_HINT = (
    "credentials are never read from the config file; set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY in the environment, or use AWS_PROFILE or an instance role"
)
_CREDENTIAL_WORDS = ("access_key", "secret", "session_token", "password")


@dataclass(frozen=True, slots=True)
class Setting:
    """What `setting()` records about a key, beside its default."""

    check: Checker | None
    doc: str
    default_from: str | None
    expected: str
    credentials_hint: bool
    unique: str | None


def setting(
    default: Any = MISSING,
    /,
    *,
    check: Checker | None = None,
    doc: str = "",
    default_from: str | None = None,
    expected: str = "a mapping",
    credentials_hint: bool = False,
    unique: str | None = None,
) -> Any:
    """Declare one config key as a dataclass field.

    `default`: the value when the key is missing or null; without one the key is required,
    unless `default_from` names an earlier key of the section whose value it then takes.
    `check` turns the YAML value into the field's value or raises `Invalid`; a nested
    section needs none. `doc` is the key's line in the README's config table; a nested
    section without one is documented key by key. For a nested section, `expected` says
    what a value that is no mapping should have been, and `credentials_hint` answers
    unknown keys that look like credentials with where credentials go instead. For a list
    of sections, `unique` names a key whose value no two items may share (`path`).
    """
    spec = Setting(check, doc, default_from, expected, credentials_hint, unique)
    return field(default=default, metadata={"setting": spec})


def int_setting(default: int | None, high: int, doc: str) -> Any:
    """Declare an integer key from 1 to `high`: a value out of range is a config error
    stating the range, which the key's doc states too."""
    return setting(default, check=positive_int(high), doc=f"{doc} (1 to {high})")


class Key(NamedTuple):
    """One declared key of a section."""

    name: str
    spec: Setting
    default: Any  # MISSING: none
    section: type | None  # the dataclass of a nested section, or of each item of a list
    many: bool  # a list of sections (a tuple of them in Python)


@cache
def keys(cls: type) -> tuple[Key, ...]:
    """The keys section `cls` declares, in declaration order (the order messages list them)."""
    hints = get_type_hints(cls)
    found = []
    for f in fields(cls):
        if "setting" in f.metadata:
            section = _section_type(hints[f.name])
            many = section is not None and get_origin(hints[f.name]) is tuple
            found.append(Key(f.name, f.metadata["setting"], f.default, section, many))
    return tuple(found)


def _section_type(hint: Any) -> type | None:
    """The dataclass in a type hint such as `S3Target` or `Publish | None`, if any."""
    return next(
        (t for t in (hint, *get_args(hint)) if isinstance(t, type) and is_dataclass(t)), None
    )


def documented(cls: type, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Each documented key under section `cls` as (dotted path, doc line); the keys of a
    list's items follow the list's own line, as `feeds.custom[].path`."""
    for key in keys(cls):
        path = prefix + key.name
        if key.section is None or key.spec.doc:
            yield path, key.spec.doc
        if key.section is not None and key.many:
            yield from documented(key.section, path + "[].")
        elif key.section is not None and not key.spec.doc:
            yield from documented(key.section, path + ".")


class Reader:
    """Reads values against their declarations, collecting every problem in `problems`.

    A `Path` value (checked or default) is resolved against `folder`, the config file's.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[str] = []

    def value(self, key: Key, raw: object, path: str, default: Any) -> Any:
        """The value of `key` at `path` from YAML `raw` (None: missing); problems are noted."""
        if raw is None and is_dataclass(default):
            raw = {}  # read, not taken as is, so that paths among its defaults resolve too
        if raw is None:
            if default is MISSING and key.spec.default_from is None:
                self.problems.append(f"{path}: required, but missing")
            return None if default is MISSING else self._resolved(default)
        if key.many and key.section is not None:
            return self._items(key.section, raw, path, key.spec)
        if key.section is not None and (isinstance(raw, Mapping) or key.spec.check is None):
            base = default if is_dataclass(default) else None
            return self._section(key.section, raw, path, key.spec, base)
        assert key.spec.check is not None, f"{path} is declared without a checker"
        try:
            return self._resolved(key.spec.check(raw))
        except Invalid as exc:
            self.problems.append(f"{path}: {exc}")
            return None

    def _items(self, cls: type, data: object, path: str, spec: Setting) -> Any:
        """A list of sections `cls` at `path`, as a tuple; None after noting any problem."""
        if not isinstance(data, list):
            self.problems.append(f"{path}: expected a list of mappings, got {show(data)}")
            return None
        items = [self._section(cls, one, f"{path}[{n}]", spec, None) for n, one in enumerate(data)]
        if spec.unique is not None:
            self._shared(cls, data, path, spec.unique)
        return None if any(item is None for item in items) else tuple(items)

    def _shared(self, cls: type, data: list[object], path: str, name: str) -> None:
        """Note each item whose valid value of key `name` an earlier item has already (also
        when either item has other problems: every problem is reported at once)."""
        check = next(key.spec.check for key in keys(cls) if key.name == name)
        first: dict[object, int] = {}
        for index, item in enumerate(data):
            raw = item.get(name) if isinstance(item, Mapping) else None
            try:
                value = None if raw is None or check is None else check(raw)
            except Invalid:
                continue
            if value in first:
                self.problems.append(
                    f"{path}[{index}].{name}: {show(value)} is already the {name} of "
                    f"{path}[{first[value]}]"
                )
            elif value is not None:
                first[value] = index

    def _section(self, cls: type, data: object, path: str, spec: Setting, base: object) -> Any:
        """Section `cls` at `path` read from mapping `data`; None after noting any problem.

        A key left out takes its value from `base` (the holding key's default, which
        gives `feeds.titles` and `feeds.descriptions` their own defaults) when there is
        one, else its own default.
        """
        if not isinstance(data, Mapping):
            self.problems.append(f"{path}: expected {spec.expected}, got {show(data)}")
            return None
        before = len(self.problems)
        declared = keys(cls)
        known = [key.name for key in declared]
        for name in data:
            if name not in known:
                self.problems.append(f"{path}.{name}: {_unknown(name, known, spec)}")
        values = {
            key.name: self.value(
                key,
                data.get(key.name),
                f"{path}.{key.name}",
                key.default if base is None else getattr(base, key.name),
            )
            for key in declared
        }
        if len(self.problems) > before:
            return None
        for key in declared:
            if key.spec.default_from is not None and values[key.name] is None:
                values[key.name] = values[key.spec.default_from]
        return cls(**values)

    def _resolved(self, value: Any) -> Any:
        return (self.folder / value).resolve() if isinstance(value, Path) else value


def _unknown(name: object, known: list[str], spec: Setting) -> str:
    if spec.credentials_hint and any(word in str(name).lower() for word in _CREDENTIAL_WORDS):
        return _CREDENTIAL_HINT
    return f"unknown key (known keys: {', '.join(known)})"
