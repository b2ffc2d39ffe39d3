"""The output lock: one run at a time per output folder, exit 75 for the second, and
`--wait`, a finite number of seconds (NaN would never compare past the deadline)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from feeds.lock import LOCK_FILE, LockedError, output_lock
from tests.kit import article, make_site

EX_TEMPFAIL = 75

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from feeds.lock import output_lock
    with output_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _holder(out_dir: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _stop(proc: subprocess.Popen[str], *, kill: bool = True) -> None:
    if kill:
        proc.kill()
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def _feeds(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds", *args], capture_output=True, text=True, check=False
    )


def test_second_run_exits_75_with_one_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    holder = _holder(site.out, 30)
    try:
        result = _feeds("build", "--config", str(site.config_path))
    finally:
        _stop(holder)
    assert result.returncode == EX_TEMPFAIL
    assert result.stderr.count("\n") == 1
    assert "another feeds run" in result.stderr
    assert not (site.out / "rss.xml").exists()


def test_wait_gets_the_lock_once_released(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    holder = _holder(site.out, 1.0)
    try:
        result = _feeds("build", "--config", str(site.config_path), "--wait", "20")
    finally:
        _stop(holder, kill=False)
    assert result.returncode == 0, result.stderr
    assert (site.out / "rss.xml").exists()


def test_wait_gives_up_after_the_time_given(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(LockedError), output_lock(tmp_path, 0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        _stop(holder)


def test_lock_of_a_killed_run_does_not_block(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 30)
    _stop(holder)  # SIGKILL: no cleanup code runs
    assert (tmp_path / LOCK_FILE).exists()
    with output_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).exists()


def test_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    with output_lock(tmp_path), pytest.raises(LockedError), output_lock(tmp_path):
        pass
    with output_lock(tmp_path):  # released on exit
        pass


def test_second_holder_blocked_while_first_holds(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 30)
    try:
        with pytest.raises(LockedError), output_lock(tmp_path):  # no wait: fails at once
            pass
    finally:
        _stop(holder)
    assert os.path.exists(tmp_path / LOCK_FILE)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1"])
def test_a_wait_that_is_not_a_finite_non_negative_number_is_a_usage_error(
    tmp_path: Path, value: str
) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    result = site.cli("build", "--wait", value)
    assert result.exit_code == 2
    assert "Invalid value for '--wait'" in result.stderr
    assert not site.out.exists()


def test_a_finite_wait_builds(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)})
    assert site.cli("build", "--wait", "1.5").exit_code == 0
