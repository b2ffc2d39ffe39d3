"""The HTML that readers show inside an entry: image, excerpt and related coverage.

Every text is escaped here; nothing from an article is ever inserted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feeds.model import Article, Image

# A feed's items' bodies (`entry_html`), made once for every format; None for a feed
# without bodies (`feeds.content: summary`).
Bodies = Sequence[str] | None


def size_attributes(image: Image) -> str:
    """` width="W" height="H"` for the dimensions an image has ('' when none)."""
    return "".join(
        f' {name}="{value}"'
        for name, value in (("width", image.width), ("height", image.height))
        if value
    )


def entry_html(article: Article) -> str:
    """The body of one entry, as HTML: first image, excerpt, and a 'Related coverage' list."""
    parts: list[str] = []
    if article.images:
        image = article.images[0]
        size = size_attributes(image)
        parts.append(f'<p><img src="{escape(image.url)}" alt=""{size}></p>')
    if article.excerpt:
        parts.append(f"<p>{escape(article.excerpt)}</p>")
    if article.related:
        items = "".join(
            f'<li><a href="{escape(r.url)}">{escape(r.title)}</a>'
            + (f" ({escape(r.provider)})" if r.provider else "")
            + "</li>"
            for r in article.related
        )
        parts.append(f"<p><strong>Related coverage</strong></p><ul>{items}</ul>")
    return "\n".join(parts)
