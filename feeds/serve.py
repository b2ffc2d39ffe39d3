"""`feeds serve`: the output folder over HTTP, for previewing before publishing.

Every response carries the Content-Type publishing gives its file (feeds.httpheaders), an
ETag and a Last-Modified date, and a conditional request is answered `304 Not Modified`,
so a feed reader can be pointed at the preview. What is served is what `feeds publish`
would upload: regular files whose names are not internal ('.'-names, `_headers`), each
reached from the output folder one name at a time without following a symbolic link, so
no request reads anything outside it. A folder serves its `index.html`; nothing is listed.

HTML responses get a small script that polls `VERSION_PATH` and reloads the page once a
rebuild changed the output, and every text response has `site.base_url` replaced by the
address it was asked at, so that its links lead to the preview whatever the port; both
change the response only, never the files.

A request is answered only when its Host names the address served, `localhost` or the
`--host` given, so that a web page cannot read the preview through a name of its own
pointed at 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import re
import secrets
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Event, Thread
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from feeds import __version__
from feeds.formats import PAGE_FILE, content_type
from feeds.httpheaders import classify, is_public
from feeds.reporting import fields
from feeds.watch import Rebuild

_PLAIN_TEXT = content_type("message.txt")  # of the answers that are no file
_PAGE_TYPE = content_type(PAGE_FILE)  # a page gets the reload script

log = logging.getLogger("feeds")

# A '.'-name: no file of the output folder can ever be served there.
VERSION_PATH = "/.feeds-serve/version"
RELOAD_MARK = b"<!-- feeds serve: reload -->"
_RELOAD_SCRIPT = """<script>
(() => {
  const seen = %s;
  const poll = () => fetch(%s, {cache: "no-store"}).then((r) => r.text()).then(
    (now) => (now === seen ? setTimeout(poll, 1000) : location.reload()),
    () => setTimeout(poll, 1000));
  setTimeout(poll, 1000);
})();
</script>
"""
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# The preview is for checking each rebuild: a browser or reader revalidates every time.
_CACHE_CONTROL = "no-cache"
# A Host header: a name or an IPv4 address, or an IPv6 one in brackets, then maybe a port.
_HOST = re.compile(r"(?:\[([0-9A-Fa-f:.]+)\]|([^\[\]:@/\\?#\s]+))(?::([0-9]{1,5}))?")
_TEXT = "charset=utf-8"  # in the Content-Type of every text file publishing knows


@dataclass(frozen=True, slots=True)
class Served:
    """What the server serves now: `root`, built for `base_url`, as of `version`, which
    changed at `since`."""

    root: Path
    base_url: str
    version: str
    since: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class Found:
    """A file to serve: its '/'-separated path in the output folder, bytes and mtime."""

    path: str
    content: bytes
    mtime: float


@dataclass(frozen=True, slots=True)
class Moved:
    """A folder asked for without its final '/': its relative links need the slash."""

    location: str


class PreviewServer(ThreadingHTTPServer):
    """Serves an output folder built for `base_url`; `after` takes in each rebuild's
    result. With `log_requests`, each request is logged (one line, at INFO)."""

    daemon_threads = True
    # A browser opens many connections at once; with the default 5, a burst of them
    # overflows the queue and a connection waits ~1 s for its SYN to be sent again.
    request_queue_size = 128

    def __init__(
        self, host: str, port: int, root: Path, base_url: str, *, log_requests: bool = False
    ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), PreviewHandler)
        self.log_requests = log_requests
        self._names = {"localhost", host.strip("[]").lower()}
        self._token = secrets.token_hex(4)  # a page served by an earlier server reloads
        self._builds = 0
        self.served = Served(root, base_url, f"{self._token}-0", time.time())

    @property
    def url(self) -> str:
        """The address the server listens on, as a URL."""
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def after(self, result: Rebuild) -> None:
        """Serve the output of a rebuild from the folder its config names, as a new version
        (open pages reload) when that folder, its base URL or its files changed, whether
        or not the build wrote any. A failed rebuild changed nothing: nothing to do."""
        config = result.config
        if config is None or result.outcome is None:
            return
        root, base_url = config.output.dir, config.site.base_url
        now = self.served
        if (root, base_url) == (now.root, now.base_url) and not result.changed_output:
            return
        self._builds += 1
        self.served = Served(root, base_url, f"{self._token}-{self._builds}", time.time())

    def here(self, host: str | None) -> str | None:
        """The base URL of the preview as asked for with the Host header `host`: None when
        `host` is not `host[:port]` naming the address served, `localhost` or the `--host`
        given. A request without one (HTTP/1.0) is at the address served."""
        if host is None:
            return self.url
        match = _HOST.fullmatch(host)
        if match is None:
            return None
        name = (match[1] or match[2]).lower()
        if name not in self._names and not self._is_address(name):
            return None
        shown = f"[{name}]" if match[1] else name
        return f"http://{shown}{'' if match[3] is None else ':' + match[3]}/"

    def _is_address(self, name: str) -> bool:
        """Whether `name` is the IP address listened on (any, when that is all of them)."""
        try:
            asked = ipaddress.ip_address(name)
        except ValueError:
            return False
        bound = ipaddress.ip_address(str(self.server_address[0]))
        return bound.is_unspecified or asked == bound

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer is no error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


Watcher = Callable[[Event, Event], None]  # runs until its first Event (stop) is set


def serve_until_stopped(
    server: PreviewServer, announce: Callable[[str], None], watcher: Watcher | None = None
) -> None:
    """Serve until Ctrl-C, then close the server and wait for `watcher` to finish.

    `watcher` runs in a thread meanwhile, given a stop and a ready Event; `announce` is
    given the server's URL once the watcher is ready, so that from then on every change
    is seen.
    """
    stop, ready = Event(), Event()
    thread = None if watcher is None else Thread(target=watcher, args=(stop, ready))
    try:
        if thread is not None:
            thread.start()
            while not ready.wait(0.05) and thread.is_alive():
                pass
        announce(server.url)
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the way to stop
    finally:
        stop.set()
        server.server_close()
        if thread is not None and thread.is_alive():
            thread.join()  # a rebuild under way finishes first


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the files of the output folder; nothing else."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = f"feeds/{__version__}"
    timeout = 60  # an idle kept-alive connection frees its thread after this

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request, only when asked for (-v): the terminal is for build reports."""
        if self.server.log_requests:
            status = code if isinstance(code, str) else int(code)
            log.info(
                '%(client)s "%(request)s" %(status)s',
                fields(client=self.client_address[0], request=self.requestline, status=status),
            )

    def log_message(self, format: str, *args: Any) -> None:
        """A request too malformed to answer: logged as requests are (-v only)."""
        if self.server.log_requests:
            log.info(
                "%(client)s %(reason)s", fields(client=self.client_address[0], reason=format % args)
            )

    def _answer(self, with_body: bool) -> None:
        served = self.server.served
        here = self.server.here(self.headers.get("Host"))
        if here is None:  # a name the preview is not at: a page of some other site's?
            body = f"421 Misdirected Request: this preview is at {self.server.url}\n".encode()
            self._send(421, {"Content-Type": _PLAIN_TEXT}, body, with_body)
            return
        path = urlsplit(self.path).path
        if path == VERSION_PATH:
            headers = {"Content-Type": _PLAIN_TEXT, "Cache-Control": "no-store"}
            self._send(200, headers, served.version.encode(), with_body)
            return
        found = find(served.root, path)
        if isinstance(found, Moved):
            self._send(301, {"Location": found.location}, b"", with_body)
        elif found is None:
            body = b"404 Not Found\n"
            self._send(404, {"Content-Type": _PLAIN_TEXT}, body, with_body)
        else:
            self._send_file(found, served, here, with_body)

    def _send_file(self, found: Found, served: Served, here: str, with_body: bool) -> None:
        content_type = classify(found.path)[0]
        content, modified = found.content, found.mtime
        if _TEXT in content_type:  # its links lead to the preview, at the port asked
            content = content.replace(served.base_url.encode(), here.encode())
        if content_type == _PAGE_TYPE:
            # The script carries the version, so the page changes with it.
            content, modified = with_reload(content, served.version), max(modified, served.since)
        etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(modified, usegmt=True),
            "Cache-Control": _CACHE_CONTROL,
        }
        if not_modified(self.headers, etag, modified):
            self._send(304, headers, b"", with_body=False, length=False)
            return
        self._send(200, {"Content-Type": content_type, **headers}, content, with_body)

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        with_body: bool,
        length: bool = True,
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)


