"""A corpus of hostile article files: markup, entities, ']]>', control characters, lone
surrogates, RTL and emoji text, 10,000-character strings, odd URLs and old dates.

Used by the tests, and runnable to build it for the conformance harness:
    python -m tests.nasty DIR    # writes DIR/articles/*.md and DIR/feeds.yaml (output DIR/public)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.kit import article, front_matter

LONG = "Long " + "word " * 1999  # 10,000 characters


def _article(n: int, **fields: Any) -> dict[str, Any]:
    """Hostile article n: the kit's plain article n in topic General, without an
    originalUrl, images or related links unless `fields` give them."""
    plain: dict[str, Any] = {
        "excerpt": "An excerpt.",
        "publishedDateTime": f"2023-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:30Z",
        "webUrl": f"https://news.example.com/nasty/{n}",
        "originalUrl": None,
        "provider": {"name": "Example", "domain": "news.example.com"},
        "topics": ["General"],
        "images": None,
        "related": None,
    }
    return article(n, **(plain | fields))


# Lone surrogates cannot be stored in a UTF-8 file (YAML refuses their escapes too), so
# they are tested on parsed documents (RawDoc) only.
SURROGATES = _article(7, title="Lone \ud800 high and \udfff low", topics=["\ud83d"])

# name -> front matter. Each entry exercises one hostile input; the tests check the text
# each one publishes, in every format.
NASTY: dict[str, dict[str, Any]] = {
    "markup": _article(1, title="<b>Breaking</b>: markup <i>in</i> titles", topics=["<i>Tech</i>"]),
    "entity": _article(2, title="Q&amp;A: Ben &amp; Jerry&#39;s", excerpt="Fish &amp; chips"),
    "escaped-tag": _article(
        3, title="Why &lt;script&gt; tags &amp;amp; more", excerpt="&lt;b&gt;x"
    ),
    "cdata-end": _article(4, title="Ends ]]> here ]]&gt;", excerpt="Data ]]> more <![CDATA[x]]>"),
    "less-than": _article(5, title="Rates < 5% & rising > 3", topics=["C++", "C#", "C"]),
    "controls": _article(
        6,
        title="Bell\x07 tab\tvt\x0b ff\x0c nul\x00 c1\x85 end",
        excerpt="Esc\x1b[31m red",
        provider={"name": "Ctl\x01 News", "domain": "ctl.example.com"},
    ),
    "rtl": _article(
        8,
        title="\u05e9\u05dc\u05d5\u05dd \u202eevil override\u202c \u0645\u0631\u062d\u0628\u0627",
        topics=["\u0627\u0644\u0639\u0631\u0628\u064a\u0629"],
        provider={"name": "\u05d7\u05d3\u05e9\u05d5\u05ea", "domain": "news.example.co.il"},
    ),
    "emoji": _article(
        9,
        title="Launch \U0001f680 family \U0001f468\u200d\U0001f469\u200d\U0001f467"
        " flag \U0001f1ef\U0001f1f5",
        topics=["\u65e5\u672c", "AR/VR"],
    ),
    "long": _article(10, title=LONG, excerpt=LONG, topics=[LONG[:300]]),
    "path-names": _article(
        11,
        topics=["../../etc", "..", "/", "a/b\\c", "CON", ".hidden"],
        provider={"name": "../../evil", "domain": "../../evil"},
    ),
    "urls": _article(
        12,
        webUrl="https://例え.jp/パス with space?q=a b&c=<d>#frag",
        originalUrl='https://news.example.com/original?id=12&x="quoted"',
        images=[
            {"url": "https://img.example.com/a.jpg?w=800&h=600", "width": 800, "height": 600},
            {"url": "/relative/b.png"},
            {"url": "javascript:alert(1)"},
            {"url": "data:image/png;base64,AAAA"},
            {"url": "https://img.example.com/noext"},
        ],
    ),
    "related": _article(
        13,
        related=[
            {
                "title": "</a><script>alert(1)</script> & more",
                "webUrl": "https://other.example.net/r?a=1&b=2",
                "provider": {"name": "Other & Co", "domain": "other.example.net"},
                "excerpt": "Rel ]]> excerpt",
                "publishedDateTime": "2023-11-02T10:00:00Z",
            },
            {"title": "No URL", "webUrl": "ftp://other.example.net/x"},
        ],
    ),
    "attr-quotes": _article(
        14,
        title="\"Quoted\" 'single' `back`",
        provider={"name": "\"Evil\" <Corp> & 'Sons'", "domain": "evil-corp.example"},
    ),
    "old-date": _article(15, publishedDateTime="0999-01-02T03:04:05Z"),
    "offset-date": _article(16, publishedDateTime="2023-11-16T23:30:00.123456-14:00"),
    "whitespace": _article(17, title="  spaced\n\n out\u00a0\u2003title  ", topics=[" AI ", "ai"]),
    "idn-provider": _article(
        18, provider={"name": "Bücher", "domain": "www.bücher.de"}, webUrl="https://bücher.de/x"
    ),
}


def write_nasty(root: Path) -> Path:
    """Write every NASTY article under root/articles and a config; return the config path."""
    articles = root / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for name, data in NASTY.items():
        # Control characters are written as YAML escapes ("\x07").
        (articles / f"{name}.md").write_text(front_matter(data), encoding="utf-8")
    config = root / "feeds.yaml"
    config.write_text(
        "site: {title: 'Nasty & <Co>', base_url: 'https://feeds.example.org/', language: en}\n"
        "content: {dir: articles}\noutput: {dir: public}\n",
        encoding="utf-8",
    )
    return config


if __name__ == "__main__":
    write_nasty(Path(sys.argv[1]))
