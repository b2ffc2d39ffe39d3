"""Zero findings: each W3C Feed Validator rule we rely on, checked on real output.

The corpus mixes plain articles, every hostile input of tests/nasty.py, two articles
published in the same second and one dated in the year 999. The last two produce the
only findings the README lists as unavoidable (DuplicateUpdated, ImplausibleDate).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from tests import rules
from tests.kit import NS, article, make_site
from tests.nasty import NASTY

SAME_SECOND = "2023-11-10T08:00:00Z"


# Sized images, so items have a media:thumbnail too.
IMAGES = [
    {"url": "https://img.example.com/card.jpg?w=1200&h=630", "width": 1200, "height": 630},
    {"url": "https://img.example.com/small.png", "width": 640, "height": 360},
]


def _corpus() -> dict[str, dict[str, object]]:
    files = {f"plain-{n}.md": article(n, images=IMAGES[n % 2 :]) for n in range(1, 7)}
    files |= {f"nasty-{name}.md": data for name, data in NASTY.items()}
    files["same-a.md"] = article(40, publishedDateTime=SAME_SECOND, topics=["Twins"])
    files["same-b.md"] = article(41, publishedDateTime=SAME_SECOND, topics=["Twins"])
    return files


SITE = {
    "logo": "https://news.example.org/logo.png",
    "icon": "https://news.example.org/icon.png",
    "ttl": 30,
    "copyright": "© Example & Co <2023>",
    "language": "en-GB",
    "websub_hub": "https://hub.example.org/",
}


@pytest.fixture(scope="module", name="out")
def _out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = make_site(tmp_path_factory.mktemp("rules"), _corpus(), site=SITE)
    built.build()
    return built.out


@pytest.fixture(scope="module", name="archived")
def _archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same corpus with archives, and live feeds so short that most items are in them."""
    feeds = {"max_items": 3, "archive": True, "archive_page_size": 2}
    built = make_site(tmp_path_factory.mktemp("archived"), _corpus(), site=SITE, feeds=feeds)
    built.build()
    assert len(list(built.out.glob("archive/*/atom.xml"))) > 5
    return built.out


# Custom feeds: ranked by heat, every article (the hostile ones too), one collection and
# one that nothing matches.
CUSTOM = [
    {"path": "top", "title": "Top <stories> & more", "order": "heat", "max_items": 4},
    {"path": "everything/newest", "title": "Everything", "content": "summary"},
    {"path": "collections/twins", "title": "Twins", "topics": {"any": ["twins"]}},
    {"path": "nothing", "title": "Nothing yet", "types": ["podcast"]},
]


@pytest.fixture(scope="module", name="curated")
def _curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same corpus with custom feeds, some of its articles with heat."""
    files = {
        name: {**data, "heat": n} if name.startswith(("plain", "same")) else data
        for n, (name, data) in enumerate(_corpus().items())
    }
    feeds = {"custom": CUSTOM}
    built = make_site(tmp_path_factory.mktemp("curated"), files, site=SITE, feeds=feeds)
    built.build()
    assert len(list((built.out / "top").glob("*"))) == 4
    return built.out


@pytest.mark.parametrize("rule", sorted(rules.RULES))
def test_rule_has_no_findings_in_custom_feeds(curated: Path, rule: str) -> None:
    """Custom feeds keep every rule too."""
    assert rules.RULES[rule](curated) == []


def test_custom_feeds_have_no_other_known_findings(curated: Path) -> None:
    """The twins, the year-999 article and the empty feed's fixed date: nothing else."""
    found = {finding.split(": ", 1)[1] for finding in rules.all_findings(curated)}
    assert found == {
        "DuplicateUpdated: 2023-11-10T08:00:00+00:00",
        "ImplausibleDate: 0999-01-02T03:04:05+00:00",
        "ImplausibleDate: Wed, 02 Jan 0999 03:04:05 +0000",
        "ImplausibleDate: 1970-01-01T00:00:00+00:00",
        "ImplausibleDate: Thu, 01 Jan 1970 00:00:00 +0000",
    }
    twins = [f for f in rules.duplicate_updated(curated) if f.startswith("collections/")]
    assert twins == ["collections/twins/atom.xml: DuplicateUpdated: 2023-11-10T08:00:00+00:00"]


@pytest.mark.parametrize("rule", sorted(rules.RULES))
def test_rule_has_no_findings(out: Path, rule: str) -> None:
    """Every relied-on rule holds on every RSS, Atom and JSON file of the corpus."""
    assert rules.RULES[rule](out) == []


@pytest.mark.parametrize("rule", sorted(rules.RULES))
def test_rule_has_no_findings_in_archives(archived: Path, rule: str) -> None:
    """And on every archive page, and every live feed linking them."""
    assert rules.RULES[rule](archived) == []


