"""Work spread over the cores: parsing changed files and rendering changed feeds.

The pool is started with the `forkserver` method: workers are forked from a small server
process rather than from the build, so they neither inherit (and are not billed for) the
build's memory nor any open database handle. Tasks go out in chunks and results stream
back in order. Below a threshold the same work runs in the build's own process, where a
pool would cost more to start than it saves.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from feeds.archive import ArchivePage
from feeds.config import Config
from feeds.errors import FeedsError
from feeds.load import parse_file
from feeds.model import FeedGroup, Stub
from feeds.records import FileIdentity, Record, unpack_article
from feeds.store import StoreRow
from feeds.store.documents import parse_row
from feeds.write import FileResult, Writer

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")
R = TypeVar("R")

PARSE_CHUNK = 250  # files per task: big enough to amortise the round trip, small to stream
RENDER_CHUNK = 40  # feeds per task
# Feeds and archive pages whose articles are unpacked at once: bounds the memory of a
# build that renders every article (the first build with archives).
RENDER_BATCH = 2000
MIN_PARALLEL_FILES = 400  # fewer changed files than this are parsed in-process
MIN_PARALLEL_FEEDS = 150  # fewer feeds to render than this are rendered in-process
# A build killed by `kill -9` leaves its pool's semaphores to the multiprocessing resource
# tracker, a helper process that outlives it: the tracker unlinks them, then warns on the
# build's stderr (two lines in the cron mail about a kill someone chose). It starts with
# this process's -W options, so this one quiets it and nothing else.
_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
SAFE_PATH = "PYTHONSAFEPATH"  # set: Python puts no working folder first on `sys.path`

# A feed to render: the feed (without its items), its archive page number (0 for the
# live feed), its items' whole articles, packed, in order, and their providers' feed
# folders ('' for none).
RenderTask = tuple[FeedGroup[Stub], int, tuple[bytes, ...], tuple[str, ...]]
ParseTask = tuple[str, FileIdentity | None]


@dataclass(frozen=True, slots=True)
class Job:
    """What every unit of work needs to know: the config, the parser, the writer."""

    config: Config
    parser: str
    writer: Writer


_job: Job | None = None  # a worker's Job, set once by the pool's initializer


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parse_chunk(job: Job, items: Sequence[ParseTask]) -> list[Record]:
    """Parse some files into their records."""
    return [parse_file(job.config, job.parser, path, identity) for path, identity in items]


def parse_rows(job: Job, rows: Sequence[StoreRow]) -> list[Record]:
    """Parse some rows of an article store into their records."""
    return [parse_row(job.config, row) for row in rows]


def render_chunk(job: Job, tasks: Sequence[RenderTask]) -> list[list[FileResult]]:
    """Render some feeds, then write their files that changed (one journal append)."""
    # Imported here: feedgen and lxml take ~0.1 s to import, which a run with nothing
    # to render should not pay.
    from feeds.render import render_archive_page, render_group

    rendered = []
    for group, page, blobs, sources in tasks:
        feed = group.filled(tuple(map(unpack_article, blobs)))
        if page:
            rendered.append(render_archive_page(ArchivePage(feed, page), job.config, sources))
        else:
            rendered.append(render_group(feed, job.config, sources))
    results = iter(job.writer.write([file for files in rendered for file in files]))
    return [[next(results) for _ in files] for files in rendered]


def _init(job: Job, build_pid: int) -> None:
    global _job
    _job = job
    threading.Thread(target=_exit_with, args=(build_pid,), daemon=True).start()


def _exit_with(build_pid: int) -> None:
    """End this worker when the build process ends. A build killed by `kill -9` cannot
    shut its pool down, and the workers (and so the fork server, which lives while any
    worker does) would otherwise wait for work forever, piling up run after run."""
    try:
        handle = os.pidfd_open(build_pid)  # readable once the process has ended
    except OSError:  # already gone, or a kernel without pidfd: poll instead
        while _alive(build_pid):
            time.sleep(1)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _in_worker(work: Callable[[Job, Sequence[T]], list[R]], items: Sequence[T]) -> list[R]:
    assert _job is not None, "called outside a pool worker"
    return work(_job, items)


class Workers:
    """The build's process pool, started on demand (most cron runs need none) in the
    background, and always shut down on leaving its `with` block, whatever happened inside.

    A pool takes a while to start (the fork server is a fresh interpreter that imports
    feedgen and lxml): meanwhile `map` does the work in the build's own process, chunk by
    chunk, and hands the pool the chunks left once it is up. A pool that cannot start is
    an error only for work that asked for it.
    """

    def __init__(self, job: Job, workers: int) -> None:
        self.job = job
        self.workers = workers
        self.pool: Executor | None = None
        self._starting: threading.Thread | None = None
        self._failure: Exception | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._starting is not None:
            self._starting.join()
        if self.pool is not None:
            # On an error, don't wait for chunks nobody will read.
            self.pool.shutdown(wait=exc is None, cancel_futures=True)

    def _start(self) -> None:
        """Start the workers in the background, when there are cores to spare."""
        if self.workers < 2 or self._starting is not None:
            return
        self._starting = threading.Thread(target=self._start_pool, name="feeds-pool-start")
        self._starting.start()

    def _start_pool(self) -> None:
        """Start the pool and wait for its first worker: the fork server is then up."""
        import multiprocessing  # imported here: most cron runs start no pool
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if _QUIET_TRACKER not in sys.warnoptions:
            sys.warnoptions.append(_QUIET_TRACKER)  # before the pool starts the tracker
        context = multiprocessing.get_context("forkserver")
        # Imported once in the fork server, so each worker does not import them again.
        context.set_forkserver_preload(["feeds.pool", "feeds.validate", "feeds.render"])
        pool: Executor | None = None
        try:
            with _safe_path():  # the fork server starts with the first worker
                pool = ProcessPoolExecutor(self.workers, context, _init, (self.job, os.getpid()))
                started = pool.submit(int)
            started.result()
        except Exception as exc:  # raised in the build's thread by `map`, not lost here
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            self._failure = _broken(exc) if isinstance(exc, OSError | BrokenProcessPool) else exc
        else:
            self.pool = pool

    def _ready(self, wait: bool) -> bool:
        """Whether the pool is up; with `wait`, once it is or has failed to start."""
        if self._starting is None or (self._starting.is_alive() and not wait):
            return False
        self._starting.join()
        return self.pool is not None

    def map(
        self,
        work: Callable[[Job, Sequence[T]], list[R]],
        items: Sequence[T],
        chunk: int,
        parallel: bool,
    ) -> Iterator[list[R]]:
        """`work` over `items` in chunks, results in order; in the pool once it is up, when
        `parallel` or when earlier work started it. Work that is `parallel` fails if the
        pool cannot start; other work is then done in the build's own process."""
        chunks = [items[start : start + chunk] for start in range(0, len(items), chunk)]
        if parallel:
            self._start()
        done = 0
        while done < len(chunks) and not self._ready(wait=False):
            if parallel and self._failure is not None:
                raise self._failure
            yield work(self.job, chunks[done])
            done += 1
        if done == len(chunks):
            if parallel and not self._ready(wait=True) and self._failure is not None:
                raise self._failure
            return
        assert self.pool is not None
        from concurrent.futures.process import BrokenProcessPool  # a pool is running: cheap

        try:
            yield from self.pool.map(partial(_in_worker, work), chunks[done:])
        except BrokenProcessPool as exc:
            raise _broken(exc) from exc


@contextmanager
def _safe_path() -> Iterator[None]:
    """Start Python processes without the working folder first on their `sys.path`.

    The fork server is a `python -c` process, which puts the working folder first and
    imports the preloaded modules from it (Python 3.11 does not give it the build's
    `sys.path`): a folder named `feeds` there (the natural name of a feed site's output)
    would be imported as an empty namespace package instead of this program, and every
    worker forked from it would die. Set only while the pool starts, so that nothing else
    this process starts later inherits it.
    """
    before = os.environ.get(SAFE_PATH)
    os.environ[SAFE_PATH] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SAFE_PATH]
        else:
            os.environ[SAFE_PATH] = before


def _broken(exc: Exception) -> FeedsError:
    msg = f"the worker processes could not start or died ({exc}); run with --jobs 1 to use none"
    return FeedsError(msg)
