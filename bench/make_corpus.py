#!/usr/bin/env python3
"""Write a synthetic corpus of article files shaped like the real ones, for benchmarks.

usage: python bench/make_corpus.py N DIR [--seed S] [--jobs J]

Writes N files, DIR/0000/0000000.md to DIR/NNNN/NNNNNNN.md, at most 1,000 per folder,
one process per CPU unless --jobs says otherwise.
Each file has YAML front matter like the real seed article and is about 3 KB:
- 1-4 topics out of ~300, and a provider out of ~2,000, both Zipf-distributed.
  Topics include look-alikes and markup such as `C++`, `C`, `C#`, `AR/VR`, `Économie`,
  `日本`, `Machine-Learning`, `machine learning` and `<i>Tech</i>`. Providers include
  `www.` domains and a few IDN domains such as `bücher.de`.
- 0-3 images (jpg/png/webp, some with a query string) and 0-5 related items.
- About 15% are unpublished (`false`, `"no"` or `"0"`). The rest say `published: true`
  (floor.py keeps only a real `true`).
- Dates fall in the two years before 2026-11-01. Most end in `Z`; some use `+01:00` or
  fractional seconds. A few have no offset and a few are a date only.
- Some titles contain `&amp;`, `<b>`, `]]>` or an emoji.
- `secured` is ~620 base64 characters. Each one starts with `U0VDUkVU`, the base64 of
  "SECRET", so a leak can be found with grep.

The naive and date-only dates go only on unpublished articles. The yardstick
(shared/bench/floor.py, via feedgen) rejects both, and it skips unpublished articles
before it renders, so it can run on the same corpus as `feeds build`.

Every string is written as a JSON double-quoted string, which is valid YAML. The output
depends only on N and the seed, not on --jobs: each folder draws from its own stream
(`folder_rng`). The first K files are the same for any N >= K. Stdlib only.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import sys
import time
from bisect import bisect
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from functools import cache, partial
from itertools import accumulate
from json.encoder import encode_basestring
from pathlib import Path
from typing import TypeVar

FILES_PER_FOLDER = 1000
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
SECRET_PREFIX = "U0VDUkVU"  # base64 of b"SECRET"
# Cumulative probabilities of 1-4 topics (offset by one), 0-3 images and 0-5 related items.
_TOPIC_COUNTS = (0.40, 0.75, 0.92, 1.0)
_IMAGE_COUNTS = (0.25, 0.70, 0.90, 1.0)
_RELATED_COUNTS = (0.12, 0.30, 0.55, 0.77, 0.90, 1.0)
_T = TypeVar("_T")

_SPECIAL_TOPICS = (
    "AI", "Politics", "Climate", "Sports", "Économie", "Space", "C++", "Machine-Learning",
    "日本", "AR/VR", "machine learning", "C", "C#", "<i>Tech</i>", "Science", "Health",
)  # fmt: skip
_TOPIC_SUBJECTS = (
    "Energy", "Housing", "Transport", "Education", "Banking", "Crypto", "Farming", "Trade",
    "Labour", "Defence", "Media", "Film", "Music", "Gaming", "Retail", "Aviation", "Shipping",
    "Oil", "Water", "Privacy", "Cloud", "Chips", "Robotics", "Genetics", "Vaccines",
    "Football", "Tennis", "Cricket", "Rugby", "Cycling", "Elections", "Courts", "Migration",
    "Tourism", "Insurance", "Telecoms", "Mining", "Fashion", "Food", "Art",
)  # fmt: skip
_TOPIC_ASPECTS = ("Policy", "Markets", "Research", "Industry", "Startups", "Regulation", "Jobs")

_PUBLISHERS = (
    ("BBC News", "bbc.co.uk"), ("The Guardian", "www.theguardian.com"),
    ("Reuters", "reuters.com"), ("CBS News", "cbsnews.com"), ("Variety", "variety.com"),
    ("Le Monde", "lemonde.fr"), ("NHK WORLD-JAPAN", "nhk.or.jp"),
    ("Ars Technica", "arstechnica.com"), ("BBC", "bbc.co.uk"), ("NHK", "nhk.or.jp"),
)  # fmt: skip
# Internationalised domain names, placed at these popularity ranks (rarer further down).
_IDN_PUBLISHERS = (
    (60, "Bücher Zeitung", "bücher.de"), (150, "Müller Nachrichten", "müller-nachrichten.de"),
    (300, "Café Économie", "café-économie.fr"), (600, "Noticias Ñandú", "ñandú.es"),
    (900, "Zürich Heute", "zürich-heute.ch"), (1400, "東京ニュース", "東京ニュース.jp"),
)  # fmt: skip
_PLACES = (
    "Aberdeen", "Albany", "Atlanta", "Austin", "Belfast", "Bergen", "Boston", "Bristol",
    "Calgary", "Cardiff", "Chicago", "Cork", "Dallas", "Denver", "Dublin", "Dundee",
    "Durban", "Geneva", "Glasgow", "Halifax", "Houston", "Leeds", "Lima", "Lisbon",
    "Lyon", "Madison", "Malmo", "Memphis", "Miami", "Nairobi", "Naples", "Nashville",
    "Newark", "Oakland", "Orlando", "Oslo", "Ottawa", "Perth", "Phoenix", "Portland",
    "Quebec", "Raleigh", "Reno", "Richmond", "Sacramento", "Salem", "Seattle", "Sydney",
    "Tampa", "Toledo", "Toronto", "Tucson", "Turin", "Valencia", "Victoria", "Wellington",
    "Windsor", "York", "Zagreb", "Zurich",
)  # fmt: skip
_MASTHEADS = (
    "Times", "Herald", "Post", "Gazette", "Tribune", "Daily", "Observer", "Chronicle",
    "Courier", "Journal", "Review", "Wire", "Report", "Insider", "Bulletin", "Record",
    "Sentinel", "Monitor", "Express", "Star", "Ledger", "Dispatch", "Examiner", "Mercury",
    "Standard",
)  # fmt: skip
_TLDS = ("com", "com", "com", "co.uk", "net", "org", "news", "de", "fr", "com.au", "ca", "io")
_SECTIONS = ("news", "world", "business", "tech", "science", "sport", "culture", "politics")

_ORGS = (
    "Regulators", "The central bank", "Lawmakers", "Researchers", "The city council",
    "Union leaders", "Investors", "The EU", "NASA", "Shareholders", "Doctors", "Engineers",
    "The World Bank", "Farmers", "Tech giants", "Prosecutors", "Astronomers", "Airlines",
    "Carmakers", "Streaming services", "Climate scientists", "Chipmakers", "Ministers",
    "Economists", "Fans", "Start-ups", "The court", "Police", "Teachers", "Hospitals",
)  # fmt: skip
_VERBS = (
    "approve", "reject", "delay", "unveil", "question", "back", "scrap", "extend",
    "investigate", "welcome", "warn over", "push for", "vote on", "plan", "test", "expand",
    "cut", "review", "defend", "challenge", "launch", "pause", "overhaul", "fund", "ban",
)  # fmt: skip
_THINGS = (
    "new rules for offshore wind", "a plan to cap rents", "AI safety standards",
    "a rate cut", "the merger", "cheaper train fares", "a four-day week", "the stadium deal",
    "a Moon lander", "data-sharing limits", "the budget", "emissions targets",
    "the chip subsidy", "a ban on disposable vapes", "the streaming tax",
    "a nationwide strike", "drug price caps", "the satellite network", "new nuclear plants",
    "the trade pact", "school meal funding", "a digital euro", "carbon border fees",
    "the transfer window", "open-source models", "rail and bus fares", "faster broadband",
    "flood defences",
    "the copyright case", "heat pump grants", "battery recycling",
)  # fmt: skip
_TAILS = (
    "after year-long review", "amid protests", "despite warnings", "as costs soar",
    "in landmark vote", "ahead of winter", "before the election", "for the first time",
    "after data leak", "in surprise move", "as talks stall", "under pressure",
    "following record losses", "as demand slows", "after court ruling", "in Paris",
    "in Tokyo", "at the summit", "this week", "by 2030",
)  # fmt: skip
_SENTENCES = (
    "The decision follows months of negotiations between officials and industry groups.",
    "Critics say the move does not go far enough and will be challenged in court.",
    "Analysts expect the change to take effect early next year, subject to approval.",
    "The announcement sent shares in the sector sharply higher in early trading.",
    "Officials declined to comment on the timing, citing ongoing discussions.",
    "It is the third such proposal this year, after two earlier attempts collapsed.",
    "Supporters argue it will save households hundreds of pounds a year.",
    "The report draws on data from more than 40 countries and 12,000 respondents.",
    "Opposition leaders called for an independent inquiry into the process.",
    "Engineers said a full assessment would take several weeks to complete.",
    "Consumer groups welcomed the plan but warned about hidden costs.",
    "The figures were higher than most economists had forecast.",
    "A spokesperson said the company would \"study the ruling carefully\".",
    "Local residents have campaigned against the project for nearly a decade.",
    "Talks are expected to resume next week in Brussels.",
    "Les négociations reprendront la semaine prochaine à Genève.",
    "関係者によりますと、協議は来週にも再開される見通しです。",
    "The agency said it had received more than 3,000 complaints since January.",
)  # fmt: skip
_EMOJI = ("🚀", "🔥", "⚽", "📈", "🌍", "🎬", "⚡")
_IMAGE_SIZES = ((1200, 630), (1024, 686), (640, 360), (1600, 900), (800, 450), (976, 549))
_Provider = tuple[str, str, str]  # (top-level YAML block, related-item YAML block, domain)
_Part = tuple[str, str]  # (text, its URL slug)

# A JSON double-quoted string is valid YAML and safe for any text. This is the C function
# behind json.dumps(s, ensure_ascii=False), without json.dumps's per-call overhead.
_q = encode_basestring


def _cum_zipf(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights 1/rank**exponent, for _zipf_pick."""
    return list(accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


def _topic_names() -> tuple[str, ...]:
    """~300 topic names, most frequent first."""
    combined = [f"{s} {a}" for a in _TOPIC_ASPECTS for s in _TOPIC_SUBJECTS]
    needed = 300 - len(_SPECIAL_TOPICS) - len(_TOPIC_SUBJECTS)
    return (*_SPECIAL_TOPICS, *_TOPIC_SUBJECTS, *combined[:needed])


def _provider_block(name: str, domain: str, indent: str) -> str:
    """A `provider:` mapping as YAML lines at the given indent."""
    return f"{indent}provider:\n{indent}  name: {_q(name)}\n{indent}  domain: {_q(domain)}\n"


def _providers() -> tuple[_Provider, ...]:
    """~2,000 (name, domain) providers, most frequent first, pre-rendered as YAML."""
    pairs = list(_PUBLISHERS)
    for i, place in enumerate(_PLACES):
        for j, masthead in enumerate(_MASTHEADS):
            domain = f"{place}{masthead}.{_TLDS[(i + j) % len(_TLDS)]}".lower()
            pairs.append((f"The {place} {masthead}", f"www.{domain}" if j % 5 == 0 else domain))
    pairs.extend((f"{m} {t}", f"{m}{t}.net".lower()) for t in _TOPIC_SUBJECTS for m in _MASTHEADS)
    for rank, name, domain in _IDN_PUBLISHERS:
        pairs.insert(rank, (name, domain))
    return tuple(
        (_provider_block(n, d, ""), _provider_block(n, d, "    "), d) for n, d in pairs[:2000]
    )


def _parts(words: tuple[str, ...]) -> tuple[_Part, ...]:
    """Each phrase with its slug, so titles need no regex per article."""
    return tuple((w, re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-")) for w in words)


TOPICS = _topic_names()
PROVIDERS = _providers()
_TOPIC_CUM = _cum_zipf(len(TOPICS), 1.0)
_PROVIDER_CUM = _cum_zipf(len(PROVIDERS), 0.9)
_TITLE_PARTS = (_parts(_ORGS), _parts(_VERBS), _parts(_THINGS), _parts(_TAILS))
_SENTENCE_RING = _SENTENCES * 2  # excerpts take consecutive sentences: no repeats
_END_TS = int(END.timestamp())
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _below(rng: random.Random, n: int) -> int:
    """A number in [0, n): rng.random() is far cheaper than randrange/choice."""
    return int(rng.random() * n)


def _zipf_pick(rng: random.Random, items: tuple[_T, ...], cum: list[float]) -> _T:
    """One of `items`, weighted by the cumulative weights `cum`."""
    return items[bisect(cum, rng.random() * cum[-1], 0, len(items) - 1)]


@cache
def _day(day: int) -> str:
    """Days since 1970-01-01 as YYYY-MM-DD."""
    return date.fromordinal(_UNIX_EPOCH_ORDINAL + day).isoformat()


def _format_date(ts: int, style: str, millis: int = 0) -> str:
    """Unix time `ts` as YAML date text in `style`: Z, +01:00, frac, naive or date."""
    if style == "+01:00":
        ts += 3600
    day, secs = divmod(ts, 86400)
    if style == "date":
        return _day(day)
    text = f"{_day(day)}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if style == "+01:00":
        return text + "+01:00"
    if style == "frac":
        return f"{text}.{millis:03d}Z"
    return text if style == "naive" else text + "Z"


def _date_style(rng: random.Random, published: bool) -> str:
    """Mostly Z; naive and date-only forms only when unpublished (see the module doc)."""
    roll = rng.random()
    if not published and roll < 0.33:
        return "naive" if roll < 0.2 else "date"
    if roll > 0.92:
        return "+01:00"
    return "frac" if roll > 0.85 else "Z"


def _title(rng: random.Random) -> tuple[str, str]:
    """A headline and its slug; now and then with an entity, markup, `]]>` or an emoji."""
    picked = [part[_below(rng, len(part))] for part in _TITLE_PARTS]
    title = " ".join(text for text, _ in picked)
    slug = "-".join(slug for _, slug in picked)[:60]
    roll = rng.random()
    if roll < 0.03:
        title = title.replace(" and ", " &amp; ", 1) if " and " in title else f"Q&amp;A: {title}"
    elif roll < 0.05:
        title = f"<b>Breaking</b>: {title}"
    elif roll < 0.055:
        title = f"Why ]]> matters: {title}"
    elif roll < 0.085:
        title = f"{title} {_EMOJI[_below(rng, len(_EMOJI))]}"
    return title, slug


def _excerpt(rng: random.Random, sentences: int) -> str:
    """A few different sentences of filler text."""
    start = _below(rng, len(_SENTENCES))
    return " ".join(_SENTENCE_RING[start : start + sentences])


def _url(rng: random.Random, domain: str, ts: int, slug: str, index: int) -> str:
    """An article URL on `domain` with a date path and a unique-per-index slug."""
    day = _day(ts // 86400).replace("-", "/")
    return f"https://{domain}/{_SECTIONS[_below(rng, len(_SECTIONS))]}/{day}/{slug}-{index:x}/"


def _images(rng: random.Random, domain: str, count: int, indent: str) -> str:
    """An `images:` list of `count` entries as YAML at the given indent."""
    lines = [f"{indent}images:\n"]
    host = domain.removeprefix("www.")
    for _ in range(count):
        ext = ("jpg", "jpg", "jpg", "png", "webp")[_below(rng, 5)]
        width, height = _IMAGE_SIZES[_below(rng, len(_IMAGE_SIZES))]
        query = f"?w={width}&h={height}" if rng.random() < 0.15 else ""
        url = f"https://img.{host}/media/{rng.getrandbits(64):016x}.{ext}{query}"
        cached = "true" if rng.random() < 0.7 else "false"
        lines.append(
            f"{indent}  - url: {_q(url)}\n{indent}    width: {width}\n"
            f"{indent}    height: {height}\n{indent}    isCached: {cached}\n"
        )
    return "".join(lines)


def _related_item(rng: random.Random, ts: int, index: int) -> str:
    """One entry of the `related:` list, dated within 3 days of `ts`."""
    _, related_block, domain = _zipf_pick(rng, PROVIDERS, _PROVIDER_CUM)
    when = ts + _below(rng, 6 * 86400) - 3 * 86400
    title, slug = _title(rng)
    url = _url(rng, domain, when, slug, index)
    style = "Z" if rng.random() < 0.9 else "+01:00"
    parts = [
        f"  - title: {_q(title)}\n    excerpt: {_q(_excerpt(rng, 1))}\n",
        f"    publishedDateTime: {_format_date(when, style)}\n    webUrl: {_q(url)}\n",
    ]
    if rng.random() < 0.7:
        parts.append(f"    ampWebUrl: {_q(url + 'amp/')}\n")
        if rng.random() < 0.5:
            cdn = domain.replace("-", "--").replace(".", "-")
            cdn_url = f"https://{cdn}.cdn.ampproject.org/c/s/{url.removeprefix('https://')}amp/"
            parts.append(f"    cdnAmpWebUrl: {_q(cdn_url)}\n")
    parts.append(f"    type: article\n{related_block}    quality: {_below(rng, 101)}\n")
    if rng.random() < 0.25:
        parts.append(_images(rng, domain, 1, "    "))
    return "".join(parts)


def _secured(rng: random.Random) -> str:
    """A ~620-character opaque blob like the real one, starting with base64 'SECRET'."""
    body = base64.b64encode(b"SECRET" + rng.randbytes(444)).decode("ascii")
    return f"{body};{base64.b64encode(rng.randbytes(16)).decode('ascii')}"


def _published_line(rng: random.Random) -> tuple[bool, str]:
    """Whether the article is published, and its `published:` line."""
    if rng.random() >= 0.15:
        return True, "published: true\n"
    return False, "published: " + ("false", "false", '"no"', '"0"')[_below(rng, 4)] + "\n"


def _count(rng: random.Random, cum: tuple[float, ...]) -> int:
    """A small count drawn with cumulative probabilities `cum` (the last one is 1.0)."""
    return bisect(cum, rng.random())


def render_article(rng: random.Random, index: int) -> str:
    """The full text of article number `index`, drawn from `rng`."""
    published, published_line = _published_line(rng)
    ts = _END_TS - 1 - _below(rng, SPAN_SECONDS)
    block, _, domain = _zipf_pick(rng, PROVIDERS, _PROVIDER_CUM)
    title, slug = _title(rng)
    web_url = _url(rng, domain, ts, slug, index)
    original_url = web_url if rng.random() < 0.97 else web_url.replace(domain, "apnews.com", 1)
    picks = (_zipf_pick(rng, TOPICS, _TOPIC_CUM) for _ in range(_count(rng, _TOPIC_COUNTS) + 1))
    date_text = _format_date(ts, _date_style(rng, published), _below(rng, 1000))
    parts = [
        f"---\ncategory: news\ntitle: {_q(title)}\n",
        f"excerpt: {_q(_excerpt(rng, 2 + _below(rng, 3)))}\n",
        f"publishedDateTime: {date_text}\n",
        f"originalUrl: {_q(original_url)}\nwebUrl: {_q(web_url)}\n",
        f"type: {'video' if rng.random() < 0.03 else 'article'}\n",
        f"quality: {_below(rng, 101)}\nheat: {_below(rng, 42) - 1}\n{published_line}\n",
        f"{block}\ntopics:\n",
        *(f"  - {_q(topic)}\n" for topic in dict.fromkeys(picks)),
        "\n",
    ]
    image_count = _count(rng, _IMAGE_COUNTS)
    if image_count:
        parts.append(_images(rng, domain, image_count, "") + "\n")
    related_count = _count(rng, _RELATED_COUNTS)
    if related_count:
        parts.append("related:\n")
        parts.extend(_related_item(rng, ts, index * 8 + i) for i in range(related_count))
        parts.append("\n")
    parts.append(f"secured: {_q(_secured(rng))}\n---\n")
    if rng.random() < 0.03:
        parts.append(f"\n{_excerpt(rng, 4)}\n")
    return "".join(parts)


def article_path(out_dir: Path, index: int) -> Path:
    """Where article number `index` goes: DIR/FFFF/NNNNNNN.md."""
    return out_dir / f"{index // FILES_PER_FOLDER:04d}" / f"{index:07d}.md"


def folder_rng(seed: int, folder: int) -> random.Random:
    """The random stream for one folder, so folders can be written in any order or in parallel."""
    return random.Random(f"{seed}/{folder}")


def write_folder(n: int, out_dir: Path, seed: int, folder: int) -> int:
    """Write the (up to 1,000) articles of one folder; return how many."""
    first = folder * FILES_PER_FOLDER
    indexes = range(first, min(n, first + FILES_PER_FOLDER))
    rng = folder_rng(seed, folder)
    (out_dir / f"{folder:04d}").mkdir(parents=True, exist_ok=True)
    for index in indexes:
        article_path(out_dir, index).write_bytes(render_article(rng, index).encode())
    return len(indexes)


def make_corpus(n: int, out_dir: Path, seed: int = 0, *, jobs: int = 1) -> None:
    """Write `n` article files under `out_dir` (created if needed), deterministically.

    `jobs` > 1 writes folders in that many worker processes; the files are the
    same whatever `jobs` is. With the default, 1, everything happens in this process.
    """
    folders = range(-(-n // FILES_PER_FOLDER))
    if min(jobs, len(folders)) <= 1:
        for folder in folders:
            write_folder(n, out_dir, seed, folder)
        return
    with ProcessPoolExecutor(min(jobs, len(folders))) as pool:
        list(pool.map(partial(write_folder, n, out_dir, seed), folders))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints a one-line summary to stderr."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of article files to write")
    parser.add_argument("out_dir", type=Path, help="folder to write them into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args(argv)
    if args.n < 0 or args.jobs < 1:
        parser.error("N must be zero or more, and --jobs one or more")
    start = time.perf_counter()
    make_corpus(args.n, args.out_dir, args.seed, jobs=args.jobs)
    elapsed = time.perf_counter() - start
    sys.stderr.write(f"wrote {args.n} files to {args.out_dir} in {elapsed:.1f}s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
