"""The app as production runs it: `gunicorn 'wsgi:app'` over TLS, in a subprocess.

`production_server(database_url, directory)` makes a throwaway certificate authority
(trustme), starts gunicorn from the project's folder, so with the README's production
settings (`gunicorn.conf.py`: its worker class, workers, threads, timeouts, and exports in
processes of their own), on a free loopback port with a certificate for 127.0.0.1, waits
until https /healthz answers, and stops gunicorn and its workers at the end of the block.
gunicorn's output (its own lines and the app's log) goes to `log_path`, for tests that read
what production logs; `signed_in` gives a staff browser's session cookie.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import trustme
from gunicorn.config import Config

from tests.support.app import TERRITORY
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
# Read by gunicorn from its working folder, ROOT, as the README's command reads it.
PRODUCTION_SETTINGS = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0  # seconds; two workers import the app on a shared, busy machine
STOP_TIMEOUT = 10.0


class ServerFailed(RuntimeError):
    """gunicorn did not start or did not answer; the message carries its log."""


class ProductionServer:
    """A running gunicorn: `url("/path")`, its log file, and the CA its certificate chains to."""

    def __init__(self, port: int, log_path: Path, ca: trustme.CA, process: subprocess.Popen):
        self.port = port
        self.base_url = f"https://{HOST}:{port}"
        self.log_path = log_path
        self.ca = ca
        self.process = process

    def url(self, path: str = "/") -> str:
        """The absolute https address of `path` on this server."""
        return self.base_url + path

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's certificate, for urllib or httpx."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def log(self) -> str:
        """What gunicorn and the app have written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def connection(self, timeout: float = 30) -> http.client.HTTPSConnection:
        """A new https connection to this server, trusting its certificate."""
        return http.client.HTTPSConnection(
            HOST, self.port, context=self.ssl_context(), timeout=timeout
        )

    def signed_in(self, email: str, password: str) -> dict[str, str]:
        """The headers of a browser signed in as `email` (its session cookie), through the
        login form as a browser sends it (its CSRF token, no Referer)."""
        connection = self.connection()
        try:
            cookie, token = form_page(connection, "/connexion")
            form = {"email": email, "password": password, "csrf_token": token}
            connection.request(
                "POST",
                "/connexion",
                urllib.parse.urlencode(form),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Sec-Fetch-Site": "same-origin",
                },
            )
            answer = connection.getresponse()
            answer.read()
            if answer.status != 303:
                raise ServerFailed(f"login answered {answer.status}:\n{self.log()}")
            return {"Cookie": answer.getheader("Set-Cookie").split(";", 1)[0]}
        finally:
            connection.close()


def form_page(connection: http.client.HTTPConnection, path: str) -> tuple[str, str]:
    """GET the form at `path` as a browser does before posting it: the session cookie it
    sets and its CSRF token."""
    connection.request("GET", path)
    answer = connection.getresponse()
    page = answer.read().decode()
    cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
    return cookie, re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)


def gunicorn_command() -> list[str]:
    """The `gunicorn` installed beside this Python, as production calls it."""
    script = Path(sys.executable).with_name("gunicorn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    # Recent gunicorns open a control socket at one fixed path in $HOME: servers started
    # side by side (other tests, other developers) would take it from each other.
    if "control_socket_disable" in Config().settings:
        command.append("--no-control-socket")
    return command


def production_environment(
    database_url: str, base_url: str, overrides: Mapping[str, str | None] | None
) -> dict[str, str]:
    """The process environment: this one without its FLASK_* variables, then production's.

    The developer's own FLASK_DEBUG or database must not leak into the server. An override
    of None removes a variable.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLASK_")}
    env.update(
        {
            # A letter first: from_prefixed_env() would read an all-digit value as a number.
            "FLASK_SECRET_KEY": "production-test-" + os.urandom(16).hex(),
            "FLASK_INTAKE_TERRITORY": str(TERRITORY),
            # Passed whole: on PostgreSQL the query string carries the test's search_path.
            "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
            "FLASK_INTAKE_BASE_URL": base_url,
            # Port 9 is closed: a request that tried to send mail itself would fail loudly.
            "FLASK_MAIL_SERVER": HOST,
            "FLASK_MAIL_PORT": "9",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def wait_until_healthy(server: ProductionServer, timeout: float = START_TIMEOUT) -> None:
    """Poll https /healthz until it answers 200; fail with the log if gunicorn exits first."""
    context = server.ssl_context()
    health = server.url("/healthz")
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise ServerFailed(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            # S310: the URL is our own https address, not one a user gave.
            with urllib.request.urlopen(health, context=context, timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"gunicorn did not answer within {timeout} s:\n{server.log()}")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn as an init system would: SIGTERM, the arbiter stops its workers, and the
    block ends once nothing is left of the process group (each worker's export fork server
    exits when its worker has gone, a moment later).

    If it has not all exited in time, kill the whole process group (start_new_session made
    gunicorn its leader), before reaping gunicorn, while that group id is surely still ours.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
            return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def production_server(
    database_url: str,
    directory: Path,
    env_overrides: Mapping[str, str | None] | None = None,
    workers: int | None = None,
) -> Iterator[ProductionServer]:
    """Serve the app with gunicorn over TLS on `database_url` (already migrated), with the
    production settings of `gunicorn.conf.py`; `workers` overrides only its number of
    workers, for tests that need one worker behind an address.

    `directory` receives the certificate, its key and `gunicorn.log`.
    """
    ca = trustme.CA()
    certificate = ca.issue_cert(HOST, "localhost")
    certfile, keyfile = directory / "server.pem", directory / "server.key"
    certificate.cert_chain_pems[0].write_to_path(str(certfile))
    for pem in certificate.cert_chain_pems[1:]:
        pem.write_to_path(str(certfile), append=True)
    certificate.private_key_pem.write_to_path(str(keyfile))

    port = free_port()
    log_path = directory / "gunicorn.log"
    env = production_environment(database_url, f"https://{HOST}:{port}", env_overrides)
    command = [
        *gunicorn_command(),
        "wsgi:app",
        *(["--workers", str(workers)] if workers is not None else []),
        "--bind",
        f"{HOST}:{port}",
        "--certfile",
        str(certfile),
        "--keyfile",
        str(keyfile),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ProductionServer(port, log_path, ca, process)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)
