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
    """Outside feeds/cli/ a log call has no `warning: `-style prefix, and its only
    argument, if any, is feeds.reporting.fields(...), which --log-format json emits as keys."""
    prefix = re.compile(r"(warning|error|feeds|websub|info|debug):", re.IGNORECASE)
    levels = {"debug", "info", "warning", "error", "exception", "critical"}
    checked = set()
    for source in SOURCES:
        if _name(source).startswith("cli/"):
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
    assert {
        "cache.py",
        "write.py",
        "manifest.py",
        "publish/__init__.py",
        "publish/websub.py",
    } <= checked


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SOURCES}


def _imported(node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of the package an import statement names: `from a import b` names the
    module `a.b` when there is one, else `a`."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & MODULES.keys()
    base = node.module or ""
    named = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
    return named or ({base} & MODULES.keys())


def _import_graph() -> dict[str, set[str]]:
    """Each module of the package and those it imports anywhere, `if TYPE_CHECKING:` and
    function bodies included."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        nodes = ast.walk(ast.parse(path.read_text()))
        imports = [n for n in nodes if isinstance(n, ast.Import | ast.ImportFrom)]
        graph[name] = set().union(*map(_imported, imports)) - {name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = {stack.pop()}
            while node not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_finds_a_circle_where_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [{"a", "b", "c"}]


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert _circles(_import_graph()) == []


def test_the_config_imports_no_module_that_reads_it() -> None:
    """The config is declared below every module that reads it: it may import only
    itself and modules that do not import it."""
    graph = _import_graph()
    readers = {
        name
        for name, imported in graph.items()
        if any(m.startswith("feeds.config") for m in imported)
    }
    config = {name for name in graph if name.startswith("feeds.config")}
    wrong = {name: graph[name] & (readers - config) for name in config}
    assert {name: found for name, found in wrong.items() if found} == {}


def _literals(tree: ast.Module) -> list[str]:
    """The string constants of a module that the program uses (f-string parts included),
    leaving out docstrings and the README lines of config keys (`doc=`)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))
        if isinstance(node, ast.keyword) and node.arg == "doc":
            skipped.update(id(part) for part in ast.walk(node.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
    ]


def test_each_output_file_name_and_media_type_is_written_in_one_module() -> None:
    """A file name or media type written in two modules can come to disagree (the icon's
    media type once did); every other module names it from the one that declares it."""
    from feeds import formats

    facts = {*formats.SITE_FILES, formats.MANIFEST_FILE, *formats.MEDIA_TYPES.values()}
    facts.add(formats.UNKNOWN_TYPE)
    facts |= {f.media_type for f in formats.FORMATS}
    trees = {_name(p): ast.parse(p.read_text()) for p in SOURCES}
    literals = {name: _literals(tree) for name, tree in trees.items()}
    homes = {
        fact: sorted(
            name
            for name, found in literals.items()
            if any(re.search(rf"(?<![\w./+-]){re.escape(fact)}(?![\w/+-])", s) for s in found)
        )
        for fact in facts
    }
    assert {fact: names for fact, names in homes.items() if len(names) != 1} == {}


# The modules that read article files, besides those that take their values (below).
ARTICLE_READERS = {"feeds.scan", "feeds.load", "feeds.cache", "feeds.validate"}


def _reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    """The modules `start` imports, straight or through others."""
    seen: set[str] = set()
    todo = [m for name in start for m in graph[name]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    return seen


def _take_articles(tree: ast.Module) -> bool:
    """Whether a module imports the article values (`Article`, `Stub`) of feeds.model."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "feeds.model"
        and {alias.name for alias in node.names} & {"Article", "Stub"}
        for node in ast.walk(tree)
    )


def test_publishing_never_reads_the_articles() -> None:
    """feeds/publish/ uploads the output folder and pings a hub: no module it imports,
    straight or through others, reads article files or takes articles, so a publish
    works from the output alone."""
    graph = _import_graph()
    publishing = {name for name in graph if name.startswith("feeds.publish")}
    article_side = ARTICLE_READERS | {
        name for name, path in MODULES.items() if _take_articles(ast.parse(path.read_text()))
    }
    assert len(publishing) > 3
    assert _reachable(graph, publishing) & article_side == set()


# What reads or writes files, caches or the network, which feeds/render/ leaves to others.
INPUT_OUTPUT = {"os", "io", "shutil", "tempfile", "sqlite3", "socket", "urllib.request"}
INPUT_OUTPUT |= {f"feeds.{name}" for name in ("files", "write", "cache", "manifest", "lock")}


def _io_uses(tree: ast.Module) -> set[str]:
    """The input/output modules a module imports, and `open` if it calls it."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found |= {"open"} & {node.func.id}
    return found & (INPUT_OUTPUT | {"open"})


def test_rendering_touches_no_file() -> None:
    """feeds/render/ turns values into bytes: it imports nothing that reads or writes
    files, caches or the network, and opens no file; feeds.output_stages writes what it makes."""
    rendering = {
        _name(p): ast.parse(p.read_text()) for p in SOURCES if _name(p).startswith("render/")
    }
    assert len(rendering) > 5
    uses = {name: _io_uses(tree) for name, tree in rendering.items()}
    assert {name: found for name, found in uses.items() if found} == {}
