"""A real SMTP server on a loopback port for the tests, and the ports they may reach."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on a loopback port, keeping what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.envelopes: list = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        ALLOWED_SMTP.add(("127.0.0.1", self.port))

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self):
        """The received messages, parsed."""
        from email import message_from_bytes, policy

        return [
            message_from_bytes(env.original_content, policy=policy.default)
            for env in self.envelopes
        ]


ALLOWED_SMTP: set[tuple[str, int]] = {("127.0.0.1", 9)}


@contextmanager
def serving(app, sink: SmtpSink) -> Iterator[SmtpSink]:
    """Run `sink` with the app's Flask-Mail pointed at it, for as long as the block lasts."""
    sink.start()
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = sink.port
    try:
        yield sink
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))
