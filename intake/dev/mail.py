"""A development SMTP sink that prints each e-mail it receives (started by `make run`)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class PrintingHandler:
    """Print the envelope, subject and plain-text part of every message, readably."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else "(no text part)"
        rule = "─" * 72
        print(
            f"\n{rule}\n📧 E-mail to {', '.join(envelope.rcpt_tos)}\n"
            f"   From: {envelope.mail_from}\n   Subject: {message['subject']}\n"
            f"{rule}\n{text}{rule}\n",
            flush=True,
        )
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    controller = Controller(PrintingHandler(), hostname=args.host, port=args.port)
    controller.start()
    print(
        f"Development mail sink listening on {args.host}:{args.port}", file=sys.stderr, flush=True
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops it like Ctrl-C
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        # A second signal while the server thread winds down would only print a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        controller.stop()


if __name__ == "__main__":
    main()
