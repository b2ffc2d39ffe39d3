"""The scan stage: which article files there are, and each one's identity, in one pass."""

from __future__ import annotations

import fnmatch
import functools
import operator
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from feeds.cache import FileKey, file_key
from feeds.config import Content
from feeds.errors import InputError
from feeds.model import Problem

UNLISTED = "cannot be listed: {reason}; its articles keep their last published state"
FOLDER_LINK = "a link to a folder; not followed"
OUTSIDE_LINK = "a link to a file outside content.dir; skipped"
SPECIAL_FILE = "not a regular file (a FIFO, socket or device); skipped"
_NAME = operator.attrgetter("name")
_MODE = operator.attrgetter("st_mode")
_IDENTITY = operator.attrgetter("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")  # file_key


@dataclass(frozen=True)
class Scan:
    """Every article file under `content.dir`, in scan order, with its identity (None when
    its stat failed: parsing then reports why); what was skipped and why; and the folders
    that could not be listed ('a/b/'), whose files this run cannot see."""

    paths: tuple[str, ...]
    identities: tuple[FileKey | None, ...]  # one for each path
    problems: tuple[Problem, ...] = ()
    unlisted: tuple[str, ...] = ()

    @functools.cached_property
    def keys(self) -> dict[str, FileKey | None]:
        """Each path's identity. Made when first asked for: a run with nothing to do
        only fingerprints the identities."""
        return dict(zip(self.paths, self.identities, strict=True))


def scan(content: Content) -> Scan:
    """Relative '/'-separated paths of the files matching `content.patterns`, depth first
    in name order. Names starting with '.' are skipped silently; links to folders, links
    to files outside content.dir and special files (FIFOs, devices) with a Problem.

    One os.scandir per folder: its entries say which are plain files, and those that
    match are stat-ed in one go.
    Raises InputError when no article file is found (see `require_articles`).
    """
    walk = _Walk(content)
    todo = [(str(content.dir), "")]
    while todo:  # a loop, not recursion: a hostile tree may be nested very deep
        todo += reversed(walk.folder(*todo.pop()))
    if "" in walk.unlisted and content.dir.is_dir():
        reason = walk.problems[0].message.split(";")[0]
        msg = f"content.dir {content.dir} {reason}; nothing written"
        raise InputError(msg)
    require_articles(content.dir, content.patterns, walk.paths)
    paths, identities = tuple(walk.paths), tuple(walk.identities)
    return Scan(paths, identities, tuple(walk.problems), tuple(walk.unlisted))


class _Walk:
    """The scan's state while it walks the tree."""

    def __init__(self, content: Content) -> None:
        patterns = "|".join(f"(?:{fnmatch.translate(p)})" for p in content.patterns)
        self.match = re.compile(rf"(?!\.)(?:{patterns})").match  # and never a '.' name
        self.root = os.path.realpath(content.dir) + os.sep
        self.paths: list[str] = []
        self.identities: list[FileKey | None] = []
        self.problems: list[Problem] = []
        self.unlisted: list[str] = []

    def folder(self, path: str, prefix: str) -> list[tuple[str, str]]:
        """Take in one folder's files; return its subfolders (path, prefix) in name order."""
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=_NAME)
        except OSError as exc:
            self.unlisted.append(prefix)
            reason = UNLISTED.format(reason=exc.strerror or exc)
            self.problems.append(Problem(prefix or "./", "folder", reason))
            return []
        # Most entries are plain files; the listing's file type says so without a stat.
        plain = [entry.name for entry in entries if _is_regular(entry)]
        names = list(filter(self.match, plain))
        infos = _lstat_all(os.path.join(path, ""), names)
        subfolders: list[tuple[str, str]] = []
        if len(plain) < len(entries):  # subfolders, links, special files or '.' names
            names, infos = self.others(entries, prefix, subfolders, names, infos)
        self.add(prefix, names, infos)
        return subfolders

    def others(
        self,
        entries: list[os.DirEntry[str]],
        prefix: str,
        subfolders: list[tuple[str, str]],
        names: list[str],
        infos: list[os.stat_result | None],
    ) -> tuple[list[str], list[os.stat_result | None]]:
        """Note the subfolders and links to folders; add the links to files inside
        content.dir and the special files to the plain files, in name order."""
        files = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or _is_regular(entry):
                continue
            if _is_folder(entry):
                subfolders.append((entry.path, f"{prefix}{name}/"))
            elif entry.is_symlink() and _is_folder(entry, follow=True):
                self.problems.append(Problem(f"{prefix}{name}/", "folder", FOLDER_LINK))
            elif self.match(name) is None:
                continue
            elif entry.is_symlink() and not os.path.realpath(entry.path).startswith(self.root):
                self.problems.append(Problem(prefix + name, "file", OUTSIDE_LINK))
            else:
                files.append((name, _stat(entry.stat)))
        if not files:
            return names, infos
        files = sorted([*zip(names, infos, strict=True), *files], key=operator.itemgetter(0))
        return [name for name, _ in files], [info for _, info in files]

    def add(self, prefix: str, names: list[str], infos: list[os.stat_result | None]) -> None:
        """Take in one folder's files: the regular ones with their identity, those whose
        stat failed with None (parsing reports why), the others (special files, or files
        replaced since the listing) as a Problem."""
        paths = list(map(prefix.__add__, names))
        if None not in infos and all(map(stat.S_ISREG, map(_MODE, infos))):
            self.paths += paths  # the usual case, without a loop in Python
            self.identities += map(_IDENTITY, infos)
            return
        for path, info in zip(paths, infos, strict=True):
            if info is not None and not stat.S_ISREG(info.st_mode):
                self.problems.append(Problem(path, "file", SPECIAL_FILE))
                continue
            self.paths.append(path)
            self.identities.append(None if info is None else file_key(info))


def _lstat_all(folder: str, names: list[str]) -> list[os.stat_result | None]:
    """lstat each file in `folder` (a path ending in a separator); None where it fails."""
    try:
        return list(map(os.lstat, map(folder.__add__, names)))
    except OSError:  # one vanished or became unreadable since the listing: which?
        return [_stat(functools.partial(os.lstat, folder + name)) for name in names]


def _stat(call: Callable[[], os.stat_result]) -> os.stat_result | None:
    try:
        return call()
    except OSError:
        return None


def _is_regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _is_folder(entry: os.DirEntry[str], follow: bool = False) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def require_articles(root: Path, patterns: Sequence[str], paths: Sequence[str]) -> None:
    """Raise InputError when a scan of `root` found no article file.

    A mistyped or unmounted content folder must never wipe the published feeds, so a
    build stops before writing anything.
    """
    if paths:
        return
    if not root.is_dir():
        msg = f"content.dir {root} is not a folder; nothing written"
        raise InputError(msg)
    msg = f"content.dir {root} has no article files ({', '.join(patterns)}); nothing written"
    raise InputError(msg)
