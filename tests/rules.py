"""The W3C Feed Validation Service rules our feeds rely on, re-checked on real output.

Each rule is a function from the output folder to a list of findings ('FILE: RULE: detail');
an empty list means the rule holds. Rule names are the validator's message classes
(w3c/feedvalidator `src/feedvalidator/logging.py`), so a finding reads like the validator's.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
from lxml import etree

from tests.kit import ATOM_SCHEMA, NOW, NS, served_url

# The validator's RFC 2822 pattern (validators.py class rfc822): four-digit year only.
RFC2822 = re.compile(
    r"(((Mon)|(Tue)|(Wed)|(Thu)|(Fri)|(Sat)|(Sun)), )?\d\d? ((Jan)|(Feb)|(Mar)|(Apr)|(May)|"
    r"(Jun)|(Jul)|(Aug)|(Sep)|(Oct)|(Nov)|(Dec)) \d\d\d\d \d\d:\d\d(:\d\d)? "
    r"(([+-]?\d\d[03]0)|(UT)|(GMT)|(EST)|(EDT)|(CST)|(CDT)|(MST)|(MDT)|(PST)|(PDT)|Z)$"
)
# The validator's W3C-DTF pattern (validators.py class w3cdtf), as RFC 3339 needs.
W3CDTF = re.compile(r"^\d\d\d\d(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d*)?)?(Z|([+-]\d\d:\d\d)))?)?)?$")
# RFC 3986 characters; anything else in a published URL must be percent-encoded.
URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
PLAUSIBLE_FROM = datetime.fromisoformat("1990-01-01T00:00:00+00:00")


def _rel(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()


def rss_files(out: Path) -> Iterator[tuple[str, etree._Element]]:
    """(relative path, parsed root) of every RSS file."""
    for path in sorted(out.rglob("rss.xml")):
        yield _rel(out, path), etree.parse(str(path)).getroot()


def atom_files(out: Path) -> Iterator[tuple[str, etree._Element]]:
    """(relative path, parsed root) of every Atom file."""
    for path in sorted(out.rglob("atom.xml")):
        yield _rel(out, path), etree.parse(str(path)).getroot()


def json_files(out: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(relative path, parsed document) of every JSON Feed file."""
    for path in sorted(out.rglob("feed.json")):
        yield _rel(out, path), json.loads(path.read_text(encoding="utf-8"))


