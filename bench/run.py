#!/usr/bin/env python3
"""Time `feeds build` on generated corpora: full, no-change, one edited, added, deleted.

usage: python bench/run.py [--sizes 1000,10000,100000] [--million] [--corpora DIR]
                           [--floor .../floor.py] [--hugo .../vs_hugo.py]
                           [--feeds-src DIR] [--out bench/out] [--results bench/RESULTS.md]
       python bench/run.py --vs REF [--pairs 6] [--sizes ...]   # A/B against a commit

Each run is a separate process. Reported per run: wall time, CPU time (user+sys of the
whole process tree, pool workers included), peak memory (the sum of RSS over the
process tree, sampled every 50 ms) and the 1-minute load average just before it.

Yardsticks, timed on the same corpus in the same run, and each feeds time as a ratio to
them:
- the read floor, always: `find DIR -type f -print0 | xargs -0 cat >/dev/null`, timed
  right before the feeds runs (cold-ish: whatever the page cache holds by then), then
  timed once more, warm, after the first filled the page cache: the floor ratios are to,
  as a cold pass swings twofold between runs on the same corpus;
- with --floor, the floor script (the simplest single-core libyaml + feedgen build),
  up to --floor-max articles (at 1,000,000 it would take a quarter of an hour and ~8 GB).

1,000,000 articles (~3 GB) is never in the default sizes: ask with --sizes 1000000 or
--million. Corpora are written once by make_corpus.py (seed 1) into --corpora and reused;
each run works on a copy made of hard links (edits replace files, never write into them).

With --hugo PATH/vs_hugo.py and `hugo` on PATH, that script is also run on each of
--hugo-sizes (on a copy of the corpus, as it edits one file in place) and its medians
go into the results as ratios to Hugo. Runs below 1,000,000 come first, then Hugo, then
1,000,000. --results is rewritten after each size; text after the end marker is kept.

With --vs REF, the checkout is timed against commit REF instead (its feeds/ taken with
`git archive`), in alternating pairs on each of --sizes: a fresh full build, a no-change
run and one edited article, each side with its own output and cache; reported as each
side's median and the median of the pair-by-pair ratios. Headers name commits, never
the path of a checkout.
Stdlib only. Not a test; not run in CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MILLION = 1_000_000
SEED = 1
SCENARIOS = ("full", "no-change", "one edited", "one added", "one deleted")
END_MARKER = "<!-- end of bench/run.py output: hand-written text below is kept -->"


@dataclass(frozen=True)
class Target:
    seconds: float
    ratio: float | None  # to the yardstick named by basis
    # "floor.py", "read" (the first read floor), "warm read" (the second) or "no-change"
    # (the no-change run measured just before)
    basis: str = "floor.py"
    peak_mb: float | None = None  # of this run


_MILLION_EDIT = Target(3, 1.3, "no-change", peak_mb=300)  # the index issue
TARGETS: dict[int, dict[str, Target]] = {
    10_000: {
        "full": Target(3.5, 0.55),
        "no-change": Target(0.5, 0.08),
        "one edited": Target(0.7, 0.11),
    },
    100_000: {
        "full": Target(12, 0.3),
        "no-change": Target(3, 0.07),
        "one edited": Target(3, 0.07),
    },
    MILLION: {
        "full": Target(120, 6, "warm read", peak_mb=1000),
        "no-change": Target(2, None),
        "one edited": _MILLION_EDIT,
        "one added": _MILLION_EDIT,
        "one deleted": _MILLION_EDIT,
    },
}
MEMORY_TARGET_MB = {10_000: 300, 100_000: 600, MILLION: 1000}  # peak of any run


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float
    load: float = 0.0  # 1-minute load average just before the run


@dataclass
class SizeResult:
    n: int
    runs: dict[str, Measure] = field(default_factory=dict)


@dataclass
class HugoResult:
    n: int
    rounds: int
    load_before: float
    load_after: float
    medians: dict[str, dict[str, object]]  # vs_hugo.py's JSON line
    text: str  # vs_hugo.py's printed table


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


def load() -> float:
    return os.getloadavg()[0]


def measure(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> Measure:
    """Run command; its wall time, the CPU of its process tree and the peak summed RSS."""
    load_before = load()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
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
    return Measure(wall, cpu, peak / 1024, load_before)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus(corpora: Path, n: int) -> Path:
    """The corpus of n articles (seed 1), written once into `corpora` and reused.

    It is written to corpus-N.partial and renamed when complete, so a killed run leaves
    no half corpus behind; corpus-N.json beside it says which make_corpus.py wrote it.
    """
    source = corpora / f"corpus-{n}"
    stamp = corpora / f"corpus-{n}.json"
    generator = HERE / "make_corpus.py"
    if source.exists():
        if stamp.exists() and json.loads(stamp.read_text())["make_corpus_sha256"] != _sha256(
            generator
        ):
            print(  # noqa: T201 - a script's output
                f"warning: {source} was written by another make_corpus.py; "
                "delete it to write it again",
                file=sys.stderr,
            )
        return source
    corpora.mkdir(parents=True, exist_ok=True)
    temp = corpora / f"corpus-{n}.partial"
    shutil.rmtree(temp, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(generator), str(n), str(temp), "--seed", str(SEED)], check=True
    )
    seconds = time.perf_counter() - start
    temp.rename(source)
    write_stamp(corpora, n, seconds)
    return source


def write_stamp(corpora: Path, n: int, seconds: float | None) -> None:
    """corpus-N.json: what wrote corpus-N, so a changed generator is noticed."""
    (corpora / f"corpus-{n}.json").write_text(
        json.dumps(
            {
                "n": n,
                "seed": SEED,
                "make_corpus_sha256": _sha256(HERE / "make_corpus.py"),
                "seconds": None if seconds is None else round(seconds, 1),
            }
        )
        + "\n",
        encoding="utf-8",
    )


def link_tree(source: Path, dest: Path) -> None:
    """dest as a copy of source made of hard links (a real copy across file systems)."""
    link = True
    for folder, _, files in os.walk(source):
        target = dest / os.path.relpath(folder, source)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if link:
                try:
                    os.link(os.path.join(folder, name), target / name)
                    continue
                except OSError:
                    link = False
            shutil.copy2(os.path.join(folder, name), target / name)


def replace_text(path: Path, text: str) -> None:
    """Write path anew (a new inode), so the cached corpus behind a hard link is untouched."""
    temp = path.with_name(path.name + ".bench-tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


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


def feeds_env(feeds_src: Path) -> dict[str, str]:
    """The environment that makes `python -m feeds` (and a `feeds` script) import feeds_src."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(feeds_src), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    )
    return env


