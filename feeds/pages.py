"""The human-facing HTML pages written beside the feeds."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feeds.config import Site
from feeds.model import FeedGroup, GroupKind
from feeds.render import ATOM_FILE, RSS_FILE, feed_meta


def _feed_links(folder_url: str) -> str:
    return (
        f'<a href="{escape(folder_url)}rss.xml">RSS</a> · '
        f'<a href="{escape(folder_url)}atom.xml">Atom</a>'
    )


def index_page(site: Site, groups: Sequence[FeedGroup]) -> str:
    """A plain page listing every feed, with autodiscovery links for the all-articles feed."""
    head_links = ""
    sections: list[str] = []
    for group in groups:
        meta = feed_meta(group, site)
        if group.kind is GroupKind.ALL:
            title = escape(meta.title)
            head_links = (
                f'<link rel="alternate" type="application/rss+xml" title="{title} (RSS)"'
                f' href="{escape(meta.url(RSS_FILE))}">\n'
                f'<link rel="alternate" type="application/atom+xml" title="{title} (Atom)"'
                f' href="{escape(meta.url(ATOM_FILE))}">\n'
            )
            links = _feed_links(meta.folder_url)
            sections.append(f"<h2>All articles</h2>\n<p>{group.total} articles. {links}</p>")
    for kind, heading in ((GroupKind.TOPIC, "Topics"), (GroupKind.PROVIDER, "Providers")):
        rows = [
            f"<li>{escape(g.name)} ({g.total}): {_feed_links(feed_meta(g, site).folder_url)}</li>"
            for g in groups
            if g.kind is kind
        ]
        if rows:
            sections.append(f"<h2>{heading}</h2>\n<ul>\n" + "\n".join(rows) + "\n</ul>")
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(site.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(site.title)}</title>\n{head_links}</head>\n<body>\n"
        f"<h1>{escape(site.title)}</h1>\n<p>{escape(site.description)}</p>\n"
        + "\n".join(sections)
        + '\n<p>Subscription list for feed readers: <a href="feeds.opml">feeds.opml</a></p>\n'
        "</body>\n</html>\n"
    )
