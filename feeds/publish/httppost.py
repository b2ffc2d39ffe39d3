"""One form POST over HTTP(S) with a deadline for the whole exchange, not per socket read.

urllib's `timeout` bounds each blocking socket call, so a server that sends one byte every
few seconds keeps a request alive for ever. Here a watchdog thread shuts the connection's
socket down once the deadline has passed, wherever the request is blocked (connecting,
the TLS handshake, sending, waiting for the status line or headers); the blocked call then
returns at once. Only the status matters, so the answer's body is never read.

Proxies from the environment are honoured; redirects are not followed (a 3xx is an
HTTPError like any other non-2xx status), so no request leaves the watched handlers.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

CUT_INTERVAL = 0.05  # seconds between cuts after the deadline: a connection may be opening


class _Watchdog:
    """Shuts down the sockets of the connections it made once `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="feeds-deadline", daemon=True)

    def making(self, cls: type[HTTPConnection]) -> Callable[..., HTTPConnection]:
        """A factory of `cls` connections this watchdog can cut."""

        def make(host: str, /, **kwargs: Any) -> HTTPConnection:
            connection = cls(host, **kwargs)
            self._connections.append(connection)
            return connection

        return make

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        # Again and again until the request gives up: a connection still resolving or
        # connecting has no socket yet (its connect has the same timeout as a bound).
        while True:
            for connection in list(self._connections):
                _cut(connection.sock)
            if self._done.wait(CUT_INTERVAL):
                return


def _cut(sock: socket.socket | None) -> None:
    # socket.socket's own shutdown, also for a TLS socket: it stops the file descriptor
    # without touching the TLS state another thread is reading with.
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> HTTPResponse:
        return self.do_open(self.watchdog.making(HTTPConnection), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> HTTPResponse:
        context = ssl.create_default_context()
        return self.do_open(self.watchdog.making(HTTPSConnection), req, context=context)


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's opener with only proxies, watched HTTP(S) and errors for non-2xx statuses."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _HTTP(watchdog),
        _HTTPS(watchdog),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def post_form(
    url: str, form: Sequence[tuple[str, str]], *, seconds: float, headers: dict[str, str]
) -> None:
    """POST `form` (x-www-form-urlencoded) to the http(s) `url`, all within `seconds`.

    Returns on a 2xx answer. Raises urllib.error.HTTPError for another status, TimeoutError
    when the deadline passed first, another OSError when the network fails or the answer
    is not HTTP, ValueError for a URL urllib can't use.
    """
    body = urlencode(form).encode("ascii")
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    request = urllib.request.Request(url, data=body, headers=all_headers, method="POST")
    with _Watchdog(seconds) as watchdog:
        try:
            _opener(watchdog).open(request, timeout=seconds).close()
        except urllib.error.HTTPError as exc:
            if exc.fp is not None:
                exc.fp.close()  # the connection: its body is of no interest
            raise  # a status arrived, whatever the clock says now
        except (OSError, HTTPException) as exc:
            # A socket call that timed out was blocked for the whole deadline: the same
            # verdict as the watchdog's, which may not have woken up yet on a busy machine.
            _raise_for(watchdog, timed_out=isinstance(exc, TimeoutError))
            if isinstance(exc, OSError):
                raise
            msg = f"not an HTTP answer ({type(exc).__name__})"
            raise ConnectionError(msg) from exc
        # A cut in the middle of the headers reads to http.client as their end.
        _raise_for(watchdog)


def _raise_for(watchdog: _Watchdog, *, timed_out: bool = False) -> None:
    """Raise TimeoutError if the watchdog cut the request (or was about to)."""
    if watchdog.expired or timed_out:
        msg = f"no answer within {watchdog.seconds:.1f} s"
        raise TimeoutError(msg)
