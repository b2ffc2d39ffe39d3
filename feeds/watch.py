"""Rebuild when an article file or the config changes, for `feeds serve`.

The content folder is watched with watchfiles (inotify on Linux, FSEvents on macOS, with
a polling fallback), which reports a burst of changes, such as an editor's save, as one
batch. The config file is watched by its `stat` identity, checked twice a second: editors
save by renaming a new file over the old one, which a watch on the file itself loses, and
watching its folder would watch the output folder whenever that lies inside it.

Each rebuild is `feeds.engine.build`, the one build, under the output folder's lock like
any cron run; a config that does not load, or a build that fails, changes nothing, so the
last good output stays in place. Whatever a rebuild raises, even an exception no input
should cause, is its result's error: the watch goes on.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from threading import Event

import watchfiles

from feeds.config import Config, load_config
from feeds.engine import Options, Outcome, build
from feeds.records import FileIdentity, file_identity
from feeds.reporting import fields

log = logging.getLogger("feeds")

# A cron run holding the lock finishes well within this; a rebuild waits for it.
REBUILD_WAIT = 60.0
_CONFIG_POLL_MS = 500  # how often the config file's identity is checked
_DEBOUNCE_MS = 400  # the longest a burst of changes is gathered before a rebuild
_QUIET_MS = 50  # a burst ends after this long without a change
_RETRY_SECONDS = 1.0  # after the watch itself failed
_STORE_POLL_SECONDS = 2.0  # how often an article store is read for what changed

Stamp = FileIdentity | None  # a file's identity; None when it is missing


@dataclass(frozen=True, slots=True)
class Rebuild:
    """One rebuild: the config it read (None: that did not load) and the build's outcome,
    or the error that stopped it before anything changed: a FeedsError, or an exception
    of any other kind that no input should cause (a bug)."""

    config: Config | None
    outcome: Outcome | None = None
    error: Exception | None = None

    @property
    def changed_output(self) -> bool:
        """Whether the build wrote or deleted any file."""
        outcome = self.outcome
        return outcome is not None and bool(outcome.report.written or outcome.deleted)


OnRebuild = Callable[[Rebuild], None]


def rebuild(config_path: Path) -> Rebuild:
    """Read the config and build, as `feeds build` does; any exception is returned: one
    that escaped would end the watch, and with it every later rebuild."""
    try:
        config = load_config(config_path)
    except Exception as exc:  # a FeedsError, or a bug: reported either way
        return Rebuild(None, error=exc)
    try:
        outcome = build(config, now=datetime.now(UTC), options=Options(wait=REBUILD_WAIT))
    except Exception as exc:
        return Rebuild(config, error=exc)
    return Rebuild(config, outcome)


def stamp(path: Path) -> Stamp:
    """What identifies the file at `path` now: a save changes it, whatever the editor does."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # missing, unreadable, or a name no file can have
        return None
    return file_identity(info)


