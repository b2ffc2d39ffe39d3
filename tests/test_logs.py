"""Text log lines escape the control and invisible characters of every value: a file name
cannot forge a line (`Error: ...`), drive the terminal or read in another order (RLO).
JSON lines carry the values as they are, with those characters as JSON escapes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from feeds.cli.console import setup_logging
from feeds.reporting import fields
from tests.kit import article, make_site

FORGED = "a\nError: forged.md"


def test_a_file_name_with_a_newline_cannot_forge_an_error_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1), FORGED: "no front matter\n"})

    result = site.cli("build")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: a\\nError: forged.md: front matter: no YAML front matter between '---' lines"
    ]


def test_an_escape_character_in_a_file_name_is_written_as_an_escape(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1), "b\x1b[2J\x9b1m.md": "---\n"})
    stderr = site.cli("check").stderr
    assert stderr.startswith("warning: b\\x1b[2J\\x9b1m.md: front matter: ")
    assert "\x1b" not in stderr
    assert "\x9b" not in stderr


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (FORGED, "a\\nError: forged.md"),
        ("cr\rtab\tdel\x7fls\u2028", "cr\\rtab\\tdel\\x7fls\\u2028"),
        ("plain é ✓", "plain é ✓"),
        ("rlo\u202ezw\u200bshy\u00adtag\U000e0041", "rlo\\u202ezw\\u200bshy\\xadtag\\U000e0041"),
    ],
)
def test_structured_log_lines_escape_their_values(
    capsys: pytest.CaptureFixture[str], value: str, shown: str
) -> None:
    setup_logging(verbose=True)
    log = logging.getLogger("feeds")
    log.warning("%(path)s: not deleted: %(reason)s", fields(path=value, reason=value))
    log.info("%s and %d", value, 7)
    assert capsys.readouterr().err == (
        f"warning: {shown}: not deleted: {shown}\nfeeds: {shown} and 7\n"
    )


def test_json_lines_keep_the_values_as_they_are(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1), FORGED: "no front matter\n"})
    lines = site.cli("build", "--log-format", "json").stderr.splitlines()
    assert [json.loads(line)["path"] for line in lines] == [FORGED]


HIDDEN = "invoice\u202edm.fdp\u202c\u200b.md"  # 'invoicepdf.md' where RLO is obeyed
C1 = "c1\x85\x9b2J.md"


def test_invisible_characters_in_a_file_name_are_escapes_in_text_logs(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1), HIDDEN: "no front matter\n"})
    stderr = site.cli("check").stderr
    assert stderr.startswith("warning: invoice\\u202edm.fdp\\u202c\\u200b.md: front matter: ")
    assert not {"\u202e", "\u200b"} & set(stderr)


def test_json_lines_escape_c1_and_invisible_characters(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1), HIDDEN: "---\n", C1: "---\n"})
    stderr = site.cli("check", "--log-format", "json").stderr
    assert not {"\x85", "\x9b", "\u202e", "\u200b"} & set(stderr)
    assert "\\u202e" in stderr
    assert "\\u0085" in stderr
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert sorted(line["path"] for line in lines) == sorted([C1, HIDDEN])
