"""The scan stage: which article files there are, and each one's identity, in one pass."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from feeds.cache import FileKey, file_key
from feeds.config import Content
from feeds.errors import InputError


@dataclass(frozen=True, slots=True)
class Scan:
    """Every article file under `content.dir`, sorted, with its identity (None when its
    stat failed: parsing then reports why)."""

    paths: tuple[str, ...]
    keys: dict[str, FileKey | None]


def scan(content: Content) -> Scan:
    """Relative '/'-separated paths of the files matching `content.patterns`, sorted by
    folder then name; names starting with '.' and symlinked folders are skipped.

    One os.scandir per folder: its entries carry what a separate stat per file would ask.
    Raises InputError when no article file is found (see `require_articles`).
    """
    matcher = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in content.patterns))
    paths: list[str] = []
    keys: dict[str, FileKey | None] = {}
    folders = [(str(content.dir), "")]
    while folders:
        folder, prefix = folders.pop()
        subfolders = []
        for entry in _entries(folder):
            if entry.name.startswith("."):
                continue
            if _is_folder(entry):
                subfolders.append((entry.path, f"{prefix}{entry.name}/"))
            elif matcher.match(entry.name) is not None:
                paths.append(prefix + entry.name)
                keys[prefix + entry.name] = _key(entry)
        folders += reversed(subfolders)  # depth first, in name order
    require_articles(content.dir, content.patterns, paths)
    return Scan(tuple(paths), keys)


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        return sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir() and not entry.is_symlink()
    except OSError:
        return False


def _key(entry: os.DirEntry[str]) -> FileKey | None:
    try:
        return file_key(entry.stat())
    except OSError:
        return None  # vanished or unreadable: parsing reports it


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
