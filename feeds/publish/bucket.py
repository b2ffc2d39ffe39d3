"""The S3 side of a publish: read the manifest, list the prefix, carry out a plan.

`apply_plan` does, in this order:

1. the manifest with every upload to come as `pending` (its size and ETag to be), so no
   object this run writes is unknown to the next, however this run ends;
2. uploads, by rank: assets, feeds, feed pages, then `feeds.opml` and the top `index.html`,
   so a page never links to an object that is not there yet; a rank with a failure stops
   the ranks above it;
3. deletions (opt-in), only of keys the manifest says we uploaded and whose listed size
   and ETag are still what it recorded, and only when every upload succeeded (a page that
   failed to upload may still link to them);
4. the manifest, recording exactly the uploads and deletions that succeeded, forgetting
   the keys the plan kept (not ours any more), and keeping as pending the uploads that
   failed (the store may have applied one whose answer was lost).

Every request goes through feeds/s3retry.py: a few tries each, all within one budget.

Importing this module imports boto3 (a quarter of a second), so only publishing does.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from feeds.config import S3Target
from feeds.errors import PublishError
from feeds.files import read_regular
from feeds.formats import content_type
from feeds.publish.plan import (
    MANIFEST_NAME,
    BucketManifest,
    LocalFile,
    ManifestEntry,
    RemoteObject,
    UploadPlan,
    parse_manifest,
    pending_entry,
    render_manifest,
    upload_rank,
)
from feeds.publish.s3retry import CONNECT_SECONDS, READ_SECONDS, BudgetSpent, Deadline, call
from feeds.reporting import fields

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef

# The name publishing logged under before it was split into modules; kept for log filters.
log = logging.getLogger("feeds.publish")

WORKERS = 8
PAGE_SIZE = 1000  # the most S3 returns per listing request

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
    """What `apply_plan` changed in the bucket, what it could not, and what it never tried
    (`not_attempted`: above a failed rank, or past the budget)."""

    uploaded: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()
    manifest_written: bool = False
    not_attempted: tuple[str, ...] = ()


def make_client(target: S3Target) -> S3Client:
    """An S3 client for `target`; credentials come from boto3's standard chain only.

    It makes one attempt per call: feeds/s3retry.py retries, within the publish budget.
    """
    config = BotoConfig(
        region_name=target.region,
        retries={"mode": "standard", "total_max_attempts": 1},
        # config.py allows only auto, path and virtual; the stubs want a Literal.
        s3={"addressing_style": target.addressing_style},  # type: ignore[arg-type]
        max_pool_connections=WORKERS * 2,
        connect_timeout=min(CONNECT_SECONDS, target.budget),
        read_timeout=min(READ_SECONDS, target.budget),
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


def fetch_manifest(client: S3Client, target: S3Target, deadline: Deadline) -> BucketManifest | None:
    """GET the manifest; None when the store answers 404. Raises PublishError on failures."""
    key = target.prefix + MANIFEST_NAME
    try:
        body = call(
            deadline, lambda: client.get_object(Bucket=target.bucket, Key=key)["Body"].read()
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise _fail(target, f"read {key}", exc) from exc
    except (BotoCoreError, BudgetSpent) as exc:
        raise _fail(target, f"read {key}", exc) from exc
    return parse_manifest(body, f"s3://{target.bucket}/{key}")


def list_remote(
    client: S3Client, target: S3Target, deadline: Deadline, *, start_after: str = ""
) -> dict[str, RemoteObject]:
    """Size and ETag of every object under the prefix (after `start_after`), by relative key."""
    start = target.prefix + start_after if start_after else ""

    def page(token: str) -> ListObjectsV2OutputTypeDef:
        if token:
            return client.list_objects_v2(
                Bucket=target.bucket,
                Prefix=target.prefix,
                MaxKeys=PAGE_SIZE,
                StartAfter=start,
                ContinuationToken=token,
            )
        return client.list_objects_v2(
            Bucket=target.bucket, Prefix=target.prefix, MaxKeys=PAGE_SIZE, StartAfter=start
        )

    remote: dict[str, RemoteObject] = {}
    token = ""
    while True:
        try:
            listed = call(deadline, partial(page, token))
        except (ClientError, BotoCoreError, BudgetSpent) as exc:
            raise _fail(target, "list the bucket", exc) from exc
        for obj in listed.get("Contents", []):
            remote[obj["Key"][len(target.prefix) :]] = RemoteObject(obj["Size"], obj["ETag"])
        if not listed.get("IsTruncated"):
            return remote
        token = listed["NextContinuationToken"]


def confirm_pending(
    client: S3Client,
    target: S3Target,
    stored: BucketManifest,
    remote: Mapping[str, RemoteObject],
    deadline: Deadline,
) -> BucketManifest:
    """`stored`, its pending entries given the listed ETag where the store's ETag is not the
    MD5 a pending entry expects (SSE-KMS, say) yet the object is what was to be uploaded.

    Only a pending key listed with the expected size but another ETag costs a HEAD: it is
    ours when its `x-amz-meta-sha256` is the SHA-256 that was to be uploaded.
    """
    pending = dict(stored.pending)
    for key, entry in stored.pending.items():
        listed = remote.get(key)
        if listed is None or listed.size != entry.size or listed.etag == entry.etag:
            continue
        try:
            head = call(
                deadline, partial(client.head_object, Bucket=target.bucket, Key=target.prefix + key)
            )
        except (ClientError, BotoCoreError, BudgetSpent):
            continue  # unconfirmed: handled as an object not known to be ours
        if head.get("Metadata", {}).get("sha256") == entry.sha256:
            pending[key] = replace(entry, etag=listed.etag)
    return replace(stored, pending=pending)


def _put(
    client: S3Client, target: S3Target, out_dir: Path, file: LocalFile, deadline: Deadline
) -> ManifestEntry:
    """Upload `file`; the manifest entry for the bytes sent."""
    body = read_regular(out_dir / file.key)
    if body is None:
        raise FileNotFoundError(errno.ENOENT, "no longer a regular file")
    entry = pending_entry(file, body)
    response = call(
        deadline,
        lambda: client.put_object(
            Bucket=target.bucket,
            Key=target.prefix + file.key,
            Body=body,
            ContentType=file.headers.content_type,
            CacheControl=file.headers.cache_control,
            Metadata={"sha256": entry.sha256},  # x-amz-meta-sha256, for people inspecting
        ),
    )
    return replace(entry, etag=response["ETag"])


@dataclass
class _Outcome:
    """What became of the keys of one phase."""

    done: dict[str, ManifestEntry | None] = field(default_factory=dict)
    failed: list[Failure] = field(default_factory=list)
    not_attempted: list[str] = field(default_factory=list)


def _run_all(
    pool: ThreadPoolExecutor, keys: Sequence[str], task: Callable[[str], T], outcome: _Outcome
) -> None:
    """Run `task` for every key, adding each key's result, failure or budget to `outcome`."""
    futures = {key: pool.submit(task, key) for key in keys}
    for key, future in futures.items():
        try:
            result = future.result()
            outcome.done[key] = result if isinstance(result, ManifestEntry) else None
        except BudgetSpent:
            outcome.not_attempted.append(key)
        except (ClientError, BotoCoreError, OSError) as exc:
            outcome.failed.append(Failure(key, _describe(exc)))


