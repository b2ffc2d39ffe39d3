"""pytest's shared fixtures. The test helpers themselves are in tests/kit.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_aws import fake_aws_env, s3_client
from tests.postgres import Postgres
from tests.postgres import started as started_postgres
from tests.servers import S3Server, started


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    """A moto S3 server on 127.0.0.1, one per test module."""
    yield from started(S3Server())


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake AWS credentials and no AWS config from the machine (use with usefixtures)."""
    fake_aws_env(monkeypatch, tmp_path)


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """A fresh, empty bucket; the server's request log starts empty."""
    name = f"feeds-{uuid.uuid4().hex[:12]}"
    s3_client(s3.url).create_bucket(Bucket=name)
    s3.reset()
    return name


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server of this test session, on a unix socket in a temporary folder."""
    yield from started_postgres()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """The URL of a fresh, empty database of the session's server."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store goes: a SQLite file not there yet, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "articles.db"
    url: str = request.getfixturevalue("pg_url")
    return url
