"""The OPML 2.0 subscription list of every feed, for readers that import a list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import format_datetime

from feeds.config import Config
from feeds.model import AnyGroup, GroupKind
from feeds.render.meta import feed_meta, subscribe_url

SECTION_TITLES = {
    GroupKind.CUSTOM: "Custom feeds",
    GroupKind.TOPIC: "Topics",
    GroupKind.PROVIDER: "Providers",
}
ALL_TITLE = "All articles"


def _outline(parent: ET.Element, group: AnyGroup, config: Config, text: str) -> None:
    meta = feed_meta(group, config)
    ET.SubElement(
        parent,
        "outline",
        {
            "type": "rss",
            "text": text,
            "title": meta.title,
            "xmlUrl": subscribe_url(meta, config.output.formats),
            "htmlUrl": meta.home_url,
        },
    )


def render_opml(groups: Sequence[AnyGroup], config: Config) -> bytes:
    """'All articles', then one outline per kind ('Custom feeds', 'Topics', 'Providers')
    holding its feeds, custom feeds in config order.

    `xmlUrl` is the RSS file when RSS is built, else Atom, else JSON Feed; `htmlUrl` is the
    feed's page when pages are on, else `site.link`.
    """
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = config.site.title
    newest = max((feed_meta(g, config).updated for g in groups), default=None)
    if newest is not None:
        ET.SubElement(head, "dateModified").text = format_datetime(newest, usegmt=True)
    body = ET.SubElement(root, "body")
    for group in groups:
        if group.kind is GroupKind.ALL:
            _outline(body, group, config, ALL_TITLE)
    for kind, section_title in SECTION_TITLES.items():
        members = [g for g in groups if g.kind is kind]
        if members:
            section = ET.SubElement(body, "outline", {"text": section_title})
            for group in members:
                _outline(section, group, config, group.name)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True)) + b"\n"
