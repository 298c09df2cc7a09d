"""A live server for the browser tests: the app served by Werkzeug in a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SKIP_REASON = (
    "Chromium not installed at /usr/bin/chromium (apt-get install chromium); .ci/run installs it"
)


class LiveServer:
    """A running server for one app; `url("/path")` gives the address of a page."""

    def __init__(self, app: Flask, server: BaseWSGIServer) -> None:
        self.app = app
        self.server = server
        self.base_url = f"http://127.0.0.1:{server.server_port}"

    def url(self, path: str = "/") -> str:
        """The absolute address of `path` on this server."""
        return self.base_url + path


@contextmanager
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` on a free loopback port for the duration of the block."""
    # Port 0 lets the kernel choose: no window in which another process could take the port.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
