"""Sync the output folder to an S3-compatible bucket, uploading only what changed.

S3 listings carry no user metadata, so a manifest, `<prefix>.feeds-manifest.json`, records
what this program uploaded (key -> SHA-256, size, ETag, Content-Type, Cache-Control). One
GET of it and one paginated listing of the prefix decide every file (`make_plan`, a pure
function): upload when the bytes or headers differ from the manifest, when the object is
missing, or when its listed size/ETag differs from what the manifest recorded (someone
changed it behind our back). Then:

1. uploads, by rank: assets, feeds, feed pages, then `feeds.opml` and the top `index.html`,
   so a page never links to an object that is not there yet;
2. deletions (opt-in), only of keys the manifest says we uploaded, and only when every
   upload succeeded (a page that failed to upload may still link to them);
3. the manifest, recording exactly the uploads and deletions that succeeded, and written
   only when something was uploaded or deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from enum import StrEnum
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from feeds.config import Config, S3Target
from feeds.errors import FeedsError
from feeds.lock import output_lock
from feeds.logs import fields
from feeds.mediatypes import HEADERS_FILE, CacheControl, FileKind, Headers, classify, headers_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("feeds.publish")

MANIFEST_NAME = ".feeds-manifest.json"
MANIFEST_VERSION = 1
WORKERS = 8
PAGE_SIZE = 1000  # the most S3 returns per listing request
# botocore's "standard" mode retries throttling and 5xx with exponential backoff and jitter.
MAX_ATTEMPTS = 5


class PublishError(FeedsError):
    """The bucket cannot be read or written at all (credentials, bucket, network)."""


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
class Plan:
    """Everything a publish will do, in order; `uploads` and `deletes` are what it changes."""

    steps: tuple[Step, ...]
    uploads: tuple[LocalFile, ...]
    deletes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Failure:
    """A key that could not be uploaded or deleted, and why."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PublishReport:
    """The outcome of a publish (or of a dry run, where nothing is uploaded)."""

    bucket: str
    prefix: str
    plan: Plan
    uploaded: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()
    manifest_written: bool = False

    def summary(self) -> str:
        """One line: where, and how many keys were uploaded, unchanged, deleted, failed."""
        skipped = sum(1 for step in self.plan.steps if step.action is Action.SKIP)
        return (
            f"s3://{self.bucket}/{self.prefix}: {len(self.uploaded)} uploaded, "
            f"{skipped} unchanged, {len(self.deleted)} deleted, {len(self.failed)} failed"
        )


def upload_rank(key: str) -> int:
    """Upload order: assets 0, feeds 1, pages in feed folders 2, top-level pages 3."""
    kind = classify(key)[1]
    if kind is FileKind.ASSET:
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


def make_plan(
    local: Iterable[LocalFile],
    remote: Mapping[str, RemoteObject],
    manifest: Mapping[str, ManifestEntry],
    *,
    delete: bool,
) -> Plan:
    """Decide, for every local file and manifest key, whether to upload, skip or delete.

    Pure: the same listing and manifest always give the same plan. Only keys in the
    manifest (our own uploads) that are still in the bucket are ever deleted.
    """
    files = sorted(local, key=lambda f: (upload_rank(f.key), f.key))
    steps: list[Step] = []
    uploads: list[LocalFile] = []
    for file in files:
        reason = _upload_reason(file, manifest.get(file.key), remote.get(file.key))
        if reason:
            uploads.append(file)
            steps.append(Step(Action.UPLOAD, file.key, reason))
        else:
            steps.append(Step(Action.SKIP, file.key, "unchanged"))
    produced = {file.key for file in files}
    deletes: list[str] = []
    for key in sorted(manifest.keys() - produced):
        if key not in remote:
            continue  # already gone; nothing to do
        if delete:
            deletes.append(key)
            steps.append(Step(Action.DELETE, key, "no longer produced"))
        else:
            steps.append(Step(Action.SKIP, key, "no longer produced; publish.s3.delete is off"))
    return Plan(tuple(steps), tuple(uploads), tuple(deletes))


def _is_published(relative: str) -> bool:
    # Dot files (the lock, temporary files, caches) and the static-host `_headers` file
    # are never uploaded.
    parts = relative.split("/")
    return not any(part.startswith(".") for part in parts) and relative != HEADERS_FILE


