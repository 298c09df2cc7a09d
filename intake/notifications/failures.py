"""Why an e-mail was not sent: retry later, or stop and tell the coordination.

The reasons to stop and their labels are rules of their own (`intake.rules.mail`): the
pages show them without importing the delivery code.
"""

from __future__ import annotations

import re
import smtplib

from flask_mail import BadHeaderError

from intake.rules.mail import StopReason

LAST_ERROR_MAX = 500


class ReferralGone(Exception):
    """A message without a stored body whose referral was deleted (retention purge): there is
    nothing left to write it from, and there never will be."""


# A mail server's reply text often repeats the address it refuses ("<x@y>: User unknown");
# an exception's message may too. Neither may reach `last_error` or the logs.
ADDRESS = re.compile(r"\S+@\S+")
ENHANCED_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


def is_permanent_reply(code: int) -> bool:
    """Whether an SMTP reply code says "do not try again" (5xx, RFC 5321 §4.2.1)."""
    return 500 <= code < 600


def classify(error: BaseException, *, connecting: bool = False) -> StopReason | None:
    """None for a failure worth retrying later; otherwise why the message must stop now.

    Only what the server or the network may get over is temporary: 4xx replies, refused,
    reset or silent connections. A 5xx reply will be the same tomorrow; an address that
    cannot be encoded, a header Flask-Mail refuses or an unexpected exception are the
    message's own fault and will not heal either. A failure while connecting (refused,
    authentication, greeting) concerns the server, not the message: it is always temporary,
    and the attempts cap stops the messages if it lasts. A message whose referral is gone
    cannot even be written: it stops, whatever the server's state.
    """
    if isinstance(error, ReferralGone):
        return StopReason.REFERRAL_GONE
    if connecting:
        return None
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(is_permanent_reply(code) for code in codes):
            return StopReason.ADDRESS_REFUSED
        return None
    if isinstance(error, smtplib.SMTPResponseException):
        return StopReason.MESSAGE_REFUSED if is_permanent_reply(error.smtp_code) else None
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return None
    if isinstance(error, smtplib.SMTPException):
        # smtplib's exceptions are OSErrors too, but the others it raises (an extension the
        # server lacks…) come from what the message asks for, not from the network.
        return StopReason.ERROR
    if isinstance(error, OSError):
        return None
    if isinstance(error, UnicodeError | BadHeaderError):
        return StopReason.ADDRESS_UNUSABLE
    return StopReason.ERROR


def reply_code(code: int, text: bytes | str) -> str:
    """An SMTP reply as its codes only ("550 5.1.1"): the text may name the address."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    enhanced = ENHANCED_STATUS.match(text.strip())
    return f"{code} {enhanced.group()}" if enhanced else str(code)


def describe(error: BaseException) -> str:
    """A short account of a failure for `last_error`: class and codes, never an address."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = (reply_code(code, text) for code, text in error.recipients.values())
        # Each distinct reply once, in order; the addresses (the keys) are left out.
        return f"{name} {' '.join(dict.fromkeys(replies))}"[:LAST_ERROR_MAX]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name} {reply_code(error.smtp_code, error.smtp_error)}"[:LAST_ERROR_MAX]
    if isinstance(error, UnicodeError):
        # Its str() quotes the offending character of the address; the reason alone will do.
        detail = getattr(error, "reason", "")
    elif isinstance(error, OSError) and error.strerror:
        detail = error.strerror
    else:
        detail = str(error)
    detail = ADDRESS.sub("<address>", detail.replace("\n", " ").strip())
    return (f"{name}: {detail}" if detail else name)[:LAST_ERROR_MAX]


def summary(error: BaseException) -> str:
    """What a log line may say of a failure: its class, and an SMTP reply's codes.

    Less than `describe`: an unexpected exception's message could quote anything, content
    included, and log files are kept and copied more freely than the database.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException):
        return describe(error)
    return type(error).__name__


def stopped_error(reason: StopReason, description: str) -> str:
    """The `last_error` of a stopped message: its reason's code, then the failure."""
    return f"{reason.value}: {description}"[:LAST_ERROR_MAX]
