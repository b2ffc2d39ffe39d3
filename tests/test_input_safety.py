"""Hostile or broken input never stops a build, never leaks, never loses published feeds:
control characters, links out of the content folder, special files, unreadable folders
and a damaged parse cache."""

from __future__ import annotations

import marshal
import os
import sqlite3
from pathlib import Path

import pytest

from feeds.cache import CACHE_FILE
from feeds.load import PARSERS
from tests.kit import SECRET, article, front_matter, make_site


def test_a_nul_byte_cannot_publish_a_draft(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1)})
    (site.content / "draft.md").write_text(
        front_matter(article(2, title="Draft")).replace("title:", "note: a\x00b\ntitle:")
    )
    outcome = site.build()
    assert [(p.path, p.field) for p in outcome.report.problems] == [("draft.md", "front matter")]
    assert outcome.report.articles_selected == 1
    assert site.cli("check").exit_code == 1


def test_a_link_to_a_file_outside_the_content_folder_is_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(front_matter(article(2, title="Private memo")))
    site = make_site(tmp_path / "site", {"good.md": article(1)})
    (site.content / "link.md").symlink_to(outside / "secret.md")
    (site.content / "inside.md").symlink_to(site.content / "good.md")
    outcome = site.build()
    problems = [(p.path, p.field, p.message) for p in outcome.report.problems]
    assert ("link.md", "file", "a link to a file outside content.dir; skipped") in problems
    everything = b"".join(path.read_bytes() for path in site.out.rglob("*") if path.is_file())
    assert b"Private memo" not in everything
    assert SECRET.encode() not in everything
    # A link that stays inside the folder is an article like any other (here a duplicate).
    assert outcome.report.files_found == 2


def test_a_link_to_a_folder_is_not_followed_and_says_so(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.md").write_text(front_matter(article(2, title="Elsewhere")))
    site = make_site(tmp_path / "site", {"good.md": article(1)})
    (site.content / "more").symlink_to(elsewhere, target_is_directory=True)
    outcome = site.build()
    assert [(p.path, p.message) for p in outcome.report.problems] == [
        ("more/", "a link to a folder; not followed")
    ]
    assert outcome.report.files_found == 1


def test_a_fifo_is_skipped_and_never_blocks(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"good.md": article(1)})
    os.mkfifo(site.content / "pipe.md")
    outcome = site.build()
    assert [(p.path, p.field) for p in outcome.report.problems] == [("pipe.md", "file")]
    assert outcome.report.articles_selected == 1
    assert site.cli("check").exit_code == 1  # reported, and the check still ends


def test_an_unreadable_folder_is_reported_and_its_articles_stay_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, {"a.md": article(1), "news/b.md": article(2, title="Kept")})
    site.build()
    before = (site.out / "rss.xml").read_bytes()
    hidden = str(site.content / "news")
    real_listdir = os.listdir

    def listdir(path: str) -> list[str]:
        # As root, permissions don't stop a listing: make this one folder fail as an
        # unreadable one would.
        if str(path) == hidden:
            raise PermissionError(13, "Permission denied", path)
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    outcome = site.build()
    problem = outcome.report.problems[0]
    assert (problem.path, problem.field) == ("news/", "folder")
    assert problem.message.startswith("cannot be listed: Permission denied")
    assert outcome.report.articles_selected == 2
    assert (site.out / "rss.xml").read_bytes() == before
    assert b"Kept" in before


@pytest.mark.parametrize(
    "damage",
    [
        "files SET stub = x'00ff'",  # not marshal data
        "files SET problems = x'00ff'",
        f"files SET stub = x'{marshal.dumps(('too', 'few')).hex()}'",  # the wrong arity
        "articles SET article = x'00ff'",  # found only when a feed must be rendered
    ],
)
def test_a_damaged_cache_record_is_a_miss(tmp_path: Path, damage: str) -> None:
    site = make_site(tmp_path, {"a.md": article(1), "b.md": article(2)})
    clean = site.build()
    db = sqlite3.connect(site.root / ".feeds-cache" / CACHE_FILE)
    db.execute(f"UPDATE {damage} WHERE path = 'a.md'")
    db.commit()
    db.close()
    (site.out / "rss.xml").unlink()  # so that every feed's articles are needed again
    outcome = site.build()
    assert outcome.report.articles_selected == clean.report.articles_selected == 2
    assert outcome.files_parsed >= 1
    assert (site.out / "rss.xml").exists()
    assert site.build().files_parsed == 0  # the record was replaced


SECURED_MISTAKES = {
    "duplicate key": f"secured:\n  {SECRET}: a\n  {SECRET}: b\n",
    "duplicate key in flow": f"secured: {{{SECRET}: a, {SECRET}: b}}\n",
    "unknown tag": f"secured: !{SECRET} x\n",
    "undefined alias": f"secured: *{SECRET}\n",
    "duplicate anchor": f"secured: [&{SECRET} a, &{SECRET} b]\n",
    "bad escape": f'secured: "{SECRET}\\q"\n',
    "binary not ascii": f"secured: !!binary {SECRET}é\n",
    "bad binary": f"secured: !!binary {SECRET}!\n",
    "tab": f"secured:\n\t- {SECRET}\n",
    "unclosed": f"secured: [{SECRET}\n",
    "unclosed quote": f'secured: "{SECRET}\n',
}


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("parser", PARSERS)
def test_yaml_errors_in_secured_do_not_quote_it(
    tmp_path: Path, parser: str, log_format: str
) -> None:
    data = article(1)
    del data["secured"]
    head = front_matter(data).removesuffix("---\n")
    files = {f"{name}.md": head + body + "---\n" for name, body in SECURED_MISTAKES.items()}
    site = make_site(tmp_path, files)
    problems = site.build(parser=parser).report.problems
    assert sorted(p.path for p in problems) == sorted(files)
    assert all(p.field == "front matter" and p.rejected for p in problems)
    assert not [p.message for p in problems if SECRET[:8] in p.message or "unicode" in p.message]
    stderr = site.cli("check", "--log-format", log_format).stderr
    assert stderr.count("front matter: not valid YAML: ") == len(files)
    assert SECRET[:8] not in stderr
