#!/usr/bin/env python3
"""Time the index's share of a one-edit run at archive sizes too large to write as files.

usage: python bench/index_scale.py [--sizes 1000000,10000000] [--work bench/out/index]
                                   [--repeat 5] [--results FILE]

For each size N, a parse cache database is filled with N records made from 500 articles
of `make_corpus.py` (seed 1): each record is one of them under its own path, id, URL and
publication time (one a minute), so the topics and providers follow the corpus's
distribution; records hold their stub and no whole article, which no index query reads.
The index is then built by `feeds.index.update`, as a full build does, and timed.

Then, `--repeat` times each, one edited, one added and one deleted article go through
what the select stage does with them: the record stored (`ParseCache.update`), the index
updated (`feeds.index.update`) and the feeds to write listed and fingerprinted
(`feeds.listing.list_feeds`), in one transaction, committed. The medians are printed per
size, and the ratio of the largest size's to the smallest's: the index's share of a
one-edit run should not grow with the archive.

Not a test; not run in CI. The 10,000,000 database takes ~15 GB and most of an hour.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds import codec, index
from feeds.cache import ParseCache, open_cache
from feeds.config import Config, load_config
from feeds.fingerprint import config_fingerprint, parse_settings
from feeds.listing import list_feeds
from feeds.load import PARSER, parse_file
from feeds.model import Stub
from feeds.records import Record
from feeds.scan import scan

TEMPLATES = 500
BATCH = 20_000  # records stored per transaction while filling
START = datetime(2016, 1, 1, tzinfo=UTC)
CONFIG = """\
site:
  title: Index scale
  base_url: https://feeds.example.org/
content:
  dir: {work}/content
output:
  dir: {work}/public
cache:
  dir: {work}/cache
feeds:
  custom:
    - path: top
      title: Top stories
      order: heat
      max_items: 20
"""


def templates(work: Path) -> tuple[Config, list[Stub]]:
    """The config of the work folder and the stubs of the corpus's valid articles."""
    content = work / "content"
    make_corpus = Path(__file__).with_name("make_corpus.py")
    command = [sys.executable, str(make_corpus), str(TEMPLATES), str(content), "--seed", "1"]
    subprocess.run(command, check=True, capture_output=True)
    (work / "feeds.yaml").write_text(CONFIG.format(work=work), encoding="utf-8")
    config = load_config(work / "feeds.yaml")
    found = scan(config.content)
    stubs = []
    for path, identity in found.files():
        record = parse_file(config, PARSER, path, identity)
        if record.stub is not None:
            stubs.append(codec.unpack(Stub, record.stub))
    return config, stubs


def record(stub: Stub, n: int, version: int = 0) -> Record:
    """Article n: template `stub` under its own path, id, URL and time (one a minute)."""
    path = f"{n // 1000:05d}/{n:08d}.md"
    url = f"https://news.example.org/{n}"
    at = START + timedelta(minutes=n)
    own = dataclasses.replace(
        stub, path=path, id=url, url=url, published_at=at, heat=stub.heat and stub.heat + version
    )
    return Record(
        path=path,
        size=3000,
        mtime_ns=n,
        ctime_ns=n + version,
        ino=n,
        digest=f"{n}-{version}",
        problems=None,
        stub=codec.pack(own),
        article=None,
        aid=url,
        at=int(at.timestamp()),
    )


def fill(cache: ParseCache, stubs: list[Stub], n: int) -> None:
    """Store n records, BATCH per transaction, as the parse stage does."""
    for start in range(0, n, BATCH):
        cache.update(
            [record(stubs[i % len(stubs)], i) for i in range(start, min(n, start + BATCH))], ()
        )


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def select(
    cache: ParseCache, config: Config, now: datetime, rows: list[Record], gone: list[str]
) -> None:
    """What the select stage does with one run's changes, committed."""
    config_fp = config_fingerprint(config)
    cache.update(rows, gone)
    with cache.transaction():
        changes = index.update(cache, config, config_fp, now)
        list_feeds(cache, config, config_fp, changes)


def one_changes(
    cache: ParseCache, config: Config, stubs: list[Stub], n: int, repeat: int
) -> Iterator[tuple[str, float]]:
    """One edited, one added and one deleted article, `repeat` times, each timed."""
    now = START + timedelta(minutes=n + 60)
    for i in range(repeat):
        victim = (n * (i + 1)) // (repeat + 1)
        stub = stubs[victim % len(stubs)]
        edited = record(stub, victim, i + 1)
        yield "one edited", timed(functools.partial(select, cache, config, now, [edited], []))
        added = record(stub, n + i)
        yield "one added", timed(functools.partial(select, cache, config, now, [added], []))
        gone = [added.path]
        yield "one deleted", timed(functools.partial(select, cache, config, now, [], gone))


def run_size(work: Path, n: int, repeat: int) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config, stubs = templates(work)
    medians: dict[str, float] = {}
    with open_cache(config.cache.dir, parse_settings(config, PARSER)) as cache:
        medians["fill records"] = timed(lambda: fill(cache, stubs, n))
        medians["build the index"] = timed(
            lambda: select(cache, config, START + timedelta(minutes=n + 60), [], [])
        )
        times: dict[str, list[float]] = {}
        for name, seconds in one_changes(cache, config, stubs, n, repeat):
            times.setdefault(name, []).append(seconds)
        medians |= {name: statistics.median(values) for name, values in times.items()}
        (members,) = cache.db.execute("SELECT count(*) FROM members").fetchone()
        medians["member rows"] = members
    medians["database GB"] = sum(p.stat().st_size for p in config.cache.dir.iterdir()) / 1e9
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--work", type=Path, default=Path("bench/out/index"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--results", type=Path, help="Markdown file to write the table to")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for n in sizes:
        results[n] = run_size(args.work / f"n-{n}", n, args.repeat)
        sys.stdout.write(f"{n:,}: {results[n]}\n")
        shutil.rmtree(args.work / f"n-{n}", ignore_errors=True)
    rows = list(results[sizes[0]])
    head = "| | " + " | ".join(f"{n:,}" for n in sizes) + f" | {sizes[-1]:,} / {sizes[0]:,} |"
    lines = [head, "|---|" + "---:|" * (len(sizes) + 1)]
    for row in rows:
        cells = [
            f"{results[n][row]:,.3f}" if results[n][row] < 1000 else f"{results[n][row]:,.0f}"
            for n in sizes
        ]
        ratio = results[sizes[-1]][row] / results[sizes[0]][row]
        lines.append(f"| {row} | " + " | ".join(cells) + f" | {ratio:.2f}x |")
    table = "\n".join(lines)
    sys.stdout.write(table + "\n")
    if args.results:
        args.results.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
