"""Kill safety and incremental == clean: the two promises a cron job relies on."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.manifest import load_manifest
from tests.cronkit import article_text, make_site, run, snapshot

TOPICS = ("AI", "Space", "Climate", "C++", "AR/VR", "Économie", "日本", "Sport", "Health")
PROVIDERS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")


def _article(n: int, version: int = 0) -> str:
    rng = random.Random(n * 1000 + version)
    topics = tuple(rng.sample(TOPICS, rng.randint(1, 3)))
    title = f"Story {n} v{version}" + " more" * rng.randint(0, 5)
    return article_text(
        n, topics=topics, provider=rng.choice(PROVIDERS), title=title, day=rng.randint(1, 28)
    )


def _clean_build(config: Path) -> dict[str, bytes]:
    """A --no-cache build of the same config into a fresh folder, as a separate process."""
    clean = config.with_name("clean.yaml")
    clean.write_text(config.read_text().replace("dir: public", "dir: clean-public"))
    result = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "--no-cache", "--config", str(clean)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return snapshot(config.parent / "clean-public")


def _all_complete(out: Path) -> None:
    for relative, data in snapshot(out).items():
        if relative.endswith(".xml") or relative.endswith(".opml"):
            etree.fromstring(data)  # raises on a truncated file


def test_kill_9_at_random_moments_never_corrupts(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    config = make_site(tmp_path, {f"{n:04d}.md": _article(n) for n in range(600)})
    content, out = tmp_path / "content", tmp_path / "public"
    command = [sys.executable, "-m", "feeds", "build", "--config", str(config)]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    full = time.monotonic() - started  # kill times are drawn relative to this machine's speed
    base = config.read_text()
    kills = 0
    for round_ in range(10):
        # Change articles every round and the site title every other round (which makes
        # every feed file change), so a kill can land in any stage, writes included.
        for n in rng.sample(range(600), 40):
            (content / f"{n:04d}.md").write_text(_article(n, round_ + 1))
        for n in rng.sample(range(600), 5):
            (content / f"{n:04d}.md").unlink(missing_ok=True)
        for n in range(600 + round_ * 5, 605 + round_ * 5):
            (content / f"{n:04d}.md").write_text(_article(n))
        title = f"title: Test News {round_ // 2}"
        config.write_text(base.replace("title: Test News", title))
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.0) * full)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        _all_complete(out)  # every file is an old or a new complete version
    assert kills >= 3  # the test is about killed runs: most rounds must have been killed
    subprocess.run(command, check=True, capture_output=True)
    assert snapshot(out) == _clean_build(config)
    assert load_manifest(out).complete
    leftovers = sorted(p.name for p in out.rglob(".*"))
    assert leftovers == [".feeds-manifest.json", ".feeds.lock"]


OPS = st.lists(
    st.tuples(st.sampled_from(["add", "edit", "delete"]), st.integers(0, 30), st.integers(1, 9)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_incremental_build_equals_a_no_cache_build(
    ops: list[tuple[str, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("eq")
    config = make_site(root, {f"{n:02d}.md": _article(n) for n in range(12)})
    content = root / "content"
    run(config)
    for op, n, version in ops:
        path = content / f"{n:02d}.md"
        if op == "delete":
            path.unlink(missing_ok=True)
        else:
            path.write_text(_article(n, version if op == "edit" else 0))
        if not any(content.iterdir()):
            path.write_text(_article(n))
        run(config)
        incremental = snapshot(root / "public")
        other = root / "fresh"
        fresh_config = make_site(other, {})
        fresh_config.write_text(fresh_config.read_text().replace("dir: content", f"dir: {content}"))
        run(fresh_config, use_cache=False)
        assert incremental == snapshot(other / "public"), ops
        assert load_manifest(root / "public").all_files() == set(incremental)