def _folder(path: Path) -> tuple[int, int] | None:
    """Which folder `path` is now (None: none): a folder deleted and made again is another,
    whose changes the watch of the first never sees."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


class _Watch:
    """What the watch knows between batches: the config it watches with, the config file's
    last stamp, and whether what changed meanwhile went unseen by any watch."""

    def __init__(self, config_path: Path, config: Config, on_rebuild: OnRebuild) -> None:
        self.config_path, self.config, self.on_rebuild = config_path, config, on_rebuild
        self.last = stamp(config_path)
        self.unseen = False

    def config_changed(self) -> bool:
        now = stamp(self.config_path)
        changed, self.last = now != self.last, now
        return changed

    def rebuild(self) -> bool:
        """Rebuild and report it; whether the watch must move to the config it loaded."""
        self.unseen = False
        result = rebuild(self.config_path)
        self.on_rebuild(result)
        if result.config is None or not _moves_watch(self.config, result.config):
            return False
        self.config = result.config
        self.unseen = True  # rebuild once the new watch is up (its first batch)
        return True


def watch(
    config_path: Path,
    config: Config,
    stop: Event,
    ready: Event,
    on_rebuild: OnRebuild,
) -> None:
    """Rebuild after every change to an article or to the config file, until `stop` is set
    (an article store has no change to watch: it is polled).

    `config` is the one the last build used. `ready` is set once changes are being
    watched; `on_rebuild` is told the result of each rebuild. A rebuild whose config loads
    and differs from the watched one moves the watch to its content folder (if it exists),
    then rebuilds once the new watch is up: a change made while it moved is seen by no watch.
    So does a content folder deleted (or replaced) and made again: the watch waits for it,
    still rebuilding when the config changes, and moves to it once it is there.
    """
    state = _Watch(config_path, config, on_rebuild)
    while not stop.is_set():
        if state.config.content.database is not None:
            _poll_store(state, stop, ready)
            continue
        folder = _folder(state.config.content.folder)
        try:
            if folder is None:
                _await_folder(state, stop, ready)
            else:
                _watch_folder(state, folder, stop, ready)
        except Exception as exc:  # the watch failed (or a bug): it starts again
            log.error(
                "%(path)s: cannot watch it (%(reason)s)",
                fields(path=state.config.content.folder, reason=exc),
            )
            ready.set()
            stop.wait(_RETRY_SECONDS)


def _watch_folder(state: _Watch, folder: tuple[int, int], stop: Event, ready: Event) -> None:
    """Rebuild on each batch of changes in `folder`, the content folder, until the watch
    must move: to another config's folder, or because this one is gone."""
    for changes in _changes(state.config, stop):
        ready.set()
        if _folder(state.config.content.folder) != folder:
            state.unseen = True  # gone or replaced: its watch sees nothing more
            return
        if (state.config_changed() or changes or state.unseen) and state.rebuild():
            return


def _await_folder(state: _Watch, stop: Event, ready: Event) -> None:
    """Wait for the content folder to exist (again), rebuilding when the config changes."""
    log.warning(
        "%(path)s: no such folder; watching for it", fields(path=state.config.content.folder)
    )
    ready.set()
    while not stop.wait(_CONFIG_POLL_MS / 1000):
        if _folder(state.config.content.folder) is not None:
            state.unseen = True
            return
        if state.config_changed() and state.rebuild():
            return


def _poll_store(state: _Watch, stop: Event, ready: Event) -> None:
    """Rebuild from an article store every `_STORE_POLL_SECONDS` (a run that finds nothing
    changed is one query), until the config moves the watch to a folder. A rebuild is
    reported when it changed the output, when the config changed, or when it failed
    otherwise than the one before: a store that stays unreachable is said once."""
    ready.set()
    last_error = ""
    while not stop.wait(_STORE_POLL_SECONDS):
        result = rebuild(state.config_path)
        error = "" if result.error is None else str(result.error)
        if result.changed_output or state.config_changed() or error not in ("", last_error):
            state.on_rebuild(result)
        last_error = error
        if result.config is not None and result.config != state.config:
            state.config = result.config
            if result.config.content.database is None:
                state.unseen = True  # rebuild once the folder's watch is up
                return


def _moves_watch(watched: Config, loaded: Config) -> bool:
    """Whether the watch should start again with the newly loaded config: it changed, and
    names an article store or a content folder that exists."""
    if loaded == watched:
        return False
    return loaded.content.database is not None or _folder(loaded.content.folder) is not None


def _changes(config: Config, stop: Event) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """Batches of relevant changes under content.dir; an empty batch every
    `_CONFIG_POLL_MS` without one, so that the config file is checked."""
    return watchfiles.watch(
        config.content.folder,
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
    content, output, cache = config.content.folder, config.output.dir, config.cache.dir

    def relevant(_change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        if not changed.is_relative_to(content):
            return False
        if changed.is_relative_to(output) or changed.is_relative_to(cache):
            return False
        return not any(part.startswith(".") for part in changed.relative_to(content).parts)

    return relevant
