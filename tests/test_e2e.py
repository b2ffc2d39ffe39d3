"""End to end: build the bundled samples and read every output back as readers would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from feeds.config import Config
from feeds.model import BuildReport, GroupKind, Listing
from tests.kit import (
    BASE_URL,
    SAMPLES,
    assert_valid_atom,
    feed_items,
    make_site,
    mtimes,
    snapshot,
)

ATOM = {"a": "http://www.w3.org/2005/Atom"}


@dataclass(frozen=True)
class Built:
    config: Config
    report: BuildReport
    files: dict[str, bytes]  # every file in the output folder, dot-files included


@pytest.fixture(scope="module", name="built")
def _built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    site = make_site(tmp_path_factory.mktemp("samples"), content={"dir": str(SAMPLES)})
    report = site.build().report
    files = {
        p.relative_to(site.out).as_posix(): p.read_bytes()
        for p in sorted(site.out.rglob("*"))
        if p.is_file()
    }
    return Built(site.config(), report, files)


def feed_paths(group: Listing) -> tuple[str, str]:
    prefix = f"{group.folder}/" if group.folder else ""
    return prefix + "rss.xml", prefix + "atom.xml"


def test_samples_produce_topic_provider_and_all_feeds(built: Built) -> None:
    kinds = {kind: [g for g in built.report.groups if g.kind is kind] for kind in GroupKind}
    assert len(kinds[GroupKind.ALL]) == 1
    assert len(kinds[GroupKind.TOPIC]) >= 8
    assert len(kinds[GroupKind.PROVIDER]) >= 6
    files = built.files
    for group in built.report.groups:
        for path in feed_paths(group):
            assert path in files
    assert {"feeds.opml", "index.html"} <= set(files)


def test_every_feed_reads_back_as_written(built: Built) -> None:
    files = built.files
    for group in built.report.groups:
        items = feed_items(built.config, group)
        rss_path, atom_path = feed_paths(group)
        for path in (rss_path, atom_path):
            parsed = feedparser.parse(files[path])
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
            assert [e.title for e in parsed.entries] == [a.title for a in items]
            assert [e.link for e in parsed.entries] == [a.url for a in items]
            assert [e.id for e in parsed.entries] == [a.id for a in items]
            assert [e.published_parsed[:6] for e in parsed.entries] == [
                a.published_at.timetuple()[:6] for a in items
            ]
        assert_valid_atom(files[atom_path])
        rss = feedparser.parse(files[rss_path])
        for entry, article in zip(rss.entries, items, strict=True):
            first = article.images[0] if article.images else None
            expected = [first.url] if first is not None and first.mime else []
            assert [e.href for e in entry.get("enclosures", [])] == expected
        atom = etree.fromstring(files[atom_path])
        for entry, article in zip(atom.findall("a:entry", ATOM), items, strict=True):
            related = [
                (x.get("href"), x.get("title"))
                for x in entry.findall("a:link[@rel='related']", ATOM)
            ]
            assert related == [(r.url, r.title) for r in article.related]
            enclosures = [x.get("href") for x in entry.findall("a:link[@rel='enclosure']", ATOM)]
            assert enclosures == [i.url for i in article.images]


def test_self_links_are_the_urls_the_files_are_served_at(built: Built) -> None:
    for group in built.report.groups:
        for path in feed_paths(group):
            doc = etree.fromstring(built.files[path])
            (self_link,) = doc.xpath("//a:link[@rel='self']", namespaces=ATOM)
            assert self_link.get("href") == BASE_URL + path


def test_a_second_build_is_byte_identical_and_rewrites_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, content={"dir": str(SAMPLES)})
    first = site.build()
    before, times = snapshot(site.out), mtimes(site.out)
    second = site.build()
    assert first.report.written
    assert second.report.written == ()
    assert sorted(second.report.unchanged) == sorted(first.report.written)
    assert snapshot(site.out) == before
    assert mtimes(site.out) == times


def test_nothing_private_reaches_the_output(built: Built) -> None:
    secrets = set()
    for path in SAMPLES.rglob("*"):
        if path.is_file():
            secrets |= set(
                re.findall(
                    r'secured: "?([^"\n]+)', path.read_text(encoding="utf-8", errors="replace")
                )
            )
    assert len(secrets) >= 30
    everything = b"".join(built.files.values())
    for secret in secrets:
        assert secret.encode() not in everything
    assert b"SECRET-" not in everything
    assert b"internalNotes" not in everything
    assert b"javascript:" not in everything


def test_only_absolute_http_urls_are_published(built: Built) -> None:
    for path, content in built.files.items():
        if not path.endswith(".xml"):
            continue
        doc = etree.fromstring(content)
        urls = doc.xpath("//@href | //@url | //*[local-name()='link' and not(@href)]/text()")
        urls += [g.text for g in doc.iter("guid")]
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https"), (path, url)
            assert parts.netloc, (path, url)


def test_broken_samples_are_reported_and_the_rest_published(built: Built) -> None:
    report = built.report
    rejected = {p.path for p in report.problems if p.rejected}
    broken = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*_broken-*")}
    assert broken
    assert rejected == broken
    assert report.articles_selected > 20
    assert [p.path for p in report.problems] == sorted(p.path for p in report.problems)


def test_hidden_files_are_ignored(built: Built) -> None:
    items = [a for group in built.report.groups for a in feed_items(built.config, group)]
    assert items
    assert all(not a.path.startswith(".") for a in items)
    assert not any(p.path.startswith(".") for p in built.report.problems)


def test_opml_lists_every_feed(built: Built) -> None:
    files, report = built.files, built.report
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
