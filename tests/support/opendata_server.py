"""A real HTTP server on a loopback port serving fixed files, and misbehaving on request.

    with serving_files({"/ban.csv.gz": data}, fail_first={"/ban.csv.gz": [503]}) as server:
        fetch(server.url("/ban.csv.gz"), ...)
        server.log  # every request received: method, path, headers, status, body bytes sent

It answers as a static file server does: ETag and Last-Modified on every file, 304 to a
matching If-None-Match (or If-Modified-Since when there is no If-None-Match), and 206 to a
`Range: bytes=N-` whose If-Range (if any) names the current version. `server.put(path, data)`
changes a file: a new ETag and a Last-Modified a day later. The misbehaviours, each keyed by path:
`fail_first` (statuses answered before the file is served), `drop_after` (the connection is
closed after that many body bytes, the first time only), `hang` (the request is read and
never answered); and for every path, `no_ranges` (Range ignored, 200 with the whole file) and
`weak_etags` (W/"…", which If-Range may not name: a client resumes on Last-Modified).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.support.smtp import free_port

FIRST_MODIFIED = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


@dataclass
class Received:
    """One request as the server saw it, and what it answered."""

    method: str
    path: str
    headers: Message  # case-insensitive: headers.get("range")
    status: int = 0
    sent: int = 0  # body bytes written (fewer than announced after a drop)


class OpenDataServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung request must not keep the tests from ending

    def __init__(
        self,
        files: dict[str, bytes],
        *,
        fail_first: dict[str, list[int]] | None = None,
        drop_after: dict[str, int] | None = None,
        hang: tuple[str, ...] = (),
        no_ranges: bool = False,
        weak_etags: bool = False,
    ) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.modified: dict[str, datetime] = {}
        for path, data in files.items():
            self.put(path, data)
        self.fail_first = {path: list(statuses) for path, statuses in (fail_first or {}).items()}
        self.drop_after = dict(drop_after or {})
        self.hang, self.no_ranges, self.weak_etags = hang, no_ranges, weak_etags
        self.log: list[Received] = []
        self.stopping = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def put(self, path: str, data: bytes) -> None:
        """Serve `data` at `path` from now on, as a new version if the path had one."""
        previous = self.modified.get(path)
        self.modified[path] = previous + timedelta(days=1) if previous else FIRST_MODIFIED
        self.files[path] = data

    def etag(self, path: str) -> str:
        tag = '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'
        return "W/" + tag if self.weak_etags else tag

    def last_modified(self, path: str) -> str:
        return format_datetime(self.modified[path], usegmt=True)

    def requests(self, path: str) -> list[Received]:
        return [received for received in self.log if received.path == path]


class Handler(BaseHTTPRequestHandler):
    server: OpenDataServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        server, path = self.server, urlsplit(self.path).path
        received = Received("GET", path, self.headers)
        server.log.append(received)
        if path in server.hang:
            server.stopping.wait()
            self.close_connection = True
            return
        if server.fail_first.get(path):
            return self.answer(received, server.fail_first[path].pop(0), b"")
        if path not in server.files:
            return self.answer(received, 404, b"not found\n")
        data, etag, modified = server.files[path], server.etag(path), server.last_modified(path)
        headers = {"ETag": etag, "Last-Modified": modified}
        if not server.no_ranges:
            headers["Accept-Ranges"] = "bytes"
        if self.not_modified(etag, server.modified[path]):
            return self.answer(received, 304, b"", headers)
        start = self.range_start(etag, modified)
        if start is not None and start >= len(data):
            headers["Content-Range"] = f"bytes */{len(data)}"
            return self.answer(received, 416, b"", headers)
        if start is not None:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return self.answer(received, 206, data[start:], headers, path)
        return self.answer(received, 200, data, headers, path)

    def not_modified(self, etag: str, modified: datetime) -> bool:
        if (tags := self.headers.get("If-None-Match")) is not None:
            return etag in [tag.strip() for tag in tags.split(",")] or tags.strip() == "*"
        if since := self.headers.get("If-Modified-Since"):
            return modified <= parsedate_to_datetime(since)
        return False

    def range_start(self, etag: str, modified: str) -> int | None:
        """Where a `Range: bytes=N-` asks to start, if the server honours it for this version."""
        wanted = self.headers.get("Range", "")
        if self.server.no_ranges or not wanted.startswith("bytes=") or not wanted.endswith("-"):
            return None
        strong = () if etag.startswith("W/") else (etag,)
        if (condition := self.headers.get("If-Range")) and condition not in (*strong, modified):
            return None  # another version than the part's: the whole file, as RFC 9110 says
        return int(wanted.removeprefix("bytes=").removesuffix("-"))

    def answer(
        self,
        received: Received,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        """Send the status, the headers and the body, or only its start for a `drop_after`."""
        received.status = status
        limit = self.server.drop_after.pop(path, None) if path else None
        received.sent = len(body) if limit is None else min(limit, len(body))
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: received.sent])
        if limit is not None:
            self.close_connection = True  # the client sees the end before the announced length

    def log_message(self, format: str, *args) -> None:
        pass  # the log above says what tests need; stderr stays quiet


@contextmanager
def serving_files(files: dict[str, bytes], **behaviour) -> Iterator[OpenDataServer]:
    """An OpenDataServer in a daemon thread for as long as the block lasts."""
    server = OpenDataServer(files, **behaviour)
    # shutdown() waits for the loop's next look at its flag: every 20 ms, not every 0.5 s.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()  # releases the hung requests
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url(path: str = "/file") -> str:
    """A URL on a loopback port nobody listens on: connections to it are refused."""
    return f"http://127.0.0.1:{free_port()}{path}"
