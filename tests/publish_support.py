"""Helpers for the publish and WebSub tests: fake credentials, corpora, configs, the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from click.testing import CliRunner, Result

from feeds.cli import cli

# Fake, but shaped like real ones, so a leak into any output is easy to find.
ACCESS_KEY = "AKIAFEEDSTESTKEY0001"
SECRET_KEY = "feeds/test+secret/Do-Not-Log-8c1f0e2d9a"
BASE_URL = "https://feeds.example.org/"


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


def article(slug: str, title: str, topics: list[str], provider: str) -> str:
    """An article file's text."""
    data = {
        "title": title,
        "excerpt": f"About {title}.",
        "publishedDateTime": f"2023-11-{1 + sum(map(ord, slug)) % 28:02d}T10:00:00Z",
        "webUrl": f"https://{provider}/{slug}",
        "provider": {"name": provider.split(".")[0].title(), "domain": provider},
        "topics": topics,
    }
    return "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n"


def write_articles(content: Path, articles: dict[str, str]) -> None:
    """Write {file name: text} into content/."""
    content.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (content / name).write_text(text, encoding="utf-8")


def small_corpus(content: Path) -> None:
    """Three articles: topics AI and Climate, providers a.example and b.example."""
    write_articles(
        content,
        {
            "one.md": article("one", "First", ["AI"], "a.example"),
            "two.md": article("two", "Second", ["AI", "Climate"], "b.example"),
            "three.md": article("three", "Third", ["Climate"], "a.example"),
        },
    )


def write_config(
    tmp_path: Path,
    endpoint: str | None,
    bucket: str | None,
    *,
    s3: dict[str, Any] | None = None,
    **sections: dict[str, Any],
) -> Path:
    """A config in tmp_path (content/ and public/ beside it); `bucket` None: no publish."""
    data: dict[str, Any] = {
        "site": {"title": "Test", "base_url": BASE_URL},
        "content": {"dir": "content"},
        "output": {"dir": "public"},
    }
    if bucket is not None:
        target = {"bucket": bucket, "endpoint_url": endpoint, "addressing_style": "path"}
        data["publish"] = {"s3": target | (s3 or {})}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run(*args: str) -> Result:
    """Run the CLI; stdout and stderr stay apart."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_output(out_dir: Path, files: dict[str, bytes]) -> None:
    """Put files straight into the output folder, as a build would have."""
    for relative, content in files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
