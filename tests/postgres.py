"""A real PostgreSQL server for the store tests, started once per test session.

`initdb` and `pg_ctl` are found on PATH, else in Debian's `/usr/lib/postgresql/<version>/bin`
(the `postgresql` package, which `make test` asks for when neither has them). The server
runs in a temporary folder and listens on a unix socket there only (`listen_addresses=''`),
with trust authentication for its own user. PostgreSQL refuses to run as root: as root,
the folder is handed to the `postgres` user (Debian's package makes it), or `nobody`,
and the server runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

USER = "feeds"  # the database role the tests connect as; trust auth on the socket
_DEBIAN = Path("/usr/lib/postgresql")


def binaries() -> Path:
    """The folder of `initdb` and `pg_ctl`: PATH's, else the newest Debian version's."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(_DEBIAN.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    if not versions:
        msg = "PostgreSQL's initdb was not found on PATH nor in /usr/lib/postgresql/*/bin"
        raise RuntimeError(msg)
    return versions[0].parent


def _as_user() -> list[str]:
    """The command prefix that runs the server as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    msg = "running as root, and there is no postgres or nobody user to run PostgreSQL as"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class Postgres:
    """A running server: `socket_dir` is its unix socket's folder."""

    socket_dir: Path

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL of database `dbname` through the socket."""
        return f"postgresql://{USER}@/{dbname}?host={self.socket_dir}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run(command: list[str], log: Path | None = None) -> None:
    """Run a PostgreSQL program; when it fails, say what it and the server said."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        server = log.read_text(errors="replace") if log is not None and log.exists() else ""
        msg = f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}{server}"
        raise RuntimeError(msg)


def started() -> Iterator[Postgres]:
    """Run a server in a temporary folder until the generator is closed."""
    bin_dir, prefix = binaries(), _as_user()
    folder = Path(tempfile.mkdtemp(prefix="feeds-pg-"))
    data, log = folder / "data", folder / "log"
    if prefix:
        shutil.chown(folder, user=prefix[2])
    pg_ctl = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data)]
    initdb = [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER]
    try:
        _run([*initdb, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        # No TCP at all: the socket in the folder is the only way in.
        options = f"-c listen_addresses='' -c unix_socket_directories={folder} -c fsync=off"
        _run([*pg_ctl, "-o", options, "-l", str(log), "-w", "start"], log)
        try:
            yield Postgres(folder)
        finally:
            _run([*pg_ctl, "-m", "immediate", "-w", "stop"], log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