def is_http_url(url: str | None) -> bool:
    """An absolute http(s) URL with a host and only RFC 3986 characters."""
    if not url or not URI_CHARS.fullmatch(url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def self_link(out: Path) -> list[str]:
    """SelfDoesntMatchLocation: exactly one rel=self, equal to the URL the file is served at."""
    found = []
    for name, root in rss_files(out):
        selfs = root.xpath("channel/atom:link[@rel='self']/@href", namespaces=NS)
        if selfs != [served_url(out, out / name)]:
            found.append(f"{name}: SelfDoesntMatchLocation: {selfs}")
    for name, root in atom_files(out):
        selfs = root.xpath("atom:link[@rel='self']/@href", namespaces=NS)
        if selfs != [served_url(out, out / name)]:
            found.append(f"{name}: SelfDoesntMatchLocation: {selfs}")
    for name, doc in json_files(out):
        if doc.get("feed_url") != served_url(out, out / name):
            found.append(f"{name}: feed_url: {doc.get('feed_url')}")
    return found


def duplicate_atom_link(out: Path) -> list[str]:
    """DuplicateAtomLink: at most one rel=alternate link per type and hreflang (RFC 4287)."""
    found = []
    for name, root in atom_files(out):
        for parent in [root, *root.findall("atom:entry", NS)]:
            keys = Counter(
                (link.get("type"), link.get("hreflang"))
                for link in parent.findall("atom:link", NS)
                if link.get("rel", "alternate") == "alternate"
            )
            found += [f"{name}: DuplicateAtomLink: {key}" for key, n in keys.items() if n > 1]
    return found


def media_group(out: Path) -> list[str]:
    """MediaGroupWithoutAlternatives: no media:group (our images are not alternatives)."""
    return [
        f"{name}: MediaGroupWithoutAlternatives"
        for name, root in rss_files(out)
        if root.xpath("//media:group", namespaces=NS)
    ]


def enclosures(out: Path) -> list[str]:
    """DuplicateEnclosure, MissingAttribute, UseZeroForUnknown: one complete enclosure."""
    found = []
    for name, root in rss_files(out):
        for item in root.iter("item"):
            found += [f"{name}: DuplicateEnclosure"] if len(item.findall("enclosure")) > 1 else []
            for enclosure in item.findall("enclosure"):
                url, length, mime = (enclosure.get(a) for a in ("url", "length", "type"))
                if not is_http_url(url) or not (length or "").isdigit() or not mime:
                    found.append(f"{name}: MissingAttribute: {dict(enclosure.attrib)}")
        for media in root.xpath("//media:content | //media:thumbnail", namespaces=NS):
            values = [media.get(a, "") for a in ("width", "height")]
            if not is_http_url(media.get("url")) or any(v and not v.isdigit() for v in values):
                found.append(f"{name}: {media.tag}: {dict(media.attrib)}")
    return found


def rfc822_dates(out: Path) -> list[str]:
    """ProblematicalRFC822Date / IncorrectDOW: RFC 2822 dates, four-digit year, right weekday."""
    found = []
    for name, root in rss_files(out):
        for element in root.xpath("//pubDate | //lastBuildDate"):
            text = element.text or ""
            if not RFC2822.match(text):
                found.append(f"{name}: ProblematicalRFC822Date: {text}")
            elif parsedate_to_datetime(text).strftime("%a") != text[:3]:
                found.append(f"{name}: IncorrectDOW: {text}")
    return found


def rfc3339_dates(out: Path) -> list[str]:
    """InvalidRFC3339Date: Atom and JSON Feed dates in RFC 3339 with a zone."""
    found = []
    for name, root in atom_files(out):
        for element in root.xpath("//atom:updated | //atom:published", namespaces=NS):
            if not W3CDTF.match(element.text or ""):
                found.append(f"{name}: InvalidRFC3339Date: {element.text}")
    for name, doc in json_files(out):
        for item in doc["items"]:
            if not W3CDTF.match(item["date_published"]):
                found.append(f"{name}: date_published: {item['date_published']}")
    return found


def guids(out: Path) -> list[str]:
    """InvalidHttpGUID / DuplicateValue: a unique guid; isPermaLink='true' only for the link."""
    found = []
    for name, root in rss_files(out):
        seen: set[str] = set()
        for item in root.iter("item"):
            guid = item.find("guid")
            text = guid.text if guid is not None else None
            if guid is None or not text or text in seen:
                found.append(f"{name}: DuplicateValue guid: {text}")
                continue
            seen.add(text)
            permalink = guid.get("isPermaLink", "true") == "true"
            if permalink != (text == item.findtext("link")) or not is_http_url(text):
                found.append(f"{name}: InvalidHttpGUID: {text} isPermaLink={permalink}")
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for key, value in attrs if key in ("href", "src")]


