#!/usr/bin/env python3
"""Count the S3 requests of a first publish and of a no-change publish.

usage: python bench/publish_counts.py CONFIG

Builds CONFIG's feeds, then publishes them twice to a fresh bucket on moto's S3 API
(the test server, tests/servers.py, on 127.0.0.1; needs the `test` extras) and prints
the requests the server received by operation. CONFIG's `publish` section is replaced
by the local server; fake credentials are set here.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.cli.console import publish_summary
from feeds.config import Publish, S3Target, load_config
from feeds.engine import build
from feeds.publish import publish
from tests.fake_aws import s3_client
from tests.servers import S3Server


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    server = S3Server()
    server.start()
    s3_client(server.url).create_bucket(Bucket="bench")
    target = S3Target(
        bucket="bench", endpoint_url=server.url, addressing_style="path", budget=3600.0
    )
    config = replace(load_config(Path(sys.argv[1])), publish=Publish(target))
    started = time.perf_counter()
    report = build(config, now=datetime.now(UTC)).report
    files = len(report.written) + len(report.unchanged)
    seconds = time.perf_counter() - started
    line = f"build: {report.articles_selected} articles, {files} files, {seconds:.1f} s"
    sys.stdout.write(line + "\n")
    for run in ("first publish", "no-change publish"):
        server.reset()
        started = time.perf_counter()
        result = publish(config)
        seconds = time.perf_counter() - started
        counts = Counter(request.operation for request in server.requests)
        requests = dict(sorted(counts.items()))
        sys.stdout.write(
            f"{run}: {publish_summary(result)}; {seconds:.1f} s; requests: {requests}\n"
        )
    server.stop()


if __name__ == "__main__":
    main()
