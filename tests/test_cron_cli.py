"""The cron-facing CLI: check, doctor, --quiet, -v timings, --log-format json, --dry-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from tests.cronkit import article_text, make_site


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(
        tmp_path,
        {"a.md": article_text(1), "bad.md": "---\ntitle: T\n---\n"},
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_off_a_terminal_prints_only_warnings(site: Path) -> None:
    code, out, err = invoke("build", "--config", str(site))
    assert code == 0
    assert out == ""
    assert [line.split(":")[0] for line in err.splitlines()] == ["warning"] * 2
    assert "bad.md" in err


def test_quiet_drops_warnings(site: Path) -> None:
    code, out, err = invoke("build", "--config", str(site), "--quiet")
    assert (code, out, err) == (0, "", "")


def test_verbose_adds_stage_timings(site: Path) -> None:
    code, _, err = invoke("build", "--config", str(site), "-v")
    assert code == 0
    timing = [line for line in err.splitlines() if "parse" in line and "render" in line]
    assert len(timing) == 1
    assert "feeds rendered" in timing[0]


def test_json_log_lines(site: Path) -> None:
    code, _, err = invoke("build", "--config", str(site), "--log-format", "json")
    assert code == 0
    records = [json.loads(line) for line in err.splitlines()]
    assert {r["level"] for r in records} == {"warning"}
    assert {r["path"] for r in records} == {"bad.md"}
    assert all(r["rejected"] for r in records)
    assert all(r["message"] == f"{r['path']}: {r['field']}: {r['reason']}" for r in records)


def test_dry_run_prints_plan_and_writes_nothing(site: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("build", "--config", str(site), "--dry-run")
    assert code == 0
    assert "would write rss.xml" in out.splitlines()
    assert "dry run:" in out
    assert not (tmp_path / "public").exists()


def test_check_reports_rejected_files_and_exits_1(site: Path, tmp_path: Path) -> None:
    code, _, err = invoke("check", "--config", str(site))
    assert code == 1
    assert "bad.md" in err
    assert not (tmp_path / "public").exists()
    (tmp_path / "content/bad.md").unlink()
    code, _, err = invoke("check", "--config", str(site))
    assert (code, err) == (0, "")


def test_check_with_a_bad_config_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("site: {}\n")
    code, _, err = invoke("check", "--config", str(config))
    assert code == 1
    assert "site.title" in err


def test_doctor_reports_parser_cache_and_counts(site: Path) -> None:
    code, out, _ = invoke("doctor", "--config", str(site))
    assert code == 0
    assert "front-matter parser: yaml-rs" in out
    assert "cache:" in out
    assert "empty" in out
    assert "articles: 2 files, 1 valid, 1 rejected" in out
    invoke("build", "--config", str(site))
    code, out, _ = invoke("doctor", "--config", str(site))
    # The files were written a moment ago, so the racy-file rule keeps them out of the cache.
    assert "0 records" in out
    assert "feeds: 3; 0 files would be written" in out


def test_strict_failure_on_a_first_run_leaves_no_output_folder(site: Path, tmp_path: Path) -> None:
    code, _, err = invoke("build", "--config", str(site), "--strict")
    assert code == 1
    assert "--strict" in err
    assert not (tmp_path / "public").exists()


def test_summary_counts_skipped_feeds_files_as_unchanged(site: Path) -> None:
    invoke("build", "--config", str(site))
    code, _, err = invoke("build", "--config", str(site), "-v")
    assert code == 0
    assert "0 files written, 14 unchanged" in err.splitlines()[-2]


def test_json_errors_are_json_too(tmp_path: Path) -> None:
    config = make_site(tmp_path, {})
    code, _, err = invoke("build", "--config", str(config), "--log-format", "json")
    assert code == 1
    (record,) = [json.loads(line) for line in err.splitlines()]
    assert record["level"] == "error"
    assert record["exit_code"] == 1
    assert "has no article files" in record["message"]


def test_no_progress_bar_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from feeds.clitools import terminal_progress

    with terminal_progress("parsing", 10_000) as bar:
        bar.advance(5_000)
    assert capsys.readouterr().err == ""


def test_check_renders_nothing(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import feeds.render

    def refuse(*args: object) -> None:
        raise AssertionError("check must not render")

    monkeypatch.setattr(feeds.render, "render_group", refuse)
    code, _, err = invoke("check", "--config", str(site))
    assert code == 1
    assert "bad.md" in err
