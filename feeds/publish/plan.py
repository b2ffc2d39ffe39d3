"""What a publish will do: the output folder, the manifest and the listing in, a plan out.

S3 listings carry no user metadata, so a manifest, `<prefix>.feeds-manifest.json`, records
what this program uploaded (key -> SHA-256, size, ETag, Content-Type, Cache-Control).
`make_plan` decides every file from it and the listing: upload when the bytes or headers
differ from the manifest, when the object is missing, or when its listed size/ETag differs
from what the manifest recorded (someone changed it behind our back). A key no longer
produced is deleted (opt-in) only when its listed size and ETag still are what the manifest
recorded: the manifest is an object anyone with write access to the prefix can edit.

Nothing here talks to the bucket (that is feeds/bucket.py), so nothing here imports boto3.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from feeds.config import CacheControl
from feeds.errors import PublishError
from feeds.files import NOT_REGULAR, read_regular
from feeds.formats import MANIFEST_FILE, FileKind
from feeds.httpheaders import Headers, classify, headers_for, is_public
from feeds.reporting import fields

# The name publishing logged under before it was split into modules; kept for log filters.
log = logging.getLogger("feeds.publish")

MANIFEST_NAME = MANIFEST_FILE  # the bucket's manifest, named as the build's
MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class LocalFile:
    """One file of the output folder; `key` is its path relative to the folder and prefix."""

    key: str
    sha256: str
    size: int
    headers: Headers


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """What a listing says about one object."""

    size: int
    etag: str


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What we uploaded to one key, as the manifest records it."""

    sha256: str
    size: int
    etag: str
    content_type: str
    cache_control: str


class Action(StrEnum):
    """What publishing does with one key."""

    UPLOAD = "upload"
    SKIP = "skip"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the plan: the action for a key and why."""

    action: Action
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.action.value:<6} {self.key} ({self.reason})"


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """Everything a publish will do, in order; `uploads` and `deletes` are what it changes.

    `kept` are the steps of manifest keys no longer produced whose object the listing shows
    with another size or ETag than the manifest recorded: not deleted, and forgotten.
    """

    steps: tuple[Step, ...]
    uploads: tuple[LocalFile, ...]
    deletes: tuple[str, ...]
    kept: tuple[Step, ...] = ()


def upload_rank(key: str) -> int:
    """Upload order: assets and archive pages 0 (feeds link to them), feeds 1, pages in
    feed folders 2, top-level pages 3."""
    kind = classify(key)[1]
    if kind in (FileKind.ASSET, FileKind.ARCHIVE):
        return 0
    if kind is FileKind.FEED:
        return 1
    return 2 if "/" in key else 3


def _upload_reason(
    file: LocalFile, entry: ManifestEntry | None, remote: RemoteObject | None
) -> str:
    """Why `file` must be uploaded, or '' when the bucket already has exactly it."""
    if entry is None:
        return "new" if remote is None else "not uploaded by feeds"
    if remote is None:
        return "missing from the bucket"
    if (remote.size, remote.etag) != (entry.size, entry.etag):
        return "changed in the bucket since the last publish"
    if entry.sha256 != file.sha256:
        return "content changed"
    if (entry.content_type, entry.cache_control) != (
        file.headers.content_type,
        file.headers.cache_control,
    ):
        return "headers changed"
    return ""


def _file_steps(
    files: Iterable[LocalFile],
    remote: Mapping[str, RemoteObject],
    manifest: Mapping[str, ManifestEntry],
) -> tuple[list[Step], list[LocalFile]]:
    """An upload or skip step for each local file, and the files to upload."""
    steps: list[Step] = []
    uploads: list[LocalFile] = []
    for file in files:
        reason = _upload_reason(file, manifest.get(file.key), remote.get(file.key))
        if reason:
            uploads.append(file)
            steps.append(Step(Action.UPLOAD, file.key, reason))
        else:
            steps.append(Step(Action.SKIP, file.key, "unchanged"))
    return steps, uploads


NOT_OURS = (
    "no longer produced, but not deleted: its size or ETag in the bucket is not what the "
    "manifest recorded"
)


def _gone_steps(
    gone: Iterable[str],
    remote: Mapping[str, RemoteObject],
    manifest: Mapping[str, ManifestEntry],
    *,
    delete: bool,
) -> tuple[list[Step], list[str], list[Step]]:
    """A step for each manifest key no longer produced; the keys to delete; the kept steps.

    The manifest is only a file in the bucket: whoever can write it could list any key in
    it. So a key is deleted only when the listed object is byte for byte what we uploaded,
    as far as size and ETag tell.
    """
    steps: list[Step] = []
    deletes: list[str] = []
    kept: list[Step] = []
    for key in sorted(gone):
        listed, recorded = remote.get(key), manifest[key]
        if listed is None:
            continue  # already gone; nothing to do
        if not delete:
            steps.append(Step(Action.SKIP, key, "no longer produced; publish.s3.delete is off"))
        elif (listed.size, listed.etag) != (recorded.size, recorded.etag):
            kept.append(Step(Action.SKIP, key, NOT_OURS))
            steps.append(kept[-1])
        else:
            deletes.append(key)
            steps.append(Step(Action.DELETE, key, "no longer produced"))
    return steps, deletes, kept


def make_plan(
    local: Iterable[LocalFile],
    remote: Mapping[str, RemoteObject],
    manifest: Mapping[str, ManifestEntry],
    *,
    delete: bool,
) -> UploadPlan:
    """Decide, for every local file and manifest key, whether to upload, skip or delete.

    Pure: the same listing and manifest always give the same plan. Only keys in the
    manifest (our own uploads) that are still in the bucket with the size and ETag the
    manifest recorded are ever deleted.
    """
    files = sorted(local, key=lambda f: (upload_rank(f.key), f.key))
    file_steps, uploads = _file_steps(files, remote, manifest)
    gone = manifest.keys() - {file.key for file in files}
    gone_steps, deletes, kept = _gone_steps(gone, remote, manifest, delete=delete)
    return UploadPlan(tuple(file_steps + gone_steps), tuple(uploads), tuple(deletes), tuple(kept))


def listing_start(local: Iterable[LocalFile], manifest: Mapping[str, ManifestEntry]) -> str:
    """Where the listing may start so that the manifest itself is not listed.

    Only local keys and manifest keys matter; when all of them sort after the manifest's
    name (the usual case: no key starts with a character before '.'), starting after it
    saves a listing page when the object count is a multiple of 1,000.
    """
    keys = [file.key for file in local] + list(manifest)
    return MANIFEST_NAME if all(key > MANIFEST_NAME for key in keys) else ""


def _publishable_bytes(path: Path, relative: str) -> bytes | None:
    """The bytes of a regular file; None for a link (skipped quietly, as documented) or a
    special file (with a warning). Raises PublishError when a regular file can't be read."""
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            return read_regular(path)
    except FileNotFoundError:
        return None  # deleted while we scanned
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror or exc}); fix its permissions or remove it"
        raise PublishError(msg) from exc
    if not stat.S_ISLNK(info.st_mode):
        log.warning(
            "%(path)s: %(problem)s; not published",
            fields(path=relative, problem=NOT_REGULAR),
        )
    return None