def html_links(html: str) -> _Links:
    """The tags and href/src values of an HTML fragment."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser


def _html_bodies(out: Path) -> Iterator[tuple[str, str]]:
    for name, root in rss_files(out):
        for element in root.xpath("//content:encoded | //item/description", namespaces=NS):
            yield name, element.text or ""
    for name, root in atom_files(out):
        for element in root.xpath("//atom:content | //atom:summary", namespaces=NS):
            yield name, element.text or ""
    for name, doc in json_files(out):
        for item in doc["items"]:
            yield name, item.get("content_html", "")


def absolute_urls(out: Path) -> list[str]:
    """ContainsRelRef / InvalidFullLink: every URL, in elements and inside HTML, absolute."""
    found = []
    for name, html in _html_bodies(out):
        found += [
            f"{name}: ContainsRelRef: {u}" for u in html_links(html).urls if not is_http_url(u)
        ]
    for name, root in rss_files(out):
        urls = root.xpath(
            "//link/text() | //guid/text() | //enclosure/@url | //atom:link/@href"
            " | //source/@url | //media:thumbnail/@url",
            namespaces=NS,
        )
        found += [f"{name}: InvalidFullLink: {u}" for u in urls if not is_http_url(u)]
    for name, root in atom_files(out):
        urls = root.xpath(
            "//atom:link/@href | //atom:id/text() | //atom:logo/text() | //media:thumbnail/@url",
            namespaces=NS,
        )
        found += [f"{name}: InvalidFullLink: {u}" for u in urls if not is_http_url(u)]
    for name, doc in json_files(out):
        urls = [
            doc["home_page_url"],
            doc["feed_url"],
            *([doc["next_url"]] if "next_url" in doc else []),
        ]
        for item in doc["items"]:
            urls += [item["url"], *(a["url"] for a in item.get("attachments", []))]
            urls += [r["url"] for r in item.get("_feeds", {}).get("related", [])]
        found += [f"{name}: invalid URL: {u}" for u in urls if not is_http_url(u)]
    return found


def language(out: Path) -> list[str]:
    """InvalidLanguage: a BCP 47 tag ('en-GB', never 'en_GB') in RSS, Atom and JSON Feed."""
    found = []
    for name, root in rss_files(out):
        tag = root.findtext("channel/language") or ""
        found += [] if LANGUAGE.fullmatch(tag) else [f"{name}: InvalidLanguage: {tag}"]
    for name, root in atom_files(out):
        tag = root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
        found += [] if LANGUAGE.fullmatch(tag) else [f"{name}: InvalidLanguage: {tag}"]
    for name, doc in json_files(out):
        found += [] if LANGUAGE.fullmatch(doc["language"]) else [f"{name}: language"]
    return found


def undeclared_html(out: Path) -> list[str]:
    """CharacterData, ContainsUndeclaredHTML, NotHtml: '&' and '<' in text only as hex
    references; Atom summary/content declare type="html"; HTML bodies parse as HTML."""
    found = []
    for path in [*out.rglob("rss.xml"), *out.rglob("atom.xml")]:
        raw = path.read_bytes()
        for entity in (b"&amp;", b"&lt;"):
            if entity in raw:
                found.append(f"{_rel(out, path)}: CharacterData: {entity.decode()}")
    for name, root in atom_files(out):
        for element in root.xpath("//atom:content | //atom:summary", namespaces=NS):
            if element.get("type") != "html":
                found.append(
                    f"{name}: ContainsUndeclaredHTML: {element.tag} type={element.get('type')}"
                )
        for element in root.xpath("//atom:title | //atom:rights", namespaces=NS):
            if element.get("type", "text") != "text":
                found.append(f"{name}: title type {element.get('type')}")
    for name, html in _html_bodies(out):
        tags = set(html_links(html).tags) - {"p", "img", "a", "ul", "li", "strong"}
        found += [f"{name}: NotHtml: unexpected <{tag}>" for tag in sorted(tags)]
    return found


def atom_structure(out: Path) -> list[str]:
    """MissingElement (RFC 4287 4.1.1/4.1.2): RELAX NG schema, a feed author, and an
    alternate link in every entry (the schema's Schematron rules, which it cannot check)."""
    found = []
    for name, root in atom_files(out):
        if not ATOM_SCHEMA.validate(root.getroottree()):
            found.append(f"{name}: schema: {ATOM_SCHEMA.error_log.last_error}")
        if not (root.findtext("atom:author/atom:name", namespaces=NS) or "").strip():
            found.append(f"{name}: MissingElement: author")
        for entry in root.findall("atom:entry", NS):
            if not entry.xpath("atom:link[not(@rel) or @rel='alternate']", namespaces=NS):
                found.append(f"{name}: MissingElement: alternate link")
    return found


def feed_dates(out: Path) -> list[str]:
    """lastBuildDate / updated equal the newest item's date (never the clock, never older)."""
    found = []
    for name, root in rss_files(out):
        dates = [parsedate_to_datetime(d) for d in root.xpath("//item/pubDate/text()")]
        built = parsedate_to_datetime(root.findtext("channel/lastBuildDate") or "")
        if dates and built != max(dates):
            found.append(f"{name}: lastBuildDate {built} != newest item {max(dates)}")
    for name, root in atom_files(out):
        dates = [
            datetime.fromisoformat(d)
            for d in root.xpath("atom:entry/atom:updated/text()", namespaces=NS)
        ]
        updated = datetime.fromisoformat(root.findtext("atom:updated", namespaces=NS) or "")
        if dates and updated != max(dates):
            found.append(f"{name}: updated {updated} != newest entry {max(dates)}")
    return found


def readers(out: Path) -> list[str]:
    """Not well-formed (bozo) or entries feedparser cannot read: title, link, id, date."""
    found = []
    for path in [*sorted(out.rglob("rss.xml")), *sorted(out.rglob("atom.xml"))]:
        parsed = feedparser.parse(path.read_bytes())
        if parsed.bozo:
            found.append(f"{_rel(out, path)}: bozo: {parsed.bozo_exception}")
        for entry in parsed.entries:
            if not (entry.get("title") and entry.get("link") and entry.get("id")):
                found.append(f"{_rel(out, path)}: entry missing title/link/id")
            if not entry.get("published_parsed"):
                found.append(f"{_rel(out, path)}: entry date unreadable")
    return found


def json_feed(out: Path) -> list[str]:
    """JSON Feed 1.1 MUSTs: version, title, items; string ids, unique; content_html or
    content_text; attachments with url and mime_type; no deprecated 'author'."""
    found = []
    for name, doc in json_files(out):
        if doc.get("version") != "https://jsonfeed.org/version/1.1" or not doc.get("title"):
            found.append(f"{name}: version/title")
        ids = [item.get("id") for item in doc["items"]]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
            found.append(f"{name}: item ids")
        for item in doc["items"]:
            if not (item.get("content_html") or item.get("content_text")):
                found.append(f"{name}: item without content")
            if "author" in item or any(
                set(a) != {"url", "mime_type"} for a in item.get("attachments", [])
            ):
                found.append(f"{name}: author/attachments shape")
            unknown = [k for k in item if k not in JSON_ITEM_KEYS and not k.startswith("_")]
            found += [f"{name}: unknown item key {k}" for k in unknown]
    return found


JSON_ITEM_KEYS = frozenset(
    (
        "id",
        "url",
        "external_url",
        "title",
        "content_html",
        "content_text",
        "summary",
        "image",
        "banner_image",
        "date_published",
        "date_modified",
        "authors",
        "tags",
        "language",
        "attachments",
    )
)

# Findings the README lists as unavoidable for some inputs the foundation accepts.


def duplicate_updated(out: Path) -> list[str]:
    """DuplicateUpdated (warning): two Atom entries with the same <updated>. Happens exactly
    when two different articles share a publishedDateTime; dates are never faked."""
    found = []
    for name, root in atom_files(out):
        counts = Counter(root.xpath("atom:entry/atom:updated/text()", namespaces=NS))
        found += [f"{name}: DuplicateUpdated: {d}" for d, n in sorted(counts.items()) if n > 1]
    return found


def implausible_date(out: Path) -> list[str]:
    """ImplausibleDate (warning): a date before 1990 or after the day after the build."""
    found = []
    latest = NOW + timedelta(days=1)
    for name, root in atom_files(out):
        for text in root.xpath("//atom:updated/text() | //atom:published/text()", namespaces=NS):
            moment = datetime.fromisoformat(text)
            if not PLAUSIBLE_FROM <= moment <= latest:
                found.append(f"{name}: ImplausibleDate: {text}")
    for name, root in rss_files(out):
        for text in root.xpath("//pubDate/text() | //lastBuildDate/text()"):
            if not PLAUSIBLE_FROM <= parsedate_to_datetime(text) <= latest:
                found.append(f"{name}: ImplausibleDate: {text}")
    return found


RULES: dict[str, Callable[[Path], list[str]]] = {
    "self link": self_link,
    "duplicate atom link": duplicate_atom_link,
    "media group": media_group,
    "enclosures": enclosures,
    "rfc822 dates": rfc822_dates,
    "rfc3339 dates": rfc3339_dates,
    "guids": guids,
    "absolute urls": absolute_urls,
    "language": language,
    "undeclared html": undeclared_html,
    "atom structure": atom_structure,
    "feed dates": feed_dates,
    "readers": readers,
    "json feed": json_feed,
}
KNOWN = {"duplicate updated": duplicate_updated, "implausible date": implausible_date}


def all_findings(out: Path) -> list[str]:
    """Every finding of every rule, the known ones included."""
    return [finding for rule in [*RULES.values(), *KNOWN.values()] for finding in rule(out)]
