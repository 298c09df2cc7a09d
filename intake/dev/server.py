"""`make run`: migrate, make a demo coordinator, then serve with the worker and a mail sink.

Everything started here is a child process in the terminal's process group, so one Ctrl-C
stops them all.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time

from intake.rules.clock import today
from intake.rules.territory_summary import build_command, gaps
from intake.territory.model import Territory

HOST, DEFAULT_PORT = "127.0.0.1", 5000
DEMO_EMAIL = "coordination@exemple.fr"
NEW_LOGIN_COMMAND = ".venv/bin/flask --app wsgi users set-password {email}"


class StartError(Exception):
    """`make run` cannot start as asked; the message says what to do instead."""


def chosen_port(environ) -> int:
    """The port from `PORT` (5000 when unset), checked to be one this machine can listen on."""
    value = environ.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 65535):
        raise StartError(f"PORT={value!r} is not a port number: try PORT=5001 make run")
    port = int(value)
    with socket.socket() as sock:
        # As the server will: a port left in TIME_WAIT by a server just stopped is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise StartError(
                f"Port {port} is busy (another server is using it): stop it, or run "
                f"PORT={port + 1 if port < 65535 else 5001} make run"
            ) from None
    return port


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_demo_coordinator(base_url: str) -> None:
    """Create the demo coordinator if there is no coordinator yet, and print its login; then
    say whether the territory still lacks its streets or schools."""
    from sqlalchemy import select

    from intake import create_app
    from intake.auth.operations import create_user
    from intake.extensions import db
    from intake.models import Role, User

    app = create_app()
    with app.app_context():
        existing = db.session.scalar(select(User).where(User.role == Role.COORDINATOR).limit(1))
        if existing is not None:
            print(
                f"Coordinator account: {existing.email} (already exists; password unchanged)."
                f"\nForgot it? Set a new one with: {NEW_LOGIN_COMMAND.format(email=existing.email)}"
            )
        else:
            password = secrets.token_urlsafe(12)
            create_user(DEMO_EMAIL, password, Role.COORDINATOR)
            db.session.commit()
            print(f"\nDemo coordinator created — log in at {base_url}/connexion with")
            print(f"  e-mail:   {DEMO_EMAIL}\n  password: {password}\n")
    if hint := territory_hint(app.extensions["territory"]):
        print(hint)


def territory_hint(territory: Territory) -> str | None:
    """One line when the territory lists no street or no school yet, with the command that
    builds them (screening says "to check" for every address and school until then)."""
    missing = {gap.code for gap in gaps(territory, today())}
    if not missing & {"qpv_without_streets", "no_school", "commune_without_school"}:
        return None
    return (
        f"The territory file ({territory.source}) lists no QPV street or no school yet: "
        'every address or school screens "to check". Build them from open data (needs '
        f"internet): {build_command(territory, flask='.venv/bin/flask')}"
    )


def main() -> int:
    """Start the stack and wait; stop every child on Ctrl-C or when one of them dies."""
    env = os.environ
    try:
        port = chosen_port(env)
    except StartError as error:
        print(error, file=sys.stderr)
        return 1
    base_url = f"http://{HOST}:{port}"
    # Links in the e-mails printed below point at this server.
    env.setdefault("FLASK_INTAKE_BASE_URL", base_url)
    # A developer's machine, served over plain http: debug mode (cookies without Secure, the
    # debugger). The key is instance/config.py's, which `make` wrote before this started.
    env.setdefault("FLASK_DEBUG", "1")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    children: list[subprocess.Popen] = []
    if "FLASK_MAIL_SERVER" not in env:
        mail_port = free_port()
        children.append(
            subprocess.Popen([sys.executable, "-m", "intake.dev.mail", "--port", str(mail_port)])
        )
        env["FLASK_MAIL_SERVER"] = "127.0.0.1"
        env["FLASK_MAIL_PORT"] = str(mail_port)
        env.setdefault("FLASK_INTAKE_NOTIFY", "coordination@exemple.fr")
        # The sink prints what it gets; retry quickly so the e-mails show up at once.
        env.setdefault("FLASK_INTAKE_OUTBOX_POLL_SECONDS", "1")
    interrupted = False
    try:
        subprocess.run([*flask, "db", "upgrade"], check=True)
        ensure_demo_coordinator(base_url)
        children.append(subprocess.Popen([*flask, "outbox", "work"]))
        children.append(subprocess.Popen([*flask, "run", "--host", HOST, "--port", str(port)]))
        print(f"Serving on {base_url}/ — press Ctrl-C to stop.", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C reached every child through the terminal's process group: let them finish.
        interrupted = True
        return 0
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        stop_children(children, already_signalled=interrupted)


def stop_children(children: list[subprocess.Popen], already_signalled: bool) -> None:
    """Stop the children cleanly, then forcibly if they linger."""
    for child in children:
        if child.poll() is None and not already_signalled:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):  # lingering, or a second Ctrl-C
            child.kill()
            child.wait()


if __name__ == "__main__":
    sys.exit(main())
