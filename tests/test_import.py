"""`feeds import DIR --to URL`: an article folder into a SQLite or PostgreSQL store, each
file's article the same when read back from its row (validated as the build validates),
with `feeds build`'s report lines for the files it leaves out."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import chdir, closing
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from feeds.load import read_document
from feeds.model import Article, RawDoc
from feeds.store import StoreRow, open_store, raw_doc_from_row
from feeds.store.importer import import_folder
from feeds.validate import validate
from tests.kit import (
    SAMPLES,
    article,
    article_files,
    feeds_cli,
    front_matter,
    make_site,
    store_url,
    write_tree,
)

PARIS = ZoneInfo("Europe/Paris")  # dates without an offset must keep meaning Paris time


def every_row(database: Path | str) -> list[StoreRow]:
    with open_store(database) as store:
        return store.changed_since(None)[0]


def from_file(root: Path, path: str) -> Article | None:
    doc = read_document(root, path, 1_048_576)
    return validate(doc, PARIS).article if isinstance(doc, RawDoc) else None


def from_row(row: StoreRow) -> Article | None:
    doc = raw_doc_from_row(row)
    assert isinstance(doc, RawDoc)
    assert doc.path == f"articles/{row.key}"
    found = validate(doc, PARIS).article
    return None if found is None else dataclasses.replace(found, path=row.key)


def assert_rows_are_the_files(root: Path, rows: list[StoreRow]) -> None:
    """Each row validates to its file's article; every file with an article has a row."""
    by_key = {row.key: row for row in rows}
    for path in article_files(root):
        expected = from_file(root, path)
        if expected is None:
            assert path not in by_key
        else:
            assert from_row(by_key[path]) == expected, path
    assert len(by_key) == sum(from_file(root, p) is not None for p in article_files(root))


def test_the_samples_come_back_from_the_store_as_the_same_articles(
    tmp_path: Path, database: Path | str
) -> None:
    with chdir(tmp_path):
        result = feeds_cli("import", str(SAMPLES), "--to", store_url(database))
    assert result.exit_code == 0, result.stderr
    assert_rows_are_the_files(SAMPLES, every_row(database))
    assert result.stdout == ""
    assert report_lines(result.stderr) == build_report_lines(tmp_path / "site", SAMPLES)


def report_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


def build_report_lines(root: Path, content: Path) -> list[str]:
    """The `warning:` lines `feeds build` prints for the files in `content`, but those
    about duplicates: both files are imported, and the build from the store finds them."""
    site = make_site(root, {}, content={"dir": str(content)})
    result = site.cli("build")
    assert result.exit_code == 0, result.stderr
    return [line for line in report_lines(result.stderr) if ": duplicate of " not in line]


YAML_ONLY = {
    # YAML dates: a date-time without offset (read in site.timezone), with one, with a
    # fraction, and a date alone (midnight there).
    "dates/naive.md": "publishedDateTime: 2023-11-02 10:30:00",
    "dates/offset.md": "publishedDateTime: 2023-11-02T10:30:00+05:30",
    "dates/fraction.md": "publishedDateTime: 2023-11-02T10:30:00.123456Z",
    "dates/day.md": "publishedDateTime: 2023-11-02",
    "dates/related.md": "related: [{title: R, webUrl: 'https://r.example/1', publishedDateTime: 2023-11-01 08:00:00}]",
    # Values JSON has not: each must leave the article as it was, or be reported.
    "values/nan.md": "quality: .nan\nheat: -.inf\nexcerpt: .inf",
    "values/binary.md": "excerpt: !!binary aGVsbG8=",
    "values/set.md": "category: !!set {a, b}",
    "values/omap.md": "topics: !!omap [{a: 1}, {b: 2}]",
    "values/int-keys.md": "provider: {name: P, domain: p.example, 1: x}\n2: two",
    "values/huge.md": "excerpt: " + "7" * 5000 + "\nquality: " + "9" * 400,
    "values/nul.md": 'excerpt: "a\\0b"\ntopics: ["x\\0y"]',
    "values/surrogate.md": 'excerpt: "a\\ud800b"',
    "values/published-yes.md": "published: yes",
    "values/deep.md": "images: " + "[" * 200 + "]" * 200,
}


def yaml_only_corpus(root: Path) -> None:
    """Articles whose front matter holds what only YAML can say, and plain ones."""
    files: dict[str, str | dict[str, object]] = {
        f"plain/{n}.md": article(n, topics=["AI", f"T{n % 3}"]) for n in range(20)
    }
    for n, (path, extra) in enumerate(YAML_ONLY.items(), start=100):
        given = {line.split(":")[0]: None for line in extra.splitlines()}
        base = front_matter(article(n, **given)).removesuffix("---\n")
        files[path] = base + extra + "\n---\n"
    write_tree(root, files)


def test_values_only_yaml_has_come_back_as_the_same_articles(
    tmp_path: Path, database: Path | str
) -> None:
    content = tmp_path / "content"
    yaml_only_corpus(content)
    imported = import_folder(content, database)
    rows = every_row(database)
    assert imported.rows == len(rows)
    left_out = {p.path for p in imported.problems if p.field == "document"}
    assert_rows_are_the_files(content, [row for row in rows if row.key not in left_out])
    # None needed leaving out: each has a JSON form that validates alike.
    assert left_out == set()
    assert len(rows) == len(article_files(content)) - 1  # the lone surrogate: invalid YAML


def test_importing_again_changes_only_what_changed(tmp_path: Path, database: Path | str) -> None:
    content = tmp_path / "content"
    write_tree(content, {f"{n}.md": article(n) for n in range(5)})
    import_folder(content, database)
    with open_store(database) as store:
        _, cursor = store.changed_since(None)
        assert import_folder(content, database).rows == 5
        assert store.changed_since(cursor)[0] == []  # the same documents: no write
        write_tree(content, {"3.md": article(3, title="Edited")})
        tombstone(database, "1.md")
        import_folder(content, database)
        rows, _ = store.changed_since(cursor)
        assert sorted((row.key, row.deleted) for row in rows) == [("1.md", False), ("3.md", False)]
        assert sorted(store.keys()) == [f"{n}.md" for n in range(5)]


def tombstone(database: Path | str, key: str) -> None:
    if isinstance(database, Path):
        with closing(sqlite3.connect(database)) as db, db:
            db.execute("UPDATE articles SET deleted = 1 WHERE key = ?", (key,))
    else:
        with psycopg.connect(database) as db:
            db.execute("UPDATE articles SET deleted = true WHERE key = %s", (key,))


def test_a_folder_without_article_files_exits_1_and_creates_no_store(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = feeds_cli("import", str(tmp_path / "empty"), "--to", f"sqlite:///{tmp_path}/a.db")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: content.dir ")
    assert "has no article files" in result.stderr
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/news", 'expected a sqlite:/// or postgresql:// URL, got "mysql://db/news"'),
        ("postgresql://feeds:s3cret@db/news", "a password does not belong in the config file"),
    ],
)
def test_a_bad_store_url_is_a_usage_error(tmp_path: Path, url: str, message: str) -> None:
    result = feeds_cli("import", str(SAMPLES), "--to", url)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "s3cret" not in result.stderr


def test_an_unreachable_store_exits_1_with_an_error_line(tmp_path: Path) -> None:
    url = f"postgresql://feeds@/news?host={tmp_path}"
    result = feeds_cli("import", str(SAMPLES), "--to", url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: content.database {url}: cannot connect: ")
