"""`feeds serve`: a real server on 127.0.0.1 (the CLI in a subprocess), asked over HTTP.

Content types from the publishing table, ETag/Last-Modified and 304s, folders and 404s,
nothing outside the output folder or internal, the reload script only in responses, and
rebuilds on change (watched for by polling what is served, never by sleeping).
"""

from __future__ import annotations

import http.client
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import feedparser
import pytest

from feeds.config import CacheControl
from feeds.httpheaders import headers_for, is_public
from feeds.serve import RELOAD_MARK, VERSION_PATH
from feeds.store.documents import document_text
from feeds.store.importer import import_folder
from tests.kit import (
    BASE_URL,
    Site,
    article,
    assert_valid_atom,
    make_site,
    small_corpus,
    snapshot,
    store_url,
    write_tree,
)

T = TypeVar("T")
PATIENCE = 120.0  # seconds before a wait is a failure: a bound against hanging, not a target

# The CLI, with Ctrl-C working even when the test runner was started with SIGINT ignored
# (as a shell does for a job it starts in the background): the child would inherit that.
# Opening a file named FAULTY (an audit hook, as the kill test stops a write) raises what
# no code of ours raises, so a test can see what a bug in a rebuild does to the watch.
FAULTY = "raises-on-open.md"
SERVE = textwrap.dedent(
    f"""
    import os, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def hook(event, args):
        path = args[0] if event == "open" else None
        if isinstance(path, str | bytes) and os.path.basename(os.fsdecode(path)) == "{FAULTY}":
            raise RuntimeError("a fault injected into open()")

    sys.addaudithook(hook)
    from feeds.cli import cli
    cli(sys.argv[1:], prog_name="feeds")
    """
)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Serving:
    """`feeds serve --port 0` for a site, running until `stop`; its stderr is collected."""

    def __init__(self, site: Site, *args: str) -> None:
        command = [sys.executable, "-c", SERVE, "serve", "--config", str(site.config_path)]
        self.proc = subprocess.Popen(
            [*command, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._collect, args=(self.proc.stderr,))
        self._reader.start()
        line = self.proc.stdout.readline()  # printed once it serves and watches
        assert line.startswith("Serving "), (line, self.proc.wait(), self.errors())
        self.url = line.split(" at ")[1].split()[0]

    def _collect(self, stream: Iterator[str]) -> None:
        for line in stream:
            self._lines.append(line)

    def errors(self) -> str:
        """Everything it printed on stderr so far."""
        return "".join(self._lines)

    def get(self, path: str, method: str = "GET", **headers: str) -> Reply:
        """One request for `path`, sent exactly as written (no normalisation)."""
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname or "", address.port)
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def stop(self, signum: int = signal.SIGINT) -> None:
        """Ctrl-C (or `signum`): it ends at once with exit status 0, nothing on stdout, no
        traceback."""
        self.proc.send_signal(signum)
        stdout, _ = self.proc.communicate(timeout=PATIENCE)
        self._reader.join()
        assert (self.proc.returncode, stdout) == (0, "")
        assert "Traceback" not in self.errors()


@pytest.fixture
def serving() -> Iterator[Callable[..., Serving]]:
    """Start `feeds serve` for a site; every server started is stopped by Ctrl-C after."""
    started: list[Serving] = []

    def start(site: Site, *args: str) -> Serving:
        started.append(Serving(site, *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def until(value: Callable[[], T], what: str) -> T:
    """Poll `value` until it is truthy; fail after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while not (result := value()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)
    return result


def as_served(data: bytes, server: Serving) -> bytes:
    """A file's bytes as the preview sends them: links at the address it serves."""
    return data.replace(BASE_URL.encode(), server.url.encode())


def without_reload(body: bytes) -> bytes:
    """A served page as it is on disk: the reload script taken out."""
    start = body.index(RELOAD_MARK)
    end = body.index(b"</script>\n", start) + len(b"</script>\n")
    return body[:start] + body[end:]


def titles(reply: Reply) -> list[str]:
    parsed = feedparser.parse(reply.body)
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


OUTSIDE = "OUTSIDE-the-output-folder-4b1e"


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Serving]]:
    """One server, without watching, for the tests that only read; the output folder also
    holds links leading out of it, to a file and to a folder."""
    root = tmp_path_factory.mktemp("preview")
    site = make_site(root, small_corpus(), output={"headers_file": True})
    assert site.cli("build").exit_code == 0
    assert site.out.parent == root  # so '/../secret.txt' names a file that is there
    (root / "secret.txt").write_text(OUTSIDE)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "rss.xml").write_text(OUTSIDE)
    (site.out / "leak.txt").symlink_to(root / "secret.txt")
    (site.out / "topics" / "ai" / "leak.xml").symlink_to(root / "secret.txt")
    (site.out / "outside").symlink_to(root / "elsewhere")
    server = Serving(site, "--no-watch")
    yield site, server
    server.stop()


