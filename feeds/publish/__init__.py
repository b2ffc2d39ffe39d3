"""Sync the output folder to an S3-compatible bucket, uploading only what changed.

Under the output folder's lock: scan the folder, GET the manifest and list the prefix once
(feeds/bucket.py), decide every key (`make_plan`, a pure function in feeds/publish_plan.py),
then announce the uploads in the manifest, upload by rank, delete (opt-in) and write the
manifest (`apply_plan`, feeds/bucket.py); all within `publish.s3.budget` seconds.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from feeds.config import CacheControl, Config, S3Target
from feeds.errors import PublishError
from feeds.lock import output_lock
from feeds.publish.bucket import (
    Failure,
    apply_plan,
    confirm_pending,
    fetch_manifest,
    list_remote,
    make_client,
)
from feeds.publish.plan import (
    MANIFEST_NAME,
    BucketManifest,
    LocalFile,
    RemoteObject,
    UploadPlan,
    listing_start,
    make_plan,
    resolve,
    scan_output,
)
from feeds.publish.s3retry import Deadline
from feeds.reporting import fields

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


log = logging.getLogger("feeds.publish")


@dataclass(frozen=True, slots=True)
class PublishReport:
    """The outcome of a publish (or of a dry run, where nothing is uploaded)."""

    bucket: str
    prefix: str
    plan: UploadPlan
    uploaded: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()
    manifest_written: bool = False
    not_attempted: tuple[str, ...] = ()


def _where(config: Config) -> tuple[S3Target, Path]:
    """The bucket and the output folder to publish; PublishError when either is missing."""
    if config.publish is None:
        msg = f"{config.path}: no publish section; add publish.s3 (see README, Publishing)"
        raise PublishError(msg)
    out_dir = config.output.dir
    if not out_dir.is_dir():
        msg = f"output.dir {out_dir} is not a folder; run `feeds build` first"
        raise PublishError(msg)
    return config.publish.s3, out_dir


def _scan(out_dir: Path, cache: CacheControl) -> tuple[LocalFile, ...]:
    """The output folder's publishable files; PublishError when there are none."""
    local = scan_output(out_dir, cache)
    if not local:
        msg = f"output.dir {out_dir} has no files to publish; run `feeds build` first"
        raise PublishError(msg)
    return local


def _warn_kept(plan: UploadPlan) -> None:
    """One warning per key whose deletion the plan refused."""
    for step in plan.kept:
        log.warning("%(key)s: %(reason)s", fields(key=step.key, reason=step.reason))


def _warn_loopback(base_url: str) -> None:
    """`feeds init` sets the preview's address: its links would lead readers nowhere."""
    host = (urlsplit(base_url).hostname or "").removesuffix(".")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback:
        log.warning(
            "%(key)s: %(url)s is a loopback address: the links published lead nowhere",
            fields(key="site.base_url", url=base_url),
        )


def _read_bucket(
    client: S3Client, target: S3Target, local: tuple[LocalFile, ...], deadline: Deadline
) -> tuple[BucketManifest, dict[str, RemoteObject]]:
    """The manifest and the listing; PublishError when either cannot be read.

    A manifest GET answered 404 is believed only when the listing agrees: read as "no
    manifest", it would make every object of the last publish unknown, so never deleted.
    """
    stored = fetch_manifest(client, target, deadline)
    known = {} if stored is None else {**stored.objects, **stored.pending}
    start = listing_start(local, known) if stored is not None else ""
    remote = list_remote(client, target, deadline, start_after=start)
    if stored is None:
        if MANIFEST_NAME in remote:
            msg = (
                f"s3://{target.bucket}/{target.prefix}: cannot read {MANIFEST_NAME}: the "
                "listing shows it, yet its GET answered 404; nothing was changed, try again"
            )
            raise PublishError(msg)
        stored = BucketManifest()
    return confirm_pending(client, target, stored, remote, deadline), remote


def publish(
    config: Config, *, dry_run: bool = False, client: S3Client | None = None
) -> PublishReport:
    """Sync the output folder to `publish.s3`, holding the output folder's lock.

    With `dry_run`, only reads the manifest and the listing and returns the plan.
    Raises PublishError when there is no `publish` section, no output to publish, an output
    file that can't be read, or the bucket cannot be read or its manifest written before
    the uploads; failures of single keys are in the report's `failed`, and keys never
    tried (above a failed rank, or past the budget) in `not_attempted`.
    """
    target, out_dir = _where(config)
    _warn_loopback(config.site.base_url)
    with output_lock(out_dir):
        deadline = Deadline(target.budget, target.backoff)
        local = _scan(out_dir, config.output.cache_control)
        client = client if client is not None else make_client(target)
        stored, remote = _read_bucket(client, target, local, deadline)
        entries = resolve(stored, remote)
        plan = make_plan(local, remote, entries, delete=target.delete)
        _warn_kept(plan)
        if dry_run:
            return PublishReport(target.bucket, target.prefix, plan)
        applied = apply_plan(client, target, out_dir, plan, stored, entries, deadline)
    for key in applied.uploaded:
        log.debug("uploaded %(key)s", fields(key=key))
    return PublishReport(
        target.bucket,
        target.prefix,
        plan,
        applied.uploaded,
        applied.deleted,
        applied.failed,
        applied.manifest_written,
        applied.not_attempted,
    )