def scan_output(out_dir: Path, cache: CacheControl) -> tuple[LocalFile, ...]:
    """Every publishable file of the output folder with its hash, size and headers.

    Only regular files count: symbolic links are skipped, so nothing outside the output
    folder is ever uploaded, and so are FIFOs and devices, whose reading could block.
    """
    found: list[LocalFile] = []
    for root, dirs, names in os.walk(out_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root, name)
            relative = path.relative_to(out_dir).as_posix()
            content = _publishable_bytes(path, relative) if is_public(relative) else None
            if content is not None:
                digest = hashlib.sha256(content).hexdigest()
                headers = headers_for(relative, cache)
                found.append(LocalFile(relative, digest, len(content), headers))
    return tuple(sorted(found, key=lambda f: f.key))


def _entry(data: object) -> ManifestEntry | None:
    if not isinstance(data, dict):
        return None
    try:
        return ManifestEntry(
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            etag=str(data["etag"]),
            content_type=str(data["content_type"]),
            cache_control=str(data["cache_control"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class BucketManifest:
    """The manifest object: what was uploaded, and what a run was about to upload.

    A run records its `pending` uploads (each with the size and ETag its bytes will have)
    before it sends any, so an object it wrote is known to the next run even when the run
    is killed or its last manifest write fails.
    """

    objects: Mapping[str, ManifestEntry] = field(default_factory=dict)
    pending: Mapping[str, ManifestEntry] = field(default_factory=dict)


def _entries(data: object) -> dict[str, ManifestEntry]:
    if not isinstance(data, dict):
        raise TypeError(data)
    entries = {key: _entry(value) for key, value in data.items()}
    return {key: entry for key, entry in entries.items() if entry is not None}


def parse_manifest(body: bytes, where: str) -> BucketManifest:
    """The manifest's entries; an unreadable manifest counts as empty (all is re-uploaded)."""
    try:
        data = json.loads(body)
        return BucketManifest(_entries(data["objects"]), _entries(data.get("pending", {})))
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning(
            "%(url)s: unreadable manifest; every file will be uploaded again",
            fields(url=where),
        )
        return BucketManifest()


def render_manifest(
    entries: Mapping[str, ManifestEntry], pending: Mapping[str, ManifestEntry] | None = None
) -> bytes:
    """The manifest's bytes: sorted keys, so equal manifests are equal bytes."""
    data: dict[str, object] = {"generator": "feeds", "version": MANIFEST_VERSION}
    data["objects"] = {key: asdict(entry) for key, entry in sorted(entries.items())}
    if pending:
        data["pending"] = {key: asdict(entry) for key, entry in sorted(pending.items())}
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def pending_entry(file: LocalFile, body: bytes) -> ManifestEntry:
    """What the manifest will say of `file` once `body` is uploaded: a single PUT's ETag is
    the MD5 of its bytes on AWS (without SSE-KMS), R2, MinIO and GCS."""
    etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
    headers = file.headers
    return ManifestEntry(
        hashlib.sha256(body).hexdigest(),
        len(body),
        etag,
        headers.content_type,
        headers.cache_control,
    )


def resolve(
    manifest: BucketManifest, remote: Mapping[str, RemoteObject]
) -> dict[str, ManifestEntry]:
    """The manifest as the bucket now stands: a pending upload the listing shows with the
    size and ETag it was to have is recorded as done. One listed otherwise stays recorded
    as before, or, when the manifest had no entry for it, as pending (so it is uploaded
    again when still produced, and reported, not deleted, when not). One not listed was
    never made."""
    entries = dict(manifest.objects)
    for key, entry in manifest.pending.items():
        listed = remote.get(key)
        if listed is None:
            continue
        if (listed.size, listed.etag) == (entry.size, entry.etag) or key not in entries:
            entries[key] = entry
    return entries
