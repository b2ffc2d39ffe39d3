"""The web page of each feed, the front page and the style sheet."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from lxml import etree

from feeds.render.frontpage import FRONT_PAGE_FEEDS
from tests.kit import BASE_URL, NS, SECRET, article, make_site, snapshot
from tests.nasty import NASTY


def _page(out: Path, folder: str = "") -> lxml.html.HtmlElement:
    return lxml.html.fromstring((out / folder / "index.html").read_bytes())


@pytest.fixture(scope="module", name="out")
def _out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pages")
    files = {f"plain-{n}.md": article(n) for n in range(1, 4)}
    files |= {f"nasty-{name}.md": data for name, data in NASTY.items()}
    site = make_site(root, files)
    site.build()
    return site.out


def test_a_page_in_every_topic_and_provider_folder(out: Path) -> None:
    """index.html sits beside every topic and provider feed; the root has the front page."""
    feed_folders = {p.parent for p in out.rglob("rss.xml")}
    assert {p.parent for p in out.rglob("index.html")} == feed_folders
    assert (out / "style.css").read_text(encoding="utf-8").startswith(":root")


def test_autodiscovery_links(out: Path) -> None:
    """Each page's head advertises its feed in RSS, Atom and JSON Feed, with absolute URLs."""
    for page in out.rglob("index.html"):
        folder = page.parent.relative_to(out).as_posix()
        prefix = BASE_URL + ("" if folder == "." else folder + "/")
        head = lxml.html.fromstring(page.read_bytes()).head
        links = [(a.get("type"), a.get("href")) for a in head.findall("link[@rel='alternate']")]
        assert links == [
            ("application/rss+xml", prefix + "rss.xml"),
            ("application/atom+xml", prefix + "atom.xml"),
            ("application/feed+json", prefix + "feed.json"),
        ]


def test_every_local_link_resolves(out: Path) -> None:
    """Every link on a page into the site (feeds, CSS, navigation) names an existing file,
    and a link within the page an element it has."""
    for page in [*out.rglob("index.html"), *out.glob("*.html")]:
        doc = lxml.html.fromstring(page.read_bytes())
        for url in doc.xpath("//@href | //@src"):
            if url.startswith("#"):
                assert doc.get_element_by_id(url[1:], None) is not None, f"{page}: {url}"
                continue
            if url.startswith(BASE_URL):
                url = str(out / url.removeprefix(BASE_URL))
            elif urlsplit(url).scheme:
                continue
            target = (page.parent / url).resolve()
            target = target / "index.html" if target.is_dir() else target
            assert target.is_file(), f"{page}: {url}"


def test_no_script_and_no_markup_from_articles(out: Path) -> None:
    """No script elements or event attributes, whatever the articles say."""
    for page in out.rglob("index.html"):
        doc = lxml.html.fromstring(page.read_bytes())
        assert doc.xpath("//script | //iframe | //style | //object") == []
        assert [a for a in doc.xpath("//@*") if a.attrname.startswith("on")] == []


def test_feed_page_lists_the_feed_items(out: Path) -> None:
    """Title, subscribe links and one entry per feed item with link, provider, date and
    related coverage, in feed order."""
    feed = json.loads((out / "topics/ai/feed.json").read_text(encoding="utf-8"))
    doc = _page(out, "topics/ai")
    assert doc.findtext(".//h1") == feed["title"] == "Test Site: AI"
    assert doc.xpath("//section[@class='subscribe']//a/@href") == [
        BASE_URL + "topics/ai/rss.xml",
        BASE_URL + "topics/ai/atom.xml",
        BASE_URL + "topics/ai/feed.json",
    ]
    items = doc.xpath("//li[@class='item']")
    assert [i.xpath("string(h3/a/@href)") for i in items] == [i["url"] for i in feed["items"]]
    plain = next(i for i in items if i.xpath("string(h3/a)") == "Article 3")
    assert plain.xpath("string(.//time/@datetime)") == "2023-11-04T03:03:00+00:00"
    assert plain.xpath("string(.//p[@class='byline'])") == "Example News · 4 Nov 2023, 03:03 UTC"
    assert plain.xpath("string(.//img/@src)") == "https://img.example.com/3.jpg?w=800&h=600"
    assert plain.xpath("string(.//p[@class='excerpt'])") == "Excerpt 3."
    assert plain.xpath(".//div[@class='related']//a/@href") == ["https://other.example.net/3"]


