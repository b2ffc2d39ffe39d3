"""Every number in the config is finite and in a stated range: a value that would select
nothing, crash or never end is a config error before anything is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feeds.errors import ConfigError
from tests.kit import article, make_site

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("select", "min_quality", NAN, "expected a finite number, got .nan"),
        ("select", "min_quality", INF, "expected a finite number, got .inf"),
        ("select", "min_quality", -INF, "expected a finite number, got -.inf"),
        ("select", "max_age_days", INF, "expected a positive integer, got .inf"),
        ("feeds", "max_items", NAN, "expected a positive integer, got .nan"),
        ("site", "ttl", INF, "expected a positive integer, got .inf"),
        ("content", "max_bytes", INF, "expected a positive integer, got .inf"),
        (
            "select",
            "max_age_days",
            100_000_000,
            "expected a positive integer of at most 36500, got 100000000",
        ),
        (
            "feeds",
            "max_items",
            100_001,
            "expected a positive integer of at most 100000, got 100001",
        ),
        ("site", "ttl", 525_601, "expected a positive integer of at most 525600, got 525601"),
        (
            "content",
            "max_bytes",
            2**30 + 1,
            "expected a positive integer of at most 1073741824, got 1073741825",
        ),
    ],
)
def test_numbers_that_are_not_finite_or_out_of_range_are_config_errors(
    tmp_path: Path, section: str, key: str, value: Any, message: str
) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, **{section: {key: value}})
    with pytest.raises(ConfigError) as caught:
        site.config()
    assert caught.value.problems == (f"{section}.{key}: {message}",)


def test_the_largest_allowed_values_build(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {"a.md": article(1)},
        select={"max_age_days": 36_500, "min_quality": -(10**400)},
        feeds={"max_items": 100_000},
        site={"ttl": 525_600},
        content={"max_bytes": 2**30},
    )
    assert site.build().report.articles_selected == 1


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_nan_min_quality_fails_build_and_check(tmp_path: Path, command: str) -> None:
    """`.nan` compares false with every quality: it used to publish nothing, delete every
    feed and exit 0 (and `check` exited 0)."""
    site = make_site(tmp_path, {"a.md": article(1)})
    site.config_path.write_text(
        site.config_path.read_text(encoding="utf-8") + "select:\n  min_quality: .nan\n",
        encoding="utf-8",
    )
    result = site.cli(command)
    assert result.exit_code == 1
    assert "  select.min_quality: expected a finite number, got .nan\n" in result.stderr
    assert not site.out.exists()


def test_a_max_age_beyond_the_calendar_is_a_config_error_not_a_crash(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1)}, select={"max_age_days": 100_000_000})
    result = site.cli("build")
    assert result.exit_code == 1
    assert "select.max_age_days: expected a positive integer of at most 36500" in result.stderr
    assert not site.out.exists()
