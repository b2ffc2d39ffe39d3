"""Fake AWS credentials and the S3 pieces of a config, for the publish and WebSub tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

# Fake, but shaped like real ones, so a leak into any output is easy to find.
ACCESS_KEY = "AKIAFEEDSTESTKEY0001"
SECRET_KEY = "feeds/test+secret/Do-Not-Log-8c1f0e2d9a"


def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials in the environment only, and nothing read from ~/.aws or a metadata server."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client for inspecting the bucket from the test side."""
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def publish_to(endpoint: str, bucket: str, **s3: Any) -> dict[str, Any]:
    """A config's `publish` section for a bucket on the test server (path-style URLs),
    retrying after 10 ms instead of a second, so that failing keys cost no test time."""
    section = {"bucket": bucket, "endpoint_url": endpoint, "addressing_style": "path"}
    return {"s3": {**section, "backoff": 0.01, **s3}}
