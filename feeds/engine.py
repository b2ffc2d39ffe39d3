"""The cron-grade build: locked, cached, parallel, incremental and kill-safe.

Same stages and the same output as `pipeline.build`, doing only the work that changed:

1. scan: list the article files and `stat` each one;
2. parse: files whose (size, mtime, ctime, inode) match the parse cache are not opened;
   the others are parsed and validated, in a process pool when there are many;
3. group: duplicates, selection and grouping run on light "stub" articles (the fields
   those stages read), so a no-change run never unpacks a whole article;
4. render: each feed's fingerprint (its items' digests, its metadata, the config and the
   program version) is compared with the one in the output manifest; a feed is rendered
   only when they differ or its files are not in place;
5. write: files whose bytes changed are replaced atomically, files of feeds that are gone
   are deleted (only files the manifest lists), then the manifest is replaced.

Kill safety: before anything in the output folder changes, the manifest is rewritten to
list every file that may exist afterwards and to forget the fingerprints of the feeds
being rewritten, so a run killed at any point leaves files that the next run either
skips correctly or rewrites. The parse cache is only updated in SQLite transactions.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import marshal
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from feeds import __version__
from feeds import cache as cache_module
from feeds.cache import FileKey, ParseCache, Row, file_key, full_article, row_problems, stub
from feeds.config import Config
from feeds.errors import FeedsError, OutputError
from feeds.group import make_groups
from feeds.load import PARSER, require_articles
from feeds.lock import LOCK_FILE, output_lock
from feeds.logs import fields
from feeds.manifest import (
    SITE_KEY,
    FeedEntry,
    Manifest,
    load_manifest,
    prune,
    reset_journal,
    save_manifest,
    sweep_temp_files,
)
from feeds.manifest import files_in_place as _in_place
from feeds.model import Article, BuildReport, FeedGroup, GroupKind, Problem
from feeds.parallel import (
    MIN_PARALLEL_FEEDS,
    MIN_PARALLEL_FILES,
    FileResult,
    RenderTask,
    cpu_count,
    parse_files,
    render_feeds,
    start_pool,
    write_rendered,
)
from feeds.select import decide

if TYPE_CHECKING:
    from concurrent.futures import Executor

log = logging.getLogger("feeds")
FINGERPRINT_FORMAT = 1


class Progress(Protocol):
    """A progress display: `advance(n)` after n more units of work."""

    def advance(self, n: int) -> None:
        """Count n more units done."""


# label, total units -> a context manager giving a Progress
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


class _NoProgress:
    def advance(self, n: int) -> None:
        pass


def no_progress(label: str, length: int) -> AbstractContextManager[Progress]:
    """The progress display for when nobody watches."""
    return nullcontext(_NoProgress())


@dataclass(frozen=True, slots=True)
class Options:
    """How to run a build (the CLI's flags)."""

    use_cache: bool = True
    dry_run: bool = False
    strict: bool = False
    wait: float = 0.0
    workers: int = 0  # 0: one per core
    parser: str = PARSER
    progress: ProgressFactory = no_progress
    # A file changed this close to the start of a run might change again within the same
    # file-system timestamp tick (keeping its size) after it was read: its record serves
    # this run but is not cached, so the next run parses it again (git's "racy" rule).
    racy_seconds: float = 1.0
    # Stop after selection and grouping (`feeds check`): nothing rendered or compared.
    validate_only: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """A build's report plus what the incremental machinery did."""

    report: BuildReport
    files_parsed: int = 0
    files_cached: int = 0
    feeds_rendered: int = 0
    feeds_skipped: int = 0
    deleted: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    dry_run: bool = False
    pool_used: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def timing_line(self) -> str:
        """'scan 0.1 s, parse 1.2 s, ...; 12 feeds rendered, 4,580 unchanged'."""
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings)
        return (
            f"{stages}; {self.files_parsed:,} files parsed, {self.files_cached:,} from cache; "
            f"{self.feeds_rendered:,} feeds rendered, {self.feeds_skipped:,} unchanged"
        )


class _Timer:
    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append((name, time.perf_counter() - start))