def test_front_page_lists_every_feed(out: Path) -> None:
    """The front page lists all feeds grouped as in the OPML, with counts, and links the OPML."""
    doc = _page(out)
    assert doc.xpath("//section[@class='directory']/h3/text()") == [
        "Everything",
        "Topics",
        "Providers",
    ]
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    rows = doc.xpath("//section[@class='directory']//tbody/tr")
    assert len(rows) == len(opml.xpath("//outline[@xmlUrl]"))
    names = [row.xpath("string(th)") for row in rows]
    assert names == ["All articles", *opml.xpath("//outline/outline/@text")]
    everything = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert rows[0].xpath("string(td[1])") == str(len(everything["items"])) == str(3 + len(NASTY))
    assert doc.xpath("//a[@href='feeds.opml']")


def test_feeds_link_to_their_pages(out: Path) -> None:
    """With pages on, channel link, Atom alternate, home_page_url and OPML htmlUrl are the page."""
    page = BASE_URL + "topics/ai/"
    rss = etree.parse(str(out / "topics/ai/rss.xml")).getroot()
    atom = etree.parse(str(out / "topics/ai/atom.xml")).getroot()
    home = json.loads((out / "topics/ai/feed.json").read_text(encoding="utf-8"))["home_page_url"]
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert rss.findtext("channel/link") == page
    assert atom.xpath("atom:link[@rel='alternate']/@href", namespaces=NS) == [page]
    assert home == page
    assert opml.xpath("//outline[@xmlUrl='" + page + "rss.xml']/@htmlUrl") == [page]
    assert etree.parse(str(out / "rss.xml")).getroot().findtext("channel/link") == BASE_URL


def test_pages_off(tmp_path: Path) -> None:
    """output.pages: false writes no feed pages and points feeds at site.link."""
    site = make_site(
        tmp_path,
        {"a.md": article(1)},
        site={"link": "https://news.example.org/"},
        output={"pages": False},
    )
    site.build()
    out = site.out
    assert [p.relative_to(out).as_posix() for p in out.rglob("index.html")] == ["index.html"]
    rss = etree.parse(str(out / "topics/ai/rss.xml")).getroot()
    assert rss.findtext("channel/link") == "https://news.example.org/"
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    assert set(opml.xpath("//outline/@htmlUrl")) == {"https://news.example.org/"}
    assert _page(out).xpath("//li[@class='item']") == []


def test_pages_follow_formats(tmp_path: Path) -> None:
    """Pages advertise and link only the formats that are built."""
    site = make_site(tmp_path, {"a.md": article(1)}, output={"formats": ["atom"]})
    site.build()
    doc = _page(site.out, "topics/ai")
    assert doc.xpath("//link[@rel='alternate']/@type") == ["application/atom+xml"]
    assert doc.xpath("//section[@class='subscribe']//a/@href") == [BASE_URL + "topics/ai/atom.xml"]


def test_page_text_is_escaped(tmp_path: Path) -> None:
    """A title that reads like markup shows as text; the source has it escaped."""
    title = "&lt;script&gt;alert(1)&lt;/script&gt; & <b>bold</b>"
    site = make_site(tmp_path, {"a.md": article(1, title=title)})
    site.build()
    raw = (site.out / "topics/ai/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; bold</a>" in raw
    doc = lxml.html.fromstring(raw)
    assert doc.xpath("string(//li[@class='item']/h3/a)") == "<script>alert(1)</script> & bold"


def test_front_page_without_all_feed(tmp_path: Path) -> None:
    """With feeds.all off, the front page still lists the other feeds and advertises none."""
    site = make_site(tmp_path, {"a.md": article(1)}, feeds={"all": False})
    site.build()
    doc = _page(site.out)
    assert doc.xpath("//link[@rel='alternate']") == []
    assert doc.xpath("//section[@class='directory']/h3/text()") == ["Topics", "Providers"]
    href = doc.xpath("string(//tbody/tr/th/a/@href)")
    assert urljoin(BASE_URL, href) == BASE_URL + "topics/ai/"


def test_empty_site(tmp_path: Path) -> None:
    """With nothing published, the front page says so and every file is still written."""
    site = make_site(tmp_path, {"a.md": article(1, published=False)})
    site.build()
    out = site.out
    doc = _page(out)
    assert doc.xpath("string(//main/p[last()])") == "No articles yet."
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"] == []
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "atom.xml",
        "favicon.svg",
        "feed.json",
        "feeds.opml",
        "index.html",
        "rss.xml",
        "style.css",
    ]


