"""Default_Ignorable_Code_Point as feeds.ignorable derives it is Unicode's published table.

The table below is the property's lines of DerivedCoreProperties.txt for Unicode 14.0.0,
the version of Python 3.11's unicodedata (see tests/SOURCES.md for where it was copied
from). A newer Python's Unicode data may add characters; the test then says which.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from feeds.ignorable import FORMAT_PLANES, default_ignorable, without_ignorable

# `grep '; Default_Ignorable_Code_Point ' DerivedCoreProperties.txt | sed 's/;.*#/#/'`
UNICODE_14_TABLE = """\
00AD          # Cf       SOFT HYPHEN
034F          # Mn       COMBINING GRAPHEME JOINER
061C          # Cf       ARABIC LETTER MARK
115F..1160    # Lo   [2] HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
17B4..17B5    # Mn   [2] KHMER VOWEL INHERENT AQ..KHMER VOWEL INHERENT AA
180B..180D    # Mn   [3] MONGOLIAN FREE VARIATION SELECTOR ONE..MONGOLIAN FREE VARIATION SELECTOR THREE
180E          # Cf       MONGOLIAN VOWEL SEPARATOR
180F          # Mn       MONGOLIAN FREE VARIATION SELECTOR FOUR
200B..200F    # Cf   [5] ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
202A..202E    # Cf   [5] LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
2060..2064    # Cf   [5] WORD JOINER..INVISIBLE PLUS
2065          # Cn       <reserved-2065>
2066..206F    # Cf  [10] LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
3164          # Lo       HANGUL FILLER
FE00..FE0F    # Mn  [16] VARIATION SELECTOR-1..VARIATION SELECTOR-16
FEFF          # Cf       ZERO WIDTH NO-BREAK SPACE
FFA0          # Lo       HALFWIDTH HANGUL FILLER
FFF0..FFF8    # Cn   [9] <reserved-FFF0>..<reserved-FFF8>
1BCA0..1BCA3  # Cf   [4] SHORTHAND FORMAT LETTER OVERLAP..SHORTHAND FORMAT UP STEP
1D173..1D17A  # Cf   [8] MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
E0000         # Cn       <reserved-E0000>
E0001         # Cf       LANGUAGE TAG
E0002..E001F  # Cn  [30] <reserved-E0002>..<reserved-E001F>
E0020..E007F  # Cf  [96] TAG SPACE..CANCEL TAG
E0080..E00FF  # Cn [128] <reserved-E0080>..<reserved-E00FF>
E0100..E01EF  # Mn [240] VARIATION SELECTOR-17..VARIATION SELECTOR-256
E01F0..E0FFF  # Cn [3600] <reserved-E01F0>..<reserved-E0FFF>
"""


def published_table() -> set[int]:
    codes: set[int] = set()
    for line in UNICODE_14_TABLE.splitlines():
        found = re.match(r"([0-9A-F]+)(?:\.\.([0-9A-F]+))?\s", line)
        assert found is not None, line
        first = int(found[1], 16)
        codes.update(range(first, int(found[2] or found[1], 16) + 1))
    return codes


@pytest.mark.skipif(unicodedata.unidata_version != "14.0.0", reason="the table is Unicode 14.0")
def test_the_derived_property_is_the_published_table() -> None:
    derived = default_ignorable()
    table = published_table()
    assert sorted(derived - table) == []
    assert sorted(table - derived) == []
    assert len(derived) == 4174


def test_format_characters_lie_in_the_planes_scanned() -> None:
    scanned = {code for plane in FORMAT_PLANES for code in plane}
    formats = {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    assert sorted(formats - scanned) == []


def test_names_and_keys_lose_them() -> None:
    assert without_ignorable("A\u00adI\u034f\u2064\u200e\u200f\ufe0f\U000e0041") == "AI"
    assert without_ignorable("A\u00a0I\u0600") == "A\u00a0I\u0600"  # visible: kept