def _upload_all(
    pool: ThreadPoolExecutor,
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    uploads: Sequence[LocalFile],
    deadline: Deadline,
) -> _Outcome:
    """Upload rank after rank, stopping above a rank where a key failed."""
    by_key = {file.key: file for file in uploads}
    outcome = _Outcome()
    for _, batch in groupby(uploads, key=lambda f: upload_rank(f.key)):
        keys = [file.key for file in batch]
        if outcome.failed:
            outcome.not_attempted += keys
            continue
        _run_all(
            pool, keys, lambda key: _put(client, target, out_dir, by_key[key], deadline), outcome
        )
    if outcome.not_attempted:
        reason = (
            deadline.reason()
            if deadline.spent()
            else "no page or feed is uploaded above a rank where an upload failed"
        )
        log.warning(
            "%(count)d upload(s) not attempted: %(reason)s",
            fields(count=len(outcome.not_attempted), reason=reason),
        )
    return outcome


def _delete_all(
    pool: ThreadPoolExecutor,
    client: S3Client,
    target: S3Target,
    keys: Sequence[str],
    uploads: _Outcome,
    deadline: Deadline,
) -> _Outcome:
    """Delete `keys`, unless an upload did not succeed."""
    outcome = _Outcome()
    if not keys:
        return outcome
    if uploads.failed:
        log.warning(
            "deletions skipped because %(failed)d upload(s) failed",
            fields(failed=len(uploads.failed)),
        )
        return outcome
    if uploads.not_attempted:  # the budget is spent: these are not attempted either
        outcome.not_attempted += keys
        return outcome

    def delete(key: str) -> object:
        return call(
            deadline, lambda: client.delete_object(Bucket=target.bucket, Key=target.prefix + key)
        )

    _run_all(pool, keys, delete, outcome)
    return outcome


