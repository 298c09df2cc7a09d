"""A live server for the browser tests: the app served by Werkzeug over TLS in a thread."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme
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

    def __init__(self, app: Flask, server: BaseWSGIServer, scheme: str = "https") -> None:
        self.app = app
        self.server = server
        self.base_url = f"{scheme}://127.0.0.1:{server.server_port}"

    def url(self, path: str = "/") -> str:
        """The absolute address of `path` on this server."""
        return self.base_url + path


def tls_context() -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 from a throwaway CA.

    Browser contexts take it with `ignore_https_errors=True`: the CA is not in Chromium's
    store, but the connection is real TLS, so the app sees https as in production.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    return context


@contextmanager
def live_server(app: Flask, tls: bool = True) -> Iterator[LiveServer]:
    """Serve `app` on a free loopback port, over https unless `tls` is false, for the block."""
    # Port 0 lets the kernel choose: no window in which another process could take the port.
    context = tls_context() if tls else None
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, server, "https" if tls else "http")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
