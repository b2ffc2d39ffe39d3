"""Rules over every module of `feeds/` and its sub-packages.

The code stays readable in an afternoon: ceilings that catch outliers, not caps that
shape every function, and no formatter escape hatches to squeeze code under them. The
library logs plain messages with structured fields; the CLI chooses the wording."""

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


def test_library_modules_leave_the_wording_to_the_cli() -> None:
    """Outside cli.py and clitools.py a log call has no `warning: `-style prefix, and its
    only argument, if any, is feeds.logs.fields(...), which --log-format json emits as keys."""
    prefix = re.compile(r"(warning|error|feeds|websub|info|debug):", re.IGNORECASE)
    levels = {"debug", "info", "warning", "error", "exception", "critical"}
    checked = set()
    for source in SOURCES:
        if source.name in ("cli.py", "clitools.py"):
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in levels
                and ast.unparse(node.func.value) == "log"
            ):
                continue
            where = f"feeds/{_name(source)}:{node.lineno}"
            message, *args = node.args
            assert isinstance(message, ast.Constant), where
            assert not prefix.match(message.value), f"{where}: the CLI adds the prefix"
            assert [ast.unparse(arg)[: len("fields(")] for arg in args] in ([], ["fields("]), (
                f"{where}: pass the arguments as fields(...)"
            )
            checked.add(_name(source))
    assert {"cache.py", "write.py", "manifest.py", "publish.py", "websub.py"} <= checked
