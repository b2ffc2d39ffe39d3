"""`feeds build --wait` takes a finite number of seconds: NaN never compares past the
deadline (it would wait forever) and infinity is not a wait."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit import article, make_site


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