def find(root: Path, url_path: str) -> Found | Moved | None:
    """The file a URL path names under `root`, a folder's `index.html`, or None when there
    is none that may be served (an internal name, `..`, a link on the way, no index)."""
    text = unquote(url_path)
    parts = [part for part in text.split("/") if part]
    if "\0" in text or (parts and not is_public("/".join(parts))):
        return None  # '..' and '.' start with '.' too, however they were encoded
    with _opened(root, parts) as fd:
        if fd is None:
            return None
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):  # a file is no folder: 'rss.xml/' is not found
            return (
                None if text.endswith("/") else Found("/".join(parts), _read_all(fd), info.st_mtime)
            )
        if not stat.S_ISDIR(info.st_mode):
            return None
    folder = "/" + "".join(quote(part, safe="") + "/" for part in parts)
    if not url_path.endswith("/"):
        return Moved(folder)  # built from the names: never '//host', so never off-site
    index = find(root, folder + PAGE_FILE)
    return index if isinstance(index, Found) else None


@contextmanager
def _opened(root: Path, parts: list[str]) -> Iterator[int | None]:
    """A descriptor of `root/parts`, each name opened inside the folder opened before it
    and never through a symbolic link; None if anything on the way is missing, a link or
    neither a folder nor a regular file (a FIFO or device is never opened)."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield None
        return
    try:
        for part in parts:
            mode = os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise FileNotFoundError(part)
            child = os.open(part, _OPEN_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except OSError:  # missing, a link (ELOOP), a file taken for a folder (ENOTDIR), ...
        os.close(fd)
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    with open(fd, "rb", closefd=False) as file:
        return file.read()


def with_reload(html: bytes, version: str) -> bytes:
    """`html` with the reload script, for `version`, just before its `</body>`."""
    script = _RELOAD_SCRIPT % (json.dumps(version), json.dumps(VERSION_PATH))
    insert = RELOAD_MARK + b"\n" + script.encode("utf-8")
    end = html.lower().rfind(b"</body>")
    return html + insert if end < 0 else html[:end] + insert + html[end:]


def not_modified(headers: Message, etag: str, modified: float) -> bool:
    """Whether a request's validators match, so that `304 Not Modified` answers it.

    If-None-Match decides alone when present (RFC 9110 13.2.2); If-Modified-Since is
    compared at the one-second precision of HTTP dates.
    """
    tags = headers.get("If-None-Match")
    if tags is not None:
        return any(tag.strip() in ("*", etag, "W/" + etag) for tag in tags.split(","))
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored, as RFC 9110 says
    if when.tzinfo is None:  # '-0000': UTC, of unknown origin
        when = when.replace(tzinfo=UTC)
    return int(modified) <= when.timestamp()
