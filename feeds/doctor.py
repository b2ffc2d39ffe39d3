"""`feeds doctor`: what an operator checks first when a cron job misbehaves."""

from __future__ import annotations

import platform
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from feeds import __version__
from feeds.cache import CACHE_FILE, cache_state, usable_meta
from feeds.config import Config, load_config
from feeds.engine import Options, build
from feeds.errors import FeedsError
from feeds.fingerprint import parse_settings
from feeds.formats import MANIFEST_FILE
from feeds.index import audit
from feeds.load import LIBYAML, PARSER
from feeds.lock import LOCK_FILE
from feeds.pool import cpu_count


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _cache_state(path: Path, settings: str) -> str:
    if not path.exists():
        return "empty (the next build parses every file)"
    try:
        meta, count = cache_state(path)
    except sqlite3.DatabaseError as exc:
        return f"unusable ({exc}); the next build rebuilds it"
    size = sum(p.stat().st_size for p in path.parent.glob(f"{CACHE_FILE}*"))
    if meta != usable_meta(settings):
        return f"{count:,} records made with other settings; the next build rebuilds it"
    return f"{count:,} records, {size / 1e6:.1f} MB; {_index_state(path)}"


def _index_state(path: Path) -> str:
    found = audit(path)
    state = f"index of {found.feeds:,} feeds, {found.members:,} memberships"
    if found.miscounted or found.stray:
        state += (
            f", DAMAGED: {found.miscounted:,} feeds miscounted, {found.stray:,} stray "
            "memberships (run `feeds cache clear`)"
        )
    return state


def doctor_lines(config_path: Path) -> Iterator[str]:
    """The report, line by line."""
    yield from _program_lines()
    try:
        config = load_config(config_path)
    except FeedsError as exc:
        yield f"config: {exc}"
        return
    yield from _path_lines(config)
    yield from _build_lines(config)


def _program_lines() -> Iterator[str]:
    yield f"feeds {__version__}, Python {platform.python_version()} on {platform.platform()}"
    yield (
        f"packages: click {_version('click')}, feedgen {_version('feedgen')}, "
        f"PyYAML {_version('pyyaml')}, yaml-rs {_version('yaml-rs')}"
    )
    libyaml = "yes" if LIBYAML else "NO"
    yield f"front-matter parser: {PARSER}; libyaml (config, fallback): {libyaml}"
    if PARSER == "pure-python":
        yield (
            "WARNING: neither yaml-rs nor libyaml is available; parsing is ~10x slower. "
            "Install yaml-rs, or PyYAML built with libyaml."
        )
    yield f"cores: {cpu_count()}"


def _path_lines(config: Config) -> Iterator[str]:
    yield f"config: {config.path} (valid)"
    yield f"content: {config.content.dir or config.content.database}"
    yield f"output: {config.output.dir}"
    cache_path = config.cache.dir / CACHE_FILE
    yield f"cache: {cache_path}: {_cache_state(cache_path, parse_settings(config, PARSER))}"
    manifest = config.output.dir / MANIFEST_FILE
    yield f"manifest: {manifest}: {'present' if manifest.exists() else 'none yet'}"
    yield f"lock file: {config.output.dir / LOCK_FILE}"


def _build_lines(config: Config) -> Iterator[str]:
    """What a build would do now: a dry run's counts."""
    try:
        outcome = build(config, now=datetime.now(UTC), options=Options(dry_run=True))
    except FeedsError as exc:
        yield f"articles: {exc}"
        return
    report = outcome.report
    read = "rows" if config.content.database is not None else "files"
    yield (
        f"articles: {report.files_found:,} {read}, {report.articles_valid:,} valid, "
        f"{report.rejected_files:,} rejected, {report.articles_selected:,} published"
    )
    yield (
        f"feeds: {outcome.feeds_rendered + outcome.feeds_skipped:,}; "
        f"{len(report.written):,} files would be written, "
        f"{len(outcome.deleted):,} deleted"
    )
