"""`feeds publish` reads only regular files of the output folder, and never blocks on one:
a FIFO there once held the output lock forever, and every later cron run exited 75."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from feeds.config import CacheControl
from feeds.publish.plan import scan_output
from tests.fake_aws import publish_to, s3_client
from tests.kit import make_site, write_tree
from tests.servers import S3Server

pytestmark = pytest.mark.usefixtures("aws_env")

GENEROUS = 20  # seconds: a bound on waiting for a hang, never a speed check
T = TypeVar("T")


def release(fifo: Path) -> None:
    """End a reader blocked on `fifo` (it reads end of file), if there is one."""
    with contextlib.suppress(OSError):  # ENXIO: no reader, so nothing is blocked
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def unblocked(fifo: Path, task: Callable[[], T]) -> T:
    """Run `task` in a thread; fail (after releasing it) if it is still blocked later on."""
    results: list[T] = []
    worker = threading.Thread(target=lambda: results.append(task()), daemon=True)
    worker.start()
    worker.join(GENEROUS)
    blocked = worker.is_alive()
    while worker.is_alive():
        release(fifo)
        worker.join(0.1)
    assert not blocked, f"blocked on the FIFO {fifo}"
    return results[0]


def test_scan_output_lists_regular_files_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"rss.xml": b"<rss/>", "topics/a/atom.xml": b"<feed/>"})
    fifo = tmp_path / "topics/a/feed.json"
    os.mkfifo(fifo)
    (tmp_path / "index.html").symlink_to(tmp_path / "rss.xml")
    found = unblocked(fifo, lambda: scan_output(tmp_path, CacheControl()))
    assert [file.key for file in found] == ["rss.xml", "topics/a/atom.xml"]


def test_a_fifo_in_the_output_folder_is_skipped_and_publish_ends(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=bucket)
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss/>", "topics/ai/atom.xml": b"<feed/>"})
    fifo = site.out / "topics/ai/rss.xml"
    os.mkfifo(fifo)

    result = unblocked(fifo, lambda: site.cli("publish"))
    assert result.exit_code == 0, result.output
    assert (
        "warning: topics/ai/rss.xml: not a regular file (a FIFO, socket or device); "
        "not published" in result.stderr.splitlines()
    )
    listing = s3_client(s3.url).list_objects_v2(Bucket=bucket)["Contents"]
    assert {obj["Key"] for obj in listing} == {
        "rss.xml",
        "topics/ai/atom.xml",
        ".feeds-manifest.json",
    }
    again = unblocked(fifo, lambda: site.cli("publish"))  # the lock was released: no exit 75
    assert again.exit_code == 0, again.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # left as it was


def test_an_unreadable_output_file_stops_the_publish_before_any_upload(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=bucket)
    site = make_site(tmp_path, publish=publish_to(s3.url, bucket))
    write_tree(site.out, {"rss.xml": b"<rss/>", "atom.xml": b"<feed/>"})
    locked = site.out / "atom.xml"
    real_open = os.open

    def refusing_open(path: object, flags: int, *args: int, **kwargs: object) -> int:
        if path == locked:  # what a chmod 000 file gives a non-root user
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    result = site.cli("publish")
    assert result.exit_code == 1
    assert f"{locked}: cannot be read (Permission denied)" in result.stderr
    assert "Contents" not in s3_client(s3.url).list_objects_v2(Bucket=bucket)