def test_archives_have_no_other_known_findings(archived: Path) -> None:
    """The twins and the year-999 article give the same findings, wherever they are."""
    found = {finding.split(": ", 1)[1] for finding in rules.all_findings(archived)}
    assert found == {
        "DuplicateUpdated: 2023-11-10T08:00:00+00:00",
        "ImplausibleDate: 0999-01-02T03:04:05+00:00",
        "ImplausibleDate: Wed, 02 Jan 0999 03:04:05 +0000",
    }


def test_known_findings_are_the_documented_ones(out: Path) -> None:
    """Only the two same-second articles and the year-999 one give (warning) findings."""
    twins = "2023-11-10T08:00:00+00:00"
    old_atom, old_rss = "0999-01-02T03:04:05+00:00", "Wed, 02 Jan 0999 03:04:05 +0000"
    assert rules.duplicate_updated(out) == [
        f"atom.xml: DuplicateUpdated: {twins}",
        f"providers/news.example.com/atom.xml: DuplicateUpdated: {twins}",
        f"topics/twins/atom.xml: DuplicateUpdated: {twins}",
    ]
    old_feeds = ["", "providers/news.example.com/", "topics/general/"]
    assert sorted(rules.implausible_date(out)) == sorted(
        [
            *[f"{feed}atom.xml: ImplausibleDate: {old_atom}" for feed in old_feeds for _ in "pu"],
            *[f"{feed}rss.xml: ImplausibleDate: {old_rss}" for feed in old_feeds],
        ]
    )


def test_channel_image_matches_channel(out: Path) -> None:
    """ImageTitleDoesntMatch / ImageLinkDoesntMatch: <image> repeats the channel's title, link."""
    for name, root in rules.rss_files(out):
        channel = root.find("channel")
        assert channel is not None
        assert channel.findtext("image/title") == channel.findtext("title"), name
        assert channel.findtext("image/link") == channel.findtext("link"), name
        assert channel.findtext("image/url") == "https://news.example.org/logo.png"
        assert channel.findtext("ttl") == "30"
        assert channel.findtext("copyright") == "© Example & Co <2023>"


def test_atom_logo_icon_rights(out: Path) -> None:
    """site.logo, site.icon and site.copyright become Atom logo, icon and rights."""
    root = etree.parse(str(out / "atom.xml")).getroot()
    assert root.findtext("atom:logo", namespaces=NS) == "https://news.example.org/logo.png"
    assert root.findtext("atom:icon", namespaces=NS) == "https://news.example.org/icon.png"
    assert root.findtext("atom:rights", namespaces=NS) == "© Example & Co <2023>"


def test_rss_years_have_four_digits(out: Path) -> None:
    """A year before 1000 is written '0999', which the RFC 2822 pattern requires."""
    raw = (out / "rss.xml").read_text(encoding="utf-8")
    assert "<pubDate>Wed, 02 Jan 0999 03:04:05 +0000</pubDate>" in raw


# The checks themselves must be able to fail: break a copy of the output and look.


def _broken_copy(out: Path, tmp_path: Path, file: str, old: bytes, new: bytes) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    path = copy / file
    content = path.read_bytes()
    assert old in content
    path.write_bytes(content.replace(old, new, 1))
    return copy


@pytest.mark.parametrize(
    ("rule", "file", "old", "new", "finding"),
    [
        (
            "self link",
            "rss.xml",
            b'href="https://feeds.example.org/rss.xml"',
            b'href="https://feeds.example.org/feed.rss"',
            "rss.xml: SelfDoesntMatchLocation: ['https://feeds.example.org/feed.rss']",
        ),
        ("undeclared html", "topics/ai/rss.xml", b"&#x26;", b"&amp;", "CharacterData: &amp;"),
        ("rfc822 dates", "rss.xml", b"0999", b"999", "ProblematicalRFC822Date"),
        ("guids", "rss.xml", b'isPermaLink="true"', b'isPermaLink="false"', "InvalidHttpGUID"),
        ("enclosures", "rss.xml", b'length="0"', b'length="None"', "MissingAttribute"),
        ("language", "atom.xml", b'xml:lang="en-GB"', b'xml:lang="en_GB"', "InvalidLanguage"),
        ("enclosures", "rss.xml", b'h=630" height="630"', b'h=630" height="630px"', "thumbnail"),
        (
            "absolute urls",
            "rss.xml",
            b'<source url="https://feeds.example.org/',
            b'<source url="/',
            "InvalidFullLink: /providers/",
        ),
    ],
)
def test_rule_detects_a_broken_file(
    out: Path, tmp_path: Path, rule: str, file: str, old: bytes, new: bytes, finding: str
) -> None:
    """Each check reports the fault it exists for when the output is broken on purpose."""
    copy = _broken_copy(out, tmp_path, file, old, new)
    assert any(finding in line for line in rules.RULES[rule](copy))
