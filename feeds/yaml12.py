"""Make PyYAML's front-matter loader read scalars as YAML 1.2 (and yaml-rs) does.

Article front matter is read by yaml-rs (YAML 1.2) when it is installed and by PyYAML
(YAML 1.1) otherwise. These rules make the two agree on everything a front matter can
say, so the parser never decides what gets published:

- integers: `010` is ten (not octal eight), `0o17` is fifteen, `1:20` is text (not a
  sexagesimal 80), and any number of digits is a number; floats: `1e3` is a number (YAML
  1.1 wants a dot);
- a date that does not exist (`2023-02-30`, an offset of 99 hours) is text, not an error
  for the whole file;
- a key given twice in one mapping is an error (YAML 1.1 keeps the last silently);
- yaml-rs reads tags (`!!binary`, `!!python/...`, `!custom`) as plain data and merge keys
  (`<<`) as ordinary keys, and lets an anchor name given twice mean its last node, so a
  front matter containing `!`, `<<` or an anchor name twice is read by PyYAML, which
  refuses unknown tags and repeated anchors and knows merges; yaml-rs accepts sequences as mapping
  keys, which PyYAML refuses, so such a document is refused for both.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

NOT_YAML = "not valid YAML"  # how a reason about a YAML error starts, config or article

INT_TAG = "tag:yaml.org,2002:int"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_FLOAT_TAG = "tag:yaml.org,2002:float"

INT_RE = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


def yaml12_resolvers(resolvers: dict[Any, list[tuple[str, Any]]]) -> dict[Any, list[Any]]:
    """Implicit resolvers with YAML 1.1's int and float rules replaced by YAML 1.2's."""
    kept = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in (INT_TAG, _FLOAT_TAG)]
        for first, entries in resolvers.items()
    }
    for first in "-+0123456789":
        kept.setdefault(first, []).append((INT_TAG, INT_RE))
    for first in "-+0123456789.":
        kept.setdefault(first, []).append((_FLOAT_TAG, FLOAT_RE))
    return kept


def construct_int(loader: yaml.constructor.SafeConstructor, node: yaml.Node) -> int:
    """An integer by YAML 1.2's rules (a leading 0 is still decimal)."""
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * decimal(text)


# int() refuses longer decimal text (Python's guard against quadratic conversion); yaml-rs
# reads any length, and a 1 MB file of digits converts in half a second this way.
_INT_DIGITS = 4000


def decimal(digits: str) -> int:
    """The integer of a string of decimal digits, however many there are."""
    if len(digits) <= _INT_DIGITS:
        return int(digits, 10)
    half = len(digits) // 2
    high: int = decimal(digits[:half]) * 10 ** (len(digits) - half)
    return high + decimal(digits[half:])


def construct_timestamp(loader: yaml.constructor.SafeConstructor, node: yaml.Node) -> object:
    """A date or date-time as PyYAML reads it; the text itself when there is no such date."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)  # type: ignore[arg-type]


def construct_mapping(
    loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    """SafeConstructor's mapping, refusing a key given twice (merge keys aside)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable: SafeConstructor reports it below
            if duplicate:
                context, problem = "while constructing a mapping", f"found duplicate key {key!r}"
                raise yaml.constructor.ConstructorError(
                    context, node.start_mark, problem, key_node.start_mark
                )
    mapping: dict[Any, Any] = yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep)
    return mapping


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, refusing a key given twice (the config's loader)."""


UniqueKeyLoader.construct_mapping = construct_mapping  # type: ignore[assignment]


def install(loader_class: Any) -> None:
    """Give a SafeLoader subclass the YAML 1.2 scalar rules and duplicate-key refusal."""
    loader_class.yaml_implicit_resolvers = yaml12_resolvers(loader_class.yaml_implicit_resolvers)
    loader_class.add_constructor(INT_TAG, construct_int)
    loader_class.add_constructor(TIMESTAMP_TAG, construct_timestamp)
    loader_class.construct_mapping = construct_mapping


def needs_pyyaml(yaml_text: str) -> bool:
    """Whether a front matter uses what yaml-rs reads differently (tags, merge keys, an
    anchor given twice)."""
    return "!" in yaml_text or "<<" in yaml_text or has_repeated_anchor(yaml_text)


# An anchor starts a node: at the start of the text or after white space (line breaks
# included) or a flow indicator. In a URL ('?a=1&b=2') the '&' follows other text, so
# query strings are not taken for anchors. The pattern starts with the '&' itself, which
# the regex engine finds by a fast scan; a pattern that starts with the look-behind is
# tried at every position of the text, ~100x slower.
_ANCHOR = re.compile(r"&(?<![^\s\[{,]&)([^\s\[\]{},]+)")


def has_repeated_anchor(yaml_text: str) -> bool:
    """Whether some anchor name may be given twice: PyYAML refuses that, where yaml-rs
    (YAML 1.2) lets the second replace the first."""
    if "&" not in yaml_text:
        return False
    names = _ANCHOR.findall(yaml_text)
    return len(names) != len(set(names))


# A sequence can only be a key after an explicit '? ', as a flow '[...]:' or via an alias.
_MAY_HAVE_SEQUENCE_KEY = re.compile(r"\?(?:\s|$)|\]\s*:|\*")


def may_have_sequence_key(yaml_text: str) -> bool:
    """A cheap test on the text: False means no mapping in it can have a sequence key."""
    if "?" not in yaml_text and "]" not in yaml_text and "*" not in yaml_text:
        return False  # three scans for a character are ~3x faster than the search
    return _MAY_HAVE_SEQUENCE_KEY.search(yaml_text) is not None


def has_sequence_key(value: object) -> bool:
    """Whether any mapping in `value` has a sequence as a key (yaml-rs makes it a tuple)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, tuple):
                    return True
                stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
    return False
