"""Unicode's Default_Ignorable_Code_Point property, from the running Python's Unicode data.

A default-ignorable character is one a renderer shows as nothing when it does not support
it (soft hyphen, zero-width spaces and joiners, bidi marks and controls, variation
selectors, tags, fillers). Two names that differ only by such characters look the same,
so names and field keys are compared without them.

The property is defined in the Unicode Character Database (DerivedCoreProperties.txt) as
Other_Default_Ignorable_Code_Point + Cf + Variation_Selector - White_Space - FFF9..FFFB -
13430..1343F - Prepended_Concatenation_Mark. `unicodedata` gives the general category
(Cf) and white space; the three PropList.txt properties it has no lookup for are below.
`tests/test_ignorable.py` checks the result against the published table.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# PropList.txt: Other_Default_Ignorable_Code_Point and Variation_Selector (added to Cf).
_OTHER_DEFAULT_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x2065, 0x2065),
    (0x3164, 0x3164),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0000),
    (0xE0002, 0xE001F),
    (0xE0080, 0xE00FF),
    (0xE01F0, 0xE0FFF),
)
_VARIATION_SELECTOR = ((0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
# Format characters meant to be seen: interlinear annotation, Egyptian hieroglyph format
# controls, and PropList.txt's Prepended_Concatenation_Mark (Arabic number signs...).
_VISIBLE_FORMAT = (
    (0xFFF9, 0xFFFB),
    (0x13430, 0x1343F),
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
)
# Where Unicode puts format characters: the BMP, the SMP and plane 14 (tags, selectors).
# Planes 2-3 hold ideographs, 4-13 nothing, 15-16 private use; scanning only these three
# takes ~25 ms instead of ~150 ms, and the test scans every plane to check it.
FORMAT_PLANES = (range(0x0, 0x20000), range(0xE0000, 0xF0000))


def _code_points(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {code for first, last in ranges for code in range(first, last + 1)}


@functools.cache
def default_ignorable() -> frozenset[int]:
    """Every code point with the property Default_Ignorable_Code_Point (assigned or not)."""
    category = unicodedata.category
    formats = {code for plane in FORMAT_PLANES for code in plane if category(chr(code)) == "Cf"}
    found = formats | _code_points(_OTHER_DEFAULT_IGNORABLE) | _code_points(_VARIATION_SELECTOR)
    found -= _code_points(_VISIBLE_FORMAT)
    return frozenset(code for code in found if not chr(code).isspace())


@functools.cache
def ignorable_pattern() -> re.Pattern[str]:
    """A pattern matching one default-ignorable character."""
    codes = sorted(default_ignorable())
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)
    return re.compile(f"[{''.join(parts)}]")


def has_ignorable(text: str) -> bool:
    """Whether `text` holds a default-ignorable character (ASCII text holds none)."""
    return not text.isascii() and ignorable_pattern().search(text) is not None


def without_ignorable(text: str) -> str:
    """`text` with every default-ignorable character removed."""
    return text if text.isascii() else ignorable_pattern().sub("", text)
