"""Frozen slotted dataclasses as `marshal` bytes of plain tuples, and back, derived from
their fields.

The parse cache stores articles, stubs and problems this way. marshal rather than pickle:
several times faster both ways for slotted dataclasses, and loading it runs no code, so a
tampered cache can at worst give wrong text, never a program. Encoders and decoders are
made once per class from its type hints, so a new field needs no code here, and
`layout_digest` changes with any field, which retires every cache made before.

A field typed `Annotated[T, SHARED]` holds values that many records repeat (a provider,
a list of topics): equal stored values decode to one shared object, checked once.
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
from typing import Annotated, Any, TypeVar

T = TypeVar("T")
Convert = Callable[[Any], Any]
SHARED = "shared"  # the mark of `Annotated[T, SHARED]`
# Distinct values remembered per shared type: a corpus has a few thousand providers and
# some ten thousand lists of topics; past this the memo starts again (bounded memory).
SHARED_MAX = 1 << 17


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
    if origin is Annotated:
        inner = _converters(args[0], decode)
        return _shared(args[0], inner) if decode and SHARED in args[1:] else inner
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


def _shared(hint: Any, convert: Convert) -> Convert:
    """`convert`, remembering what it made: a stored value equal to one seen before gives
    the same object. Only for values made of text, where equal means of the same types
    too, so that what passed the checks once passes them again."""
    if not _text_only(hint):
        msg = f"only values made of str can be shared, not {hint}"
        raise TypeError(msg)
    memo: dict[Any, Any] = {}

    def shared(value: Any) -> Any:
        found = memo.get(value)  # an unhashable (tampered) value raises TypeError
        if found is None:
            if len(memo) >= SHARED_MAX:
                memo.clear()
            found = memo[value] = convert(value)
        return found

    return shared


def _text_only(hint: Any) -> bool:
    """Whether values of `hint` are made of str only: str, tuple[str, ...], or dataclasses
    of such fields."""
    if isinstance(hint, type) and is_dataclass(hint):
        return all(map(_text_only, typing.get_type_hints(hint).values()))
    if typing.get_origin(hint) is tuple:
        return typing.get_args(hint)[1:] == (...,) and _text_only(typing.get_args(hint)[0])
    return hint is str


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
    shape and the type of every field.

    It sets the slots directly: a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`, which cost a third of decoding a stub."""
    hints = typing.get_type_hints(cls, include_extras=True)
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "bad": _bad}
    scope |= {"moment": datetime.fromtimestamp, "UTC": UTC}
    sets = []
    for i, f in enumerate(fields(cls)):
        scope[f"set{i}"] = getattr(cls, f.name).__set__  # the slot's descriptor
        sets.append(f"    set{i}(o, {_field_source(hints[f.name], f'v{i}', scope)})\n")
    source = (
        "def decode(value):\n"
        f"    if type(value) is not tuple or len(value) != {len(sets)}:\n"
        "        bad(value)\n"
        f"    {''.join(f'v{i}, ' for i in range(len(sets)))}= value\n"
        "    o = new(cls)\n"
        f"{''.join(sets)}"
        "    return o\n"
    )
    exec(source, scope)  # our own source, made from the class's fields
    decode: Convert = scope["decode"]
    return decode


def _field_source(hint: Any, name: str, scope: dict[str, Any]) -> str:
    """The expression that decodes the value in variable `name`, of type `hint`: written
    out for plain types, optional ones and dates, else a call of its converter."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _PLAIN:
        scope[f"k_{name}"] = _PLAIN[hint]
        return f"{name} if isinstance({name}, k_{name}) else bad({name})"
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and args[1] is type(None):
        return f"None if {name} is None else {_field_source(args[0], name, scope)}"
    if hint is datetime:
        return f"moment({name}, UTC)"
    scope[f"c_{name}"] = _converters(hint, True)
    return f"c_{name}({name})"


def _bad(value: Any) -> Any:
    msg = f"not the stored form of a record: {type(value).__name__}"
    raise TypeError(msg)


def _plain(value: object) -> Any:
    """A frozen dataclass as the plain tuples that marshal writes."""
    kind: Any = type(value)  # any class: what a Hashable cache key needs
    return _converters(kind, decode=False)(value)


def pack(value: object) -> bytes:
    """A frozen dataclass (of str, int, float, bool, datetime, tuples, optionals and other
    such dataclasses) as bytes."""
    return marshal.dumps(_plain(value))


def pack_with_digest(value: object) -> tuple[bytes, str]:
    """`pack(value)`, and a digest of the value: equal values, equal digests.

    The digest is of the plain data in marshal's version 0, which writes a value alone:
    the current version also records which objects the value shares and which strings
    are interned, so equal values may pack to different bytes.
    """
    plain = _plain(value)
    digest = hashlib.blake2b(marshal.dumps(plain, 0), digest_size=16).hexdigest()
    return marshal.dumps(plain), digest


def unpack(cls: type[T], data: bytes) -> T:
    """The `cls` that `pack` made `data` from.

    Raises Undecodable when `data` is not such a value, down to the type of every field:
    stored bytes may have been damaged or tampered with.
    """
    kind: Any = cls
    decode = _converters(kind, decode=True)  # out of the try: a bad class is no bad data
    try:
        value: T = decode(marshal.loads(data))
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
