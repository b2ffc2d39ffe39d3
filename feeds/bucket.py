"""The S3 side of a publish: read the manifest, list the prefix, carry out a plan.

`apply_plan` does, in this order:

1. uploads, by rank: assets, feeds, feed pages, then `feeds.opml` and the top `index.html`,
   so a page never links to an object that is not there yet;
2. deletions (opt-in), only of keys the manifest says we uploaded and whose listed size
   and ETag are still what it recorded, and only when every upload succeeded (a page that
   failed to upload may still link to them);
3. the manifest, recording exactly the uploads and deletions that succeeded and forgetting
   the keys the plan kept (not ours any more), written only when one of those changed it.

Importing this module imports boto3 (a quarter of a second), so only publishing does.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from feeds.config import S3Target
from feeds.errors import PublishError
from feeds.files import read_regular
from feeds.logs import fields
from feeds.publish_plan import (
    MANIFEST_NAME,
    LocalFile,
    ManifestEntry,
    Plan,
    RemoteObject,
    parse_manifest,
    render_manifest,
    upload_rank,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# The name publishing logged under before it was split into modules; kept for log filters.
log = logging.getLogger("feeds.publish")

WORKERS = 8
PAGE_SIZE = 1000  # the most S3 returns per listing request
# botocore's "standard" mode retries throttling and 5xx with exponential backoff and jitter.
MAX_ATTEMPTS = 5

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Failure:
    """A key that could not be uploaded or deleted, and why."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Applied:
    """What `apply_plan` changed in the bucket, and what it could not."""

    uploaded: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()
    manifest_written: bool = False


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
    """Upload `file`; the manifest entry for the bytes sent."""
    body = read_regular(out_dir / file.key)
    if body is None:
        raise FileNotFoundError(errno.ENOENT, "no longer a regular file")
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
    pool: ThreadPoolExecutor, keys: Sequence[str], task: Callable[[str], T]
) -> tuple[dict[str, T], list[Failure]]:
    """Run `task` for every key; results by key, and a Failure for each key that raised."""
    futures = {key: pool.submit(task, key) for key in keys}
    done: dict[str, T] = {}
    failed: list[Failure] = []
    for key, future in futures.items():
        try:
            done[key] = future.result()
        except (ClientError, BotoCoreError, OSError) as exc:
            failed.append(Failure(key, _describe(exc)))
    return done, failed


def _upload_all(
    pool: ThreadPoolExecutor,
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    uploads: Sequence[LocalFile],
) -> tuple[dict[str, ManifestEntry], list[Failure]]:
    """Upload rank after rank; what was uploaded by key, in plan order, and the failures."""
    by_key = {file.key: file for file in uploads}
    uploaded: dict[str, ManifestEntry] = {}
    failed: list[Failure] = []
    for _, batch in groupby(uploads, key=lambda f: upload_rank(f.key)):
        keys = [file.key for file in batch]
        done, batch_failed = _run_all(
            pool, keys, lambda key: _put(client, target, out_dir, by_key[key])
        )
        uploaded.update(done)
        failed += batch_failed
    return uploaded, failed


def _delete_all(
    pool: ThreadPoolExecutor,
    client: S3Client,
    target: S3Target,
    keys: Sequence[str],
    *,
    failed_uploads: int,
) -> tuple[list[str], list[Failure]]:
    """Delete `keys`, unless an upload failed; the keys deleted, in order, and the failures."""
    if not keys:
        return [], []
    if failed_uploads:
        log.warning(
            "deletions skipped because %(failed)d upload(s) failed",
            fields(failed=failed_uploads),
        )
        return [], []
    done, failed = _run_all(
        pool, keys, lambda key: client.delete_object(Bucket=target.bucket, Key=target.prefix + key)
    )
    return [key for key in keys if key in done], failed


def _write_manifest(
    client: S3Client, target: S3Target, entries: Mapping[str, ManifestEntry]
) -> Failure | None:
    """PUT the manifest; the Failure when that fails, else None."""
    try:
        client.put_object(
            Bucket=target.bucket,
            Key=target.prefix + MANIFEST_NAME,
            Body=render_manifest(entries),
            ContentType="application/json; charset=utf-8",
            CacheControl="no-store",
        )
    except (ClientError, BotoCoreError) as exc:
        return Failure(MANIFEST_NAME, _describe(exc))
    return None


def apply_plan(
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    plan: Plan,
    manifest: Mapping[str, ManifestEntry],
) -> Applied:
    """Upload by rank, delete, then write a manifest of exactly what succeeded.

    Keys the plan kept are left in the bucket and dropped from the manifest, so each is
    reported once, by the run that found it.
    """
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        uploaded, failed = _upload_all(pool, client, target, out_dir, plan.uploads)
        deleted, delete_failed = _delete_all(
            pool, client, target, plan.deletes, failed_uploads=len(failed)
        )
    failed += delete_failed
    if not uploaded and not deleted and not plan.kept:
        return Applied(failed=tuple(failed))
    entries = {**manifest, **uploaded}
    for key in (*deleted, *(step.key for step in plan.kept)):
        entries.pop(key, None)
    failure = _write_manifest(client, target, entries)
    if failure is not None:
        return Applied(tuple(uploaded), tuple(deleted), (*failed, failure), False)
    return Applied(tuple(uploaded), tuple(deleted), tuple(failed), True)
