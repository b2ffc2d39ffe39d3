"""Packaging: `make build` installs what running needs, `make test` the rest, and the
package's metadata builds without a warning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.kit import REPO


def planned(target: str, folder: Path) -> list[str]:
    """The commands `make TARGET` would run in `folder`, a fresh checkout (no venv yet)."""
    run = subprocess.run(
        ["make", "-n", target], cwd=folder, capture_output=True, text=True, check=True
    )
    return run.stdout.splitlines()


def test_make_build_installs_what_running_needs_and_make_test_the_rest(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    build = [line for line in planned("build", tmp_path) if "pip install " in line]
    assert build[-1].endswith(" -e .")  # feeds and its dependencies, no extras
    assert not any("[" in line for line in build)
    test = [line for line in planned("test", tmp_path) if "pip install " in line]
    assert test[: len(build)] == build
    assert test[-1].endswith(" -e '.[test,dev]'")


def test_the_metadata_builds_without_a_warning(tmp_path: Path) -> None:
    # As pip builds it to install it: setuptools in an isolated environment.
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet"]
    run = subprocess.run(
        [*command, "--report", str(report), str(REPO)], capture_output=True, text=True
    )
    assert (run.returncode, run.stderr) == (0, "")
    metadata = json.loads(report.read_text(encoding="utf-8"))["install"][0]["metadata"]
    assert metadata["license_expression"] == "MIT"
