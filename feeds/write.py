"""The write stage: the only code that changes the output folder, and its dry-run variant.

`Writer` replaces files atomically, journaling each path first, deletes the files of
feeds that are gone and replaces the manifest; `DryRun` answers the same calls by saying
what `Writer` would do, and changes nothing. The build takes one or the other; no stage
knows which.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from feeds.errors import OutputError
from feeds.files import safe_target, same_bytes, write_atomic
from feeds.logs import fields
from feeds.manifest import Manifest, journal_append, reset_journal, save_manifest, sweep_temp_files
from feeds.model import RenderedFile

__all__ = ["DryRun", "FileResult", "Writer", "safe_target", "write_atomic"]

log = logging.getLogger("feeds")


@dataclass(frozen=True, slots=True)
class FileResult:
    """What became of one output file: its path, size, and whether its bytes changed."""

    path: str
    size: int
    changed: bool


@dataclass(frozen=True, slots=True)
class Writer:
    """Writes into `out_dir`. Picklable: pool workers write the feeds they render."""

    out_dir: Path

    def write(self, files: Sequence[RenderedFile]) -> list[FileResult]:
        """Write the files whose bytes differ from the disk (journaled first)."""
        targets = [(file, safe_target(self.out_dir, file.path)) for file in files]
        changed = {
            file.path: target for file, target in targets if not same_bytes(target, file.content)
        }
        self._replace([(file, changed[file.path]) for file in files if file.path in changed])
        return [FileResult(file.path, len(file.content), file.path in changed) for file in files]

    def _replace(self, files: Sequence[tuple[RenderedFile, Path]]) -> None:
        if not files:
            return
        journal_append(self.out_dir, (file.path for file, _ in files))
        for file, target in files:
            try:
                write_atomic(target, file.content)
            except OSError as exc:
                msg = f"{target}: cannot write: {exc.strerror or exc}"
                raise OutputError(msg) from exc

    def prune(self, paths: Iterable[str]) -> list[str]:
        """Delete the listed files (ours, from the manifest), then any folder left empty.

        Returns the paths deleted. A listed path outside `out_dir` or that is no longer a
        regular file is left alone.
        """
        doomed = self._prunable(paths)
        for _, target in doomed:
            try:
                target.unlink()
            except OSError as exc:
                msg = f"{target}: cannot delete: {exc.strerror or exc}"
                raise OutputError(msg) from exc
        self._remove_empty_folders(target for _, target in doomed)
        return [relative for relative, _ in doomed]

    def _prunable(self, paths: Iterable[str]) -> list[tuple[str, Path]]:
        found = []
        for relative in sorted(paths):
            try:
                target = safe_target(self.out_dir, relative)
            except OutputError:
                log.warning(
                    "%(path)s: manifest lists a path outside the output folder",
                    fields(path=relative),
                )
                continue
            if target.is_file():
                found.append((relative, target))
        return found

    def _remove_empty_folders(self, files: Iterable[Path]) -> None:
        root = self.out_dir.resolve()
        folders = {
            p for file in files for p in file.parents if p.is_relative_to(root) and p != root
        }
        # Deepest first, so a parent is tried after its children; rmdir refuses a non-empty one.
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: someone else's files are in it
                folder.rmdir()

    def sweep(self, manifest: Manifest) -> None:
        """Delete the temporary files a killed run left beside the files it was replacing."""
        swept = sweep_temp_files(self.out_dir, manifest)
        if swept:
            log.info(
                "%(count)d temporary files of an interrupted run deleted",
                fields(count=len(swept)),
            )

    def announce(self, intent: Manifest) -> None:
        """Before any file changes: replace the manifest with `intent` (incomplete, without
        the fingerprints of the feeds about to change) and start a new journal."""
        save_manifest(self.out_dir, intent)
        reset_journal(self.out_dir)

    def commit(self, manifest: Manifest) -> None:
        """After every file is in place: the complete manifest, and no journal."""
        save_manifest(self.out_dir, manifest)
        reset_journal(self.out_dir)


@dataclass(frozen=True, slots=True)
class DryRun(Writer):
    """Says what `Writer` would write and delete; changes nothing anywhere."""

    def write(self, files: Sequence[RenderedFile]) -> list[FileResult]:
        """Which files `Writer.write` would change."""
        return [
            FileResult(
                f.path, len(f.content), not same_bytes(safe_target(self.out_dir, f.path), f.content)
            )
            for f in files
        ]

    def prune(self, paths: Iterable[str]) -> list[str]:
        """The files `Writer.prune` would delete."""
        return [relative for relative, _ in self._prunable(paths)]

    def sweep(self, manifest: Manifest) -> None:
        """Nothing to sweep in a dry run."""

    def announce(self, intent: Manifest) -> None:
        """A dry run announces nothing."""

    def commit(self, manifest: Manifest) -> None:
        """A dry run commits nothing."""
