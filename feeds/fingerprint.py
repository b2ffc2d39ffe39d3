"""Fingerprints: digests of exactly what an output depends on, so equal digests mean the
output on disk is already right and the work can be skipped."""

from __future__ import annotations

import hashlib
import marshal
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from feeds import __version__
from feeds.config import Config
from feeds.model import FeedGroup, Listing, Problem, Stub

FINGERPRINT_FORMAT = 3


def parse_settings(config: Config, parser: str) -> str:
    """What changes how a file becomes a record: cached records are valid only for this."""
    content = config.content
    # marshal's format belongs to the Python version, so that is a setting too.
    parts = (
        __version__,
        sys.version,
        str(content.dir),
        str(content.database),  # a store's rows are records of that store's only
        content.table,
        content.columns,
        content.max_bytes,
        str(config.site.timezone),
        config.select.max_topics,
        parser,
    )
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def config_fingerprint(config: Config) -> str:
    """A digest of the whole config but its own path: any setting change re-renders."""
    data = repr((FINGERPRINT_FORMAT, __version__, replace(config, path=Path())))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def feed_fingerprint(
    group: FeedGroup[Stub],
    digests: Mapping[str, str],
    sources: Mapping[str, str],
    config_fp: str,
    page: int = 0,
) -> str:
    """A digest of exactly what goes into a feed's files (`page` 0) or one of its archive
    pages' (`group` holding the page's items): its metadata, its items and the feeds
    their providers have (their RSS `<source>`)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(config_fp.encode("ascii"))
    meta = (group.kind.value, group.key, group.slug, group.name, group.total, page)
    h.update(repr(meta).encode())
    items = "\n".join(f"{digests[i.path]} {sources.get(i.path, '')}" for i in group.items)
    h.update(items.encode())
    return h.hexdigest()


def site_fingerprint(config_fp: str, listings: Iterable[Listing], everything: str) -> str:
    """The site-wide files list every feed (its place, name, total, length and date) and
    show the all-articles feed's items (`everything`: its fingerprint); nothing else but
    the config."""
    listed = [
        (feed.kind.value, feed.key, feed.slug, feed.name, feed.total, feed.shown, feed.updated)
        for feed in listings
    ]
    return hashlib.blake2b(repr((config_fp, everything, listed)).encode()).hexdigest()


def inputs_fingerprint(
    config_fp: str, parser: str, folder_digests: Mapping[str, bytes], skipped: Iterable[Problem]
) -> str:
    """A digest of everything a build reads: the config, every article file's identity
    (by the digests of the folders they are in: `Scan.folder_digests`), and every entry
    the scan skipped with a warning (a link out, a FIFO, a folder it could not list), so
    that one appearing or going away is a change the run reports."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{config_fp}\0{parser}\0{sys.version}".encode())
    h.update(marshal.dumps(tuple((p.path, p.field, p.message) for p in skipped)))
    h.update(marshal.dumps(tuple(folder_digests.items())))
    return h.hexdigest()


def store_inputs_fingerprint(config_fp: str, stamp: int) -> str:
    """A digest of everything a build from an article store reads: the config, and the
    cursor of the store read its records are up to date with."""
    data = f"{config_fp}\0{sys.version}\0{stamp}".encode()
    return hashlib.blake2b(data, digest_size=20).hexdigest()
