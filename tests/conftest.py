"""pytest's shared fixtures. The test helpers themselves are in tests/kit.py."""

from __future__ import annotations

from tests.kit import REPO, config_data

# Imported from here by tests/test_config.py and tests/test_docs.py.
__all__ = ["REPO", "config_data"]
