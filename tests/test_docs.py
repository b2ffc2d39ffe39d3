"""The README documents every command, option and config key the code accepts."""

from __future__ import annotations

from itertools import takewhile
from pathlib import Path

import click
import yaml

from feeds.cli import cli
from feeds.config import Config
from feeds.config.settings import documented
from tests.kit import REPO, feeds_cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def config_table() -> list[tuple[str, str]]:
    """The rows of the README's config table as (key, meaning)."""
    lines = README.split("| key | default | meaning |\n", 1)[1].splitlines()
    rows = takewhile(lambda line: line.startswith("| `"), lines[1:])  # after '| --- |'
    cells = [row.removeprefix("| ").removesuffix(" |").split(" | ") for row in rows]
    return [(key.strip("`"), meaning) for key, _default, meaning in cells]


def test_the_config_table_documents_exactly_the_declared_keys() -> None:
    """One row per declared key (nested ones too), its meaning the key's `doc`, no other row."""
    assert sorted(config_table()) == sorted(documented(Config))


def test_every_command_and_option_is_documented() -> None:
    missing: list[str] = []
    for name, command in cli.commands.items():
        if f"feeds {name}" not in README:
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option):
                missing += [
                    opt for opt in param.opts if opt.startswith("--") and f"`{opt}" not in README
                ]
    assert missing == []


def test_quick_start_commands_are_in_the_readme() -> None:
    assert "make build" in README
    assert "make test" in README


def test_the_sample_summary_is_what_make_build_prints(tmp_path: Path) -> None:
    """The README quotes `make build`'s first summary line: it must be the real one."""
    shipped = yaml.safe_load((REPO / "config/feeds.yaml").read_text(encoding="utf-8"))
    shipped["content"]["dir"] = str(REPO / "samples")
    shipped["output"]["dir"] = str(tmp_path / "public")
    shipped["cache"] = {**(shipped.get("cache") or {}), "dir": str(tmp_path / "cache")}
    config = tmp_path / "feeds.yaml"
    config.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    result = feeds_cli("build", "--config", str(config), "-v")
    summary = next(line for line in result.stderr.splitlines() if "article files read" in line)
    counts = summary.removeprefix("feeds: ")
    assert counts in " ".join(README.split()), summary
