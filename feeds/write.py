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
from feeds.files import is_regular_file, safe_target, safe_targets, same_bytes, write_atomic
from feeds.manifest import Manifest, journal_append, reset_journal, save_manifest, sweep_temp_files
from feeds.model import RenderedFile
from feeds.reporting import fields

__all__ = ["DryRun", "FileResult", "Writer"]

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
        paths = safe_targets(self.out_dir, [file.path for file in files])
        targets = list(zip(files, paths, strict=True))
        changed = {
            file.path: target for file, target in targets if not same_bytes(target, file.content)
        }
        self._replace([(file, changed[file.path]) for file in files if file.path in changed])
        return [FileResult(file.path, len(file.content), file.path in changed) for file in files]

    def _replace(self, files: Sequence[tuple[RenderedFile, Path]]) -> None:
        if not files:
            return
        try:
            journal_append(self.out_dir, (file.path for file, _ in files))
            for file, target in files:
                write_atomic(target, file.content)
        except OSError as exc:
            raise OutputError.from_os_error(exc.filename or self.out_dir, "write", exc) from exc

    def prune(self, paths: Iterable[str]) -> list[str]:
        """Delete the listed files (ours, from the manifest), then the folders left empty.

        Only regular files are deleted: a link, a folder or a special file at a listed
        path is not ours, and is left alone. The folders of every listed path are tried,
        so a folder a killed run made but never filled goes too. Returns the paths deleted.
        """
        listed = self._targets(paths)
        doomed = [(relative, target) for relative, target in listed if is_regular_file(target)]
        self._delete([target for _, target in doomed], [target for _, target in listed])
        return [relative for relative, _ in doomed]

    def _delete(self, files: Sequence[Path], listed: Sequence[Path]) -> None:
        for target in files:
            try:
                target.unlink()
            except OSError as exc:
                raise OutputError.from_os_error(target, "delete", exc) from exc
        self._remove_empty_folders(listed)

    def _targets(self, paths: Iterable[str]) -> list[tuple[str, Path]]:
        found = []
        for relative in sorted(paths):
            try:
                found.append((relative, safe_target(self.out_dir, relative)))
            except OutputError as exc:
                log.warning("%(path)s: not deleted: %(reason)s", fields(path=relative, reason=exc))
        return found

    def _remove_empty_folders(self, files: Iterable[Path]) -> None:
        root = self.out_dir
        folders = {
            p for file in files for p in file.parents if p.is_relative_to(root) and p != root
        }
        # Deepest first, so a parent is tried after its children; rmdir refuses a non-empty one.
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: someone else's files are in it
                folder.rmdir()

    def sweep(self, manifest: Manifest) -> None:
        """Delete the temporary files a killed run left beside the files it was replacing,
        and the folders that leaves empty."""
        swept = sweep_temp_files(self.out_dir, manifest)
        if swept:
            self._remove_empty_folders(self.out_dir / path for path in swept)
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
    """Says what `Writer` would write and delete, by the same decisions; changes nothing
    anywhere (each step that would touch the disk does nothing)."""

    def _replace(self, files: Sequence[tuple[RenderedFile, Path]]) -> None:
        """A dry run replaces no file."""

    def _delete(self, files: Sequence[Path], listed: Sequence[Path]) -> None:
        """A dry run deletes nothing."""

    def sweep(self, manifest: Manifest) -> None:
        """Nothing to sweep in a dry run."""

    def announce(self, intent: Manifest) -> None:
        """A dry run announces nothing."""

    def commit(self, manifest: Manifest) -> None:
        """A dry run commits nothing."""
