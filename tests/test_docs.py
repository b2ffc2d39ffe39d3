"""The README documents every command, option and config key the code accepts."""

from __future__ import annotations

import click

from feeds.cli import cli
from feeds.config import _SECTIONS
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented() -> None:
    missing = [
        f"{section}.{key}"
        for section, keys in _SECTIONS.items()
        for key in keys
        if f"`{section}.{key}" not in README  # nested keys: `output.cache_control.feed`
    ]
    assert missing == []


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