def _write_manifest(
    client: S3Client,
    target: S3Target,
    entries: Mapping[str, ManifestEntry],
    pending: Mapping[str, ManifestEntry],
    deadline: Deadline,
) -> Failure | None:
    """PUT the manifest; the Failure when that fails, else None."""
    body = render_manifest(entries, pending)
    try:
        call(
            deadline,
            lambda: client.put_object(
                Bucket=target.bucket,
                Key=target.prefix + MANIFEST_NAME,
                Body=body,
                ContentType=content_type(MANIFEST_NAME),
                CacheControl="no-store",
            ),
        )
    except (ClientError, BotoCoreError, BudgetSpent) as exc:
        return Failure(MANIFEST_NAME, _describe(exc))
    return None


def _announce(
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    plan: UploadPlan,
    entries: Mapping[str, ManifestEntry],
    deadline: Deadline,
) -> dict[str, ManifestEntry]:
    """Write the manifest naming every upload to come; the pending entries. Raises
    PublishError (nothing uploaded yet) when that write fails."""
    pending: dict[str, ManifestEntry] = {}
    for file in plan.uploads:
        try:
            body = read_regular(out_dir / file.key)
        except OSError:
            body = None  # its upload fails the same way, and is reported then
        if body is not None:
            pending[file.key] = pending_entry(file, body)
    if pending:
        failure = _write_manifest(client, target, entries, pending, deadline)
        if failure is not None:
            msg = (
                f"s3://{target.bucket}/{target.prefix}: cannot write {MANIFEST_NAME} before "
                f"uploading: {failure.reason}; nothing was uploaded"
            )
            raise PublishError(msg)
    return pending


def apply_plan(
    client: S3Client,
    target: S3Target,
    out_dir: Path,
    plan: UploadPlan,
    stored: BucketManifest,
    entries: Mapping[str, ManifestEntry],
    deadline: Deadline,
) -> Applied:
    """Announce the uploads, upload by rank, delete, then write a manifest of what succeeded.

    `entries` is the manifest `stored` as the listing resolved it. Keys the plan kept are
    left in the bucket and dropped from the manifest, so each is reported once, by the
    run that found it. Raises PublishError when the first manifest write fails.
    """
    pending = _announce(client, target, out_dir, plan, entries, deadline)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        up = _upload_all(pool, client, target, out_dir, plan.uploads, deadline)
        down = _delete_all(pool, client, target, plan.deletes, up, deadline)
    uploaded = {key: entry for key, entry in up.done.items() if entry is not None}
    failed = (*up.failed, *down.failed)
    not_attempted = (*up.not_attempted, *down.not_attempted)
    done = Applied(tuple(uploaded), tuple(down.done), failed, False, not_attempted)
    if not (pending or down.done or plan.kept or stored.pending):
        return done
    final = {**entries, **uploaded}
    for key in (*down.done, *(step.key for step in plan.kept)):
        final.pop(key, None)
    # A failed PUT may have been applied with its answer lost: still ours if listed so.
    left = {failure.key: pending[failure.key] for failure in up.failed if failure.key in pending}
    grace = Deadline(max(deadline.left(), READ_SECONDS), deadline.backoff)
    failure = _write_manifest(client, target, final, left, grace)
    if failure is not None:
        return replace(done, failed=(*failed, failure))
    return replace(done, manifest_written=True)
