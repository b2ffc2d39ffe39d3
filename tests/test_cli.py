"""The command line: silence on success, report lines on stderr, every exit code, and what
cron jobs use: check, doctor, --quiet, -v timings, --log-format json, --dry-run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.cli.console import terminal_progress
from tests.kit import Site, article, feeds_cli, make_site, snapshot


def corpus(tmp_path: Path, **extra: object) -> Site:
    files = {
        "a.md": article(1, title="First"),
        "sub/b.txt": article(2, webUrl="https://x.org/b", originalUrl=None),
    }
    return make_site(tmp_path, files | extra)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """One good article and one rejected file."""
    return make_site(tmp_path, {"a.md": article(1), "bad.md": "---\ntitle: T\n---\n"})


def invoke(site: Site, *args: str) -> tuple[int, str, str]:
    """`feeds COMMAND --config SITE [ARGS]`: exit status, stdout, stderr."""
    result = site.cli(*args)
    return result.exit_code, result.stdout, result.stderr


def test_clean_run_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    site = corpus(tmp_path)
    assert invoke(site, "build") == (0, "", "")
    assert (site.out / "rss.xml").is_file()
    assert (site.out / "topics" / "ai" / "atom.xml").is_file()


def test_rejected_files_are_reported_sorted_and_the_rest_published(tmp_path: Path) -> None:
    site = corpus(
        tmp_path,
        **{
            "z.md": article(3, publishedDateTime="yesterday"),
            "2024/bad.md": "no front matter",
            "m.md": article(4, quality="high"),
        },
    )
    code, out, err = invoke(site, "build")
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "warning: 2024/bad.md: front matter: no YAML front matter between '---' lines",
        "warning: m.md: quality: expected a number, got 'high'; counted as 0",
        "warning: z.md: publishedDateTime: expected an ISO 8601 date-time, got 'yesterday'",
    ]
    rss = (site.out / "rss.xml").read_text()
    assert rss.count("<item>") == 3


def test_verbose_prints_a_summary(tmp_path: Path) -> None:
    code, out, err = invoke(corpus(tmp_path), "build", "-v")
    assert (code, out) == (0, "")
    summary, timings = err.splitlines()
    assert timings.startswith("feeds: scan ")
    assert summary + "\n" == (
        "feeds: 2 article files read, 2 published, 0 rejected; 3 feeds, "
        "15 files written, 0 unchanged\n"
    )


def test_strict_writes_nothing_when_a_file_is_rejected(tmp_path: Path) -> None:
    site = corpus(tmp_path, **{"bad.md": article(3, title=None)})
    code, out, err = invoke(site, "build", "--strict")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "warning: bad.md: title: missing or empty; every article needs a title",
        "Error: 1 article file(s) rejected and --strict is set; nothing written",
    ]
    assert not site.out.exists()


def test_strict_fails_after_a_run_that_was_not_strict_and_nothing_changed(
    tmp_path: Path,
) -> None:
    site = corpus(tmp_path, **{"bad.md": article(3, title=None)})
    assert invoke(site, "build")[0] == 0
    before = snapshot(site.out)
    code, _, err = invoke(site, "build", "--strict")
    assert code == 1
    assert err.endswith("Error: 1 article file(s) rejected and --strict is set; nothing written\n")
    assert snapshot(site.out) == before


def test_missing_config_exits_1(tmp_path: Path) -> None:
    result = feeds_cli("build", "--config", str(tmp_path / "nope.yaml"))
    code, out, err = result.exit_code, result.stdout, result.stderr
    assert (code, out) == (1, "")
    assert err == f"Error: config file not found: {tmp_path / 'nope.yaml'}\n"


def test_invalid_config_exits_1_before_reading_anything(tmp_path: Path) -> None:
    site = make_site(tmp_path, feeds={"max_items": "fifty"})
    code, _, err = invoke(site, "build")
    assert code == 1
    assert err == (
        f"Error: {site.config_path}: invalid config:\n"
        '  feeds.max_items: expected a positive integer, got "fifty"\n'
    )
    assert not site.out.exists()


def test_empty_content_folder_never_wipes_the_feeds(tmp_path: Path) -> None:
    site = corpus(tmp_path)
    assert invoke(site, "build")[0] == 0
    before = snapshot(site.out)
    for path in site.content.rglob("*.*"):
        path.unlink()
    code, _, err = invoke(site, "build")
    assert code == 1
    assert "has no article files (*.md, *.markdown, *.txt); nothing written" in err
    assert snapshot(site.out) == before


def test_missing_content_folder_exits_1(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    site.content.rmdir()
    code, _, err = invoke(site, "build")
    assert code == 1
    assert "is not a folder; nothing written" in err


def test_output_collision_exits_1(tmp_path: Path) -> None:
    site = corpus(tmp_path)
    site.out.write_text("a file, not a folder")
    code, _, err = invoke(site, "build")
    assert code == 1
    assert "exists and is not a folder" in err


def test_usage_errors_exit_2() -> None:
    assert feeds_cli("build", "--no-such-flag").exit_code == 2
    assert feeds_cli("frobnicate").exit_code == 2


def test_help_and_version() -> None:
    result = feeds_cli("build", "--help")
    assert result.exit_code == 0
    assert "Example: feeds build --config config/feeds.yaml" in result.stdout
    assert feeds_cli("--version").stdout.startswith("feeds, version ")


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    site = corpus(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "--config", str(site.config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_unreadable_manifest_line_reads_as_before_and_has_fields_in_json(tmp_path: Path) -> None:
    site = corpus(tmp_path)
    manifest = site.out / ".feeds-manifest.json"
    line = f"{manifest}: not a feeds manifest this version can read; rebuilding it"
    invoke(site, "build")
    manifest.write_text("not json")
    assert invoke(site, "build") == (0, "", f"warning: {line}\n")
    manifest.write_text("not json")
    code, _, err = invoke(site, "build", "--log-format", "json")
    assert code == 0
    assert json.loads(err) == {"level": "warning", "message": line, "path": str(manifest)}


def test_build_off_a_terminal_prints_only_warnings(site: Site) -> None:
    code, out, err = invoke(site, "build")
    assert code == 0
    assert out == ""
    assert [line.split(":")[0] for line in err.splitlines()] == ["warning"] * 2
    assert "bad.md" in err


def test_quiet_drops_warnings(site: Site) -> None:
    code, out, err = invoke(site, "build", "--quiet")
    assert (code, out, err) == (0, "", "")


def test_verbose_adds_stage_timings(site: Site) -> None:
    code, _, err = invoke(site, "build", "-v")
    assert code == 0
    timing = [line for line in err.splitlines() if "parse" in line and "render" in line]
    assert len(timing) == 1
    assert "feeds rendered" in timing[0]
    # Each stage is timed under its name, in the order the README's Architecture lists them.
    stages = [
        part.split()[0] for part in timing[0].removeprefix("feeds: ").split(";")[0].split(", ")
    ]
    assert stages == ["scan", "parse", "select", "plan", "announce", "render", "site", "commit"]


def test_json_log_lines(site: Site) -> None:
    code, _, err = invoke(site, "build", "--log-format", "json")
    assert code == 0
    records = [json.loads(line) for line in err.splitlines()]
    assert {r["level"] for r in records} == {"warning"}
    assert {r["path"] for r in records} == {"bad.md"}
    assert all(r["rejected"] for r in records)
    assert all(r["message"] == f"{r['path']}: {r['field']}: {r['reason']}" for r in records)


def test_dry_run_prints_plan_and_writes_nothing(site: Site) -> None:
    code, out, _ = invoke(site, "build", "--dry-run")
    assert code == 0
    assert "would write rss.xml" in out.splitlines()
    assert "dry run:" in out
    assert not site.out.exists()


def test_check_reports_rejected_files_and_exits_1(site: Site) -> None:
    code, _, err = invoke(site, "check")
    assert code == 1
    assert "bad.md" in err
    assert not site.out.exists()
    (site.content / "bad.md").unlink()
    code, _, err = invoke(site, "check")
    assert (code, err) == (0, "")


def test_check_with_a_bad_config_exits_1(site: Site) -> None:
    site.config_path.write_text("site: {}\n")
    code, _, err = invoke(site, "check")
    assert code == 1
    assert "site.title" in err


def test_doctor_reports_parser_cache_and_counts(site: Site) -> None:
    code, out, _ = invoke(site, "doctor")
    assert code == 0
    assert "front-matter parser: yaml-rs" in out
    assert "cache:" in out
    assert "empty" in out
    assert "articles: 2 files, 1 valid, 1 rejected" in out
    invoke(site, "build")
    code, out, _ = invoke(site, "doctor")
    # The files were written a moment ago: by the racy-file rule their records are kept
    # without their files' identities, so the next build parses them again.
    assert "2 records" in out
    assert "feeds: 3; 0 files would be written" in out


def test_strict_failure_on_a_first_run_leaves_no_output_folder(site: Site) -> None:
    code, _, err = invoke(site, "build", "--strict")
    assert code == 1
    assert "--strict" in err
    assert not site.out.exists()


def test_summary_counts_skipped_feeds_files_as_unchanged(site: Site) -> None:
    invoke(site, "build")
    code, _, err = invoke(site, "build", "-v")
    assert code == 0
    assert "0 files written, 15 unchanged" in err.splitlines()[-2]


def test_json_errors_are_json_too(tmp_path: Path) -> None:
    code, _, err = invoke(make_site(tmp_path), "build", "--log-format", "json")
    assert code == 1
    (record,) = [json.loads(line) for line in err.splitlines()]
    assert record["level"] == "error"
    assert record["exit_code"] == 1
    assert "has no article files" in record["message"]


def test_no_progress_bar_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with terminal_progress("parsing", 10_000) as bar:
        bar.advance(5_000)
    assert capsys.readouterr().err == ""


def test_check_renders_nothing(site: Site) -> None:
    """`feeds check` groups the articles but renders no feed, nor compares one with the
    disk, while a dry run renders every feed to tell what would change."""
    code, _, err = invoke(site, "check")
    assert code == 1
    assert "bad.md" in err
    assert not site.out.exists()
    assert not (site.root / ".feeds-cache").exists()
    checked = site.build(dry_run=True, validate_only=True)  # what `feeds check` runs
    assert len(checked.report.groups) == 3
    assert (checked.feeds_rendered, checked.report.written, checked.report.unchanged) == (0, (), ())
    dry_run = site.build(dry_run=True)
    assert dry_run.feeds_rendered == 3
    assert "rss.xml" in dry_run.report.written
    assert not site.out.exists()


def test_a_missing_config_file_is_named_with_the_folder_it_was_looked_for_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default config path is relative
    for command in ("build", "check", "publish"):
        result = feeds_cli(command)
        assert result.exit_code == 1
        assert result.stderr == f"Error: config file not found: {tmp_path}/config/feeds.yaml\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--log-format", "json", "--bogus"], "No such option '--bogus'"),
        (["check", "--log-format=json", "--wait", "1"], "No such option '--wait'"),
        (["build", "--log-format", "json", "--jobs", "x"], "'x' is not a valid integer"),
        (["bogus", "--log-format", "json"], "No such command 'bogus'."),
        (["cache", "bogus", "--log-format", "json"], "No such command 'bogus'."),
    ],
)
def test_usage_errors_are_json_lines_with_log_format_json(args: list[str], message: str) -> None:
    result = feeds_cli(*args)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["level"] == "error"
    assert record["exit_code"] == 2
    assert message in record["message"]
    plain = [arg for arg in args if arg not in ("--log-format", "json", "--log-format=json")]
    assert feeds_cli(*plain).stderr.startswith("Usage: ")


def test_the_json_summary_line_has_every_count_as_a_key(site: Site) -> None:
    code, _, err = invoke(site, "build", "-v", "--log-format", "json")
    assert code == 0
    summary = next(json.loads(line) for line in err.splitlines() if "files read" in line)
    assert summary == {
        "level": "info",
        "message": "2 article files read, 1 published, 1 rejected; 3 feeds, "
        "15 files written, 0 unchanged",
        "files_read": 2,
        "articles_valid": 1,
        "published": 1,
        "rejected": 1,
        "feeds": 3,
        "files_written": 15,
        "files_unchanged": 0,
        "files_deleted": 0,
        "files_parsed": 2,
        "files_cached": 0,
        "feeds_rendered": 3,
        "feeds_unchanged": 0,
        "archive_pages_rendered": 0,
        "archive_pages_unchanged": 0,
    }
    code, _, err = invoke(site, "check", "-v", "--log-format", "json")
    checked = json.loads(err.splitlines()[-1])
    assert (checked["files_checked"], checked["rejected"]) == (2, 1)
