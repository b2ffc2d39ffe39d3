"""The code stays readable in an afternoon: ceilings that catch outliers, not caps that
shape every function, and no formatter escape hatches to squeeze code under them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "feeds"
# rglob: a sub-package must not escape the rules.
SOURCES = sorted(PACKAGE.rglob("*.py"))
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
FORMATTER_ESCAPE = re.compile(r"#\s*fmt:\s*(skip|off)")


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def test_the_rules_see_every_module_of_the_package() -> None:
    assert len(SOURCES) > 10
    assert all(p.is_relative_to(PACKAGE) for p in SOURCES)


def test_no_module_is_over_500_lines() -> None:
    long = {
        _name(p): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long: dict[str, int] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{_name(path)}:{node.name}"] = lines
    assert long == {}


def test_no_code_is_kept_from_the_formatter() -> None:
    escapes = [
        f"{_name(p)}:{n}"
        for p in SOURCES
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if FORMATTER_ESCAPE.search(line)
    ]
    assert escapes == []
