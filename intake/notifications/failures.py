"""Why an e-mail was not sent: retry later, or stop and tell the coordination. Pure rules."""

from __future__ import annotations

import re
import smtplib
from enum import StrEnum

from flask_mail import BadHeaderError

from intake.i18n import N_

LAST_ERROR_MAX = 500


class StopReason(StrEnum):
    """Why delivery of a message was given up; stored at the head of its `last_error`."""

    ADDRESS_REFUSED = "address_refused"
    ADDRESS_UNUSABLE = "address_unusable"
    MESSAGE_REFUSED = "message_refused"
    TOO_MANY_FAILURES = "too_many_failures"
    REFERRAL_GONE = "referral_gone"
    ERROR = "error"


class ReferralGone(Exception):
    """A message without a stored body whose referral was deleted (retention purge): there is
    nothing left to write it from, and there never will be."""


# What the coordination reads on the referral, so it knows to phone the person instead.
REASON_LABELS: dict[StopReason, str] = {
    StopReason.ADDRESS_REFUSED: N_("adresse refusée par le serveur de messagerie"),
    StopReason.ADDRESS_UNUSABLE: N_("adresse impossible à utiliser"),
    StopReason.MESSAGE_REFUSED: N_("message refusé par le serveur de messagerie"),
    StopReason.TOO_MANY_FAILURES: N_("trop d’échecs temporaires"),
    StopReason.REFERRAL_GONE: N_("demande supprimée avant l’envoi"),
    StopReason.ERROR: N_("erreur de l’application lors de l’envoi"),
}

KIND_LABELS: dict[str, str] = {
    "acknowledgement": N_("accusé de réception"),
    "coordinator_alert": N_("alerte de la coordination"),
    "family_acknowledgement": N_("accusé de réception à la famille"),
    "decision_accepted": N_("avis de décision (parcours engagé)"),
    "decision_redirected": N_("avis de décision (orientée vers un autre service)"),
    "decision_declined": N_("avis de décision (non retenue)"),
    "decision_withdrawn": N_("avis de décision (retirée)"),
    "digest": N_("récapitulatif quotidien"),
}

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


def stop_reason(last_error: str | None) -> StopReason:
    """The reason a stopped message's `last_error` starts with (ERROR if it names none)."""
    code = (last_error or "").partition(":")[0]
    try:
        return StopReason(code)
    except ValueError:
        return StopReason.ERROR


def reason_label(last_error: str | None) -> str:
    """The French words (untranslated message id) for why a stopped message stopped."""
    return REASON_LABELS[stop_reason(last_error)]


def kind_label(kind: str) -> str:
    """The French name (untranslated message id) of a kind of message, or the kind itself."""
    return KIND_LABELS.get(kind, kind)
