"""The README documents every command, option and config key the code accepts."""

from __future__ import annotations

from itertools import takewhile

import click

from feeds.cli import cli
from feeds.config import Config
from feeds.config.settings import documented
from tests.kit import REPO

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
