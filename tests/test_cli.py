"""The command line: silence on success, report lines on stderr, and every exit code."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import feeds
from feeds.cli import cli
from tests.conftest import article_yaml, write_config, write_corpus


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def corpus(tmp_path: Path, **extra: str) -> Path:
    files = {
        "a.md": article_yaml(title="First"),
        "sub/b.txt": article_yaml(webUrl="https://x.org/b", originalUrl=None),
    }
    write_corpus(tmp_path / "content", files | extra)
    return write_config(tmp_path)


def test_clean_run_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    config = corpus(tmp_path)
    assert run("build", "--config", str(config)) == (0, "", "")
    assert (tmp_path / "public" / "rss.xml").is_file()
    assert (tmp_path / "public" / "topics" / "ai" / "atom.xml").is_file()


def test_rejected_files_are_reported_sorted_and_the_rest_published(tmp_path: Path) -> None:
    config = corpus(
        tmp_path,
        **{
            "z.md": article_yaml(publishedDateTime="yesterday"),
            "2024/bad.md": "no front matter",
            "m.md": article_yaml(quality="high", webUrl="https://x.org/m", originalUrl=None),
        },
    )
    code, out, err = run("build", "--config", str(config))
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "warning: 2024/bad.md: front matter: no YAML front matter between '---' lines",
        "warning: m.md: quality: expected a number, got 'high'; counted as 0",
        "warning: z.md: publishedDateTime: expected an ISO 8601 date-time, got 'yesterday'",
    ]
    rss = (tmp_path / "public" / "rss.xml").read_text()
    assert rss.count("<item>") == 3


def test_verbose_prints_a_summary(tmp_path: Path) -> None:
    code, out, err = run("build", "--config", str(corpus(tmp_path)), "-v")
    assert (code, out) == (0, "")
    summary, timings = err.splitlines()
    assert timings.startswith("feeds: scan ")
    assert summary + "\n" == (
        "feeds: 2 article files read, 2 published, 0 rejected; 3 feeds, "
        "14 files written, 0 unchanged\n"
    )


def test_strict_writes_nothing_when_a_file_is_rejected(tmp_path: Path) -> None:
    config = corpus(tmp_path, **{"bad.md": article_yaml(title=None)})
    code, out, err = run("build", "--config", str(config), "--strict")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "warning: bad.md: title: missing or empty; every article needs a title",
        "Error: 1 article file(s) rejected and --strict is set; nothing written",
    ]
    assert not (tmp_path / "public").exists()


def test_missing_config_exits_1(tmp_path: Path) -> None:
    code, out, err = run("build", "--config", str(tmp_path / "nope.yaml"))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"Error: {tmp_path / 'nope.yaml'}: invalid config:\n  cannot read the config file"
    )


def test_invalid_config_exits_1_before_reading_anything(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds={"max_items": "fifty"})
    code, _, err = run("build", "--config", str(config))
    assert code == 1
    assert err == (
        f"Error: {config}: invalid config:\n"
        '  feeds.max_items: expected a positive integer, got "fifty"\n'
    )
    assert not (tmp_path / "public").exists()


def test_empty_content_folder_never_wipes_the_feeds(tmp_path: Path) -> None:
    config = corpus(tmp_path)
    assert run("build", "--config", str(config))[0] == 0
    before = {p: p.read_bytes() for p in (tmp_path / "public").rglob("*") if p.is_file()}
    for path in (tmp_path / "content").rglob("*.*"):
        path.unlink()
    code, _, err = run("build", "--config", str(config))
    assert code == 1
    assert "has no article files (*.md, *.markdown, *.txt); nothing written" in err
    assert {p: p.read_bytes() for p in (tmp_path / "public").rglob("*") if p.is_file()} == before


def test_missing_content_folder_exits_1(tmp_path: Path) -> None:
    code, _, err = run("build", "--config", str(write_config(tmp_path)))
    assert code == 1
    assert "is not a folder; nothing written" in err


def test_output_collision_exits_1(tmp_path: Path) -> None:
    config = corpus(tmp_path)
    (tmp_path / "public").write_text("a file, not a folder")
    code, _, err = run("build", "--config", str(config))
    assert code == 1
    assert "exists and is not a folder" in err


def test_usage_errors_exit_2() -> None:
    assert run("build", "--no-such-flag")[0] == 2
    assert run("frobnicate")[0] == 2


def test_help_and_version() -> None:
    code, out, _ = run("build", "--help")
    assert code == 0
    assert "Example: feeds build --config config/feeds.yaml" in out
    assert run("--version")[1].startswith("feeds, version ")


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    config = corpus(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_unreadable_manifest_line_reads_as_before_and_has_fields_in_json(tmp_path: Path) -> None:
    config = corpus(tmp_path)
    manifest = tmp_path / "public" / ".feeds-manifest.json"
    line = f"{manifest}: not a feeds manifest this version can read; rebuilding it"
    run("build", "--config", str(config))
    manifest.write_text("not json")
    assert run("build", "--config", str(config)) == (0, "", f"warning: {line}\n")
    manifest.write_text("not json")
    code, _, err = run("build", "--config", str(config), "--log-format", "json")
    assert code == 0
    assert json.loads(err) == {"level": "warning", "message": line, "path": str(manifest)}


def test_library_modules_leave_the_wording_to_the_cli() -> None:
    """Outside cli.py and clitools.py a log call has no `warning: `-style prefix, and its
    only argument, if any, is feeds.logs.fields(...), which --log-format json emits as keys."""
    prefix = re.compile(r"(warning|error|feeds|websub|info|debug):", re.IGNORECASE)
    levels = {"debug", "info", "warning", "error", "exception", "critical"}
    checked = set()
    for source in sorted(Path(feeds.__file__).parent.glob("*.py")):
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
            where = f"feeds/{source.name}:{node.lineno}"
            message, *args = node.args
            assert isinstance(message, ast.Constant), where
            assert not prefix.match(message.value), f"{where}: the CLI adds the prefix"
            assert [ast.unparse(arg)[: len("fields(")] for arg in args] in ([], ["fields("]), (
                f"{where}: pass the arguments as fields(...)"
            )
            checked.add(source.name)
    assert {"cache.py", "write.py", "manifest.py", "publish.py", "websub.py"} <= checked
