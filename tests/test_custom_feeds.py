"""Custom feeds as subscribers and operators meet them: their files, ids and links, pages,
OPML and front page, per-kind caps, `feeds.min_items`, and what an edit re-renders."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from lxml import etree

from feeds.errors import InputError
from tests.kit import (
    BASE_URL,
    LONG_AGO_NS,
    NOW,
    Site,
    age,
    article,
    assert_valid_atom,
    make_site,
    mtimes,
    snapshot,
)

ATOM = {"a": "http://www.w3.org/2005/Atom"}
TOP = {"path": "top", "title": "Top stories", "order": "heat", "max_items": 2}
AI = {
    "path": "collections/ai",
    "title": "AI, no sport",
    "topics": {"any": ["AI", "Machine Learning"], "none": ["Sports"]},
    "min_quality": 30,
    "content": "summary",
}
NOTHING = {"path": "nothing", "title": "Nothing yet", "types": ["podcast"]}


def _files() -> dict[str, dict[str, Any]]:
    return {
        "1.md": article(1, topics=["AI"], heat=5, provider="alpha.example"),
        "2.md": article(2, topics=["ai", "Sports"], heat=9, provider="alpha.example"),
        "3.md": article(3, topics=["Machine-Learning"], quality=20, provider="beta.example"),
        "4.md": article(4, topics=["Climate"], heat=1, provider="beta.example"),
        "5.md": article(5, topics=["Climate"], provider="beta.example"),
    }


@pytest.fixture
def site(tmp_path: Path) -> Site:
    site = make_site(tmp_path, _files(), feeds={"custom": [TOP, AI, NOTHING]})
    site.build()
    return site


def _titles(out: Path, folder: str) -> list[str]:
    return [e.title for e in feedparser.parse((out / folder / "rss.xml").read_bytes()).entries]


def test_items_order_and_caps(site: Site) -> None:
    """Heat order: the hottest `max_items`, articles without heat left out; newest order:
    the newest matches, every condition holding."""
    assert _titles(site.out, "top") == ["Article 2", "Article 1"]
    assert _titles(site.out, "collections/ai") == ["Article 1"]


def test_a_feed_nothing_matches_is_written_valid_and_empty(site: Site) -> None:
    files = snapshot(site.out)
    assert {name for name in files if name.startswith("nothing/")} == {
        "nothing/rss.xml",
        "nothing/atom.xml",
        "nothing/feed.json",
        "nothing/index.html",
    }
    assert_valid_atom(files["nothing/atom.xml"])
    parsed = feedparser.parse(files["nothing/rss.xml"])
    assert not parsed.bozo
    assert parsed.entries == []
    assert json.loads(files["nothing/feed.json"])["items"] == []
    assert "No articles yet." in files["nothing/index.html"].decode()


def test_ids_and_links_follow_the_rules_of_every_feed(site: Site) -> None:
    """Atom id: the folder's URL; self links: where each file is served; alternate: the page."""
    folder_url = BASE_URL + "collections/ai/"
    atom = etree.fromstring((site.out / "collections/ai/atom.xml").read_bytes())
    assert atom.findtext("a:id", namespaces=ATOM) == folder_url
    assert atom.xpath("a:link[@rel='self']/@href", namespaces=ATOM) == [folder_url + "atom.xml"]
    assert atom.xpath("a:link[@rel='alternate']/@href", namespaces=ATOM) == [folder_url]
    assert atom.findtext("a:title", namespaces=ATOM) == "AI, no sport"
    assert atom.findtext("a:subtitle", namespaces=ATOM) == "AI, no sport on Test Site"
    rss = etree.fromstring((site.out / "collections/ai/rss.xml").read_bytes())
    assert rss.xpath("channel/a:link[@rel='self']/@href", namespaces=ATOM) == [
        folder_url + "rss.xml"
    ]
    doc = json.loads((site.out / "collections/ai/feed.json").read_text(encoding="utf-8"))
    assert (doc["feed_url"], doc["home_page_url"]) == (folder_url + "feed.json", folder_url)