def test_binds_to_127_0_0_1_by_default(preview: tuple[Site, Serving]) -> None:
    _, server = preview
    assert server.url.startswith("http://127.0.0.1:")


def test_every_file_is_served_with_the_content_type_publishing_gives_it(
    preview: tuple[Site, Serving],
) -> None:
    site, server = preview
    served = {
        path: data
        for path, data in snapshot(site.out).items()
        if is_public(path) and not (site.out / path).is_symlink()
    }
    assert {
        "rss.xml",
        "atom.xml",
        "feed.json",
        "feeds.opml",
        "index.html",
        "style.css",
    } <= set(served)
    for path, data in served.items():
        reply = server.get("/" + quote(path))
        content_type = headers_for(path, CacheControl()).content_type
        assert (reply.status, reply.headers["Content-Type"]) == (200, content_type), path
        body = without_reload(reply.body) if path.endswith(".html") else reply.body
        assert body == as_served(data, server), path
    feeds = {name: server.get("/" + name).headers["Content-Type"] for name in served}
    assert feeds["rss.xml"] == "application/rss+xml; charset=utf-8"
    assert feeds["atom.xml"] == "application/atom+xml; charset=utf-8"
    assert feeds["topics/ai/feed.json"] == "application/feed+json; charset=utf-8"
    assert sorted(titles(server.get("/topics/climate/rss.xml"))) == ["Second", "Third"]
    assert_valid_atom(server.get("/atom.xml").body)


def test_a_repeated_request_gets_304_by_etag_or_date(preview: tuple[Site, Serving]) -> None:
    _, server = preview
    for path in ("/rss.xml", "/topics/ai/atom.xml", "/topics/ai/"):
        first = server.get(path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.status == 200
        assert etag.startswith('"')
        for validators in (
            {"If-None-Match": etag},
            {"If-None-Match": f'"other", W/{etag}'},
            {"If-None-Match": "*"},
            {"If-Modified-Since": modified},
        ):
            again = server.get(path, **validators)
            assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag)
        year_before = formatdate(time.time() - 365 * 86400, usegmt=True)
        for validators in (
            {"If-None-Match": '"other"'},
            {"If-Modified-Since": year_before},
            {"If-Modified-Since": "not a date"},
            # If-None-Match, when sent, decides alone (RFC 9110 13.2.2)
            {"If-None-Match": '"other"', "If-Modified-Since": modified},
        ):
            assert server.get(path, **validators).body == first.body, validators


def test_head_answers_the_headers_of_get_without_the_body(
    preview: tuple[Site, Serving],
) -> None:
    site, server = preview
    reply = server.get("/rss.xml", method="HEAD")
    assert (reply.status, reply.body) == (200, b"")
    on_disk = (site.out / "rss.xml").read_bytes()
    assert int(reply.headers["Content-Length"]) == len(as_served(on_disk, server))
    assert reply.headers["ETag"] == server.get("/rss.xml").headers["ETag"]