def test_no_private_field_reaches_any_file(out: Path) -> None:
    """Every article's `secured` field stays out of every file, dot-files included."""
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert SECRET.encode() not in everything
    assert b"SECRET-" not in everything


def test_no_rule_of_the_style_sheet_breaks_words_anywhere(out: Path) -> None:
    """Long words wrap only when they overflow (`break-word`): `anywhere` (or `break-all`)
    also shrinks table columns to a letter, which splits headers and numbers ('16/69')."""
    css = (out / "style.css").read_text(encoding="utf-8")
    wraps = re.findall(r"(?:overflow-wrap|word-wrap|word-break)\s*:\s*([\w-]+)", css)
    assert wraps
    assert set(wraps) == {"break-word"}


def test_subscribe_addresses_wrap_only_after_a_slash(out: Path) -> None:
    """A feed address may wrap between the names of its path, never inside one
    ('atom.xm' + 'l'), and copies as the whole URL."""
    for folder in ("", "topics/ai", "providers/news.example.com"):
        codes = _page(out, folder).xpath("//section[@class='subscribe']//code")
        urls = _page(out, folder).xpath("//section[@class='subscribe']//a/@href")
        assert [code.text_content() for code in codes] == urls
        for code, url in zip(codes, urls, strict=True):
            path = url.removeprefix("https://")
            breaks = [
                (w.getprevious().tail if w.getprevious() is not None else code.text) or ""
                for w in code.iter("wbr")
            ]
            assert len(breaks) == path.count("/")
            assert all(text.endswith("/") and not text.endswith("//") for text in breaks)


def _css_rules(css: str) -> dict[str, str]:
    """Each innermost rule of a style sheet: its selector and its declarations."""
    return {
        selector.strip(): body.strip()
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    }


def test_directory_tables_share_fixed_columns(out: Path) -> None:
    """The front page's tables lay out their columns from one fixed set, so that the
    columns of each table line up with those of the others, and the article counts sit
    right-aligned under a right-aligned header."""
    rules = _css_rules((out / "style.css").read_text(encoding="utf-8"))
    assert "table-layout: fixed" in rules["table"]
    tables = _page(out).xpath("//section[@class='directory']//table")
    assert len(tables) == 3
    columns = {tuple(str(col.get("class")) for col in t.xpath("colgroup/col")) for t in tables}
    assert len(columns) == 1
    (widths,) = columns
    assert all("width:" in rules[f"col.{name}"] for name in widths[1:])
    for table in tables:
        headers = table.xpath("thead/tr/th")
        assert len(headers) == len(widths)
        assert headers[1].text == "Articles"
        counts = table.xpath("tbody/tr/td[1]")
        assert {th.get("class") for th in [headers[1], *counts]} == {"num"}
    assert "text-align: right" in rules[".num"]


def test_every_page_declares_the_icon_the_build_writes(tmp_path: Path) -> None:
    """Every page names one icon, the SVG the build writes beside the style sheet, so no
    page view asks for a missing `/favicon.ico`; hosts serve it as image/svg+xml."""
    site = make_site(tmp_path, {"a.md": article(1)}, output={"headers_file": True})
    site.build()
    out = site.out
    pages = sorted(out.rglob("index.html"))
    assert len(pages) == 3
    for page in pages:
        (link,) = lxml.html.fromstring(page.read_bytes()).xpath("//head/link[@rel='icon']")
        assert (page.parent / link.get("href")).resolve() == out / "favicon.svg"
        assert link.get("type") == "image/svg+xml"
    icon = etree.fromstring((out / "favicon.svg").read_bytes())
    assert icon.tag == "{http://www.w3.org/2000/svg}svg"
    headers = (out / "_headers").read_text(encoding="utf-8")
    assert "/favicon.svg\n  Content-Type: image/svg+xml\n" in headers


