"""Work spread over the cores: parsing changed files and rendering changed feeds.

The pool is started with the `forkserver` method: workers are forked from a small server
process rather than from the build, so they neither inherit (and are not billed for) the
build's memory nor any open database handle. Tasks go out in chunks and results stream
back in order. Below a threshold the work runs in this process, where a pool would cost
more to start than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import replace
from typing import TypeVar

from feeds.cache import FileKey, Row, full_article, make_row
from feeds.config import Config
from feeds.load import read_document
from feeds.model import FeedGroup, Problem, RenderedFile

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


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start_pool(config: Config, parser: str, workers: int) -> Executor:
    """A process pool whose workers know the config and the front-matter parser."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["feeds.parallel"])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init, initargs=(config, parser)
    )


def _init(config: Config, parser: str) -> None:
    global _config, _parser
    _config, _parser = config, parser


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


def render_task(task: RenderTask, config: Config) -> tuple[RenderedFile, ...]:
    """Render one feed whose items travel packed."""
    group, blobs = task
    items = tuple(full_article(blob) for blob in blobs)
    # Looked up at call time: feedgen and lxml take ~0.1 s to import, and a run with
    # nothing to render should not pay that.
    from feeds import render

    return render.render_group(replace(group, items=items), config)


def _render_chunk(tasks: Sequence[RenderTask]) -> list[tuple[RenderedFile, ...]]:
    assert _config is not None
    return [render_task(task, _config) for task in tasks]


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
) -> list[tuple[RenderedFile, ...]]:
    """Render every task's feed, in order, in the pool when given."""
    out: list[tuple[RenderedFile, ...]] = []
    if pool is None:
        for task in tasks:
            out.append(render_task(task, config))
            advance(1)
        return out
    for chunk in _stream(pool, _render_chunk, tasks, RENDER_CHUNK):
        out += chunk
        advance(len(chunk))
    return out