def test_folders_serve_their_index_and_nothing_else_is_listed(
    preview: tuple[Site, Serving],
) -> None:
    site, server = preview
    page = server.get("/topics/ai/")
    assert page.status == 200
    for path, body in (("topics/ai/index.html", page.body), ("index.html", server.get("/").body)):
        assert without_reload(body) == as_served((site.out / path).read_bytes(), server)
    moved = server.get("/topics/ai")  # the page's relative links need the slash
    assert (moved.status, moved.headers["Location"]) == (301, "/topics/ai/")
    assert server.get("//topics").headers["Location"] == "/topics/"  # never //host
    for missing in ("/topics/", "/nope.xml", "/topics/ai/nope/", "/rss.xml/"):
        reply = server.get(missing)
        assert reply.status == 404, missing
        assert b"ai" not in reply.body


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/topics/ai/../../../secret.txt",
        "/topics/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/topics%2f..%2f..%2fsecret.txt",
        "//../secret.txt",
        "/leak.txt",
        "/topics/ai/leak.xml",
        "/outside/rss.xml",
        "/outside/",
        "/.feeds-manifest.json",
        "/%2efeeds-manifest.json",
        "/topics/ai/../../.feeds-manifest.json",
        "/.feeds.lock",
        "/_headers",
        "/%5fheaders",
        "/%00rss.xml",
    ],
)
def test_nothing_outside_the_output_folder_or_internal_is_served(
    preview: tuple[Site, Serving], path: str
) -> None:
    site, server = preview
    assert (site.out / ".feeds-manifest.json").is_file()
    assert (site.out / "_headers").is_file()
    reply = server.get(path)
    assert reply.status in (403, 404)
    assert OUTSIDE.encode() not in reply.body
    assert b"feeds" not in reply.body  # neither the manifest nor _headers


def test_the_reload_script_is_in_served_html_only(preview: tuple[Site, Serving]) -> None:
    site, server = preview
    version = server.get(VERSION_PATH)
    assert (version.status, version.headers["Cache-Control"]) == (200, "no-store")
    page = server.get("/").body
    assert RELOAD_MARK in page
    assert VERSION_PATH.encode() in page
    assert b'"' + version.body + b'"' in page  # the page knows the version it was served at
    assert page.index(RELOAD_MARK) < page.rindex(b"</body>")
    for path, data in snapshot(site.out).items():
        assert b"<script" not in data, path
        assert b"<script" not in server.get("/" + quote(path)).body or path.endswith(".html")