def test_site_icon_is_the_icon_of_every_page(tmp_path: Path) -> None:
    """With `site.icon` every page names that URL and no icon file is written; one written
    before the key was set is deleted."""
    site = make_site(tmp_path, {"a.md": article(1)})
    site.build()
    assert (site.out / "favicon.svg").is_file()
    icon = "https://img.example.com/icon.png?size=32&v=2"
    site.configure(site={"icon": icon})
    site.build()
    for page in site.out.rglob("index.html"):
        doc = lxml.html.fromstring(page.read_bytes())
        assert doc.xpath("//head/link[@rel='icon']/@href") == [icon]
    assert not (site.out / "favicon.svg").exists()


def test_a_page_ranked_by_heat_shows_each_items_heat(tmp_path: Path) -> None:
    """The cards of a heat-ranked custom feed end their byline with the article's heat
    (as its `feed.json` gives it), hottest first; pages in date order show none."""
    files = {
        "a.md": article(1, heat=12.5),
        "b.md": article(2, heat=30),
        "c.md": article(3, heat=7),
        "d.md": article(4),
    }
    feed = {"path": "top", "title": "Top", "order": "heat"}
    site = make_site(tmp_path, files, feeds={"custom": [feed]})
    site.build()
    items = json.loads((site.out / "top/feed.json").read_text(encoding="utf-8"))["items"]
    heats = _page(site.out, "top").xpath("//p[@class='byline']/data")
    assert [data.text for data in heats] == ["heat 30", "heat 12.5", "heat 7"]
    assert [data.get("value") for data in heats] == [str(i["_feeds"]["heat"]) for i in items]
    for folder in ("", "topics/ai"):
        assert _page(site.out, folder).xpath("//*[@class='heat']") == []


def test_a_skip_link_leads_past_the_directory_to_the_articles(out: Path) -> None:
    """The front page's first link skips the directory of feeds to the newest articles."""
    doc = _page(out)
    first = doc.body.xpath(".//a")[0]
    assert (first.get("class"), first.text) == ("skip", "Skip to the newest articles")
    target = doc.get_element_by_id(first.get("href").removeprefix("#"))
    assert target.text.startswith("Newest articles")
    assert target.getnext().get("class") == "items"
    assert doc.xpath("//section[@class='directory']/following::*[@id='articles']") == [target]


def _names(doc: lxml.html.HtmlElement, section: str) -> list[str]:
    """The feed names in the front page's table of `section`."""
    table = f"//h3[text()='{section}']/following-sibling::*[1][self::table]"
    return [str(row.xpath("string(th)")) for row in doc.xpath(f"{table}/tbody/tr")]


def test_a_kind_with_too_many_feeds_is_listed_on_a_page_of_its_own(tmp_path: Path) -> None:
    """Beyond FRONT_PAGE_FEEDS providers the front page links `providers.html`, which
    lists them all; topics up to that many stay on the front page; the OPML lists every
    feed. The page goes once the providers are few enough again."""
    limit = FRONT_PAGE_FEEDS
    files = {
        f"{n}.md": article(n, provider=f"p{n:03d}.example", topics=[f"T{n % limit:03d}"])
        for n in range(limit + 1)
    }
    site = make_site(tmp_path, files)
    site.build()
    front = _page(site.out)
    opml = etree.parse(str(site.out / "feeds.opml")).getroot()
    assert len(opml.xpath("//outline[@xmlUrl]")) == 1 + limit + limit + 1
    topics = opml.xpath("//outline[@text='Topics']/outline/@text")
    providers = opml.xpath("//outline[@text='Providers']/outline/@text")
    assert _names(front, "Topics") == topics
    assert _names(front, "Providers") == []
    assert front.xpath("//h3[text()='Providers']/following-sibling::p[1]/a/@href") == [
        "providers.html"
    ]
    page = lxml.html.fromstring((site.out / "providers.html").read_bytes())
    rows = page.xpath("//table/tbody/tr")
    assert [str(row.xpath("string(th)")) for row in rows] == providers
    hrefs = [urljoin(BASE_URL, href) for row in rows for href in row.xpath("th/a/@href")]
    assert hrefs == opml.xpath("//outline[@text='Providers']/outline/@htmlUrl")
    assert page.xpath("//a[@href='feeds.opml']")
    assert page.xpath("//a[@href='./']")
    assert not (site.out / "topics.html").exists()

    (site.content / f"{limit}.md").unlink()
    site.build()
    assert not (site.out / "providers.html").exists()
    assert len(_names(_page(site.out), "Providers")) == limit
    assert snapshot(site.out) == site.fresh_output(tmp_path / "fresh")
