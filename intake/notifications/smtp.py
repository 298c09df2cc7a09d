"""The SMTP side of delivery: the connection, the e-mail as bytes, the message of an outbox row.

The worker (`worker.py`) decides what is sent when and records what happened; this module
only speaks to the mail server and writes what it is told to send.
"""

from __future__ import annotations

import io
import secrets
import smtplib
from collections.abc import Mapping
from email import charset, policy
from email.generator import BytesGenerator
from email.header import Header
from email.mime.text import MIMEText
from email.utils import parseaddr
from typing import Any

import idna
from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from intake.models import OutboxMessage
from intake.notifications.render import render_message

# Flask-Mail opens its sockets without a timeout: a server that accepts the connection and then
# stays silent would hang the worker, and every queued e-mail with it.
DEFAULT_SMTP_TIMEOUT = 30

# After these errors smtplib has already reset the SMTP session, so the connection can carry the
# next message; after any other error it is closed and a fresh one is opened.
RECIPIENT_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)
# What opening a connection may raise when the server or the network misbehaves.
TRANSPORT_ERRORS = (smtplib.SMTPException, OSError, BadHeaderError)


class TimeoutConnection(Connection):
    """Flask-Mail's connection, opened with a socket timeout."""

    def __init__(self, mail, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        """Open and authenticate the SMTP session as Flask-Mail does, but with a timeout."""
        mail = self.mail
        smtp_class = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp_class(mail.server, mail.port, timeout=self.timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host

    def open(self) -> TimeoutConnection:
        """Connect now (or not at all when MAIL_SUPPRESS_SEND is on, as Flask-Mail does)."""
        return self.__enter__()

    def is_open(self) -> bool:
        """Whether the SMTP session can carry another message.

        smtplib closes it itself on a 421 reply ("closing"), even one raised as a refusal of
        the recipients, which otherwise leaves the session usable.
        """
        return self.host is not None and self.host.sock is not None

    def close(self) -> None:
        """Say goodbye to the server; a connection that is already broken is just dropped."""
        host, self.host = self.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()


def ascii_address(address: str) -> str:
    """`address` with its domain in the IDNA 2008 form that mail servers expect.

    Flask-Mail would encode a non-ASCII domain with Python's IDNA 2003 codec, which maps some
    letters to others: `straße.example` would become `strasse.example`, another domain. The
    forms refuse a non-ASCII local part; the domain is converted here, as the e-mail address
    validator checked it (UTS 46).
    """
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address  # refused by the server, then stopped as a permanent failure


class WirePolicy(policy.Compat32):
    """The email package's compat32 policy, writing a header that already fits on its line
    in plain ASCII as it is. compat32 makes a `Header` of every header and runs its folding
    algorithm, to hand back the same text for such a one: an eighth of the worker's time per
    message, for the sixteen headers of an e-mail and its parts."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# The bytes Flask-Mail would send, written by the email package's compat32 generator: the
# same headers and bodies, without the modern policy parsing each header back through the
# header registry on the way out, which was a third of the worker's time per message.
WIRE_POLICY = WirePolicy(linesep="\r\n")


def boundary() -> str:
    """A MIME boundary no body can hold: "=_" never appears in quoted-printable or base64,
    and 128 random bits nowhere else. Given to each multipart before it is written, it spares
    the generator compiling a regular expression per part to check a boundary of its own."""
    return "=_" + secrets.token_hex(16)


def quoted_printable_utf8() -> charset.Charset:
    """UTF-8 whose bodies are written in quoted-printable.

    Flask-Mail registers UTF-8 with no body encoding, so its parts go out as 8bit text, each
    line as long as it was written: a digest's HTML once held a line of 12,177 characters,
    which a server refused ("500 Line too long", RFC 5321 4.5.3.1.6: 998 octets at most).
    Quoted-printable breaks every line at 76 characters whatever the body holds, keeps the
    French text readable in the raw message and any mail client decodes it.
    """
    utf8 = charset.Charset("utf-8")
    utf8.body_encoding = charset.QP
    return utf8


UTF8_QP = quoted_printable_utf8()


class OutboxMail(Message):
    """A Flask-Mail message whose text parts are quoted-printable (`UTF8_QP`), turned into
    bytes by the cheaper generator."""

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        """Each part (text, HTML) as Flask-Mail makes it, but quoted-printable."""
        return MIMEText(text or "", _subtype=subtype, _charset=UTF8_QP)

    def as_bytes(self) -> bytes:
        mime = self._message()
        mime.policy = WIRE_POLICY
        for part in mime.walk():
            if part.is_multipart():
                part.set_boundary(boundary())
        if self.subject and not self.subject.isascii():
            # Folded by the Header itself, as RFC 2047 words that start on the header's line.
            mime.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        out = io.BytesIO()
        BytesGenerator(out, mangle_from_=False, policy=WIRE_POLICY).flatten(mime)
        return out.getvalue()


def to_mail(message: OutboxMessage, config: Mapping[str, Any]) -> Message:
    """Build the Flask-Mail message of an outbox row, writing its e-mail now if need be.

    Raises ReferralGone for a message that has no stored body and no referral left.
    """
    sender = current_app.extensions["mail"].default_sender
    rendered = render_message(message, config)
    mail = OutboxMail(
        subject=rendered.subject,
        recipients=[ascii_address(address) for address in message.recipients],
        body=rendered.text,
        html=rendered.html,
        sender=sender,
        # Auto-Submitted keeps out-of-office replies away (RFC 3834).
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # Every attempt of one row carries the same Message-ID, so a resend after a crash is
    # recognisable as the same e-mail (and dropped as a duplicate by many mail systems).
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mail.msgId = f"<outbox-{message.id}-{int(message.created_at.timestamp())}@{domain}>"
    return mail


class Courier:
    """A delivery round's SMTP connection: opened when the first message is about to go, kept
    for the next ones while the session can carry them, opened afresh after an error that
    broke it. A server that cannot be reached is tried once a round, not once a message."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.connection: TimeoutConnection | None = None
        self.connect_error: BaseException | None = None

    def connect(self) -> BaseException | None:
        """Open the connection if it is not; return the error that keeps the server out of
        reach for the rest of the round, or None."""
        if self.connection is None and self.connect_error is None:
            try:
                mail = current_app.extensions["mail"]
                self.connection = TimeoutConnection(mail, self.timeout).open()
            except TRANSPORT_ERRORS as error:
                self.connect_error = error
        return self.connect_error

    def send(self, mail: Message) -> None:
        """Send one e-mail over the open connection; on failure, drop the connection unless
        it can carry the next message, and raise."""
        try:
            mail.send(self.connection)
        except Exception as error:
            if not isinstance(error, RECIPIENT_ERRORS) or not self.connection.is_open():
                self.close()
            raise

    def close(self) -> None:
        """Close the connection, if one is open."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()
