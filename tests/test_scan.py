"""The scan: every article file in depth-first name order with the identity a stat gives,
whatever happens to a file between the folder's listing and its stat; and an inputs
fingerprint that changes with any path or any part of any identity."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from feeds.cache import folder_of
from feeds.config import Content
from feeds.fingerprint import inputs_fingerprint
from feeds.records import FileIdentity, file_identity
from feeds.scan import SPECIAL_FILE, Folder, Scan, scan


def _tree(root: Path) -> Content:
    for relative in ["b.md", "d.md", "notes.txt", ".hidden.md", "sub/a.md", "sub/.d/x.md", "z.md"]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relative)
    (root / "c.md").symlink_to(root / "sub" / "a.md")  # a link to a file inside
    return Content(dir=root, patterns=("*.md",))


def _paths(found: Scan) -> list[str]:
    return [path for path, _ in found.files()]


def test_paths_come_depth_first_in_name_order_with_their_stat_identity(tmp_path: Path) -> None:
    found = scan(_tree(tmp_path))
    paths = ["b.md", "c.md", "d.md", "z.md", "sub/a.md"]
    assert list(found.files()) == [(p, file_identity(os.stat(tmp_path / p))) for p in paths]
    assert [(folder.prefix, folder.count) for folder in found.folders] == [("", 4), ("sub/", 1)]
    assert found.count == 5
    assert found.problems == ()


def test_folders_come_in_name_order_whatever_their_names_and_other_files_are_skipped(
    tmp_path: Path,
) -> None:
    # "a-b" sorts before "a" once a "/" is added: folders go by name, as files do.
    for relative in ["a/1.md", "a-b/2.md", "old.md/3.md", "a/notes.txt", "a/.x/4.md"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    os.mkfifo(tmp_path / "a" / "pipe")  # not an article file, whatever it is: no problem
    (tmp_path / "a" / "up").symlink_to(tmp_path / "a-b" / "2.md")  # not an article name
    found = scan(Content(dir=tmp_path, patterns=("*.md",)))
    assert _paths(found) == ["a/1.md", "a-b/2.md", "old.md/3.md"]
    assert [folder.prefix for folder in found.folders] == ["a/", "a-b/", "old.md/"]  # no top
    assert found.problems == ()


def test_a_file_gone_before_its_stat_keeps_its_path_without_an_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _tree(tmp_path)
    gone = str(tmp_path / "d.md")
    real_lstat = os.lstat

    def lstat(path: str) -> os.stat_result:
        if path == gone:
            raise FileNotFoundError(2, "No such file or directory", path)
        return real_lstat(path)

    monkeypatch.setattr(os, "lstat", lstat)
    found = scan(content)
    identity_of = dict(found.files())
    assert list(identity_of) == ["b.md", "c.md", "d.md", "z.md", "sub/a.md"]
    assert identity_of["d.md"] is None  # parsing reports why
    assert identity_of["z.md"] == file_identity(real_lstat(tmp_path / "z.md"))


def test_a_file_replaced_by_a_special_file_after_the_listing_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _tree(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    fifo = os.lstat(tmp_path / "fifo")
    swapped = str(tmp_path / "b.md")
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda path: fifo if path == swapped else real_lstat(path))
    found = scan(content)
    assert _paths(found) == ["c.md", "d.md", "z.md", "sub/a.md"]
    assert [(p.path, p.message) for p in found.problems] == [("b.md", SPECIAL_FILE)]


def test_the_inputs_fingerprint_changes_with_any_path_or_identity_part() -> None:
    paths = ("a.md", "b/c.md")
    identities: tuple[FileIdentity | None, ...] = ((10, 20, 30, 40), (11, 21, 31, 41))

    def digest(paths: tuple[str, ...], identities: tuple[FileIdentity | None, ...]) -> str:
        folders: dict[str, tuple[list[str], list[FileIdentity | None]]] = {}
        for path, identity in zip(paths, identities, strict=True):
            folder = folders.setdefault(folder_of(path), ([], []))
            folder[0].append(path)
            folder[1].append(identity)
        found = Scan(
            tuple(Folder(prefix, len(f[0]), marshal.dumps(f)) for prefix, f in folders.items())
        )
        return inputs_fingerprint("config", "parser", found.folder_digests, ())

    before = digest(paths, identities)
    assert digest(paths, identities) == before
    changed = [digest(("a.md", "b/d.md"), identities), digest(paths[:1], identities[:1])]
    changed.append(digest(paths, (identities[0], None)))
    changed.append(digest(paths[::-1], identities[::-1]))
    for part in range(4):
        key = list((11, 21, 31, 41))
        key[part] += 1
        changed.append(digest(paths, (identities[0], (key[0], key[1], key[2], key[3]))))
    assert before not in changed
    assert len(set(changed)) == len(changed)


def test_a_folder_digest_changes_with_its_own_files_only(tmp_path: Path) -> None:
    content = _tree(tmp_path)
    before = scan(content).folder_digests
    (tmp_path / "sub" / "b.md").write_text("new")
    after = scan(content).folder_digests
    assert after[""] == before[""]
    assert after["sub/"] != before["sub/"]
