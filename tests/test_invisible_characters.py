"""Bidi controls and zero-width characters never reach the output: text loses them, and a
topic or provider name that loses any is reported (and dropped when nothing is left)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feeds.load import PARSERS
from feeds.text import plain_name, plain_text
from tests.kit import article, front_matter, make_site, snapshot

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u2060\ufeff"
JOINERS = "\u200c\u200d"
INVISIBLE = BIDI + ZERO_WIDTH


def file(data: dict[str, Any]) -> str:
    return front_matter(data, json_values=True)  # carries any character as an escape


def test_names_lose_invisible_characters_with_a_warning(tmp_path: Path) -> None:
    files = {
        "a.md": file(
            article(
                1,
                topics=["A\u200bI", "\u202eevil\u202c", "\u2066Space\u2069", "\u200b\u2060"],
                provider={"name": "BBC\u200d News", "domain": "bbc\u200b.co.uk"},
            )
        ),
        "b.md": file(article(2, topics=["AI", "&#x202E;Space"])),
    }
    site = make_site(tmp_path, files, site={"title": "T"})
    outcome = site.build()
    topics = sorted(path.name for path in (site.out / "topics").iterdir())
    assert topics == ["ai", "evil", "space"]
    assert sorted(p.name for p in (site.out / "providers").iterdir()) == [
        "bbc.co.uk",
        "news.example.com",
    ]
    provider = json.loads((site.out / "providers/bbc.co.uk/feed.json").read_text("utf-8"))
    assert provider["title"] == "T: BBC News"
    lines = [(p.path, p.field, p.message, p.rejected) for p in outcome.report.problems]
    removed = "invisible characters (bidi controls, zero-width) removed"
    assert lines == [
        ("a.md", "provider.name", f"{removed}; now 'BBC News'", False),
        ("a.md", "provider.domain", f"{removed}; now 'bbc.co.uk'", False),
        ("a.md", "topics[0]", f"{removed}; now 'AI'", False),
        ("a.md", "topics[1]", f"{removed}; now 'evil'", False),
        ("a.md", "topics[2]", f"{removed}; now 'Space'", False),
        ("a.md", "topics[3]", f"{removed}; nothing is left; dropped", False),
        ("b.md", "topics[1]", f"{removed}; now 'Space'", False),
    ]


def test_no_served_file_carries_a_bidi_control_or_zero_width_space(tmp_path: Path) -> None:
    hostile = f"x{BIDI}y{ZERO_WIDTH}z"
    data = article(
        1,
        title=f"Title {hostile}",
        excerpt=f"Excerpt {hostile}",
        category=hostile,
        topics=[hostile],
        provider={"name": hostile, "domain": hostile},
        related=[{"title": hostile, "webUrl": "https://o.example/1", "provider": hostile}],
    )
    site = make_site(tmp_path, {"a.md": file(data)})
    site.build()
    for name, content in snapshot(site.out).items():
        text = content.decode("utf-8")
        assert not set(text) & set(INVISIBLE), name
    rss = feedparser.parse((site.out / "rss.xml").read_bytes())
    assert rss.entries[0].title == "Title xyz"


def test_text_keeps_the_joiners_scripts_and_emoji_need(tmp_path: Path) -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a word
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    site = make_site(tmp_path, {"a.md": file(article(1, title=persian, excerpt=family))})
    outcome = site.build()
    assert outcome.report.problems == ()
    item = json.loads((site.out / "feed.json").read_text("utf-8"))["items"][0]
    assert (item["title"], item["summary"]) == (persian, family)


def test_the_cleaning_rules() -> None:
    assert plain_text(f"a {BIDI}b{ZERO_WIDTH} c") == "a b c"
    assert plain_text("a \u200b b") == "a b"  # no double space where one was removed
    assert plain_text(f"x{JOINERS}y") == f"x{JOINERS}y"
    assert plain_name(f"x{JOINERS}y") == ("xy", True)
    assert plain_name("x &#x2067;y") == ("x y", True)
    assert plain_name(" x ") == ("x", False)
    assert plain_name("<b>x</b>") == ("x", False)


DRAFT = (
    "---\ntitle: Draft\nwebUrl: https://n.example.com/draft\n"
    "publishedDateTime: 2023-11-01T10:00:00Z\n{key}: false\n---\n"
)
DISGUISED_KEYS = {
    "zero-width space after": "published\u200b",
    "no-break space before": '"\u00a0published"',
    "soft hyphen inside": "pub\u00adlished",
    "word joiner after": "published\u2060",
    "ideographic space after": '"published\u3000"',
    "fullwidth letters": "\uff50ublished",
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("key", DISGUISED_KEYS.values(), ids=DISGUISED_KEYS.keys())
def test_a_disguised_published_key_rejects_the_draft(tmp_path: Path, key: str, parser: str) -> None:
    site = make_site(tmp_path, {"draft.md": DRAFT.format(key=key), "ok.md": file(article(1))})
    outcome = site.build(parser=parser)
    assert outcome.report.articles_selected == 1
    assert "Draft" not in (site.out / "rss.xml").read_text("utf-8")
    [problem] = outcome.report.problems
    assert (problem.path, problem.field, problem.rejected) == ("draft.md", "published", True)
    assert problem.message.endswith("with invisible or space characters; write it as 'published'")
    result = site.cli("check")
    assert (result.exit_code, result.output) == (
        1,
        f"warning: draft.md: published: {problem.message}\n",
    )


@pytest.mark.parametrize("parser", PARSERS)
def test_a_bom_starting_a_line_rejects_the_file_under_every_parser(
    tmp_path: Path, parser: str
) -> None:
    site = make_site(tmp_path, {"draft.md": DRAFT.format(key="\ufeffpublished")})
    outcome = site.build(parser=parser)
    [problem] = outcome.report.problems
    assert (problem.field, problem.rejected) == ("front matter", True)
    assert problem.message == "not valid YAML: byte order mark U+FEFF starting line 5"


def test_an_unknown_key_that_reads_as_no_field_is_ignored(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": DRAFT.format(key="notes\u200b")})
    outcome = site.build()
    assert (outcome.report.articles_selected, outcome.report.problems) == (1, ())


LOOK_ALIKES = ["AI", "AI\u200e", "\u200fAI", "A\u00adI", "A\u034fI", "AI\u2064", "A\ufe0fI"]


def test_look_alike_topics_are_one_feed(tmp_path: Path) -> None:
    files = {f"{n}.md": file(article(n, topics=[topic])) for n, topic in enumerate(LOOK_ALIKES)}
    site = make_site(tmp_path, files)
    outcome = site.build()
    assert sorted(path.name for path in (site.out / "topics").iterdir()) == ["ai"]
    feed = json.loads((site.out / "topics/ai/feed.json").read_text("utf-8"))
    assert len(feed["items"]) == len(LOOK_ALIKES)
    removed = "invisible characters (bidi controls, zero-width) removed; now 'AI'"
    assert [(p.path, p.message) for p in outcome.report.problems] == [
        (f"{n}.md", removed) for n in range(1, len(LOOK_ALIKES))
    ]
