"""Work spread over the cores: parsing changed files and rendering changed feeds.

The pool is started with the `forkserver` method: workers are forked from a small server
process rather than from the build, so they neither inherit (and are not billed for) the
build's memory nor any open database handle. Tasks go out in chunks and results stream
back in order. Below a threshold the work runs in this process, where a pool would cost
more to start than it saves.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from feeds.cache import FileKey, Row, full_article, make_row
from feeds.config import Config
from feeds.errors import OutputError
from feeds.load import read_document
from feeds.manifest import journal_append
from feeds.model import FeedGroup, Problem, RenderedFile
from feeds.write import safe_target

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")
R = TypeVar("R")

PARSE_CHUNK = 250  # files per task: big enough to amortise the round trip, small to stream
RENDER_CHUNK = 40  # feeds per task
MIN_PARALLEL_FILES = 400  # fewer changed files than this are parsed in-process
MIN_PARALLEL_FEEDS = 150  # fewer feeds to render than this are rendered in-process

# A render task: the feed without its items, and the packed items in order.
RenderTask = tuple[FeedGroup, tuple[bytes, ...]]

NO_KEY: FileKey = (-1, -1, -1, -1)  # a file whose stat failed: never matches, never cached
_config: Config | None = None
_parser: str | None = None
_dry_run = False

# What became of one output file: its path, its size and whether its bytes changed.
FileResult = tuple[str, int, bool]


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start_pool(config: Config, parser: str, workers: int, dry_run: bool) -> Executor:
    """A process pool whose workers know the config, the parser and whether to write."""
    import multiprocessing  # imported here: most cron runs start no pool
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    # Imported once in the fork server, so each worker does not import them again.
    context.set_forkserver_preload(["feeds.parallel", "feeds.validate", "feeds.render"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init,
        initargs=(config, parser, dry_run),
    )


def _init(config: Config, parser: str, dry_run: bool) -> None:
    # Per-worker state, set once by the pool's initializer.
    global _config, _parser, _dry_run
    _config, _parser, _dry_run = config, parser, dry_run


def parse_one(config: Config, parser: str, path: str, key: FileKey | None) -> Row:
    """Read, parse and validate one file into its cache row (key None: the stat failed)."""
    content = config.content
    doc = read_document(content.dir, path, content.max_bytes, parser)
    if isinstance(doc, Problem):
        return make_row(path, key or NO_KEY, None, (doc,))
    from feeds.validate import validate  # imported here: a no-change run never needs it

    result = validate(doc, config.site.timezone)
    return make_row(path, key or NO_KEY, result.article, result.problems)


def _parse_chunk(items: Sequence[tuple[str, FileKey | None]]) -> list[Row]:
    assert _config is not None
    assert _parser is not None
    return [parse_one(_config, _parser, path, key) for path, key in items]


def write_rendered(files: Sequence[RenderedFile], out_dir: Path, dry_run: bool) -> list[FileResult]:
    """Write the files whose bytes differ from the disk (journaled first); say what changed.

    No fsync per file: rename alone makes every file old-or-new under kill -9, which is
    what a cron job meets; fsync only adds power-loss durability and cost ~1.4 ms a file
    (5 s of a 17 s build of 10k articles). After a power loss the typical damage, a
    zero-length file, fails the manifest's size check and is rendered again.
    """
    targets = [(file, safe_target(out_dir, file.path)) for file in files]
    changed = [(file, target) for file, target in targets if not same_bytes(target, file.content)]
    if changed and not dry_run:
        journal_append(out_dir, (file.path for file, _ in changed))
        for file, target in changed:
            try:
                _replace(target, file.content)
            except OSError as exc:
                msg = f"{target}: cannot write: {exc.strerror or exc}"
                raise OutputError(msg) from exc
    written = {file.path for file, _ in changed}
    return [(file.path, len(file.content), file.path in written) for file in files]


_temp_names = itertools.count()


def _replace(target: Path, content: bytes) -> None:
    """write.write_atomic without fsync and with fewer system calls (this is the hot loop:
    one feed file per call): the folder is made only when the temporary file can't be.
    The temporary name has write_atomic's shape, '.<name>.<random>.tmp', which is what
    the sweep after a killed run looks for."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        temp = target.with_name(f".{target.name}.{os.getpid()}x{next(_temp_names)}.tmp")
        try:
            fd = os.open(temp, flags, 0o644)
            break
        except FileExistsError:
            continue  # left by a killed run that had the same process id
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            os.fchmod(fd, 0o644)  # whatever the umask: a web server must read it
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def same_bytes(path: Path, content: bytes) -> bool:
    """Whether the file at path holds exactly `content`."""
    try:
        if os.stat(path).st_size != len(content):
            return False
        with open(path, "rb") as file:
            return file.read() == content
    except OSError:
        return False


def render_chunk(
    tasks: Sequence[RenderTask], config: Config, dry_run: bool
) -> list[list[FileResult]]:
    """Render some feeds whose items travel packed, then write their files that changed
    (one journal append for the lot)."""
    # Looked up at call time: feedgen and lxml take ~0.1 s to import, and a run with
    # nothing to render should not pay that.
    from feeds import render

    rendered = [
        render.render_group(replace(group, items=tuple(map(full_article, blobs))), config)
        for group, blobs in tasks
    ]
    results = write_rendered([f for files in rendered for f in files], config.output.dir, dry_run)
    out: list[list[FileResult]] = []
    start = 0
    for files in rendered:
        out.append(results[start : start + len(files)])
        start += len(files)
    return out


def _render_chunk(tasks: Sequence[RenderTask]) -> list[list[FileResult]]:
    assert _config is not None
    return render_chunk(tasks, _config, _dry_run)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stream(
    pool: Executor, work: Callable[[Sequence[T]], list[R]], items: Sequence[T], size: int
) -> Iterator[list[R]]:
    # Executor.map submits every chunk at once and yields results in order as they finish.
    yield from pool.map(work, _chunks(items, size))


def parse_files(
    pool: Executor | None,
    config: Config,
    parser: str,
    items: Sequence[tuple[str, FileKey | None]],
    advance: Callable[[int], None],
) -> list[Row]:
    """Parse `items` (path, stat key) into rows, in order, in the pool when given."""
    rows: list[Row] = []
    if pool is None:
        for path, key in items:
            rows.append(parse_one(config, parser, path, key))
            advance(1)
        return rows
    for chunk in _stream(pool, _parse_chunk, items, PARSE_CHUNK):
        rows += chunk
        advance(len(chunk))
    return rows


def render_feeds(
    pool: Executor | None,
    config: Config,
    tasks: Sequence[RenderTask],
    advance: Callable[[int], None],
    dry_run: bool,
) -> list[list[FileResult]]:
    """Render and write every task's feed, in order, in the pool when given."""
    out: list[list[FileResult]] = []
    if pool is None:
        for part in _chunks(tasks, RENDER_CHUNK):
            out += render_chunk(part, config, dry_run)
            advance(len(part))
        return out
    for results in _stream(pool, _render_chunk, tasks, RENDER_CHUNK):
        out += results
        advance(len(results))
    return out
