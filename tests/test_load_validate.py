"""Reading and validating article files: which files a build reads, the nasty-input table
with the exact report lines a build gives, and how a file's fields become an Article."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feeds.load import parse_front_matter, read_document, split_front_matter
from feeds.model import Article, BuildReport, GroupKind, Problem, RawDoc, Validated
from feeds.scalars import parse_number, parse_published, to_utc
from feeds.validate import validate
from tests.kit import SECRET, article, feed_items, front_matter, make_site

PARIS = ZoneInfo("Europe/Paris")
UTC_ZONE = ZoneInfo("UTC")
MAX_BYTES = 4096


def parse_text(tmp_path: Path, text: str | bytes, tz: ZoneInfo = UTC_ZONE) -> Validated:
    """What reading and validating one file makes of it (the two stages, directly)."""
    path = tmp_path / "x.md"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    doc = read_document(tmp_path, "x.md", MAX_BYTES)
    return Validated(None, (doc,)) if isinstance(doc, Problem) else validate(doc, tz)


def article_file(**fields: Any) -> str:
    """The text of plain article 1 with `fields` overridden."""
    return front_matter(article(1, **fields))


def lines(result: Validated) -> list[str]:
    return [f"{'rejected' if p.rejected else 'warning'}: {p}" for p in result.problems]


def accepted(result: Validated) -> Article:
    assert result.article is not None, lines(result)
    return result.article


ALIAS_BOMB = (
    "---\n"
    + "\n".join(
        [f"a0: &a0 [{', '.join(['x'] * 9)}]"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)]
    )
    + "\ntitle: t\n---\n"
)

# id -> (the file: its text, or overrides of a plain article's fields; the report lines a
# build gives for it, each "rejected|warning: FIELD: MESSAGE").
NASTY: dict[str, tuple[str | bytes | dict[str, Any], list[str]]] = {
    "no front matter": (
        "just text\n",
        ["rejected: front matter: no YAML front matter between '---' lines"],
    ),
    "unclosed": (
        "---\ntitle: x\n",
        ["rejected: front matter: no YAML front matter between '---' lines"],
    ),
    "bad yaml": (
        "---\ntitle: [unclosed\n---\n",
        [
            "rejected: front matter: not valid YAML: did not find expected ',' or ']' (line 3, column 1)"
        ],
    ),
    "a list": (
        "---\n- a\n- b\n---\n",
        ["rejected: front matter: expected a mapping of fields, got a list"],
    ),
    "empty": ("---\n---\n", ["rejected: front matter: expected a mapping of fields, got empty"]),
    "python tag": (
        "---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\n",
        [
            "rejected: front matter: not valid YAML: could not determine a constructor for the tag "
            "(line 2, column 8)"
        ],
    ),
    "alias bomb": (
        ALIAS_BOMB,
        [
            "rejected: front matter: not valid YAML: alias replay limit exceeded: replayed 1000010, max 1000000"
        ],
    ),
    "deep nesting": (
        "---\ntitle: " + "[" * 2000 + "]" * 2000 + "\n---\n",
        [
            "rejected: front matter: not valid YAML: exceeded maximum nesting depth (line 2, column 1007)"
        ],
    ),
    "bad date": (
        {"publishedDateTime": "yesterday"},
        ["rejected: publishedDateTime: expected an ISO 8601 date-time, got 'yesterday'"],
    ),
    "number date": (
        {"publishedDateTime": 20231106},
        ["rejected: publishedDateTime: expected an ISO 8601 date-time, got a number (20231106)"],
    ),
    "no date": (
        {"publishedDateTime": None},
        ["rejected: publishedDateTime: missing; expected an ISO 8601 date-time"],
    ),
    "no title": (
        {"title": None},
        ["rejected: title: missing or empty; every article needs a title"],
    ),
    "markup-only title": (
        {"title": "<b></b>  "},
        ["rejected: title: missing or empty; every article needs a title"],
    ),
    "list title": ({"title": ["a"]}, ["rejected: title: expected text, got a list"]),
    "ftp url": (
        {"webUrl": "ftp://example.com/x", "originalUrl": None},
        ["rejected: webUrl: expected an absolute http(s) URL, got 'ftp://example.com/x'"],
    ),
    "javascript url": (
        {"webUrl": "javascript:alert(1)", "originalUrl": None},
        ["rejected: webUrl: expected an absolute http(s) URL, got 'javascript:alert(1)'"],
    ),
    "relative url": (
        {"webUrl": "/news/a", "originalUrl": None},
        ["rejected: webUrl: expected an absolute http(s) URL, got '/news/a'"],
    ),
    "no url": (
        {"webUrl": None, "originalUrl": None},
        ["rejected: webUrl: missing, and no originalUrl to fall back on"],
    ),
    "published typo": (
        {"published": "maybe"},
        ["rejected: published: expected true/false, yes/no or 1/0, got 'maybe'"],
    ),
    "published on": (
        {"published": "on"},
        ["rejected: published: expected true/false, yes/no or 1/0, got 'on'"],
    ),
    "quality word": (
        {"quality": "high"},
        ["warning: quality: expected a number, got 'high'; counted as 0"],
    ),
    "heat word": (
        {"heat": "hot"},
        ["warning: heat: expected a number, got 'hot'; the article has no heat"],
    ),
    "javascript image": (
        {"images": [{"url": "javascript:alert(1)"}]},
        [
            "warning: images[0].url: expected an http(s) URL, got 'javascript:alert(1)'; image dropped"
        ],
    ),
    "data image": (
        {"images": [{"url": "data:image/png;base64,AAAA"}]},
        [
            "warning: images[0].url: expected an http(s) URL, got 'data:image/png;base64,AAAA'; image dropped"
        ],
    ),
    "image without url": (
        {"images": [{"width": 3}]},
        ["warning: images[0].url: missing; image dropped"],
    ),
    "image not a mapping": (
        {"images": ["https://x.org/a.jpg"]},
        [
            "warning: images[0]: expected a mapping with a url, got 'https://x.org/a.jpg'; image dropped"
        ],
    ),
    "related without url": (
        {"related": [{"title": "Other"}]},
        ["warning: related[0].webUrl: missing; related item dropped"],
    ),
    "related without title": (
        {"related": [{"webUrl": "https://other.org/a"}]},
        ["warning: related[0].title: missing; related item dropped"],
    ),
    "bad original url": (
        {"originalUrl": "mailto:desk@example.com"},
        ["warning: originalUrl: expected an absolute http(s) URL, got 'mailto:desk@example.com'"],
    ),
    "several problems": (
        {"title": None, "publishedDateTime": "soon", "published": "perhaps"},
        [
            "rejected: title: missing or empty; every article needs a title",
            "rejected: publishedDateTime: expected an ISO 8601 date-time, got 'soon'",
            "rejected: published: expected true/false, yes/no or 1/0, got 'perhaps'",
        ],
    ),
    "not utf-8": (
        "---\ntitle: caf\xe9\n---\n".encode("latin-1"),
        ["rejected: file: not UTF-8 text (bad byte at offset 14)"],
    ),
}


def file_name(case: str) -> str:
    return case.replace(" ", "-") + ".md"


@dataclass(frozen=True)
class Checked:
    report: BuildReport
    published: set[str]  # the paths of the articles in the all-articles feed


@pytest.fixture(scope="module", name="checked")
def _checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """One build of every nasty file, each a plain article of its own but for its case, and
    of one file larger than content.max_bytes."""
    files: dict[str, Any] = {
        file_name(case): article(n, **text) if isinstance(text, dict) else text
        for n, (case, (text, _)) in enumerate(NASTY.items())
    }
    files["too-big.md"] = article(99, excerpt="x" * 5000)
    site = make_site(tmp_path_factory.mktemp("nasty"), files, content={"max_bytes": MAX_BYTES})
    report = site.build().report
    (everything,) = [g for g in report.groups if g.kind is GroupKind.ALL]
    return Checked(report, {a.path for a in feed_items(site.config(), everything)})


def report_lines(report: BuildReport, path: str) -> list[str]:
    return [
        f"{'rejected' if p.rejected else 'warning'}: {p.field}: {p.message}"
        for p in report.problems
        if p.path == path
    ]


@pytest.mark.parametrize("case", NASTY)
def test_nasty_input_gives_the_exact_report_lines(checked: Checked, case: str) -> None:
    """A build reports every problem of a file, and publishes it only with warnings."""
    expected = NASTY[case][1]
    assert report_lines(checked.report, file_name(case)) == expected
    rejected = any(line.startswith("rejected") for line in expected)
    assert (file_name(case) in checked.published) == (not rejected)


def test_counts_and_an_oversized_file(checked: Checked) -> None:
    (line,) = report_lines(checked.report, "too-big.md")
    assert line.startswith("rejected: file: ")
    assert line.endswith(f"bytes is larger than content.max_bytes ({MAX_BYTES})")
    rejected = [c for c, (_, lines) in NASTY.items() if lines[0].startswith("rejected")]
    assert checked.report.files_found == len(NASTY) + 1
    assert checked.report.rejected_files == len(rejected) + 1
    assert checked.report.articles_valid == len(NASTY) - len(rejected)
    assert len(checked.published) == checked.report.articles_selected == len(NASTY) - len(rejected)


def test_the_build_reads_matching_files_and_skips_dot_names(tmp_path: Path) -> None:
    """Files matching content.patterns (case counts) in every folder but dot-folders, no
    dot-files, symlinked files but not symlinked folders (reported); a broken link is reported."""
    names = [
        "a.md",
        "b.txt",
        "c.markdown",
        "d.html",
        "skip.json",
        "Z.MD",
        ".hidden.md",
        ".git/e.md",
        ".dot/z.md",
        "sub/f.md",
        "sub/.g/h.md",
        "sub/deeper/y.md",
        "sub2/w.md",
        "a/b.md",
    ]
    site = make_site(tmp_path, {name: article(n) for n, name in enumerate(names)})
    os.symlink(site.content / "sub", site.content / "linked-dir")
    os.symlink(site.content / "d.html", site.content / "linked.md")
    os.symlink(site.content / "missing.md", site.content / "broken.md")
    report = site.build().report
    found = ["a.md", "a/b.md", "b.txt", "c.markdown", "linked.md", "sub/deeper/y.md"]
    found += ["sub/f.md", "sub2/w.md"]
    (everything,) = [g for g in report.groups if g.kind is GroupKind.ALL]
    assert sorted(a.path for a in feed_items(site.config(), everything)) == found
    assert report.files_found == len(found) + 1
    broken, folder_link = report.problems
    assert (broken.path, broken.field, broken.rejected) == ("broken.md", "file", True)
    assert broken.message.startswith("cannot be read")
    assert (folder_link.path, folder_link.message) == (
        "linked-dir/",
        "a link to a folder; not followed",
    )


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    text = article_file(title="Crlf", publishedDateTime="2023-11-06T18:38:00Z")
    text = "\ufeff" + text.replace("\n", "\r\n")
    article = accepted(parse_text(tmp_path, text))
    assert article.title == "Crlf"
    assert article.published_at == datetime(2023, 11, 6, 18, 38, tzinfo=UTC)


def test_body_after_front_matter_is_ignored(tmp_path: Path) -> None:
    article = accepted(parse_text(tmp_path, article_file() + "\n# Body\n---\nmore: text\n"))
    assert article.title == "Article 1"


def test_article_fields_are_cleaned(tmp_path: Path) -> None:
    text = article_file(
        title="<b>Breaking</b>: Q&amp;A \x00on\x07 ]]> &lt;tags&gt;",
        excerpt="<p>One</p><p>Two &amp; three</p>",
        quality="77",
        topics="Science",
        webUrl="https://News.Example.com/a b?q=ü",
        originalUrl=None,
        images=[
            {"url": "/img/a.jpg", "width": 1200, "height": "630"},
            {"url": "https://cdn.example.com/p.webp?w=1&h=2", "width": -1},
            {"url": "https://cdn.example.com/photo"},
        ],
        related=[
            {
                "title": "Other &amp; more",
                "webUrl": "https://other.org/x",
                "ampWebUrl": "https://other.org/x/amp",
                "provider": {"name": "Other", "domain": "other.org"},
                "publishedDateTime": "2023-11-07T10:00:00+01:00",
            }
        ],
        internalNotes="do not publish",
    )
    article = accepted(parse_text(tmp_path, text))
    assert article.title == "Breaking: Q&A on ]]> <tags>"
    assert article.excerpt == "One Two & three"
    assert article.quality == 77
    assert article.topics == ("Science",)
    assert article.url == "https://news.example.com/a%20b?q=%C3%BC"
    assert article.id == article.url
    assert [(i.url, i.width, i.height, i.mime) for i in article.images] == [
        ("https://news.example.com/img/a.jpg", 1200, 630, "image/jpeg"),
        ("https://cdn.example.com/p.webp?w=1&h=2", None, None, "image/webp"),
        ("https://cdn.example.com/photo", None, None, None),
    ]
    (related,) = article.related
    assert (related.title, related.url, related.provider) == (
        "Other & more",
        "https://other.org/x",
        "Other",
    )
    assert related.published_at == datetime(2023, 11, 7, 9, 0, tzinfo=UTC)
    assert SECRET not in repr(article)
    assert "do not publish" not in repr(article)
    assert "x/amp" not in repr(article)


def test_provider_falls_back_to_the_url_host(tmp_path: Path) -> None:
    article = accepted(parse_text(tmp_path, article_file(provider=None)))
    assert (article.provider.name, article.provider.domain) == (
        "news.example.com",
        "news.example.com",
    )
    named = accepted(parse_text(tmp_path, article_file(provider={"name": "<i>Example</i>"})))
    assert (named.provider.name, named.provider.domain) == ("Example", "news.example.com")


def test_web_url_falls_back_to_original_url(tmp_path: Path) -> None:
    result = parse_text(tmp_path, article_file(webUrl="not a url", originalUrl="https://x.org/o"))
    assert lines(result) == [
        "warning: x.md: webUrl: expected an absolute http(s) URL, got 'not a url'; using originalUrl"
    ]
    article = accepted(result)
    assert (article.id, article.url) == ("https://x.org/o", "https://x.org/o")


def test_id_is_original_url_and_link_is_web_url(tmp_path: Path) -> None:
    article = accepted(
        parse_text(
            tmp_path, article_file(webUrl="https://m.x.org/a", originalUrl="https://x.org/a")
        )
    )
    assert (article.id, article.url) == ("https://x.org/a", "https://m.x.org/a")


def test_empty_topics_are_dropped(tmp_path: Path) -> None:
    article = accepted(parse_text(tmp_path, article_file(topics=["AI", "", "  ", "<b></b>", 2024])))
    assert article.topics == ("AI", "2024")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-06T18:38:00Z", datetime(2023, 11, 6, 18, 38, tzinfo=UTC)),
        ("2023-11-06T18:38:00+02:00", datetime(2023, 11, 6, 16, 38, tzinfo=UTC)),
        ("2023-11-06T18:38:00.123456Z", datetime(2023, 11, 6, 18, 38, tzinfo=UTC)),
        ("2023-11-06T18:38:00", datetime(2023, 11, 6, 17, 38, tzinfo=UTC)),  # Paris, CET
        ("2023-07-06T18:38:00", datetime(2023, 7, 6, 16, 38, tzinfo=UTC)),  # Paris, CEST
        ("2023-11-06", datetime(2023, 11, 5, 23, 0, tzinfo=UTC)),
        (datetime(2023, 11, 6, 18, 38), datetime(2023, 11, 6, 17, 38, tzinfo=UTC)),  # noqa: DTZ001 (naive on purpose)
        ("yesterday", None),
        ("06/11/2023", None),
        (1699295880, None),
        (1.5, None),
        (True, None),
        (None, None),
    ],
)
def test_dates_are_read_in_the_site_timezone(value: object, expected: datetime | None) -> None:
    assert to_utc(value, PARIS) == expected


def test_unquoted_yaml_dates_use_the_timezone_too(tmp_path: Path) -> None:
    text = "---\ntitle: t\nwebUrl: https://x.org/a\npublishedDateTime: 2023-11-06 09:30:00\n---\n"
    assert accepted(parse_text(tmp_path, text, PARIS)).published_at == datetime(
        2023, 11, 6, 8, 30, tzinfo=UTC
    )
    date_only = "---\ntitle: t\nwebUrl: https://x.org/a\npublishedDateTime: 2023-10-30\n---\n"
    assert accepted(parse_text(tmp_path, date_only, PARIS)).published_at == datetime(
        2023, 10, 29, 23, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (True, True),
        (False, False),
        ("yes", True),
        ("YES", True),
        ("No", False),
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        ("maybe", None),
        ("on", None),
        (2, None),
        ([], None),
    ],
)
def test_published_spellings(value: object, expected: bool | None) -> None:
    assert parse_published(value) == expected


def test_yaml_yes_is_a_string_that_publishes(tmp_path: Path) -> None:
    text = "---\ntitle: t\nwebUrl: https://x.org/a\npublishedDateTime: 2023-11-06\npublished: yes\n---\n"
    assert accepted(parse_text(tmp_path, text)).published is True
    raw = parse_front_matter("x.md", text)
    assert isinstance(raw, RawDoc)
    assert raw.data["published"] == "yes"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (77, 77),
        ("77", 77),
        (" 12.5 ", 12.5),
        (3.0, 3),
        ("high", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_quality_values(value: object, expected: float | None) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("12", 12), (0, 0), (3.5, 3.5), (-1, None), ("x", None)]
)
def test_heat_missing_negative_or_not_a_number_is_no_heat(
    tmp_path: Path, value: object, expected: float | None
) -> None:
    article = accepted(parse_text(tmp_path, article_file(heat=value)))
    assert article.heat == expected


def test_split_front_matter_accepts_dots_as_the_closing_line() -> None:
    assert split_front_matter("---\na: 1\n...\nbody") == "a: 1\n"
    assert split_front_matter("--- \na: 1\n---   \n") == "a: 1\n"
    assert split_front_matter("---a\n---\n") is None


def test_validate_never_reads_unknown_fields() -> None:
    class Exploding(dict[str, object]):
        def __getitem__(self, key: str) -> object:
            raise AssertionError(key)

    data = Exploding(
        title="t", webUrl="https://x.org/a", publishedDateTime="2023-11-06", secured=SECRET
    )
    result = validate(RawDoc("x.md", data), ZoneInfo("UTC"))
    assert result.problems == ()
    assert result.article is not None


def test_problem_renders_as_a_report_line() -> None:
    assert (
        str(Problem("2024/bad.md", "publishedDateTime", "expected x"))
        == "2024/bad.md: publishedDateTime: expected x"
    )


def test_an_icon_image_has_the_media_type_the_icon_is_served_with(tmp_path: Path) -> None:
    """Its registered type (RFC 6838 registry: image/vnd.microsoft.icon), in the feed as
    in the headers a served icon gets."""
    images = [{"url": "https://news.example.com/img/logo.ico"}]
    article = accepted(parse_text(tmp_path, article_file(images=images)))
    assert [image.mime for image in article.images] == ["image/vnd.microsoft.icon"]
