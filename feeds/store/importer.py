"""`feeds import`: load an article folder into an article store.

The folder is scanned and each file read and validated as a build does, with the same
problems; a rejected file is reported and left out, as a build leaves it out. Each row's
key is the file's path relative to the folder (`2024/a.md`): stable, unique, and what a
report line names (`articles/2024/a.md`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path

from feeds.config import Content
from feeds.load import read_document
from feeds.model import Article, Problem, RawDoc
from feeds.scan import scan
from feeds.store import Table, open_store
from feeds.store.documents import document_text, raw_doc_from_row
from feeds.store.rows import StoreRow
from feeds.validate import validate

NOT_EXACT = "cannot be stored as JSON without changing the article ({why}); skipped"


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: how many rows it wrote and each file's problems, by path."""

    rows: int
    problems: tuple[Problem, ...]


def import_folder(folder: Path, database: Path | str, content: Content | None = None) -> Imported:
    """Load the article files under `folder` into the store `database` (table `articles`,
    default columns), creating the table with the README's DDL when it is absent, in one
    transaction. A file already imported is updated, and un-deleted.

    `content` gives the file patterns and size limit (its `dir` is ignored). Raises
    InputError when the folder has no article file, StoreError when the store fails.
    """
    rules = replace(content or Content(), dir=folder.resolve(), database=None)
    found = scan(rules)
    problems = list(found.problems)

    def documents() -> Iterator[tuple[str, str]]:
        for path, _ in found.files():
            doc = read_document(rules.folder, path, rules.max_bytes)
            text, findings = (None, (doc,)) if isinstance(doc, Problem) else _stored(doc)
            problems.extend(findings)
            if text is not None:
                yield path, text

    with open_store(database, Table(), writable=True) as store:
        store.create()
        rows = store.load(documents())
    return Imported(rows, tuple(sorted(problems, key=lambda p: p.path)))


def _stored(doc: RawDoc) -> tuple[str | None, tuple[Problem, ...]]:
    """A file's document as JSON text (None when the file is left out) and its problems:
    validation's, and why its JSON would not be the same article, if it would not."""
    result = validate(doc, UTC)
    if result.article is None:
        return None, result.problems
    text, why = _exact_json(doc, result.article)
    if text is None:
        problem = Problem(doc.path, "document", NOT_EXACT.format(why=why))
        return None, (*result.problems, problem)
    return text, result.problems


def _exact_json(doc: RawDoc, article: Article) -> tuple[str | None, str]:
    """The document as JSON text that validates to `article`, or None and why not."""
    try:
        text = document_text(doc.data)
    except RecursionError:
        return None, "nested too deep"
    again = raw_doc_from_row(StoreRow(doc.path, 0, text, False))
    if not isinstance(again, RawDoc):
        return None, again.message
    article_again = validate(again, UTC).article
    if article_again is None or replace(article_again, path=article.path) != article:
        return None, "a value JSON has no equal of"
    return text, ""