def read_floor(content: Path) -> Measure:
    """Time reading every file of the corpus once: `find | xargs cat`."""
    script = 'find "$1" -type f -print0 | xargs -0 cat >/dev/null'
    return measure(["sh", "-c", script, "sh", str(content)])


def run_size(n: int, corpora: Path, out: Path, floor: Path | None, feeds_src: Path) -> SizeResult:
    source = corpus(corpora, n)
    work = out / f"run-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    content = work / "content"
    link_tree(source, content)
    config = write_config(work, content)
    env = feeds_env(feeds_src)
    feeds = [sys.executable, "-m", "feeds", "build", "--config", str(config)]

    def build() -> Measure:
        # cwd: the work folder, so `-m` finds feeds through PYTHONPATH only.
        return measure(feeds, cwd=work, env=env)

    result = SizeResult(n)
    if floor is not None:
        floor_out = work / "floor-public"
        result.runs["floor"] = measure([sys.executable, str(floor), str(content), str(floor_out)])
        shutil.rmtree(floor_out)
    # Age the files past the racy-file window, as a corpus in production is.
    time.sleep(1.1)
    result.runs["read"] = read_floor(content)
    # Once more, warm: how much of the first was the page cache (not a yardstick).
    result.runs["read again"] = read_floor(content)
    result.runs["full"] = build()
    result.runs["no-change"] = build()
    victim = first_article(content)
    text = victim.read_text(encoding="utf-8")
    replace_text(victim, text.replace("title: ", "title: Edited ", 1))
    result.runs["one edited"] = build()
    added = victim.with_name("zz-added.md")
    added.write_text(
        text.replace("title: ", "title: Added ", 1).replace('Url: "https://', 'Url: "https://x', 2),
        encoding="utf-8",
    )
    result.runs["one added"] = build()
    added.unlink()
    result.runs["one deleted"] = build()
    return result


