"""One article file's parse outcome as the parse cache stores it (`feeds.cache`) and a
pool worker returns it: the file identity it was made from, and its packed stub,
problems and article, unpacked only when a stage needs them."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from feeds import codec
from feeds.model import Article, Problem, Stub

FileIdentity = tuple[int, int, int, int]  # size, st_mtime_ns, st_ctime_ns, st_ino
NO_IDENTITY: FileIdentity = (-1, -1, -1, -1)  # a file whose stat failed: never matches


# The identity a cached record is valid for, from a file's stat. An attrgetter: the scan
# maps it over every file of a folder at C speed.
file_identity: Callable[[os.stat_result], FileIdentity] = operator.attrgetter(
    "st_size", "st_mtime_ns", "st_ctime_ns", "st_ino"
)


@dataclass(frozen=True, slots=True)
class Problems:
    """One file's problems, as one packable value."""

    items: tuple[Problem, ...]


class Record(NamedTuple):
    """One file's parse outcome, as stored (and as a pool worker returns it)."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    digest: str  # of the Article ('' when rejected)
    problems: bytes | None  # packed `Problems`, None when there are none
    stub: bytes | None  # packed `Stub`, None when rejected
    article: bytes | None  # packed `Article`, None when rejected
    # What deciding between duplicates reads, as columns the index can query: the
    # article's id and publication time (POSIX seconds); None when rejected.
    aid: str | None = None
    at: int | None = None

    @property
    def newest_ns(self) -> int:
        """When the file last changed: its mtime or its ctime, whichever is later."""
        return max(self.mtime_ns, self.ctime_ns)


def make_record(
    path: str, identity: FileIdentity | None, article: Article | None, problems: Sequence[Problem]
) -> Record:
    """The stored form of one file's validation outcome (identity None: its stat failed)."""
    packed_problems = codec.pack(Problems(tuple(problems))) if problems else None
    if article is None:
        return Record(path, *(identity or NO_IDENTITY), "", packed_problems, None, None)
    # The digest is of every field: equal digests, equal feed entries.
    packed_article, digest = codec.pack_with_digest(article)
    return Record(
        path,
        *(identity or NO_IDENTITY),
        digest,
        packed_problems,
        codec.pack(article.stub()),
        packed_article,
        article.id,
        int(article.published_at.timestamp()),
    )


class CorruptRecord(Exception):
    """A stored record that does not decode: the cache was damaged or tampered with."""


def unpack_stub(path: str, blob: bytes) -> Stub:
    """A record's stub from its stored form. Raises CorruptRecord when it does not decode."""
    try:
        return codec.unpack(Stub, blob)
    except codec.Undecodable as exc:
        raise CorruptRecord(path) from exc


def unpack_problems(path: str, blob: bytes) -> tuple[Problem, ...]:
    """A record's problems from their stored form. Raises CorruptRecord when they do not
    decode."""
    try:
        return codec.unpack(Problems, blob).items
    except codec.Undecodable as exc:
        raise CorruptRecord(path) from exc


def unpack_article(blob: bytes) -> Article:
    """The whole article from its stored form. Raises CorruptRecord when it does not decode."""
    try:
        return codec.unpack(Article, blob)
    except codec.Undecodable as exc:
        raise CorruptRecord from exc
