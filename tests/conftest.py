"""pytest's shared fixtures. The test helpers themselves are in tests/kit.py."""

from __future__ import annotations

from tests.kit import config_data

__all__ = ["config_data"]  # tests/test_config.py imports it from here
