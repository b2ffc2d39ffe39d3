"""Frozen dataclasses as `marshal` bytes of plain tuples, and back, derived from their fields.

The parse cache stores articles, stubs and problems this way. marshal rather than pickle:
several times faster both ways for slotted dataclasses, and loading it runs no code, so a
tampered cache can at worst give wrong text, never a program. Encoders and decoders are
made once per class from its type hints, so a new field needs no code here, and
`layout_digest` changes with any field, which retires every cache made before.
"""

from __future__ import annotations

import hashlib
import marshal
import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Convert = Callable[[Any], Any]


class Undecodable(ValueError):
    """Bytes that are not what `pack` made: damaged, tampered with, or of another layout."""


def _identity(value: Any) -> Any:
    return value


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())  # validation makes every date whole UTC seconds


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _optional(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _each(convert: Convert) -> Convert:
    def each(values: Any) -> tuple[Any, ...]:
        return tuple(map(convert, values)) if type(values) is tuple else _bad(values)

    return each


@cache
def _converters(hint: Any, decode: bool) -> Convert:
    """The function that turns a value of type `hint` into plain data (or back)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _optional(_converters(inner, decode))
    if origin is tuple and args[0] in _PLAIN:
        return _plain_tuple(_PLAIN[args[0]]) if decode else _identity
    if origin is tuple:
        return _each(_converters(args[0], decode))
    if hint is datetime:
        return _moment if decode else _seconds
    if isinstance(hint, type) and is_dataclass(hint):
        return _decoder(hint) if decode else _encoder(hint)
    if decode and hint in _PLAIN:
        return _checked(_PLAIN[hint])
    return _identity


# What a decoded value of each plain type may be: stored data may have been tampered with.
_PLAIN: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}


def _plain_tuple(kinds: tuple[type, ...]) -> Convert:
    def check(values: Any) -> Any:
        if type(values) is tuple and all(isinstance(value, kinds) for value in values):
            return values
        return _bad(values)

    return check


def _checked(kinds: tuple[type, ...]) -> Convert:
    return lambda value: value if isinstance(value, kinds) else _bad(value)


def _field_converters(cls: type, decode: bool) -> list[tuple[str, Convert]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, _converters(hints[f.name], decode)) for f in fields(cls)]


def _encoder(cls: type) -> Convert:
    parts = _field_converters(cls, decode=False)
    return lambda value: tuple(convert(getattr(value, name)) for name, convert in parts)


def _decoder(cls: type) -> Convert:
    """A decoder for `cls`, written out as Python for this class (one call per value,
    not per field: decoding is the hot loop of an incremental run), that checks the
    shape and the type of every field."""
    hints = typing.get_type_hints(cls)
    scope: dict[str, Any] = {"cls": cls, "bad": _bad}
    args = []
    for i, f in enumerate(fields(cls)):
        hint = hints[f.name]
        if hint in _PLAIN:
            scope[f"k{i}"] = _PLAIN[hint]
            args.append(f"v[{i}] if isinstance(v[{i}], k{i}) else bad(v)")
        else:
            scope[f"c{i}"] = _converters(hint, True)
            args.append(f"c{i}(v[{i}])")
    source = (
        "def decode(v):\n"
        f"    if type(v) is not tuple or len(v) != {len(args)}:\n"
        "        bad(v)\n"
        f"    return cls({', '.join(args)})\n"
    )
    exec(source, scope)  # our own source, made from the class's fields
    decode: Convert = scope["decode"]
    return decode


def _bad(value: Any) -> Any:
    msg = f"not the stored form of a record: {type(value).__name__}"
    raise TypeError(msg)


def pack(value: object) -> bytes:
    """A frozen dataclass (of str, int, float, bool, datetime, tuples, optionals and other
    such dataclasses) as bytes."""
    kind: Any = type(value)  # any class: what a Hashable cache key needs
    return marshal.dumps(_converters(kind, decode=False)(value))


def unpack(cls: type[T], data: bytes) -> T:
    """The `cls` that `pack` made `data` from.

    Raises Undecodable when `data` is not such a value, down to the type of every field:
    stored bytes may have been damaged or tampered with.
    """
    kind: Any = cls
    try:
        value: T = _converters(kind, decode=True)(marshal.loads(data))
    except (ValueError, EOFError, TypeError) as exc:
        raise Undecodable(str(exc)) from exc
    return value


def _named_types(hint: Any) -> list[Any]:
    """`hint` and every type named inside it: tuple[Image, ...] gives tuple, Image, ..."""
    return [hint, *(inner for arg in typing.get_args(hint) for inner in _named_types(arg))]


def layout_digest(*classes: type) -> str:
    """A digest of the classes' field names and types, nested dataclasses included."""
    lines: list[str] = []
    todo, done = list(classes), set()
    while todo:
        cls = todo.pop(0)
        if cls in done:
            continue
        done.add(cls)
        for name, hint in typing.get_type_hints(cls).items():
            lines.append(f"{cls.__qualname__}.{name}: {hint}")
            todo += [t for t in _named_types(hint) if isinstance(t, type) and is_dataclass(t)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]