def run_hugo(
    n: int, vs_hugo: Path, corpora: Path, out: Path, feeds_src: Path, feeds_exe: Path, rounds: int
) -> HugoResult:
    """vs_hugo.py on the corpus of n articles; its medians and its printed table."""
    work = out / f"hugo-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    content = work / "content"
    # A real copy: vs_hugo.py edits one article in place (and restores it).
    shutil.copytree(corpus(corpora, n), content)
    command = [
        sys.executable,
        str(vs_hugo),
        str(content),
        "--feeds",
        str(feeds_exe),
        "--rounds",
        str(rounds),
        "--work",
        str(work / "work"),
    ]
    load_before = load()
    done = subprocess.run(
        command, cwd=work, env=feeds_env(feeds_src), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"{vs_hugo} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    shutil.rmtree(work, ignore_errors=True)
    return HugoResult(n, rounds, load_before, load(), json.loads(lines[-1]), "\n".join(lines[:-1]))


PAIR_SCENARIOS = ("full", "no-change", "one edited")


@dataclass
class PairResult:
    n: int
    scenario: str
    this: list[float]  # wall seconds of this checkout's feeds, one per pair
    ref: list[float]  # wall seconds of the reference commit's feeds, same pairs


def checkout_commit(feeds_src: Path, ref: str, out: Path) -> tuple[str, Path]:
    """The full commit id of `ref` and a folder holding its `feeds/` package (git archive)."""
    commit = _git(feeds_src, "rev-parse", "--verify", f"{ref}^{{commit}}")
    if commit is None:
        sys.exit(f"--vs {ref}: not a commit of {feeds_src.name}")
    folder = out / f"vs-{commit[:12]}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(feeds_src), "archive", commit, "feeds"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return commit, folder


def run_pairs(
    n: int, corpora: Path, out: Path, sides: dict[str, Path], pairs: int
) -> list[PairResult]:
    """Time two feeds side by side on one corpus, in alternating pairs (this first in even
    pairs, the reference first in odd ones), so a change in the machine's speed during
    the run falls on both alike. Each side has its own output and cache; both read the
    same articles, so an edit is seen by both."""
    work = out / f"pairs-{n}"
    shutil.rmtree(work, ignore_errors=True)
    content = work / "content"
    link_tree(corpus(corpora, n), content)
    time.sleep(1.1)  # past the racy-file window, as a corpus in production is
    configs = {}
    for side in sides:
        (work / side).mkdir(parents=True)
        configs[side] = write_config(work / side, content)

    def build(side: str, fresh: bool) -> float:
        if fresh:
            for folder in ("public", "cache"):
                shutil.rmtree(work / side / folder, ignore_errors=True)
        command = [sys.executable, "-m", "feeds", "build", "--config", str(configs[side])]
        return measure(command, cwd=work / side, env=feeds_env(sides[side])).wall

    victim = first_article(content)
    original = victim.read_text(encoding="utf-8")
    results = []
    for scenario in PAIR_SCENARIOS:
        walls: dict[str, list[float]] = {side: [] for side in sides}
        for i in range(pairs):
            if scenario == "one edited":
                replace_text(victim, original.replace("title: ", f"title: Edited {i} ", 1))
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for side in order:
                walls[side].append(build(side, fresh=scenario == "full"))
        results.append(PairResult(n, scenario, walls["this"], walls["ref"]))
    replace_text(victim, original)
    return results


def pairs_table(results: list[PairResult], ref: str) -> str:
    """Medians of each side and of the pair-by-pair ratios (with their min-max)."""
    lines = [
        f"| N | run | pairs | this s (median) | {ref[:7]} s (median) "
        "| this / ref, median of pairs (min-max) |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        ratios = [a / b for a, b in zip(r.this, r.ref, strict=True)]
        lines.append(
            f"| {r.n:,} | {r.scenario} | {len(ratios)} | {statistics.median(r.this):.2f} "
            f"| {statistics.median(r.ref):.2f} | **{statistics.median(ratios):.3f}x** "
            f"({min(ratios):.3f}-{max(ratios):.3f}) |"
        )
    return "\n".join(lines)


def _verdict(m: Measure, target: Target, yardstick: Measure | None) -> str:
    missed = []
    if m.wall > target.seconds:
        missed.append("s")
    if target.ratio is not None:
        if yardstick is None:
            missed.append("x?")
        elif m.wall / yardstick.wall > target.ratio:
            missed.append("x")
    if target.peak_mb is not None and m.peak_mb > target.peak_mb:
        missed.append("MB")
    return "met" if not missed else f"**missed** ({', '.join(missed)})"


def _goal(target: Target) -> str:
    goal = f"<= {target.seconds:g} s"
    if target.ratio is not None:
        goal += f", {target.ratio:g}x {target.basis}"
    if target.peak_mb is not None:
        goal += f", {target.peak_mb:g} MB"
    return goal


def table(results: list[SizeResult]) -> str:
    lines = [
        "| N | run | wall s | CPU s | peak RSS (tree) MB | x floor.py | x warm read floor "
        "| target | verdict | load |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for result in results:
        n, runs = result.n, result.runs
        yardsticks = {
            "floor.py": runs.get("floor"),
            "read": runs.get("read"),
            "warm read": runs.get("read again"),
            "no-change": runs.get("no-change"),
        }

        def ratio(
            value: float, basis: str, yardsticks: dict[str, Measure | None] = yardsticks
        ) -> str:
            yardstick = yardsticks[basis]
            return f"{value / yardstick.wall:.3f}" if yardstick else "-"

        for name, label in (
            ("floor", "floor.py (1 core, no cache)"),
            ("read", "read floor"),
            ("read again", "read floor again (warm)"),
        ):
            if name in runs:
                m = runs[name]
                lines.append(
                    f"| {n:,} | {label} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:.0f} "
                    f"| {ratio(m.wall, 'floor.py')} | {ratio(m.wall, 'warm read')} "
                    f"| | | {m.load:.2f} |"
                )
        for name in SCENARIOS:
            m = runs[name]
            target = TARGETS.get(n, {}).get(name)
            goal = verdict = ""
            if target:
                goal = _goal(target)
                verdict = _verdict(m, target, yardsticks[target.basis])
            lines.append(
                f"| {n:,} | {name} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:.0f} "
                f"| {ratio(m.wall, 'floor.py')} | {ratio(m.wall, 'warm read')} "
                f"| {goal} | {verdict} | {m.load:.2f} |"
            )
        peak = max(runs[name].peak_mb for name in SCENARIOS)
        memory = MEMORY_TARGET_MB.get(n)
        goal = f"<= {memory} MB" if memory else ""
        verdict = ("met" if peak <= memory else "**missed**") if memory else ""
        lines.append(
            f"| {n:,} | peak of the feeds runs | | | {peak:.0f} | | | {goal} | {verdict} | |"
        )
    return "\n".join(lines)


HUGO_COLUMNS = (
    ("like", "feeds doing Hugo's work"),
    ("feeds", "feeds, defaults"),
    ("nochange", "no change"),
    ("oneedit", "one edit"),
    ("floor", "floor.py"),
)


def hugo_table(results: list[HugoResult]) -> str:
    """Medians of vs_hugo.py's rounds, each as seconds (x Hugo), and the rounds' spread."""
    head = "| N | rounds | Hugo s | " + " | ".join(label for _, label in HUGO_COLUMNS)
    lines = [
        head + " | peak MB Hugo / like / feeds | load before-after |",
        "|---:|---:|---:|" + "---:|" * len(HUGO_COLUMNS) + "---|---|",
    ]

    def spread(run: dict[str, object]) -> str:
        """(min-max) of the rounds' wall times, when there are several."""
        walls: list[float] = run["wall_s"]  # type: ignore[assignment]
        return f" ({min(walls):.2f}-{max(walls):.2f})" if len(walls) > 1 else ""

    for result in results:
        med = result.medians
        hugo = float(med["hugo"]["median_s"])  # type: ignore[arg-type]
        cells = [f"{hugo:.2f}{spread(med['hugo'])}"]
        for key, _ in HUGO_COLUMNS:
            wall = float(med[key]["median_s"])  # type: ignore[arg-type]
            cells.append(f"{wall:.2f} s = **{wall / hugo:.3f}x**{spread(med[key])}")
        peaks = " / ".join(str(med[key]["peak_mb"]) for key in ("hugo", "like", "feeds"))
        lines.append(
            f"| {result.n:,} | {result.rounds} | {' | '.join(cells)} | {peaks} "
            f"| {result.load_before:.2f}-{result.load_after:.2f} |"
        )
    return "\n".join(lines)


def describe_feeds(feeds_src: Path) -> str:
    """Which feeds was measured: its git commit (never the path of the checkout)."""
    commit = _git(feeds_src, "rev-parse", "HEAD")
    if commit is None:
        return "feeds from a folder that is not a git checkout"
    dirty = _git(feeds_src, "status", "--porcelain", "--", "feeds")
    return f"feeds at commit {commit}" + (" with uncommitted changes in feeds/" if dirty else "")


def _git(checkout: Path, *args: str) -> str | None:
    """The stripped output of `git -C checkout ARGS`, or None when git cannot answer."""
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def report(
    title: str, feeds: str, sizes: list[SizeResult], hugo: list[HugoResult], started: str
) -> str:
    measured = (
        f"Measured {started}-{time.strftime('%H:%M UTC', time.gmtime())} on "
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{feeds}."
    )
    if sizes or hugo:
        measured += (
            " `load` is the 1-minute load average just before each run. Ratios: wall time "
            "over the wall time of the yardstick timed in the same run (warm read floor: "
            "the second pass of `find DIR -type f -print0 | xargs -0 cat >/dev/null`). "
            "Verdict: s = the seconds, x = the ratio, MB = the run's peak."
        )
    parts = [f"## {title}\n", measured + "\n"]
    if sizes:
        parts.append(table(sizes) + "\n")
    if hugo:
        parts.append(
            "Against Hugo (`vs_hugo.py`): medians over the rounds, each also as a ratio to "
            "Hugo's time, with the rounds' min-max; peak memory is the max over the rounds.\n"
        )
        parts.append(hugo_table(hugo) + "\n")
    return "\n".join(parts)


def write_results(path: Path, text: str) -> None:
    """Replace the generated part of `path`; keep what follows the end marker (or '## Notes')."""
    kept = ""
    if path.exists():
        previous = path.read_text(encoding="utf-8")
        if END_MARKER in previous:
            kept = previous.split(END_MARKER, 1)[1]
        elif "\n## Notes" in previous:
            kept = "\n\n## Notes" + previous.split("\n## Notes", 1)[1]
    path.write_text(text + "\n" + END_MARKER + kept, encoding="utf-8")


def vs_main(
    ref: str,
    pairs: int,
    sizes: list[int],
    corpora: Path,
    out: Path,
    feeds_src: Path,
    args: argparse.Namespace,
    started: str,
) -> int:
    """--vs: each size timed in pairs against the reference commit; results as a table."""
    commit, ref_src = checkout_commit(feeds_src, ref, out)
    sides = {"this": feeds_src, "ref": ref_src}
    done: list[PairResult] = []
    for n in sizes:
        done.extend(run_pairs(n, corpora, out, sides, pairs))
        table_text = pairs_table(done, commit)
        print(table_text, flush=True)  # noqa: T201 - a script's output
        if args.results is not None:
            head = report(args.title, describe_feeds(feeds_src), [], [], started)
            intro = (
                f"Against commit {commit} in alternating pairs (`bench/run.py --vs {ref} "
                f"--pairs {pairs} --sizes {args.sizes}`): each pair times both, in turns.\n"
            )
            write_results(args.results, f"{head}\n{intro}\n{table_text}\n")
    shutil.rmtree(ref_src, ignore_errors=True)
    return 0


def _sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="'' for none")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 articles")
    parser.add_argument(
        "--corpora",
        type=Path,
        default=HERE / "out" / "corpora",
        help="where the corpora are kept, as corpus-N (written by make_corpus.py when missing)",
    )
    parser.add_argument("--floor", type=Path, default=None, help="floor.py, to time too")
    parser.add_argument("--floor-max", type=int, default=100_000, help="no floor.py above")
    parser.add_argument("--hugo", type=Path, default=None, help="vs_hugo.py, to run too")
    parser.add_argument("--hugo-sizes", default="2000,10000,100000")
    parser.add_argument("--hugo-rounds", type=int, default=2)
    parser.add_argument(
        "--feeds-src", type=Path, default=HERE.parent, help="the checkout whose feeds to time"
    )
    parser.add_argument(
        "--feeds-exe",
        type=Path,
        default=Path(sys.executable).with_name("feeds"),
        help="a `feeds` script for vs_hugo.py (it imports feeds from --feeds-src)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="work folder")
    parser.add_argument("--results", type=Path, default=None, help="Markdown file to write")
    parser.add_argument("--title", default="Latest run", help="heading of the results")
    parser.add_argument(
        "--generate-only", action="store_true", help="write the corpora, time nothing"
    )
    parser.add_argument(
        "--vs",
        metavar="REF",
        default=None,
        help="time this checkout against commit REF in alternating pairs (full, no-change, "
        "one edited) on each of --sizes, instead of the scenarios and yardsticks",
    )
    parser.add_argument("--pairs", type=int, default=6, help="pairs per run with --vs")
    args = parser.parse_args(argv)
    sizes = sorted(set(_sizes(args.sizes) + ([MILLION] if args.million else [])))
    hugo_sizes = _sizes(args.hugo_sizes) if args.hugo else []
    if args.hugo and shutil.which("hugo") is None:
        print("hugo is not on PATH: no comparison with Hugo", file=sys.stderr)  # noqa: T201
        hugo_sizes = []
    corpora, out = args.corpora.resolve(), args.out.resolve()
    if args.generate_only:
        for n in sorted(set(sizes + hugo_sizes)):
            print(corpus(corpora, n))  # noqa: T201 - a script's output
        return 0
    out.mkdir(parents=True, exist_ok=True)
    feeds_src = args.feeds_src.resolve()
    feeds = describe_feeds(feeds_src)
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    done_sizes: list[SizeResult] = []
    done_hugo: list[HugoResult] = []

    def save() -> None:
        sizes_json = [
            {"n": r.n, "runs": {k: asdict(m) for k, m in r.runs.items()}} for r in done_sizes
        ]
        (out / "results.json").write_text(
            json.dumps(
                {"feeds": feeds, "sizes": sizes_json, "hugo": [asdict(h) for h in done_hugo]},
                indent=1,
            ),
            encoding="utf-8",
        )
        if args.results is not None:
            write_results(args.results, report(args.title, feeds, done_sizes, done_hugo, started))

    print(feeds, flush=True)  # noqa: T201 - a script's output
    if args.vs is not None:
        return vs_main(args.vs, args.pairs, sizes, corpora, out, feeds_src, args, started)
    floor = args.floor.resolve() if args.floor else None
    # vs_hugo.py runs in a folder of its own: a relative path would not be found there.
    feeds_exe = args.feeds_exe.absolute()

    def sizes_run(ns: list[int]) -> None:
        for n in ns:
            floor_n = floor if n <= args.floor_max else None
            done_sizes.append(run_size(n, corpora, out, floor_n, feeds_src))
            print(table(done_sizes[-1:]), flush=True)  # noqa: T201 - a script's output
            save()

    # The million-article run is the longest: after everything else.
    sizes_run([n for n in sizes if n < MILLION])
    for n in hugo_sizes:
        vs_hugo = args.hugo.resolve()
        done_hugo.append(run_hugo(n, vs_hugo, corpora, out, feeds_src, feeds_exe, args.hugo_rounds))
        print(done_hugo[-1].text, flush=True)  # noqa: T201
        save()
    sizes_run([n for n in sizes if n >= MILLION])
    return 0


if __name__ == "__main__":
    sys.exit(main())
