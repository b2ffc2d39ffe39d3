"""The parse stage's unit of work: one article file read, parsed and validated into the
record the parse cache stores. Workers and the build's own process run this same code."""

from __future__ import annotations

from feeds.cache import FileKey, Record, make_record
from feeds.config import Config
from feeds.load import read_document
from feeds.model import Problem


def parse_file(config: Config, parser: str, path: str, key: FileKey | None) -> Record:
    """Read, parse and validate the file at `path` (relative to `content.dir`) whose scan
    gave it identity `key` (None: its stat failed, so the record never matches again)."""
    content = config.content
    doc = read_document(content.dir, path, content.max_bytes, parser)
    if isinstance(doc, Problem):
        return make_record(path, key, None, (doc,))
    from feeds.validate import validate  # imported here: a no-change run never needs it

    result = validate(doc, config.site.timezone, max_topics=config.select.max_topics)
    return make_record(path, key, result.article, result.problems)
