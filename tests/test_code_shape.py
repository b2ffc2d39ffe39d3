"""The code stays small enough to read in an afternoon: short functions, short modules."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCES = sorted((Path(__file__).resolve().parent.parent / "feeds").glob("*.py"))
MAX_FUNCTION_LINES = 40
MAX_MODULE_LINES = 350


def test_every_module_is_at_most_350_lines() -> None:
    long = {p.name: n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert SOURCES
    assert long == {}


def test_every_function_is_at_most_40_lines() -> None:
    long: dict[str, int] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.name}:{node.name}"] = lines
    assert long == {}