def test_a_changed_article_is_served_after_the_rebuild(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    before = server.get(VERSION_PATH).body
    assert titles(server.get("/rss.xml")) == ["Third", "Second", "First"]
    site.write({"two.md": article(2, title="Second, edited", topics=["AI", "Climate"])})
    until(lambda: "Second, edited" in titles(server.get("/rss.xml")), "the edited title")
    site.write({"four.md": article(4, title="Fourth", topics=["Space"])})
    feed = "/topics/space/rss.xml"
    until(lambda: server.get(feed).status == 200, "the new topic's feed")
    assert titles(server.get(feed)) == ["Fourth"]
    page = server.get("/topics/space/")
    assert page.status == 200
    after = server.get(VERSION_PATH).body
    assert after != before
    assert b'"' + after + b'"' in page.body  # an open page sees the new version and reloads
    # The rebuilds were incremental, and give what a clean build gives.
    assert snapshot(site.out) == site.fresh_output(tmp_path / "fresh")


def test_an_article_store_is_polled_and_its_changes_served(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    content = tmp_path / "content"
    write_tree(content, small_corpus())
    database = tmp_path / "articles.db"
    import_folder(content, database)
    site = make_site(tmp_path / "site", content={"dir": None, "database": store_url(database)})
    server = serving(site)
    assert titles(server.get("/rss.xml")) == ["Third", "Second", "First"]
    edited = document_text(article(2, title="Second, edited", topics=["AI", "Climate"]))
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE articles SET document = ? WHERE key = 'two.md'", (edited,))
    until(lambda: "Second, edited" in titles(server.get("/rss.xml")), "the edited row")
    assert server.errors() == ""  # polls, and a rebuild without problems, say nothing


def test_a_broken_config_or_article_keeps_the_last_good_output_served(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    good = server.get("/rss.xml").body
    site.config_path.write_text("site: {title: [not, a, title]\n", encoding="utf-8")
    until(lambda: "still serving the last good output" in server.errors(), "the error")
    assert "Error: " in server.errors()
    assert server.get("/rss.xml").body == good
    assert server.get("/").status == 200
    site.configure(site={"title": "Renamed"})  # fixed: the next change rebuilds
    until(lambda: b"<title>Renamed</title>" in server.get("/rss.xml").body, "the new title")
    site.write({"bad.md": "---\ntitle: [unclosed\n---\n"})
    until(lambda: "warning: bad.md: " in server.errors(), "the broken article's report")
    assert titles(server.get("/rss.xml")) == ["Third", "Second", "First"]


def test_sigterm_ends_it_as_ctrl_c_does(tmp_path: Path) -> None:
    # What a service manager sends to stop it; the watcher's thread is stopped too.
    site = make_site(tmp_path, small_corpus())
    server = Serving(site)
    assert server.get("/rss.xml").status == 200
    server.stop(signal.SIGTERM)


def test_a_port_in_use_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = site.cli("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert (site.out / "rss.xml").is_file()  # it built first


def test_a_broken_config_at_start_is_exit_1_before_serving(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.config_path.write_text("site: {}\n", encoding="utf-8")
    result = site.cli("serve", "--port", "0")
    assert result.exit_code == 1
    assert "invalid config" in result.stderr
    assert result.stdout == ""
    assert not site.out.exists()


def test_a_rebuild_that_raises_anything_keeps_the_watch_and_the_last_good_output(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    good = server.get("/rss.xml").body
    site.write({FAULTY: article(9, title="Never read")})
    expected = (
        "Error: rebuild failed: RuntimeError: a fault injected into open() "
        "(still serving the last good output)\n"
    )
    until(lambda: expected in server.errors(), "the error line")
    assert "Traceback" not in server.errors()
    assert server.get("/rss.xml").body == good
    (site.content / FAULTY).unlink()
    site.configure(site={"title": "Renamed"})  # the watch goes on: the next save rebuilds
    until(lambda: b"<title>Renamed</title>" in server.get("/rss.xml").body, "the new title")


def test_a_config_value_python_cannot_take_keeps_the_watch_and_the_last_good_output(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    good = server.get("/rss.xml").body
    site.configure(site={"base_url": "http://[::1/"})  # an unclosed '['
    until(lambda: "still serving the last good output" in server.errors(), "the error")
    assert f"Error: {site.config_path}: invalid config:\n  site.base_url: " in server.errors()
    assert "Traceback" not in server.errors()
    assert server.get("/rss.xml").body == good
    site.configure(site={"base_url": BASE_URL, "title": "Renamed"})
    until(lambda: b"<title>Renamed</title>" in server.get("/rss.xml").body, "the new title")


def test_a_content_folder_deleted_and_made_again_is_watched_again(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    saved = {path.name: path.read_bytes() for path in site.content.iterdir()}
    shutil.rmtree(site.content)
    until(lambda: "no such folder; watching for it" in server.errors(), "the watch to wait")
    site.content.mkdir()
    site.write({**saved, "two.md": article(2, title="Second, again", topics=["AI"])})
    until(lambda: "Second, again" in titles(server.get("/rss.xml")), "the rebuild")
    site.write({"one.md": article(1, title="First, again", topics=["AI"])})  # and watched
    until(lambda: "First, again" in titles(server.get("/rss.xml")), "the next rebuild")


def test_the_folder_served_follows_the_config_even_when_the_rebuild_writes_nothing(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    other = tmp_path / "other"
    site.configure(output={"dir": str(other)})
    assert site.cli("build").exit_code == 0  # up to date for the config it will name
    (other / "only-in-other.txt").write_text("other\n", encoding="utf-8")
    site.configure(output={"dir": "public"})
    server = serving(site, "-v")
    assert server.get("/only-in-other.txt").status == 404
    site.configure(output={"dir": str(other)})
    summary = "3 article files read"
    until(lambda: server.errors().count(summary) == 2, "the rebuild's summary")
    assert "0 files written" in server.errors().rpartition(summary)[2]
    assert server.get("/only-in-other.txt").body == b"other\n"
    assert server.get("/rss.xml").status == 200


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000/", "https://feeds.example.org/news/"])
def test_links_lead_to_the_address_served_and_the_files_keep_the_base_url(
    tmp_path: Path, serving: Callable[..., Serving], base_url: str
) -> None:
    site = make_site(tmp_path / "site", small_corpus(), site={"base_url": base_url})
    server = serving(site, "--no-watch")
    files = {path: data for path, data in snapshot(site.out).items() if is_public(path)}
    assert base_url.encode() in files["rss.xml"]  # on disk as built, and stays so
    for path in files:
        reply = server.get("/" + quote(path))
        assert base_url.encode() not in reply.body, path
        assert int(reply.headers["Content-Length"]) == len(reply.body), path
        head = server.get("/" + quote(path), method="HEAD")
        assert head.headers["Content-Length"] == reply.headers["Content-Length"], path
    assert {p: d for p, d in snapshot(site.out).items() if p in files} == files  # untouched
    atom = feedparser.parse(server.get("/topics/ai/atom.xml").body)
    self_link = next(link.href for link in atom.feed.links if link.rel == "self")
    assert self_link == server.url + "topics/ai/atom.xml"
    assert server.get(urlsplit(self_link).path).status == 200
    page = server.get("/topics/ai/").body
    assert f'href="{server.url}topics/ai/rss.xml"'.encode() in page  # Subscribe
    port = urlsplit(server.url).port
    by_name = server.get("/rss.xml", Host=f"localhost:{port}").body
    assert f"http://localhost:{port}/".encode() in by_name
    assert server.url.encode() not in by_name


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:{port}", 200),
        ("127.0.0.1", 200),
        ("localhost:{port}", 200),
        ("LOCALHOST", 200),
        ("attacker.example:{port}", 421),  # DNS rebinding: a name pointed at 127.0.0.1
        ("attacker.example", 421),
        ("127.0.0.2:{port}", 421),
        ("localhost.attacker.example", 421),
        ("attacker.example@127.0.0.1:{port}", 421),
        ("127.0.0.1:{port}/x", 421),
        ("", 421),
    ],
)
def test_only_a_host_naming_the_address_served_is_answered(
    preview: tuple[Site, Serving], host: str, status: int
) -> None:
    _, server = preview
    header = host.format(port=urlsplit(server.url).port)
    for path in ("/rss.xml", VERSION_PATH, "/nope"):
        reply = server.get(path, Host=header)
        expected = 404 if (status, path) == (200, "/nope") else status
        assert reply.status == expected, path
        if status == 421:
            assert b"<" not in reply.body


def test_the_host_given_is_answered_by_its_name(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site, "--no-watch", "--host", "LocalHost")
    assert server.url.startswith("http://127.0.0.1:")  # what the name resolves to
    assert server.get("/rss.xml", Host="localhost").status == 200
    assert server.get("/rss.xml", Host="elsewhere.example").status == 421


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_a_usage_error_not_every_interface(tmp_path: Path, host: str) -> None:
    site = make_site(tmp_path, small_corpus())
    command = [sys.executable, "-c", SERVE, "serve", "--config", str(site.config_path)]
    # A subprocess: were it to serve, it would end at PATIENCE, not hang the run.
    run = subprocess.run(
        [*command, "--host", host, "--port", "0"], capture_output=True, text=True, timeout=PATIENCE
    )
    assert run.returncode == 2
    assert "Invalid value for '--host': empty" in run.stderr
    assert not site.out.exists()  # refused before anything was built


def test_a_burst_of_connections_waits_in_the_queue_not_for_a_resend(
    preview: tuple[Site, Serving],
) -> None:
    # While the server accepts none, the kernel completes handshakes into the listen
    # queue only: each connect below returns at once if the queue holds it, and waits
    # for SYN resends (1 s, 3 s, ...) if not.
    _, server = preview
    address = urlsplit(server.url)
    server.proc.send_signal(signal.SIGSTOP)
    sockets: list[socket.socket] = []
    try:
        for _ in range(64):
            sockets.append(socket.create_connection((address.hostname, address.port), PATIENCE))
    finally:
        server.proc.send_signal(signal.SIGCONT)
        for sock in sockets:
            sock.close()
    assert server.get("/rss.xml").status == 200


def test_each_request_is_one_line_with_verbose_only(
    tmp_path: Path, serving: Callable[..., Serving]
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    loud = serving(site, "--no-watch", "-v")
    quiet = serving(site, "--no-watch")
    for server in (loud, quiet):
        assert server.get("/rss.xml").status == 200
        address = urlsplit(server.url)
        with socket.create_connection((address.hostname, address.port)) as raw:
            raw.sendall(b"GET /nope\x1b[31m HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert raw.makefile("rb").readline().startswith(b"HTTP/1.1 404 ")
    line = until(
        lambda: [x for x in loud.errors().splitlines() if "GET /nope" in x], "the log line"
    )
    assert line == ['feeds: 127.0.0.1 "GET /nope\\x1b[31m HTTP/1.1" 404']
    assert 'feeds: 127.0.0.1 "GET /rss.xml HTTP/1.1" 200\n' in loud.errors()
    assert "GET" not in quiet.errors()