def test_content_is_per_feed(site: Site) -> None:
    """`content: summary` on one custom feed: no HTML body there, the full body elsewhere."""
    summary = json.loads((site.out / "collections/ai/feed.json").read_text(encoding="utf-8"))
    full = json.loads((site.out / "topics/ai/feed.json").read_text(encoding="utf-8"))
    assert [sorted(i.keys() & {"content_html", "content_text"}) for i in summary["items"]] == [
        ["content_text"]
    ]
    assert all("content_html" in item for item in full["items"])
    assert b"content:encoded" not in (site.out / "collections/ai/rss.xml").read_bytes()


def test_pages_say_the_rule_in_words(site: Site) -> None:
    ai = lxml.html.fromstring((site.out / "collections/ai/index.html").read_bytes())
    assert ai.xpath("string(//p[@class='rule'])") == (
        "Topics: AI or Machine Learning, not Sports · quality ≥ 30"
    )
    assert ai.xpath("string(//p[@class='crumbs'])").endswith("> Custom feed")
    top = lxml.html.fromstring((site.out / "top/index.html").read_bytes())
    assert top.xpath("string(//p[@class='rule'])") == "Ranked by heat, hottest first"
    assert top.xpath("string(//main/h2[1])") == "Hottest articles (the hottest 2 of 3)"
    front = lxml.html.fromstring((site.out / "index.html").read_bytes())
    rules = front.xpath("//h3[text()='Custom feeds']/following-sibling::table[1]//small/text()")
    assert rules == [
        "Ranked by heat, hottest first",
        "Topics: AI or Machine Learning, not Sports · quality ≥ 30",
        "Types: podcast",
    ]


def test_opml_and_front_page_list_them_after_everything_in_config_order(site: Site) -> None:
    opml = etree.fromstring((site.out / "feeds.opml").read_bytes())
    sections = [o.get("text") for o in opml.xpath("body/outline")]
    assert sections == ["All articles", "Custom feeds", "Topics", "Providers"]
    assert opml.xpath("body/outline[@text='Custom feeds']/outline/@xmlUrl") == [
        BASE_URL + "top/rss.xml",
        BASE_URL + "collections/ai/rss.xml",
        BASE_URL + "nothing/rss.xml",
    ]
    front = lxml.html.fromstring((site.out / "index.html").read_bytes())
    assert front.xpath("//section[@class='directory']/h3/text()") == [
        "Everything",
        "Custom feeds",
        "Topics",
        "Providers",
    ]


def test_one_max_items_caps_every_kind_and_a_mapping_caps_each(tmp_path: Path) -> None:
    files = {f"{n}.md": article(n, heat=n, provider="alpha.example") for n in range(6)}
    custom = [{"path": "top", "title": "Top", "order": "heat"}]
    site = make_site(tmp_path / "one", files, feeds={"max_items": 2, "custom": custom})
    site.build()
    counts = {f: len(_titles(site.out, f)) for f in ("", "topics/ai", "providers/alpha.example")}
    assert counts | {"top": len(_titles(site.out, "top"))} == {
        "": 2,
        "topics/ai": 2,
        "providers/alpha.example": 2,
        "top": 2,
    }
    caps = {"all": 5, "topic": 4, "provider": 3, "custom": 1}
    site.configure(feeds={"max_items": caps})
    site.build()
    assert [len(_titles(site.out, f)) for f in ("", "topics/ai", "providers/alpha.example")] == [
        5,
        4,
        3,
    ]
    assert _titles(site.out, "top") == ["Article 5"]


def test_min_items_removes_small_topic_and_provider_feeds_only(site: Site) -> None:
    """With min_items 2 the topics and providers with one article go, files and folders,
    as a disappearing group's do; all-articles and custom feeds stay, even empty."""
    site.configure(feeds={"min_items": 2})
    outcome = site.build()
    folders = {path.rpartition("/")[0] for path in snapshot(site.out)}
    assert folders == {
        "",
        "top",
        "collections/ai",
        "nothing",
        "topics/ai",
        "topics/climate",
        "providers/alpha.example",
        "providers/beta.example",
    }
    assert {path.rpartition("/")[0] for path in outcome.deleted} == {
        "topics/sports",
        "topics/machine-learning",
    }
    assert not (site.out / "topics/sports").exists()


