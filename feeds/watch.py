"""Rebuild when an article file or the config changes, for `feeds serve`.

The content folder is watched with watchfiles (inotify on Linux, FSEvents on macOS, with
a polling fallback), which reports a burst of changes, such as an editor's save, as one
batch. The config file is watched by its `stat` identity, checked twice a second: editors
save by renaming a new file over the old one, which a watch on the file itself loses, and
watching its folder would watch the output folder whenever that lies inside it.

Each rebuild is `feeds.engine.build`, the one build, under the output folder's lock like
any cron run; a config that does not load, or a build that fails, changes nothing, so the
last good output stays in place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from threading import Event

import watchfiles

from feeds.config import Config, load_config
from feeds.engine import Options, Outcome, build
from feeds.errors import FeedsError
from feeds.logs import fields

log = logging.getLogger("feeds")

# A cron run holding the lock finishes well within this; a rebuild waits for it.
REBUILD_WAIT = 60.0
_CONFIG_POLL_MS = 500  # how often the config file's identity is checked
_DEBOUNCE_MS = 400  # the longest a burst of changes is gathered before a rebuild
_QUIET_MS = 50  # a burst ends after this long without a change
_RETRY_SECONDS = 1.0  # after the watch itself failed

Stamp = tuple[int, int, int, int] | None  # a file's identity; None when it is missing


@dataclass(frozen=True, slots=True)
class Rebuild:
    """One rebuild: the config it read (None: that did not load) and the build's outcome,
    or the error that stopped it before anything changed."""

    config: Config | None
    outcome: Outcome | None = None
    error: FeedsError | None = None

    @property
    def changed_output(self) -> bool:
        """Whether the build wrote or deleted any file."""
        outcome = self.outcome
        return outcome is not None and bool(outcome.report.written or outcome.deleted)


def rebuild(config_path: Path) -> Rebuild:
    """Read the config and build, as `feeds build` does; any FeedsError is returned."""
    try:
        config = load_config(config_path)
    except FeedsError as exc:
        return Rebuild(None, error=exc)
    try:
        outcome = build(config, now=datetime.now(UTC), options=Options(wait=REBUILD_WAIT))
    except FeedsError as exc:
        return Rebuild(config, error=exc)
    return Rebuild(config, outcome)


def stamp(path: Path) -> Stamp:
    """What identifies the file at `path` now: a save changes it, whatever the editor does."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def watch(
    config_path: Path,
    config: Config,
    stop: Event,
    ready: Event,
    on_rebuild: Callable[[Rebuild], None],
) -> None:
    """Rebuild after every change to an article or to the config file, until `stop` is set.

    `config` is the one the last build used. `ready` is set once changes are being
    watched; `on_rebuild` is told the result of each rebuild. A rebuild whose config loads
    and differs from the watched one moves the watch to its content folder (if it exists),
    then rebuilds once the new watch is up: a change made while it moved is seen by no watch.
    """
    last = stamp(config_path)
    moved = False  # the watch just moved: what changed meanwhile no watch has seen
    while not stop.is_set():
        try:
            for changes in _changes(config, stop):
                ready.set()
                now = stamp(config_path)
                if not changes and now == last and not moved:
                    continue
                last, moved = now, False
                result = rebuild(config_path)
                on_rebuild(result)
                if _moves_watch(config, result.config):
                    assert result.config is not None
                    config = result.config
                    moved = True  # rebuild once the new watch is up (its first batch)
                    break
        except (OSError, RuntimeError) as exc:  # the folder went away, or the watch failed
            log.error(
                "%(path)s: cannot watch it (%(reason)s)",
                fields(path=config.content.dir, reason=exc),
            )
            ready.set()
            stop.wait(_RETRY_SECONDS)


def _moves_watch(watched: Config, loaded: Config | None) -> bool:
    """Whether the watch should start again with the newly loaded config: it changed, and
    names a content folder that exists."""
    return loaded is not None and loaded != watched and loaded.content.dir.is_dir()


def _changes(config: Config, stop: Event) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """Batches of relevant changes under content.dir; an empty batch every
    `_CONFIG_POLL_MS` without one, so that the config file is checked."""
    return watchfiles.watch(
        config.content.dir,
        watch_filter=_article_filter(config),
        debounce=_DEBOUNCE_MS,
        step=_QUIET_MS,
        stop_event=stop,
        rust_timeout=_CONFIG_POLL_MS,
        yield_on_timeout=True,
        raise_interrupt=False,
    )


def _article_filter(config: Config) -> Callable[[watchfiles.Change, str], bool]:
    """Which changed paths call for a rebuild: those under content.dir that a scan reads,
    so not under a '.'-name (editors' swap files, version control) nor in the output or
    cache folder (should either lie inside content.dir, a build would retrigger itself)."""
    content, output, cache = config.content.dir, config.output.dir, config.cache.dir

    def relevant(_change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        if not changed.is_relative_to(content):
            return False
        if changed.is_relative_to(output) or changed.is_relative_to(cache):
            return False
        return not any(part.startswith(".") for part in changed.relative_to(content).parts)

    return relevant