def scan_output(out_dir: Path, cache: CacheControl) -> tuple[LocalFile, ...]:
    """Every publishable file of the output folder with its hash, size and headers.

    Symbolic links are skipped, so nothing outside the output folder is ever uploaded.
    """
    found: list[LocalFile] = []
    for root, dirs, names in os.walk(out_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root, name)
            relative = path.relative_to(out_dir).as_posix()
            if not _is_published(relative) or path.is_symlink():
                continue
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            found.append(LocalFile(relative, digest, len(content), headers_for(relative, cache)))
    return tuple(sorted(found, key=lambda f: f.key))


def make_client(target: S3Target) -> S3Client:
    """An S3 client for `target`; credentials come from boto3's standard chain only."""
    config = BotoConfig(
        region_name=target.region,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        # config.py allows only auto, path and virtual; the stubs want a Literal.
        s3={"addressing_style": target.addressing_style},  # type: ignore[arg-type]
        max_pool_connections=WORKERS * 2,
        connect_timeout=10,
        read_timeout=60,
        # boto3 >= 1.36 sends CRC checksums that several S3-compatible stores reject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", endpoint_url=target.endpoint_url, config=config)


def _describe(exc: Exception) -> str:
    """A short reason for an S3 failure; never includes request headers or credentials."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return f"{error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}".rstrip()
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _fail(target: S3Target, what: str, exc: Exception) -> PublishError:
    msg = (
        f"s3://{target.bucket}/{target.prefix}: cannot {what}: {_describe(exc)}; check "
        "publish.s3 (bucket, endpoint_url, region) and the AWS credentials in the environment"
    )
    return PublishError(msg)


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


def parse_manifest(body: bytes, where: str) -> dict[str, ManifestEntry]:
    """The manifest's entries; an unreadable manifest counts as empty (all is re-uploaded)."""
    try:
        data = json.loads(body)
        objects = data["objects"]
        if not isinstance(objects, dict):
            raise TypeError(objects)
    except (ValueError, KeyError, TypeError):
        log.warning(
            "%(url)s: unreadable manifest; every file will be uploaded again",
            fields(url=where),
        )
        return {}
    entries = {key: _entry(value) for key, value in objects.items()}
    return {key: entry for key, entry in entries.items() if entry is not None}


def render_manifest(entries: Mapping[str, ManifestEntry]) -> bytes:
    """The manifest's bytes: sorted keys, so equal manifests are equal bytes."""
    objects = {key: asdict(entry) for key, entry in sorted(entries.items())}
    data = {"generator": "feeds", "version": MANIFEST_VERSION, "objects": objects}
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def fetch_manifest(client: S3Client, target: S3Target) -> dict[str, ManifestEntry]:
    """GET the manifest; {} when there is none yet. Raises PublishError on other failures."""
    key = target.prefix + MANIFEST_NAME
    try:
        body = client.get_object(Bucket=target.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return {}
        raise _fail(target, f"read {key}", exc) from exc
    except BotoCoreError as exc:
        raise _fail(target, f"read {key}", exc) from exc
    return parse_manifest(body, f"s3://{target.bucket}/{key}")


def list_remote(
    client: S3Client, target: S3Target, *, start_after: str = ""
) -> dict[str, RemoteObject]:
    """Size and ETag of every object under the prefix (after `start_after`), by relative key."""
    paginator = client.get_paginator("list_objects_v2")
    remote: dict[str, RemoteObject] = {}
    try:
        pages = paginator.paginate(
            Bucket=target.bucket,
            Prefix=target.prefix,
            StartAfter=target.prefix + start_after if start_after else "",
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"][len(target.prefix) :]
                remote[key] = RemoteObject(obj["Size"], obj["ETag"])
    except (ClientError, BotoCoreError) as exc:
        raise _fail(target, "list the bucket", exc) from exc
    return remote


def _put(client: S3Client, target: S3Target, out_dir: Path, file: LocalFile) -> ManifestEntry:
    body = (out_dir / file.key).read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    response = client.put_object(
        Bucket=target.bucket,
        Key=target.prefix + file.key,
        Body=body,
        ContentType=file.headers.content_type,
        CacheControl=file.headers.cache_control,
        Metadata={"sha256": digest},  # x-amz-meta-sha256, for people inspecting the bucket
    )
    return ManifestEntry(
        digest, len(body), response["ETag"], file.headers.content_type, file.headers.cache_control
    )


def _run_all(
    pool: ThreadPoolExecutor, keys: Sequence[str], task: Callable[[str], Any]
) -> tuple[dict[str, Any], list[Failure]]:
    """Run `task` for every key; results by key, and a Failure for each key that raised."""
    futures = {key: pool.submit(task, key) for key in keys}
    done: dict[str, Any] = {}
    failed: list[Failure] = []
    for key, future in futures.items():
        try:
            done[key] = future.result()
        except (ClientError, BotoCoreError, OSError) as exc:
            failed.append(Failure(key, _describe(exc)))
    return done, failed


def _listing_start(local: Iterable[LocalFile], manifest: Mapping[str, ManifestEntry]) -> str:
    """Where the listing may start so that the manifest itself is not listed.

    Only local keys and manifest keys matter; when all of them sort after the manifest's
    name (the usual case: no key starts with a character before '.'), starting after it
    saves a listing page when the object count is a multiple of 1,000.
    """
    keys = [file.key for file in local] + list(manifest)
    return MANIFEST_NAME if all(key > MANIFEST_NAME for key in keys) else ""


def apply_plan(
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    plan: Plan,
    manifest: Mapping[str, ManifestEntry],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Failure, ...], bool]:
    """Upload, delete and write the manifest; returns (uploaded, deleted, failed, manifest)."""
    entries = dict(manifest)
    uploaded: list[str] = []
    failed: list[Failure] = []
    deleted: list[str] = []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        by_key = {file.key: file for file in plan.uploads}
        for _, batch in groupby(plan.uploads, key=lambda f: upload_rank(f.key)):
            keys = [file.key for file in batch]
            done, batch_failed = _run_all(
                pool, keys, lambda key: _put(client, target, out_dir, by_key[key])
            )
            entries.update(done)
            uploaded += [key for key in keys if key in done]
            failed += batch_failed
        if plan.deletes and failed:
            log.warning(
                "deletions skipped because %(failed)d upload(s) failed",
                fields(failed=len(failed)),
            )
        elif plan.deletes:
            done, delete_failed = _run_all(
                pool,
                plan.deletes,
                lambda key: client.delete_object(Bucket=target.bucket, Key=target.prefix + key),
            )
            deleted = [key for key in plan.deletes if key in done]
            failed += delete_failed
            for key in deleted:
                entries.pop(key, None)
    if not uploaded and not deleted:
        return (), (), tuple(failed), False
    manifest_key = target.prefix + MANIFEST_NAME
    try:
        client.put_object(
            Bucket=target.bucket,
            Key=manifest_key,
            Body=render_manifest(entries),
            ContentType="application/json; charset=utf-8",
            CacheControl="no-store",
        )
    except (ClientError, BotoCoreError) as exc:
        failed.append(Failure(MANIFEST_NAME, _describe(exc)))
        return tuple(uploaded), tuple(deleted), tuple(failed), False
    return tuple(uploaded), tuple(deleted), tuple(failed), True


def publish(
    config: Config, *, dry_run: bool = False, client: S3Client | None = None
) -> PublishReport:
    """Sync the output folder to `publish.s3`, holding the output folder's lock.

    With `dry_run`, only reads the manifest and the listing and returns the plan.
    Raises PublishError when there is no `publish` section, no output to publish, or the
    bucket cannot be read; failures of single keys are in the report's `failed`.
    """
    if config.publish is None:
        msg = f"{config.path}: no publish section; add publish.s3 (see README, Publishing)"
        raise PublishError(msg)
    target = config.publish.s3
    out_dir = config.output.dir
    if not out_dir.is_dir():
        msg = f"output.dir {out_dir} is not a folder; run `feeds build` first"
        raise PublishError(msg)
    with output_lock(out_dir):
        local = scan_output(out_dir, config.output.cache_control)
        if not local:
            msg = f"output.dir {out_dir} has no files to publish; run `feeds build` first"
            raise PublishError(msg)
        client = client if client is not None else make_client(target)
        manifest = fetch_manifest(client, target)
        remote = list_remote(client, target, start_after=_listing_start(local, manifest))
        plan = make_plan(local, remote, manifest, delete=target.delete)
        report = PublishReport(target.bucket, target.prefix, plan)
        if dry_run:
            return report
        uploaded, deleted, failed, written = apply_plan(client, target, out_dir, plan, manifest)
    for key in uploaded:
        log.debug("uploaded %(key)s", fields(key=key))
    return PublishReport(target.bucket, target.prefix, plan, uploaded, deleted, failed, written)
