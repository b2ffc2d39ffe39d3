"""A fault-injecting HTTP proxy on 127.0.0.1, between `feeds publish` and the moto server.

Each request is forwarded to the server unless a `Rule` matching its method and object key
(a glob; "" is the bucket itself, as a listing asks) acts on it. A rule acts on the `nth`
matching request and the `times - 1` after it (`times=0`: on every one from the nth on),
counted over all keys or, with `each_key`, for each key on its own. What it does:

- "500", "503", "404": answer with that status, without forwarding;
- "reset": read the request, then reset the connection without forwarding (mid-request);
- "cut": forward, then send half the answer and reset (the store applied the request,
  the client never learns it);
- "hold": forward, then hold the answer until the rule is released (or the proxy stops);
- "stall": hold the request, unforwarded, until released; then reset;
- "": forward as usual (a rule that only counts, or only calls `then`).

A rule's `fired` event is set each time it acts, so a test can act at a counted request
(kill the publishing process, say) instead of after a guessed sleep.
"""

from __future__ import annotations

import fnmatch
import http.client
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "expect"}
STATUS_CODES = {"500": "InternalError", "503": "SlowDown", "404": "NoSuchKey"}


@dataclass
class Rule:
    """What to do with some of the requests of one method to keys matching a glob."""

    method: str
    key: str
    action: str
    nth: int = 1
    times: int = 1
    each_key: bool = False
    then: Callable[[], object] | None = None  # called (once) when the rule first acts
    fired: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    seen: Counter[str] = field(default_factory=Counter)

    def acts_on(self, method: str, key: str) -> bool:
        """Count a request, if it matches; whether the rule acts on it."""
        if method != self.method or not fnmatch.fnmatchcase(key, self.key):
            return False
        counter = key if self.each_key else ""
        self.seen[counter] += 1
        number = self.seen[counter]
        return number >= self.nth and (self.times == 0 or number < self.nth + self.times)


@dataclass(frozen=True)
class Seen:
    """One request the proxy received, and what was done to it ('' when forwarded)."""

    method: str
    key: str
    action: str


class FaultProxy:
    """The proxy: `url` for the client, `rules` to inject faults, `log` of every request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.rules: list[Rule] = []
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add(self, method: str, key: str, action: str, **counting: Any) -> Rule:
        """A new rule, acting from now on (see the module docstring)."""
        rule = Rule(method, key, action, **counting)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Release and forget every rule, and forget the log."""
        with self._lock:
            for rule in self.rules:
                rule.release.set()
            self.rules, self.log = [], []

    def requests(self, method: str, key: str = "*") -> list[Seen]:
        """The logged requests of `method` to keys matching the glob `key`."""
        with self._lock:
            return [s for s in self.log if s.method == method and fnmatch.fnmatchcase(s.key, key)]

    def _decide(self, method: str, key: str) -> Rule | None:
        with self._lock:
            acting = [rule for rule in self.rules if rule.acts_on(method, key)]
            rule = acting[0] if acting else None
            self.log.append(Seen(method, key, rule.action if rule else ""))
        return rule

    def forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[bytes, bytes]:
        """Send the request upstream; the answer's status line and headers, and its body."""
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            answer = conn.getresponse()
            payload = answer.read()
            lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    lines.append(f"{name}: {value}")
            length = answer.getheader("Content-Length") if method == "HEAD" else None
            lines.append(f"Content-Length: {length or len(payload)}")
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), payload
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:
                    self.close_connection = True  # the client went away (killed, timed out)

            def relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                split = urlsplit(self.path)
                key = unquote(split.path.lstrip("/").partition("/")[2])
                rule = proxy._decide(self.command, key)
                action = rule.action if rule else ""
                if rule and not rule.fired.is_set():
                    rule.fired.set()
                    if rule.then:
                        rule.then()
                if action in STATUS_CODES:
                    self.error(int(action), STATUS_CODES[action])
                    return
                if action == "stall" and rule:
                    rule.release.wait()
                if action in ("reset", "stall"):
                    self.reset()
                    return
                head, payload = proxy.forward(self.command, self.path, self.headers.items(), body)
                if action == "hold" and rule:
                    rule.release.wait()
                answer = head + payload
                if action == "cut":
                    self.wfile.write(answer[: len(answer) // 2])
                    self.reset()
                    return
                self.wfile.write(answer)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = relay

            def error(self, status: int, code: str) -> None:
                text = f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())

            def reset(self) -> None:
                self.wfile.flush()
                # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output quiet

        return Handler

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
