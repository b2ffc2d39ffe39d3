#!/usr/bin/env python3
"""What custom feeds cost: `feeds build` with four custom feeds next to the same build
without them, on one corpus, in alternating pairs.

usage: python bench/custom_feeds.py CORPUS WORK [--rounds R] [--feeds-src DIR] [--setup]

CORPUS is a folder of article files (bench/make_corpus.py writes one). WORK gets a copy
of it made of hard links and two configs, `with.yaml` (the four custom feeds below) and
`without.yaml`, identical otherwise. Each round times, as separate processes, a full
build with each config (empty cache and output folder: `WORK/<name>-public`,
`WORK/<name>-cache`), then a one-edit rebuild with each (one article's title changed, the
first item of the heat-ranked feed, so that the edit re-renders custom feeds too).
Pairs run in turn (with, without, with, without, ...) so that a machine whose speed
drifts moves both alike; the report gives each run's wall seconds, their medians, and
the median of the per-pair ratios. `--setup` only writes WORK and prints the build
commands, for timing them with another tool. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CUSTOM = """\
feeds:
  custom:
    - path: top
      title: Top stories
      order: heat
    - path: collections/ai
      title: AI and machine learning
      topics: {any: [AI, Machine-Learning, Robotics Research], none: [Sports]}
      min_quality: 30
    - path: collections/outlets
      title: The big outlets
      providers: {any: [BBC News, reuters.com, The Guardian, lemonde.fr], none: [apnews.com]}
      types: [article]
      categories: [news]
    - path: hot
      title: Hot this year
      min_heat: 30
      max_age_days: 365
      content: summary
"""


def link_tree(source: Path, dest: Path) -> None:
    """dest as a copy of source made of hard links (edits replace files, never write into them)."""
    for folder, _, files in os.walk(source):
        target = dest / os.path.relpath(folder, source)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), target / name)


def write_configs(work: Path, content: Path) -> dict[str, Path]:
    """`without.yaml` and `with.yaml`, the same but for the custom feeds."""
    configs = {}
    for name, extra in (("with", CUSTOM), ("without", "")):
        config = work / f"{name}.yaml"
        config.write_text(
            "site:\n  title: Bench News\n  base_url: https://feeds.example.org/\n"
            f"content:\n  dir: {content}\n  patterns: ['*.md']\n"
            f"output:\n  dir: {work / f'{name}-public'}\ncache:\n  dir: {work / f'{name}-cache'}\n"
            + extra,
            encoding="utf-8",
        )
        configs[name] = config
    return configs


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of `command` (the pool's workers are not its children to
    wait for, so their CPU time is not counted here: wall time is the figure)."""
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def hottest(work: Path, content: Path) -> Path:
    """The file of the first article of the heat-ranked feed."""
    url = json.loads((work / "with-public/top/feed.json").read_text(encoding="utf-8"))
    needle = f'webUrl: "{url["items"][0]["url"]}"'
    return next(p for p in sorted(content.rglob("*.md")) if needle in p.read_text("utf-8"))


def retitle(victim: Path) -> None:
    """Give the article a new title (in a new inode, so the corpus behind the hard links
    stays as it was)."""
    text = victim.read_text(encoding="utf-8")
    temp = victim.with_name(victim.name + ".bench-tmp")
    temp.write_text(text.replace("title: ", f"title: Edited {time.time_ns()} ", 1), "utf-8")
    os.replace(temp, victim)


def report(name: str, runs: dict[str, list[float]]) -> None:
    for side, times in runs.items():
        walls = ", ".join(f"{wall:.2f}" for wall in times)
        median = statistics.median(times)
        print(f"{name:8} {side:8} median wall {median:6.2f} s  ({walls})")  # noqa: T201
    ratios = [a / b for a, b in zip(runs["with"], runs["without"], strict=True)]
    print(f"{name:8} with/without, median of the pairs: {statistics.median(ratios):.3f}")  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--feeds-src", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--setup", action="store_true", help="write WORK and stop")
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    content = args.work / "content"
    link_tree(args.corpus.resolve(), content)
    configs = write_configs(args.work, content)
    env = dict(os.environ, PYTHONPATH=str(args.feeds_src))
    builds = {
        name: [sys.executable, "-m", "feeds", "build", "--config", str(config)]
        for name, config in configs.items()
    }
    if args.setup:
        for command in builds.values():
            print(" ".join(command))  # noqa: T201 - a script's output
        return 0
    time.sleep(1.1)  # past the racy-file window, as a corpus in production is
    full: dict[str, list[float]] = {"with": [], "without": []}
    edit: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.rounds):
        for name, command in builds.items():
            shutil.rmtree(args.work / f"{name}-public", ignore_errors=True)
            shutil.rmtree(args.work / f"{name}-cache", ignore_errors=True)
            full[name].append(timed(command, env))
    victim = hottest(args.work, content)
    for _ in range(args.rounds):
        for name, command in builds.items():
            retitle(victim)
            time.sleep(1.1)
            edit[name].append(timed(command, env))
    report("full", full)
    report("one edit", edit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
