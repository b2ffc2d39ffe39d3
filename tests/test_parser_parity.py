"""yaml-rs (the fast front-matter parser) and PyYAML's libyaml loader give the same records.

For every sample, every nasty input below and a generated corpus, both parsers must give
the same Article (or both reject the file on the same field). Where they differ on the
raw data (README: "Front-matter parsers"), validation must still end up the same.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from feeds.load import PARSERS, parse_front_matter
from feeds.model import Problem, Validated
from feeds.validate import validate
from tests.kit import REPO, SAMPLES, article, article_files, front_matter

UTC_TZ = __import__("zoneinfo").ZoneInfo("UTC")

pytestmark = pytest.mark.skipif("yaml-rs" not in PARSERS, reason="yaml-rs not installed")


def outcome(text: str, parser: str) -> tuple[object, ...]:
    """What the build makes of a file: the Article, or the fields it was rejected on."""
    doc = parse_front_matter("x.md", text, parser)
    result = Validated(None, (doc,)) if isinstance(doc, Problem) else validate(doc, UTC_TZ)
    rejected = sorted({(p.field, p.rejected) for p in result.problems})
    return (result.article, rejected if result.article is None else [])


def _front(body: str) -> str:
    return f"---\n{body}\n---\n"


BASE = 'title: "T"\nwebUrl: "https://n.example.com/a"\npublishedDateTime: 2026-10-01T10:00:00Z\n'
NASTY = {
    "alias bomb": _front(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        )
        + BASE
    ),
    "python tag on title": _front(
        BASE.replace('title: "T"', "title: !!python/object/apply:os.system [ls]")
    ),
    "unknown tag on title": _front(BASE.replace('title: "T"', "title: !custom [a, b]")),
    "binary tag on title": _front(BASE.replace('title: "T"', "title: !!binary aGVsbG8=")),
    "deep nesting": _front(BASE + "extra: " + "[" * 5000 + "]" * 5000),
    "published yes": _front(BASE + "published: yes"),
    "published on": _front(BASE + "published: on"),
    "published no": _front(BASE + "published: no"),
    "published True": _front(BASE + "published: True"),
    "published FALSE": _front(BASE + "published: FALSE"),
    "quality octal 010": _front(BASE + "quality: 010"),
    "quality 0o17": _front(BASE + "quality: 0o17"),
    "quality sexagesimal": _front(BASE + "quality: 1:20"),
    "quality 1_000": _front(BASE + "quality: 1_000"),
    "quality nan": _front(BASE + "quality: .nan"),
    "quality inf": _front(BASE + "quality: .inf"),
    "quality huge": _front(BASE + "quality: 1" + "0" * 400),
    "duplicate key": _front(BASE + 'title: "Again"'),
    "merge key": _front("base: &b {title: T}\n<<: *b\n" + BASE.replace('title: "T"\n', "")),
    "complex key": _front(BASE + "? [a, b]\n: c"),
    "naive date": _front(BASE.replace("2026-10-01T10:00:00Z", "2026-10-01 10:00:00")),
    "date only": _front(BASE.replace("2026-10-01T10:00:00Z", "2026-10-01")),
    "date with offset": _front(BASE.replace("2026-10-01T10:00:00Z", "2026-10-01T10:00:00+05:30")),
    "date fraction": _front(BASE.replace("2026-10-01T10:00:00Z", "2026-10-01T10:00:00.123456Z")),
    "date as quoted string": _front(BASE.replace("2026-10-01T10:00:00Z", '"2026-10-01T10:00:00Z"')),
    "title null": _front(BASE.replace('title: "T"', "title: ~")),
    "title number": _front(BASE.replace('title: "T"', "title: 12")),
    "tabs indent": _front(BASE + "provider:\n\tname: X"),
    "unclosed flow": _front(BASE + "topics: [a, b"),
    "scalar document": _front("just text"),
    "empty document": _front(""),
    "list document": _front("- a\n- b"),
    "control chars": _front(BASE + 'excerpt: "a\\u0001b\\u000bc"'),
    "non-BMP": _front(BASE.replace('title: "T"', 'title: "News 🚀 日本"')),
    "BOM and CRLF": "\ufeff" + _front(BASE).replace("\n", "\r\n"),
    "topics as mapping": _front(BASE + "topics: {a: 1}"),
    "images odd": _front(BASE + "images: [{url: 'https://i.example.com/a.jpg', width: '12'}]"),
    "related odd": _front(BASE + "related: [{title: R, webUrl: 'https://r.example.com/'}, 3]"),
    "anchors fine": _front("p: &p {name: P, domain: p.example.com}\nprovider: *p\n" + BASE),
    "multi document": _front(BASE + "---\nsecond: doc"),
    "secured only": _front(BASE + "secured: SECRET"),
    "long string": _front(BASE + "excerpt: " + "x" * 200_000),
    "quality 1e3": _front(BASE + "quality: 1e3"),
    "quality -010": _front(BASE + "quality: -010"),
    "quality 0x1F": _front(BASE + "quality: 0x1F"),
    "date no seconds": _front(BASE.replace("2026-10-01T10:00:00Z", "2026-10-01 10:00")),
    "title with exclamation": _front(BASE.replace('title: "T"', 'title: "Wow! <b>News</b>"')),
    "flow sequence key": _front(BASE + "provider: {[a, b]: c}"),
    "duplicate nested key": _front(BASE + "provider: {name: A, name: B}"),
    "NEL between fields": _front(BASE + "excerpt: E\x85published: false"),
    "LS between fields": _front(BASE + "excerpt: E\u2028published: false"),
    "PS between fields": _front(BASE + "excerpt: E\u2029published: false"),
    "LS in a quoted title": _front(BASE.replace('title: "T"', 'title: "A\u2028B"')),
    "BOM starting a key": _front(BASE + "\ufeffpublished: false"),
    "BOM alone on a line": _front(BASE + "\ufeff"),
    "BOM before indentation": _front("\ufeff  " + BASE),
    "BOM starting a quoted line": _front(BASE + 'excerpt: "a\n\ufeffb"'),
    "BOM inside a value": _front(BASE + "excerpt: a\ufeffb"),
    "zero-width space in published": _front(BASE + "published\u200b: false"),
    "soft hyphen in published": _front(BASE + "pub\u00adlished: false"),
    "anchor given twice": _front(BASE + "secured: [&s a, &s b]"),
    "anchor given twice, used": _front("p: &s {name: A}\nq: &s {name: B}\nprovider: *s\n" + BASE),
    "ampersands in urls": _front(BASE + "originalUrl: https://o.example/?a=1&b=2&b=2"),
}
# Every character YAML forbids in a stream (the C0 controls but tab, LF and CR; DEL; the
# C1 controls but NEL, which is refused with LS and PS as "NEL between fields" above),
# where yaml-rs once read on past a NUL to a `published: false`.
FORBIDDEN = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0x85)]
FORBIDDEN += range(0x86, 0xA0)
NASTY |= {
    f"control U+{code:04X}": _front(BASE + f"note: a{chr(code)}b\npublished: false")
    for code in FORBIDDEN
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_inputs_agree(name: str) -> None:
    text = NASTY[name]
    expected = outcome(text, "libyaml")
    assert outcome(text, "yaml-rs") == expected, name
    assert outcome(text, "pure-python") == expected, name


def test_rules_that_needed_aligning() -> None:
    """Spot checks that the aligned rules are the YAML 1.2 ones, not just equal."""
    assert outcome(NASTY["quality octal 010"], "libyaml")[0].quality == 10  # type: ignore[union-attr]
    assert outcome(NASTY["quality 1e3"], "yaml-rs")[0].quality == 1000  # type: ignore[union-attr]
    assert outcome(NASTY["duplicate key"], "libyaml") == (None, [("front matter", True)])
    assert outcome(NASTY["python tag on title"], "yaml-rs") == (None, [("front matter", True)])
    assert outcome(NASTY["complex key"], "yaml-rs") == (None, [("front matter", True)])
    for code in FORBIDDEN:
        verdict = parse_front_matter("x.md", NASTY[f"control U+{code:04X}"], "yaml-rs")
        assert isinstance(verdict, Problem)
        assert f"control character U+{code:04X} (line 5, column 8)" in verdict.message
    for name in ("NEL", "LS", "PS", "BOM starting a key", "BOM alone on a line"):
        assert outcome(NASTY[name if "BOM" in name else f"{name} between fields"], "libyaml") == (
            None,
            [("front matter", True)],
        )
    hidden = outcome(NASTY["zero-width space in published"], "yaml-rs")
    assert hidden == (None, [("published", True)])


def test_samples_agree() -> None:
    paths = article_files(SAMPLES)
    assert len(paths) > 40
    for path in paths:
        text = (SAMPLES / path).read_bytes().decode("utf-8", errors="replace")
        assert outcome(text, "yaml-rs") == outcome(text, "libyaml"), path


def test_generated_corpus_agrees(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "bench/make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    module.main(["400", str(tmp_path), "--seed", "7"])
    paths = article_files(tmp_path)
    assert len(paths) == 400
    accepted = 0
    for path in paths:
        text = (tmp_path / path).read_text(encoding="utf-8")
        fast, slow = outcome(text, "yaml-rs"), outcome(text, "libyaml")
        assert fast == slow, path
        accepted += fast[0] is not None
    assert accepted > 300


@pytest.mark.parametrize("json_values", [False, True])
def test_a_simple_article_is_the_same_under_every_parser(json_values: bool) -> None:
    text = front_matter(article(5, topics=["AI", "C++"]), json_values=json_values)
    results = {parser: outcome(text, parser) for parser in PARSERS}
    first = results["libyaml"]
    assert first[0] is not None
    assert all(result == first for result in results.values())