def parse_settings(config: Config, parser: str) -> str:
    """What changes how a file becomes a record: cached records are valid only for this."""
    content = config.content
    # marshal's format belongs to the Python version, so that is a setting too.
    parts = (
        __version__,
        sys.version,
        str(content.dir),
        content.max_bytes,
        str(config.site.timezone),
        parser,
    )
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def config_fingerprint(config: Config) -> str:
    """A digest of the whole config but its own path: any setting change re-renders."""
    data = repr((FINGERPRINT_FORMAT, __version__, replace(config, path=Path())))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def feed_fingerprint(group: FeedGroup, digests: dict[str, str], config_fp: str) -> str:
    """A digest of exactly what goes into a feed's files."""
    h = hashlib.blake2b(digest_size=20)
    h.update(config_fp.encode("ascii"))
    h.update(repr((group.kind.value, group.key, group.slug, group.name, group.total)).encode())
    for article in group.items:
        h.update(digests[article.path].encode("ascii"))
    return h.hexdigest()


def inputs_fingerprint(
    config_fp: str, parser: str, paths: Sequence[str], keys: dict[str, FileKey | None]
) -> str:
    """A digest of everything a build reads: the config and every article file's identity."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{config_fp}\0{parser}\0{sys.version}".encode())
    for path in paths:
        h.update(f"\0{path}\0{keys[path]}".encode())
    return h.hexdigest()


def selection_horizon(winners: Sequence[Article], config: Config, now: datetime) -> int | None:
    """The first moment (POSIX seconds) at which the same articles could select differently:
    a future article coming of age, or a selected one growing older than max_age_days."""
    rules = config.select
    moments: list[float] = []
    if not rules.include_future:
        moments += [a.published_at.timestamp() for a in winners if a.published_at > now]
    if rules.max_age_days is not None:
        age = rules.max_age_days * 86400
        moments += [a.published_at.timestamp() + age for a in winners]
    return int(min(moments)) if moments else None


def scan_article_files(
    root: Path, patterns: Sequence[str]
) -> tuple[list[str], dict[str, FileKey | None]]:
    """load.find_article_files (same paths, same order) plus each file's identity, in one
    pass of os.scandir: its entries carry what a separate os.stat per file would ask for.
    """
    matcher = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    paths: list[str] = []
    keys: dict[str, FileKey | None] = {}

    def walk(folder: str, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return  # os.walk, too, skips a folder it cannot list
        subfolders: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.name.startswith(".") and not entry.is_symlink():
                    subfolders.append(entry)
                continue
            if entry.name.startswith(".") or matcher.match(entry.name) is None:
                continue
            path = prefix + entry.name
            paths.append(path)
            try:
                keys[path] = file_key(entry.stat())
            except OSError:
                keys[path] = None  # vanished or unreadable: parsing reports it
        for entry in subfolders:
            walk(entry.path, f"{prefix}{entry.name}/")

    walk(str(root), "")
    return paths, keys


def _scan(config: Config) -> tuple[list[str], dict[str, FileKey | None]]:
    content = config.content
    paths, keys = scan_article_files(content.dir, content.patterns)
    require_articles(content.dir, content.patterns, paths)
    return paths, keys


def build(config: Config, *, now: datetime, options: Options = Options()) -> Outcome:
    """Build (or with `dry_run`, plan) every feed of `config` as of `now`.

    Raises LockedError when another run holds the output folder, InputError when no
    article file is found (or, with `strict`, any is rejected), OutputError when the
    output can't be written. A dry run takes no lock and writes nothing anywhere.
    """
    out_dir = config.output.dir
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"output.dir {out_dir} exists and is not a folder"
        raise OutputError(msg)
    if options.dry_run or options.validate_only:
        return _Build(config, now, replace(options, dry_run=True)).run()
    created = not out_dir.exists()
    try:
        with output_lock(out_dir, options.wait):
            return _Build(config, now, options).run()
    except FeedsError:
        if created:
            _remove_if_only_lock(out_dir)
        raise


def _remove_if_only_lock(out_dir: Path) -> None:
    """Undo the folder a failed first run made for its lock: "nothing written" means it.

    The race this opens (another run waiting on the lock file being deleted) needs two
    more runs racing a first-ever run that fails; they would merely both build.
    """
    try:
        if [p.name for p in out_dir.iterdir()] == [LOCK_FILE]:
            (out_dir / LOCK_FILE).unlink()
            out_dir.rmdir()
    except OSError:
        pass


class _Build:
    def __init__(self, config: Config, now: datetime, options: Options) -> None:
        self.config = config
        self.now = now
        self.options = options
        self.timer = _Timer()
        self.pool: Executor | None = None
        self.workers = options.workers or cpu_count()

    def _pool(self) -> Executor | None:
        if self.workers < 2:
            return None
        if self.pool is None:
            self.pool = start_pool(
                self.config, self.options.parser, self.workers, self.options.dry_run
            )
        return self.pool

    def run(self) -> Outcome:
        with ExitStack() as stack:
            outcome = self._run(stack)
        if self.pool is not None:
            self.pool.shutdown()
        return outcome

    def _nothing_changed(self, cache: ParseCache, inputs_fp: str, files: int) -> Outcome | None:
        """The outcome of a run whose inputs are those of the last complete run, whose
        selection cannot have changed since (no article came of age or expired), and
        whose files are all in place: nothing to parse, group, render or write."""
        last = cache.last_run()
        if last is None or last[0] != inputs_fp:
            return None
        try:
            built_at, valid_until, found, valid, selected, rejected, feeds, problems = (
                marshal.loads(last[1])
            )
        except (ValueError, EOFError, TypeError):
            return None
        now = self.now.timestamp()
        if now < built_at or (valid_until is not None and now >= valid_until):
            return None
        out_dir = self.config.output.dir
        manifest = load_manifest(out_dir)
        if not manifest.complete or manifest.inputs != inputs_fp:
            return None
        if not all(_in_place(out_dir, entry.files) for entry in manifest.feeds.values()):
            return None
        report = BuildReport(
            files_found=found,
            articles_valid=valid,
            articles_selected=selected,
            rejected_files=rejected,
            problems=tuple(Problem(*fields) for fields in problems),
            unchanged=tuple(sorted(manifest.all_files())),
        )
        return Outcome(
            report=report,
            files_cached=files,
            feeds_skipped=feeds,
            timings=tuple(self.timer.stages),
            dry_run=self.options.dry_run,
        )

    def _open_cache(self) -> ParseCache | None:
        if not self.options.use_cache:
            return None
        cache_dir = self.config.cache.dir
        settings = parse_settings(self.config, self.options.parser)
        if self.options.dry_run:
            # A dry run writes nothing, the cache included: read it only if it is there.
            return (
                None
                if not (cache_dir / "parse.sqlite3").exists()
                else _readonly(cache_dir, settings)
            )
        return ParseCache.open(cache_dir, settings)

    def _run(self, stack: ExitStack) -> Outcome:
        config, options, timer = self.config, self.options, self.timer
        with timer.stage("scan"):
            started_ns = time.time_ns()
            cache_file = config.cache.dir / cache_module.CACHE_FILE
            if not options.use_cache or not cache_file.exists():
                # Every file will be parsed: start the workers now, so their start-up
                # (a fresh interpreter and its imports) overlaps the scan.
                pool = self._pool()
                if pool is not None:
                    pool.submit(int)
            paths, keys = _scan(config)
            cache = self._open_cache()
            if cache is not None:
                stack.callback(cache.close)
            config_fp = config_fingerprint(config)
            inputs_fp = inputs_fingerprint(config_fp, self.options.parser, paths, keys)
            if cache is not None:
                quick = self._nothing_changed(cache, inputs_fp, len(paths))
                if quick is not None:
                    return quick
            cached: dict[str, Row] = {}
            stale: list[str] = []
            if cache is not None:
                present = set(paths)
                for row in cache.rows():
                    if row.path in present and row.key == keys[row.path]:
                        cached[row.path] = row
                    elif row.path not in present:
                        stale.append(row.path)
            changed = [(p, keys[p]) for p in paths if p not in cached]
        all_trusted = all(key is not None for key in keys.values())
        with timer.stage("parse"):
            use_pool = len(changed) >= MIN_PARALLEL_FILES
            pool = self._pool() if use_pool else None
            with options.progress("parsing", len(changed)) as bar:
                fresh = parse_files(pool, config, options.parser, changed, bar.advance)
            if cache is not None and not options.dry_run and (fresh or stale):
                racy = started_ns - int(options.racy_seconds * 1e9)
                keep = [
                    row
                    for row in fresh
                    if keys[row.path] is not None and max(row.mtime_ns, row.ctime_ns) < racy
                ]
                # A record not kept must make the next run look at its file again.
                all_trusted = len(keep) == len(fresh)
                cache.update(keep, stale)
        with timer.stage("group"):
            blobs = {row.path: row.article for row in fresh if row.article is not None}
            rows = [*cached.values(), *fresh]
            rows.sort(key=lambda row: row.path)
            digests = {row.path: row.digest for row in rows if row.digest}
            problems: list[Problem] = [p for row in rows for p in row_problems(row)]
            articles: list[Article] = [a for row in rows if (a := stub(row)) is not None]
            decision = decide(articles, problems, config.select, self.now, strict=options.strict)
            problems, rejected = list(decision.problems), decision.rejected
            selected = decision.selected
            valid_until = selection_horizon(decision.winners, config, self.now)
            groups = make_groups(selected, config.feeds, all_name=config.site.title)
        if options.validate_only:
            report = BuildReport(
                files_found=len(paths),
                articles_valid=len(articles),
                articles_selected=len(selected),
                rejected_files=len(rejected),
                problems=tuple(problems),
                groups=groups,
            )
            return Outcome(
                report=report,
                files_parsed=len(changed),
                files_cached=len(cached),
                timings=tuple(timer.stages),
                dry_run=True,
            )
        with timer.stage("render"):
            old = load_manifest(config.output.dir)
            if not options.dry_run:
                swept = sweep_temp_files(config.output.dir, old)
                if swept:
                    log.info(
                        "%(count)d temporary files of an interrupted run deleted",
                        fields(count=len(swept)),
                    )
            fingerprints = [feed_fingerprint(g, digests, config_fp) for g in groups]
            to_render: list[int] = []
            entries: dict[str, FeedEntry] = {}
            for index, (group, fp) in enumerate(zip(groups, fingerprints, strict=True)):
                entry = old.feeds.get(group.folder)
                if (
                    entry is not None
                    and entry.fingerprint == fp
                    and _in_place(config.output.dir, entry.files)
                ):
                    entries[group.folder] = entry
                else:
                    to_render.append(index)
            # The site-wide files depend on every feed and the config, and nothing else.
            site_fp = hashlib.blake2b("".join([config_fp, *fingerprints]).encode()).hexdigest()
            site_entry = old.feeds.get(SITE_KEY)
            site_current = (
                site_entry is not None
                and site_entry.fingerprint == site_fp
                and _in_place(config.output.dir, site_entry.files)
            )
            if not options.dry_run and (to_render or not site_current):
                self._announce(old, {groups[i].folder for i in to_render} | {SITE_KEY})
            needed = {a.path for i in to_render for a in groups[i].items if a.path not in blobs}
            if needed and cache is not None:
                blobs.update(cache.articles(needed))
            tasks: list[RenderTask] = [
                (replace(groups[i], items=()), tuple(blobs[a.path] for a in groups[i].items))
                for i in to_render
            ]
            pool = self._pool() if len(tasks) >= MIN_PARALLEL_FEEDS else None
            with options.progress("rendering", len(tasks)) as bar:
                rendered = render_feeds(pool, config, tasks, bar.advance, options.dry_run)
            results: list[FileResult] = []
            for i, feed_results in zip(to_render, rendered, strict=True):
                sizes = {path: size for path, size, _ in feed_results}
                entries[groups[i].folder] = FeedEntry(fingerprints[i], sizes)
                results += feed_results
        with timer.stage("write"):
            if site_current and site_entry is not None:
                entries[SITE_KEY] = site_entry
            else:
                from feeds.pipeline import render_site_files  # imports feedgen: only if needed

                site_files = render_site_files(self._site_groups(groups, blobs, cache), config)
                site_results = write_rendered(site_files, config.output.dir, options.dry_run)
                entries[SITE_KEY] = FeedEntry(site_fp, {p: size for p, size, _ in site_results})
                results += site_results
            new = Manifest(entries, inputs=inputs_fp)
            gone = old.all_files() - new.all_files()
            deleted = prune(config.output.dir, gone, dry_run=options.dry_run)
            if not options.dry_run:
                save_manifest(config.output.dir, new)
                reset_journal(config.output.dir)
                if cache is not None:
                    summary = (
                        int(self.now.timestamp()),
                        valid_until,
                        len(paths),
                        len(articles),
                        len(selected),
                        len(rejected),
                        len(groups),
                        tuple((p.path, p.field, p.message, p.rejected) for p in problems),
                    )
                    trusted = all_trusted and (cache.count() == len(paths))
                    cache.set_last_run(inputs_fp if trusted else None, marshal.dumps(summary))
            written = [path for path, _, changed in results if changed]
            unchanged = [path for path, _, changed in results if not changed]
            # Files of feeds that were not rendered are unchanged too.
            rendered_keys = {groups[i].folder for i in to_render}
            if site_current:
                rendered_keys.discard(SITE_KEY)
            else:
                rendered_keys.add(SITE_KEY)
            unchanged += sorted(
                path
                for key, entry in entries.items()
                if key not in rendered_keys
                for path in entry.files
            )
        report = BuildReport(
            files_found=len(paths),
            articles_valid=len(articles),
            articles_selected=len(selected),
            rejected_files=len(rejected),
            problems=tuple(problems),
            groups=groups,
            written=tuple(written),
            unchanged=tuple(unchanged),
        )
        return Outcome(
            report=report,
            files_parsed=len(changed),
            files_cached=len(cached),
            feeds_rendered=len(to_render),
            feeds_skipped=len(groups) - len(to_render),
            deleted=tuple(deleted),
            timings=tuple(timer.stages),
            dry_run=options.dry_run,
            pool_used=self.pool is not None,
        )

    def _site_groups(
        self,
        groups: Sequence[FeedGroup],
        blobs: dict[str, bytes],
        cache: ParseCache | None,
    ) -> list[FeedGroup]:
        """The groups for the site-wide files: the all-articles feed with its whole items
        (the index page lists them), the other feeds with light items (only their names,
        sizes and dates are listed; unpacking 100,000 articles for that would cost ~1 s)."""
        out: list[FeedGroup] = []
        for group in groups:
            if group.kind is GroupKind.ALL:
                missing = [a.path for a in group.items if a.path not in blobs]
                if missing and cache is not None:
                    blobs.update(cache.articles(missing))
                items = tuple(full_article(blobs[a.path]) for a in group.items)
                group = replace(group, items=items)
            out.append(group)
        return out

    def _announce(self, old: Manifest, rewriting: set[str]) -> None:
        """Before any file changes: forget the fingerprints of the feeds about to be
        rewritten and mark the manifest incomplete, so a kill from here on leaves a
        manifest that never vouches for a half-updated feed. Files this run creates are
        journaled as they are written; the journal's older lines go into this manifest.
        """
        out_dir = self.config.output.dir
        intent = {
            key: entry if key not in rewriting else FeedEntry("", entry.files)
            for key, entry in old.feeds.items()
        }
        save_manifest(out_dir, Manifest(intent, complete=False))
        reset_journal(out_dir)


def _readonly(cache_dir: Path, settings: str) -> ParseCache | None:
    """The cache for reading only (dry runs): None when it is unusable."""
    import sqlite3

    path = cache_dir / "parse.sqlite3"
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        found = dict(db.execute("SELECT name, value FROM meta").fetchall())
        if found != {"format": str(cache_module.CACHE_FORMAT), "settings": settings}:
            db.close()
            return None
    except sqlite3.DatabaseError:
        return None
    return ParseCache(db, path)
