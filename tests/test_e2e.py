"""End to end: build the bundled samples and read every output back as readers would."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from feeds.config import Config, parse_config
from feeds.model import BuildReport, FeedGroup, GroupKind
from feeds.pipeline import build
from tests.conftest import FIXED_NOW, REPO, assert_valid_atom, config_data

SAMPLES = REPO / "samples"
BASE_URL = "https://feeds.example.org/"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Config:
    data = config_data(content={"dir": str(SAMPLES)}, output={"dir": str(tmp_path / "public")})
    return parse_config(data, tmp_path / "feeds.yaml")


@pytest.fixture(name="report")
def _report(config: Config) -> BuildReport:
    return build(config, now=FIXED_NOW)


def output_files(config: Config) -> dict[str, bytes]:
    out = config.output.dir
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def feed_paths(group: FeedGroup) -> tuple[str, str]:
    prefix = f"{group.folder}/" if group.folder else ""
    return prefix + "rss.xml", prefix + "atom.xml"


def test_samples_produce_topic_provider_and_all_feeds(report: BuildReport, config: Config) -> None:
    kinds = {kind: [g for g in report.groups if g.kind is kind] for kind in GroupKind}
    assert len(kinds[GroupKind.ALL]) == 1
    assert len(kinds[GroupKind.TOPIC]) >= 8
    assert len(kinds[GroupKind.PROVIDER]) >= 6
    files = output_files(config)
    for group in report.groups:
        for path in feed_paths(group):
            assert path in files
    assert {"feeds.opml", "index.html"} <= set(files)


def test_every_feed_reads_back_as_written(report: BuildReport, config: Config) -> None:
    files = output_files(config)
    for group in report.groups:
        rss_path, atom_path = feed_paths(group)
        for path in (rss_path, atom_path):
            parsed = feedparser.parse(files[path])
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            assert [e.title for e in parsed.entries] == [a.title for a in group.items]
            assert [e.link for e in parsed.entries] == [a.url for a in group.items]
            assert [e.id for e in parsed.entries] == [a.id for a in group.items]
            assert [e.published_parsed[:6] for e in parsed.entries] == [
                a.published_at.timetuple()[:6] for a in group.items
            ]
        assert_valid_atom(files[atom_path])
        rss = feedparser.parse(files[rss_path])
        for entry, article in zip(rss.entries, group.items, strict=True):
            first = article.images[0] if article.images else None
            expected = [first.url] if first is not None and first.mime else []
            assert [e.href for e in entry.get("enclosures", [])] == expected
        atom = etree.fromstring(files[atom_path])
        for entry, article in zip(atom.findall("a:entry", ATOM), group.items, strict=True):
            related = [
                (x.get("href"), x.get("title"))
                for x in entry.findall("a:link[@rel='related']", ATOM)
            ]
            assert related == [(r.url, r.title) for r in article.related]
            enclosures = [x.get("href") for x in entry.findall("a:link[@rel='enclosure']", ATOM)]
            assert enclosures == [i.url for i in article.images]


def test_self_links_are_the_urls_the_files_are_served_at(
    report: BuildReport, config: Config
) -> None:
    files = output_files(config)
    for group in report.groups:
        for path in feed_paths(group):
            doc = etree.fromstring(files[path])
            (self_link,) = doc.xpath("//a:link[@rel='self']", namespaces=ATOM)
            assert self_link.get("href") == BASE_URL + path


def test_a_second_build_is_byte_identical_and_rewrites_nothing(config: Config) -> None:
    build(config, now=FIXED_NOW)
    before = output_files(config)
    mtimes = {p: p.stat().st_mtime_ns for p in config.output.dir.rglob("*")}
    second = build(config, now=FIXED_NOW)
    assert second.written == ()
    assert output_files(config) == before
    assert {p: p.stat().st_mtime_ns for p in config.output.dir.rglob("*")} == mtimes


def test_nothing_private_reaches_the_output(report: BuildReport, config: Config) -> None:
    secrets = set()
    for path in SAMPLES.rglob("*"):
        if path.is_file():
            secrets |= set(
                re.findall(
                    r'secured: "?([^"\n]+)', path.read_text(encoding="utf-8", errors="replace")
                )
            )
    assert len(secrets) >= 30
    everything = b"".join(output_files(config).values())
    for secret in secrets:
        assert secret.encode() not in everything
    assert b"SECRET-" not in everything
    assert b"internalNotes" not in everything
    assert b"javascript:" not in everything


def test_only_absolute_http_urls_are_published(report: BuildReport, config: Config) -> None:
    for path, content in output_files(config).items():
        if not path.endswith(".xml"):
            continue
        doc = etree.fromstring(content)
        urls = doc.xpath("//@href | //@url | //*[local-name()='link' and not(@href)]/text()")
        urls += [g.text for g in doc.iter("guid")]
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https"), (path, url)
            assert parts.netloc, (path, url)


def test_broken_samples_are_reported_and_the_rest_published(report: BuildReport) -> None:
    rejected = {p.path for p in report.problems if p.rejected}
    broken = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*_broken-*")}
    assert broken
    assert rejected == broken
    assert report.articles_selected > 20
    assert [p.path for p in report.problems] == sorted(p.path for p in report.problems)


def test_hidden_files_are_ignored(report: BuildReport) -> None:
    assert all(not a.path.startswith(".") for g in report.groups for a in g.items)
    assert not any(p.path.startswith(".") for p in report.problems)


def test_opml_lists_every_feed(report: BuildReport, config: Config) -> None:
    files = output_files(config)
    opml = etree.fromstring(files["feeds.opml"])
    assert opml.get("version") == "2.0"
    body = opml.find("body")
    top = [o.get("text") for o in body.findall("outline")]
    assert top == ["All articles", "Topics", "Providers"]
    xml_urls = [o.get("xmlUrl") for o in body.iter("outline") if o.get("type") == "rss"]
    assert len(xml_urls) == len(report.groups)
    for url in xml_urls:
        assert url.removeprefix(BASE_URL) in files
    index = files["index.html"].decode()
    assert (
        f'type="application/atom+xml" title="Test Site (Atom)" href="{BASE_URL}atom.xml"' in index
    )
    for group in report.groups:
        assert f'href="{BASE_URL}{feed_paths(group)[0]}"' in index
