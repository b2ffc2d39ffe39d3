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
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import feedparser
import pytest

from feeds.mediatypes import CacheControl, headers_for, is_public
from feeds.serve import RELOAD_MARK, VERSION_PATH
from tests.kit import Site, article, assert_valid_atom, make_site, small_corpus, snapshot

T = TypeVar("T")
PATIENCE = 120.0  # seconds before a wait is a failure: a bound against hanging, not a target

# The CLI, with Ctrl-C working even when the test runner was started with SIGINT ignored
# (as a shell does for a job it starts in the background): the child would inherit that.
SERVE = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
    assert {"rss.xml", "atom.xml", "feed.json", "feeds.opml", "index.html", "style.css"} <= set(
        served
    )
    for path, data in served.items():
        reply = server.get("/" + quote(path))
        content_type = headers_for(path, CacheControl()).content_type
        assert (reply.status, reply.headers["Content-Type"]) == (200, content_type), path
        body = without_reload(reply.body) if path.endswith(".html") else reply.body
        assert body == data, path
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
    assert int(reply.headers["Content-Length"]) == len((site.out / "rss.xml").read_bytes())
    assert reply.headers["ETag"] == server.get("/rss.xml").headers["ETag"]


def test_folders_serve_their_index_and_nothing_else_is_listed(
    preview: tuple[Site, Serving],
) -> None:
    site, server = preview
    page = server.get("/topics/ai/")
    assert page.status == 200
    assert without_reload(page.body) == (site.out / "topics/ai/index.html").read_bytes()
    assert without_reload(server.get("/").body) == (site.out / "index.html").read_bytes()
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


@pytest.mark.parametrize(
    "site_section",
    [
        # A YAML date no calendar has: PyYAML raises ValueError, not a YAML error.
        "{title: 2024-13-45, base_url: 'https://feeds.example.org/'}",
        "{title: T, base_url: 'http://[::1/'}",  # an unclosed '[': urllib's ValueError
    ],
)
def test_a_config_that_raises_anything_keeps_the_watch_and_the_last_good_output(
    tmp_path: Path, serving: Callable[..., Serving], site_section: str
) -> None:
    site = make_site(tmp_path / "site", small_corpus())
    server = serving(site)
    good = server.get("/rss.xml").body
    config = f"site: {site_section}\ncontent: {{dir: content}}\noutput: {{dir: public}}\n"
    site.config_path.write_text(config, encoding="utf-8")
    until(lambda: "still serving the last good output" in server.errors(), "the error")
    assert "Traceback" not in server.errors()
    assert server.get("/rss.xml").body == good
    site.configure(site={"title": "Renamed"})  # the watch goes on: the fix rebuilds
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
