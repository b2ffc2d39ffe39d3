"""feeds: turn a folder of news articles into RSS 2.0, Atom 1.0 and JSON feeds."""

from __future__ import annotations

__version__ = "0.1.0"
