"""Real servers on 127.0.0.1 for the publish and WebSub tests.

- `S3Server`: moto's S3 API (the S3 app `moto.server.ThreadedMotoServer` dispatches to)
  behind a small middleware that logs every request by S3 operation and can answer
  chosen requests with a 5xx, as a flaky object store would.
- `Hub`: a WebSub hub that records each publish ping and answers with a chosen status.
- `SlowHub`: a hub that records each ping, then answers a byte at a time, or never.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Request:
    """One request the S3 server received: its operation, key and the status it got."""

    operation: str
    key: str
    status: int


def operation(method: str, path: str, query: str) -> tuple[str, str]:
    """The S3 operation and object key of a path-style request."""
    _, _, rest = path.lstrip("/").partition("/")
    key = unquote(rest)
    if method == "GET" and not key:
        return ("ListObjectsV2" if "list-type=2" in query else "ListObjects"), ""
    names = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject"}
    names |= {"DELETE": "DeleteObject", "POST": "Post"}
    name = names.get(method, method)
    return (name if key else f"{name}Bucket"), key


@dataclass
class Faults:
    """Which requests get a 5xx: the next `count` ones, and every PutObject of `keys`."""

    count: int = 0
    status: int = 503
    put_keys: set[str] = field(default_factory=set)


class _FaultyApp:
    def __init__(self, app: Any, server: S3Server) -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        op, key = operation(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ["QUERY_STRING"]
        )
        status = self.server.injected_status(op, key)
        if status:
            self.server.record(Request(op, key, status))
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            code = "SlowDown" if status == 503 else "InternalError"
            body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
            start_response(f"{status} Error", [("Content-Type", "application/xml")])
            return [body]
        captured: list[int] = []

        def capture(status_line: str, headers: Any, *args: Any) -> Any:
            captured.append(int(status_line.split()[0]))
            return start_response(status_line, headers, *args)

        result = self.app(environ, capture)
        self.server.record(Request(op, key, captured[0] if captured else 0))
        return result  # type: ignore[no-any-return]


class S3Server:
    """moto's S3 API on a free loopback port, with a request log and fault injection."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
        self.faults = Faults()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        # The S3 app alone: moto's host-based dispatcher rescans its modules per request.
        app = _FaultyApp(create_backend_app("s3"), self)
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()

    def injected_status(self, op: str, key: str) -> int:
        with self._lock:
            if self.faults.count > 0:
                self.faults.count -= 1
                return self.faults.status
            if op == "PutObject" and key in self.faults.put_keys:
                return 500
        return 0

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def reset(self) -> None:
        """Forget the log and the faults (between steps of a test)."""
        with self._lock:
            self.requests.clear()
            self.faults = Faults()

    def seed(self, bucket: str, objects: dict[str, bytes]) -> dict[str, str]:
        """Store objects straight into the server's backend (no HTTP); returns their ETags.

        For tests that need thousands of objects in place quickly: an HTTP PUT costs a few
        milliseconds of CPU on each side of one process.
        """
        from moto.s3.models import s3_backends

        for account in s3_backends.values():
            backend = account["global"]
            if bucket in backend.buckets:
                return {
                    key: backend.put_object(bucket, key, value).etag
                    for key, value in objects.items()
                }
        raise LookupError(bucket)

    def count(self, op: str) -> int:
        """How many requests of operation `op` arrived (retries included)."""
        with self._lock:
            return sum(1 for r in self.requests if r.operation == op)

    def keys(self, op: str) -> list[str]:
        """The object keys of the `op` requests that succeeded."""
        with self._lock:
            return [r.key for r in self.requests if r.operation == op and r.status < 300]


class Hub:
    """A WebSub hub on a free loopback port: records each ping, answers `status`, or 400
    to a ping naming more than `max_urls` feeds (a hub that takes one topic at a time)."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.status = 204
        self.max_urls: int | None = None
        self._lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode("ascii"))
                with hub._lock:
                    hub.pings.append(form)
                hub.answer(self, form)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hub"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, handler: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        """Answer one recorded ping: a status line and no body."""
        too_many = self.max_urls is not None and len(form.get("hub.url", [])) > self.max_urls
        handler.send_response(400 if too_many else self.status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def urls(self) -> list[str]:
        """The feed URLs pinged with hub.mode=publish, sorted."""
        return sorted(
            url for form in self.pings if form.get("hub.mode") == ["publish"]
            for url in form.get("hub.url", [])
        )  # fmt: skip

    def __enter__(self) -> Hub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class SlowHub(Hub):
    """A hub that answers one byte every `interval` seconds, or never (`interval` None).

    Each byte comes well within any per-read timeout, yet the whole answer takes minutes:
    only a deadline for the whole request ends it. Leaving the `with` block ends the
    answers still being given (their clients then see the connection close).
    """

    ANSWER = b"HTTP/1.0 204 No Content\r\nX-Padding: " + b"." * 1000 + b"\r\n\r\n"

    def __init__(self, interval: float | None) -> None:
        super().__init__()
        self.interval = interval
        self._stopping = threading.Event()

    def answer(self, handler: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        if self.interval is None:
            self._stopping.wait()
            return
        for byte in self.ANSWER:
            if self._stopping.wait(self.interval):
                return
            handler.wfile.write(bytes([byte]))

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        super().__exit__(*exc)


def feed_urls(count: int) -> list[str]:
    """`count` distinct feed URLs to ping a hub about, in order."""
    return [f"https://feeds.example.org/topics/t{n:04d}/rss.xml" for n in range(count)]


def started(server: S3Server) -> Iterator[S3Server]:
    """Run `server` for the duration of a fixture."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
