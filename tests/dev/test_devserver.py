"""`make run` for a newcomer: another port with PORT, a busy port explained, e-mails shown once."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from intake.dev.server import StartError, chosen_port
from tests.support.app import TERRITORY
from tests.support.builders import request_form
from tests.support.smtp import free_port

ROOT = Path(__file__).parents[2]


def devserver_env(tmp_path: Path, port: int | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        FLASK_INTAKE_TERRITORY=str(TERRITORY),
        FLASK_INTAKE_PASSWORD_METHOD="pbkdf2:sha256:1000",
    )
    return env


def test_the_port_comes_from_port():
    port = free_port()
    assert chosen_port({"PORT": f" {port} "}) == port


def test_without_port_it_is_5000():
    try:
        assert chosen_port({}) == 5000
    except StartError as error:  # only when this machine already serves something on 5000
        assert "Port 5000 is busy" in str(error)


@pytest.mark.parametrize("value", ["abc", "0", "70000", "５０００", "-1"])
def test_a_port_that_is_not_one_is_explained(value):
    with pytest.raises(StartError, match="not a port number: try PORT=5001 make run"):
        chosen_port({"PORT": value})


def test_a_busy_port_gets_one_line_saying_how(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "intake.dev.server"],
            cwd=ROOT,
            env=devserver_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""  # nothing was started, not even the migration
    assert result.stderr.splitlines() == [
        f"Port {port} is busy (another server is using it): stop it, or run "
        f"PORT={port + 1} make run"
    ]


class Output:
    """Collects a child's output lines in a thread, so the test can wait for one."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.lines):
                return
            time.sleep(0.1)
        raise AssertionError("timed out; output so far:\n" + "\n".join(self.lines))


def test_make_run_serves_on_port_and_shows_each_email_once_readably(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "intake.dev.server"],
        cwd=ROOT,
        env=devserver_env(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives `make run`
    )
    output = Output(process.stdout)
    try:
        output.wait_for(lambda lines: any("Serving on" in line for line in lines))
        assert f"Serving on http://127.0.0.1:{port}/ — press Ctrl-C to stop." in output.lines
        assert any(f"http://127.0.0.1:{port}/connexion" in line for line in output.lines)
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                page = opener.open(base + "/demande", timeout=5).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**request_form(), "csrf_token": token}, doseq=True)
        confirmation = opener.open(base + "/demande", data=body.encode(), timeout=10)
        reference = re.search(r"PRE-\d{4}-\d{5}", confirmation.read().decode()).group(0)

        # The worker hands both e-mails to the sink, which prints them.
        output.wait_for(lambda lines: sum("📧 E-mail to" in line for line in lines) >= 2)
        time.sleep(2)  # a second copy, if any, would show up meanwhile
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends
        process.wait(timeout=30)
        output.thread.join(10)
        process.stdout.close()
    text = "\n".join(output.lines)
    assert text.count("📧 E-mail to") == 2
    subjects = [line for line in output.lines if line.strip().startswith("Subject:")]
    assert len(subjects) == 2 and all(reference in line for line in subjects)
    assert f"http://127.0.0.1:{port}/suivi/" in text  # the link leads to this server
    # Not the raw SMTP exchange that Flask-Mail's debug mode printed, with escaped bytes.
    assert "send: b'" not in text and "reply: b'" not in text and "\\xc3" not in text
    assert "Traceback" not in text


def test_make_run_says_when_the_territory_still_lacks_streets_or_schools():
    """The shipped sample (Lillers) lists no street and no school until it is built: `make
    run` says so with the command that builds them; a complete territory gets no line."""
    from intake.dev.server import territory_hint
    from intake.territory.reader import load_territory

    sample = load_territory(ROOT / "instance" / "territory.sample.toml")
    hint = territory_hint(sample)
    assert hint is not None and 'screens "to check"' in hint
    assert hint.endswith(".venv/bin/flask --app wsgi territory build --commune 62516 --write")
    assert territory_hint(load_territory(TERRITORY)) is None
