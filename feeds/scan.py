"""The scan stage: which article files there are, and each one's identity, in one pass."""

from __future__ import annotations

import fnmatch
import operator
import os
import re
import stat
from collections.abc import Sequence
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


@dataclass(frozen=True, slots=True)
class Scan:
    """Every article file under `content.dir`, in scan order, with its identity (None when
    its stat failed: parsing then reports why); what was skipped and why; and the folders
    that could not be listed ('a/b/'), whose files this run cannot see."""

    paths: tuple[str, ...]
    keys: dict[str, FileKey | None]
    problems: tuple[Problem, ...] = ()
    unlisted: tuple[str, ...] = ()


def scan(content: Content) -> Scan:
    """Relative '/'-separated paths of the files matching `content.patterns`, depth first
    in name order. Names starting with '.' are skipped silently; links to folders, links
    to files outside content.dir and special files (FIFOs, devices) with a Problem.

    One os.scandir per folder: its entries carry what a separate stat per file would ask.
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
    return Scan(tuple(walk.paths), walk.keys, tuple(walk.problems), tuple(walk.unlisted))


class _Walk:
    """The scan's state while it walks the tree."""

    def __init__(self, content: Content) -> None:
        self.matcher = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in content.patterns))
        self.root = os.path.realpath(content.dir) + os.sep
        self.paths: list[str] = []
        self.keys: dict[str, FileKey | None] = {}
        self.problems: list[Problem] = []
        self.unlisted: list[str] = []

    def folder(self, folder: str, prefix: str) -> list[tuple[str, str]]:
        """Take in one folder's files; return its subfolders (path, prefix) in name order."""
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=_NAME)
        except OSError as exc:
            self.unlisted.append(prefix)
            reason = UNLISTED.format(reason=exc.strerror or exc)
            self.problems.append(Problem(prefix or "./", "folder", reason))
            return []
        subfolders = []
        match = self.matcher.match
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            # Most entries are plain files; the listing's file type says so without a stat.
            if _is_regular(entry):
                if match(name) is not None:
                    self.regular(entry, prefix + name)
            elif _is_folder(entry):
                subfolders.append((entry.path, f"{prefix}{name}/"))
            elif entry.is_symlink() and _is_folder(entry, follow=True):
                self.problems.append(Problem(f"{prefix}{name}/", "folder", FOLDER_LINK))
            elif match(name) is not None:
                self.other(entry, prefix + name)
        return subfolders

    def other(self, entry: os.DirEntry[str], path: str) -> None:
        """A link to a file, or a special file (a FIFO, a device)."""
        if entry.is_symlink() and not os.path.realpath(entry.path).startswith(self.root):
            self.problems.append(Problem(path, "file", OUTSIDE_LINK))
            return
        self.regular(entry, path)

    def regular(self, entry: os.DirEntry[str], path: str) -> None:
        try:
            info = entry.stat()
        except OSError:
            self.paths.append(path)
            self.keys[path] = None  # vanished or unreadable: parsing reports it
            return
        if not stat.S_ISREG(info.st_mode):  # replaced since the listing, or a special file
            self.problems.append(Problem(path, "file", SPECIAL_FILE))
            return
        self.paths.append(path)
        self.keys[path] = file_key(info)


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
