"""`.feeds-manifest.json`: which files in the output folder this program wrote, per feed.

It is what makes two things safe: deleting the files of a feed that no longer has items
(only paths listed here are ever deleted, so a file someone else put in the output folder
is never touched) and skipping a feed whose fingerprint says its files are already right.
It is replaced atomically, and only after the files it lists are in place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import operator
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.errors import OutputError
from feeds.files import regular_size, write_atomic
from feeds.formats import MANIFEST_FILE
from feeds.reporting import fields

# Paths written since the manifest last listed them, one a line, appended before each
# write: a run killed while writing leaves in it every file it may have created, so the
# next run can count them as ours (and delete them if their feed is gone).
JOURNAL_FILE = ".feeds-journal"
JOURNAL_KEY = "/journal"
MANIFEST_FORMAT = 1
SITE_KEY = "/site"  # the site-wide files (no feed folder can be named like this)

log = logging.getLogger("feeds")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed's files (path -> size in bytes) and the fingerprint they were rendered from."""

    fingerprint: str
    files: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Manifest:
    """Every feed the last complete run wrote, keyed by feed folder ('' is the 'all' feed)."""

    feeds: Mapping[str, FeedEntry] = field(default_factory=dict)
    # False in the manifest written before a run changes files: if a run finds it so,
    # the last one was killed and may have left temporary files to sweep.
    complete: bool = True
    # The fingerprint of the inputs (article files' identities and config) it was made from.
    inputs: str = ""

    def all_files(self) -> set[str]:
        """Every file path listed, relative to the output folder."""
        return {path for entry in self.feeds.values() for path in entry.files}

    def to_bytes(self) -> bytes:
        """The JSON text, with sorted keys so equal manifests are equal bytes."""
        data = {
            "format": MANIFEST_FORMAT,
            "complete": self.complete,
            "inputs": self.inputs,
            "feeds": {
                key: {"fingerprint": entry.fingerprint, "files": dict(sorted(entry.files.items()))}
                for key, entry in sorted(self.feeds.items())
            },
        }
        # Compact: at 100,000 articles the manifest lists ~4,600 files, rewritten each run
        # that changes anything.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return (text + "\n").encode()


def _parse(data: object) -> Manifest | None:
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return None
    feeds = data.get("feeds")
    if not isinstance(feeds, dict):
        return None
    result: dict[str, FeedEntry] = {}
    for key, entry in feeds.items():
        if not isinstance(entry, dict):
            return None
        fingerprint, files = entry.get("fingerprint"), entry.get("files")
        if not isinstance(fingerprint, str) or not isinstance(files, dict):
            return None
        if not all(isinstance(p, str) and isinstance(s, int) for p, s in files.items()):
            return None
        result[str(key)] = FeedEntry(fingerprint, dict(files))
    inputs = data.get("inputs")
    return Manifest(
        result,
        complete=data.get("complete") is not False,
        inputs=inputs if isinstance(inputs, str) else "",
    )


def load_manifest(out_dir: Path) -> Manifest:
    """The manifest in `out_dir`; an empty one (and a log line) when missing or unreadable.

    An empty manifest only costs work: every feed is rendered and compared byte for byte,
    and nothing is deleted.
    """
    path = out_dir / MANIFEST_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Manifest()
    except OSError as exc:
        log.warning(
            "%(path)s: cannot be read (%(reason)s); rebuilding it",
            fields(path=path, reason=exc.strerror),
        )
        return Manifest()
    try:
        manifest = _parse(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if manifest is None:
        log.warning(
            "%(path)s: not a feeds manifest this version can read; rebuilding it",
            fields(path=path),
        )
        return Manifest()
    if not manifest.complete:
        journal = read_journal(out_dir)
        if journal:
            feeds = dict(manifest.feeds)
            feeds[JOURNAL_KEY] = FeedEntry("", dict.fromkeys(sorted(journal), -1))
            return Manifest(feeds, complete=False)
    return manifest


def read_journal(out_dir: Path) -> set[str]:
    """The paths a killed run may have written without listing them in the manifest."""
    try:
        text = (out_dir / JOURNAL_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    # A line cut short by a kill names no file we wrote (the path is journaled first).
    return {line for line in text.split("\n")[:-1] if line}


def journal_append(out_dir: Path, paths: Iterable[str]) -> None:
    """Record paths about to be written (O_APPEND: safe from several processes at once)."""
    data = "".join(f"{path}\n" for path in paths).encode("utf-8")
    if not data:
        return
    fd = os.open(out_dir / JOURNAL_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def reset_journal(out_dir: Path) -> None:
    """Forget the journal once a manifest lists everything in it."""
    with contextlib.suppress(FileNotFoundError):
        (out_dir / JOURNAL_FILE).unlink()


def save_manifest(out_dir: Path, manifest: Manifest) -> bool:
    """Replace the manifest atomically when its bytes change; return whether it was written."""
    path = out_dir / MANIFEST_FILE
    content = manifest.to_bytes()
    try:
        if path.read_bytes() == content:
            return False
    except OSError:
        pass
    try:
        write_atomic(path, content, fsync=True)
    except OSError as exc:
        raise OutputError.from_os_error(path, "write", exc) from exc
    return True


def files_in_place(out_dir: Path, files: Mapping[str, int]) -> bool:
    """Whether every file is a regular file (not a link) with the size recorded for it."""
    root = os.path.join(out_dir, "")  # str joins: a no-change run checks every output file
    sizes = map(regular_size, map(root.__add__, files))
    return bool(files) and all(map(operator.eq, sizes, files.values()))


def _is_our_temp(name: str, ours: set[str]) -> bool:
    # files.temp_name names temporary files '.<name>.<id>.tmp'.
    if not (name.startswith(".") and name.endswith(".tmp")):
        return False
    base = name[1:-4].rpartition(".")[0]
    return base in ours


def sweep_temp_files(out_dir: Path, manifest: Manifest) -> list[str]:
    """Delete temporary files a killed run left beside the files it was replacing.

    Only names of the form '.<file>.<random>.tmp' next to a <file> the manifest lists
    (or the manifest itself) are touched. Returns the paths deleted.
    """
    by_folder: dict[str, set[str]] = {"": {MANIFEST_FILE}}
    if not manifest.complete:
        for relative in manifest.all_files():
            folder, _, name = relative.rpartition("/")
            by_folder.setdefault(folder, set()).add(name)
    deleted: list[str] = []
    for folder, names in by_folder.items():
        try:
            entries = os.listdir(out_dir / folder)
        except OSError:
            continue
        for entry in entries:
            if _is_our_temp(entry, names):
                relative = f"{folder}/{entry}" if folder else entry
                with contextlib.suppress(OSError):
                    (out_dir / relative).unlink()
                    deleted.append(relative)
    return deleted
