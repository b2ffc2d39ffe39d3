"""The scan stage: which article files there are, and each one's identity, in one pass."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import marshal
import operator
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from feeds.config import Content
from feeds.errors import InputError
from feeds.files import NOT_REGULAR
from feeds.model import Problem
from feeds.records import FileIdentity, file_identity

UNLISTED = "cannot be listed: {reason}; its articles keep their last published state"
FOLDER_LINK = "a link to a folder; not followed"
OUTSIDE_LINK = "a link to a file outside content.dir; skipped"
SPECIAL_FILE = f"{NOT_REGULAR}; skipped"
_MODE = operator.attrgetter("st_mode")


@dataclass(frozen=True, slots=True)
class Folder:
    """One listed folder's article files: its prefix ('' or 'a/b/'), how many there are,
    and their paths and identities (None where a stat failed) packed by marshal, at C
    speed and a fraction of the memory of the tuples: a run unpacks only the folders
    whose digest the cache has not stored."""

    prefix: str
    count: int
    packed: bytes

    @property
    def digest(self) -> bytes:
        """A digest of the folder's file paths and identities."""
        return hashlib.blake2b(self.packed, digest_size=16).digest()

    def files(self) -> list[tuple[str, FileIdentity | None]]:
        """Each file's path and identity, in name order."""
        paths, identities = marshal.loads(self.packed)
        return list(zip(paths, identities, strict=True))


@dataclass(frozen=True)
class Scan:
    """Every article file under `content.dir`, folder by folder in scan order, with its
    identity; what was skipped and why; and the folders that could not be listed
    ('a/b/'), whose files this run cannot see."""

    folders: tuple[Folder, ...]  # those holding article files
    problems: tuple[Problem, ...] = ()
    unlisted: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many article files there are."""
        return sum(folder.count for folder in self.folders)

    @functools.cached_property
    def folder_digests(self) -> dict[str, bytes]:
        """Each folder's digest (`Folder.digest`): the cache stores the digest of a folder
        whose files it holds records of, and does not look at them again while the
        digest stays the same."""
        return {folder.prefix: folder.digest for folder in self.folders}

    def files(self) -> Iterator[tuple[str, FileIdentity | None]]:
        """Every article file's path and identity, in scan order."""
        for folder in self.folders:
            yield from folder.files()


def scan(content: Content) -> Scan:
    """Relative '/'-separated paths of the files matching `content.patterns`, depth first
    in name order. Names starting with '.' are skipped silently; links to folders, links
    to files outside content.dir and special files (FIFOs, devices) with a Problem.

    One listing per folder, and one `lstat` per name: those of the files that match are
    taken in one go, and say what each is.
    Raises InputError when no article file is found (see `require_articles`).
    """
    walk = _Walk(content)
    todo = [(str(content.folder), "")]
    while todo:  # a loop, not recursion: a hostile tree may be nested very deep
        todo += reversed(walk.folder(*todo.pop()))
    if "" in walk.unlisted and content.folder.is_dir():
        reason = walk.problems[0].message.split(";")[0]
        msg = f"content.dir {content.dir} {reason}; nothing written"
        raise InputError(msg)
    require_articles(content.folder, content.patterns, walk.folders)
    return Scan(tuple(walk.folders), tuple(walk.problems), tuple(walk.unlisted))


class _Walk:
    """The scan's state while it walks the tree."""

    def __init__(self, content: Content) -> None:
        patterns = "|".join(f"(?:{fnmatch.translate(p)})" for p in content.patterns)
        self.match = re.compile(rf"(?!\.)(?:{patterns})").match  # and never a '.' name
        self.root = os.path.realpath(content.folder) + os.sep
        # The files of the folder being listed, packed into a Folder when it is done.
        self.paths: list[str] = []
        self.identities: list[FileIdentity | None] = []
        self.problems: list[Problem] = []
        self.unlisted: list[str] = []
        self.folders: list[Folder] = []

    def folder(self, path: str, prefix: str) -> list[tuple[str, str]]:
        """Take in one folder's files; return its subfolders (path, prefix) in name order.

        The folder is listed by name only: the `lstat` that gives each article file its
        identity also says what it is, and other names (subfolders, mostly) are few.
        """
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            self.unlisted.append(prefix)
            reason = UNLISTED.format(reason=exc.strerror or exc)
            self.problems.append(Problem(prefix or "./", "folder", reason))
            return []
        base = os.path.join(path, "")
        matching = list(filter(self.match, names))
        infos = _lstat_all(base, matching)
        subfolders: list[tuple[str, str, str]] = []  # name, path, prefix
        if None not in infos and all(map(stat.S_ISREG, map(_MODE, infos))):
            self.paths += map(prefix.__add__, matching)  # the usual case, without a loop
            self.identities += map(file_identity, cast(list[os.stat_result], infos))  # no None
        else:
            for name, info in zip(matching, infos, strict=True):
                self.take(base, prefix, name, info, subfolders)
        if len(matching) < len(names):  # subfolders, '.' names or other files
            others = [n for n in names if n[0] != "." and self.match(n) is None]
            for name, info in zip(others, _lstat_all(base, others), strict=True):
                # Other files are not articles, whatever they are; folders may hold some.
                if info is not None and (stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                    self.take(base, prefix, name, info, subfolders)
        if self.paths:
            packed = marshal.dumps((self.paths, self.identities))
            self.folders.append(Folder(prefix, len(self.paths), packed))
            self.paths, self.identities = [], []
        return [(path, folder_prefix) for _, path, folder_prefix in sorted(subfolders)]

    def take(
        self,
        base: str,
        prefix: str,
        name: str,
        info: os.stat_result | None,
        subfolders: list[tuple[str, str, str]],
    ) -> None:
        """Take in one entry of a folder (`base`, ending in a separator) that is not a
        plain article file, by its lstat `info`: a subfolder, a link, a special file, or
        an article file whose stat failed (None: parsing reports why). Only names that
        match the patterns are ever taken in as files."""
        path = base + name
        if info is not None and stat.S_ISDIR(info.st_mode):
            subfolders.append((name, path, f"{prefix}{name}/"))
            return
        if info is not None and stat.S_ISLNK(info.st_mode):
            if os.path.isdir(path):
                self.problems.append(Problem(f"{prefix}{name}/", "folder", FOLDER_LINK))
                return
            if self.match(name) is None:
                return
            if not os.path.realpath(path).startswith(self.root):
                self.problems.append(Problem(prefix + name, "file", OUTSIDE_LINK))
                return
            info = _stat(functools.partial(os.stat, path))
        if info is not None and not stat.S_ISREG(info.st_mode):
            self.problems.append(Problem(prefix + name, "file", SPECIAL_FILE))
            return
        self.paths.append(prefix + name)
        self.identities.append(None if info is None else file_identity(info))


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


def require_articles(root: Path, patterns: Sequence[str], folders: Sequence[Folder]) -> None:
    """Raise InputError when a scan of `root` found no article file.

    A mistyped or unmounted content folder must never wipe the published feeds, so a
    build stops before writing anything.
    """
    if folders:
        return
    if not root.is_dir():
        msg = f"content.dir {root} is not a folder; nothing written"
        raise InputError(msg)
    msg = f"content.dir {root} has no article files ({', '.join(patterns)}); nothing written"
    raise InputError(msg)