def test_an_edit_rerenders_exactly_the_custom_feeds_whose_items_change(site: Site) -> None:
    age(site.out)
    # Article 4 gets hotter than article 1: into 'top'; it is in no other custom feed.
    edited = article(4, title="Hot", topics=["Climate"], heat=7, provider="beta.example")
    site.write({"4.md": edited})
    outcome = site.build()
    assert (outcome.feeds_rendered, outcome.feeds_skipped) == (4, 6)
    changed = {path.rpartition("/")[0] for path in outcome.report.written}
    assert changed == {"", "top", "topics/climate", "providers/beta.example"}
    assert _titles(site.out, "top") == ["Article 2", "Hot"]
    times = mtimes(site.out)
    assert {p for p in snapshot(site.out) if times[p] != LONG_AGO_NS} == set(outcome.report.written)
    # Nothing changed since: nothing is written.
    assert site.build().report.written == ()


def test_an_article_leaves_a_custom_feed_when_it_grows_too_old(tmp_path: Path) -> None:
    """A custom feed's max_age_days is heeded by the run that finds nothing else changed."""
    files = {
        "old.md": article(1, publishedDateTime=NOW - timedelta(days=5)),
        "new.md": article(2, publishedDateTime=NOW - timedelta(days=1)),
    }
    week = {"path": "week", "title": "This week", "max_age_days": 7}
    site = make_site(tmp_path, files, feeds={"custom": [week]})
    site.build()
    assert _titles(site.out, "week") == ["Article 2", "Article 1"]
    later = NOW + timedelta(days=2, hours=1)
    assert site.build(now=NOW + timedelta(days=1)).report.written == ()
    site.build(now=later)
    assert _titles(site.out, "week") == ["Article 2"]
    assert snapshot(site.out) == _fresh(site, tmp_path / "fresh", later)


def _fresh(site: Site, root: Path, now: Any) -> dict[str, bytes]:
    content = {"dir": str(site.content)}
    fresh = make_site(root, **{**site.sections, "content": content})
    fresh.build(now=now, use_cache=False)
    return snapshot(fresh.out)


def test_custom_feeds_do_not_stop_the_refusal_to_empty_the_site(site: Site) -> None:
    """A rule that selects nothing would delete every topic and provider feed: refused, even
    though the custom feeds, always written, remain."""
    site.configure(select={"min_quality": 1000})
    with pytest.raises(InputError, match="refusing to delete all 6 topic and provider feeds"):
        site.build()


def test_the_headers_file_covers_custom_feeds(tmp_path: Path) -> None:
    custom = [{"path": "top", "title": "Top"}, {"path": "a/b/c", "title": "Deep"}]
    site = make_site(tmp_path, _files(), output={"headers_file": True}, feeds={"custom": custom})
    site.build()
    rules = (site.out / "_headers").read_text(encoding="utf-8")
    for path in ("/top/rss.xml", "/top/", "/a/b/c/feed.json", "/a/b/c/"):
        assert f"\n{path}\n" in rules


def test_custom_feeds_have_no_archive_pages(tmp_path: Path) -> None:
    """With `feeds.archive`, the built-in feeds get pages and the custom feeds none: their
    items are the config's to change, and a heat feed's are not in time order."""
    files = {f"{n}.md": article(n, heat=n) for n in range(1, 8)}
    custom = [{"path": "top", "title": "Top", "order": "heat"}, {"path": "all-ai", "title": "AI"}]
    caps = {"all": 3, "topic": 3, "provider": 3, "custom": 2}
    site = make_site(tmp_path, files, feeds={"archive": True, "max_items": caps, "custom": custom})
    site.build()
    folders = {path.rpartition("/")[0] for path in snapshot(site.out)}
    assert {"archive/1", "topics/ai/archive/1"} <= folders
    assert not [folder for folder in folders if folder.startswith(("top/", "all-ai/"))]
    rss = (site.out / "all-ai/rss.xml").read_bytes()
    assert b"prev-archive" not in rss
    assert _titles(site.out, "top") == ["Article 7", "Article 6"]
