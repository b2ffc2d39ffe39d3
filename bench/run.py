#!/usr/bin/env python3
"""Time `feeds build` on generated corpora: full, no-change, one edited, added, deleted.

usage: python bench/run.py [--sizes 1000,10000,100000] [--floor ../shared/bench/floor.py]
                           [--out bench/out] [--results bench/RESULTS.md]

Each run is a separate process. Reported per run: wall time, CPU time (user+sys of the
whole process tree, pool workers included) and peak memory: the sum of RSS over the
process tree, sampled every 50 ms. With --floor, the floor script (the simplest
single-core libyaml + feedgen build) is timed on the same corpus in the same session and
every feeds time is also given as a ratio to it. Not a test; not run in CI.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = ("full", "no-change", "one edited", "one added", "one deleted")
TARGETS = {  # N -> scenario -> (seconds, ratio to floor)
    10_000: {"full": (3.5, 0.55), "no-change": (0.5, 0.08), "one edited": (0.7, 0.11)},
    100_000: {"full": (12, 0.3), "no-change": (3, 0.07), "one edited": (3, 0.07)},
}
MEMORY_TARGET_MB = {10_000: 300, 100_000: 1000}


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float


def _tree(root: int) -> list[int]:
    """root and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """user + system CPU of one live process so far."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            for line in file:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command: list[str], cwd: Path | None = None) -> Measure:
    """Run command; its wall time, the CPU of its process tree and the peak summed RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()
    # Pool workers are children of multiprocessing's fork server, which the build does
    # not wait for, so their CPU never reaches getrusage(RUSAGE_CHILDREN): sample it.
    others: dict[int, float] = {}

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            tree = _tree(proc.pid)
            peak = max(peak, sum(_rss_kb(pid) for pid in tree))
            for pid in tree[1:]:
                others[pid] = max(others.get(pid, 0.0), _cpu_seconds(pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += sum(others.values())
    return Measure(wall, cpu, peak / 1024)


def corpus(out: Path, n: int) -> Path:
    """The corpus of n articles (generated once, seed 1), copied fresh for a run."""
    source = out / f"corpus-{n}"
    if not source.exists():
        temp = out / f"corpus-{n}.partial"
        shutil.rmtree(temp, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), str(n), str(temp), "--seed", "1"],
            check=True,
        )
        temp.rename(source)
    return source


def write_config(work: Path, content: Path) -> Path:
    config = work / "feeds.yaml"
    config.write_text(
        "site:\n  title: Bench News\n  base_url: https://feeds.example.org/\n"
        f"content:\n  dir: {content}\n  patterns: ['*.md']\n"
        f"output:\n  dir: {work / 'public'}\ncache:\n  dir: {work / 'cache'}\n",
        encoding="utf-8",
    )
    return config


def first_article(content: Path) -> Path:
    folder = sorted(p for p in content.iterdir() if p.is_dir())[0]
    return sorted(folder.glob("*.md"))[0]


def run_size(n: int, out: Path, floor: Path | None) -> dict[str, Measure]:
    source = corpus(out, n)
    work = out / f"run-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    content = work / "content"
    shutil.copytree(source, content)
    config = write_config(work, content)
    feeds = [sys.executable, "-m", "feeds", "build", "--config", str(config)]
    results: dict[str, Measure] = {}
    if floor is not None:
        floor_out = work / "floor-public"
        results["floor"] = measure([sys.executable, str(floor), str(content), str(floor_out)])
        shutil.rmtree(floor_out)
    # Age the files past the racy-file window, as a corpus in production is.
    time.sleep(1.1)
    results["full"] = measure(feeds)
    results["no-change"] = measure(feeds)
    victim = first_article(content)
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
    results["one edited"] = measure(feeds)
    added = victim.with_name("zz-added.md")
    added.write_text(
        text.replace("title: ", "title: Added ", 1).replace('Url: "https://', 'Url: "https://x', 2),
        encoding="utf-8",
    )
    results["one added"] = measure(feeds)
    added.unlink()
    results["one deleted"] = measure(feeds)
    return results


def _fmt_ratio(value: float, floor: Measure | None) -> str:
    return f"{value / floor.wall:.3f}" if floor else "-"


def table(all_results: dict[int, dict[str, Measure]]) -> str:
    lines = [
        "| N | run | wall s | CPU s | peak RSS (tree) MB | ratio to floor | target s (ratio) |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for n, results in all_results.items():
        floor = results.get("floor")
        if floor is not None:
            lines.append(
                f"| {n:,} | floor.py (1 core, no cache) | {floor.wall:.2f} | {floor.cpu:.2f} "
                f"| {floor.peak_mb:.0f} | 1 | |"
            )
        for name in SCENARIOS:
            m = results[name]
            target = TARGETS.get(n, {}).get(name)
            goal = f"<= {target[0]} ({target[1]})" if target else ""
            lines.append(
                f"| {n:,} | {name} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:.0f} "
                f"| {_fmt_ratio(m.wall, floor)} | {goal} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--floor", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--results", type=Path, default=None, help="Markdown file to write")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    all_results: dict[int, dict[str, Measure]] = {}
    for n in sizes:
        all_results[n] = run_size(n, args.out, args.floor.resolve() if args.floor else None)
        print(table({n: all_results[n]}), flush=True)  # noqa: T201 - a script's output
    text = table(all_results)
    if args.results is not None:
        load = os.getloadavg()
        header = (
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
            f"{platform.platform()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; load average before the run "
            f"{load[0]:.2f}.\n\n"
        )
        # Hand-written analysis below a '## Notes' heading survives a new run.
        notes = ""
        if args.results.exists():
            previous = args.results.read_text(encoding="utf-8")
            if "\n## Notes" in previous:
                notes = "\n## Notes" + previous.split("\n## Notes", 1)[1]
        args.results.write_text(header + text + "\n" + notes, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
