"""A real SMTP server on a loopback port for the tests, and the ports they may reach."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

# RFC 5321 4.5.3.1.6: a line of text is 1000 octets at most, its CRLF included (998 others).
# aiosmtpd allows one more (1001 with the CRLF); a real server may allow none more.
RFC_LINE_LENGTH = 1000


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LineLimitController(Controller):
    """aiosmtpd's controller, whose server refuses a line longer than `line_length_limit`
    octets (CRLF included) with "500 Line too long", as a strict mail server does."""

    def __init__(self, handler, line_length_limit: int, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        # aiosmtpd reads the limit from its class when a connection's server is made.
        self.server_class = type("LineLimitSMTP", (SMTP,), {"line_length_limit": line_length_limit})

    def factory(self) -> SMTP:
        return self.server_class(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """A real SMTP server on a loopback port, keeping what it receives.

    It refuses, as strict servers do, any line of over `line_length_limit` octets, CRLF
    included (RFC 5321's 1000 unless told otherwise): a message the app writes with a longer
    line fails its test as it would fail in production.
    """

    def __init__(self, port: int | None = None, line_length_limit: int = RFC_LINE_LENGTH) -> None:
        self.port = port or free_port()
        self.line_length_limit = line_length_limit
        self.envelopes: list = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = LineLimitController(
            self, self.line_length_limit, hostname="127.0.0.1", port=self.port
        )
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
