"""Bounces: a message the mail server accepted, then could not deliver.

A town's relay takes every message at once and reports a failure later, by e-mail to the
sender: a delivery status notification (RFC 3464, `multipart/report;
report-type=delivery-status`) holding, per recipient, `Action: failed` and a status code, and
the original message or its headers, whose Message-ID is the outbox row's
(`intake.notifications.smtp`: `<outbox-ID-CREATED@domain>`). The worker only sees the
server's "accepted": without this, `gmial.com` would count as delivered.

The bounces are read from a Maildir, where the server that receives the sender's mail puts
them (Postfix, Exim and Dovecot all can): `flask --app wsgi outbox bounces MAILDIR`. Each one
that names an outbox message stops that message as a refusal at sending would have (`outbox
retry` once the address is fixed) and casts doubt on its family's contact; everything read is
then marked seen, so a message is read once. Nothing else in the mailbox is touched.

Only what the report says in its standard fields is read: a bounce written as free text (a
few old servers) is marked seen and left for a person.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from intake.extensions import db
from intake.models import OutboxMessage, utcnow
from intake.notifications.failures import ENHANCED_STATUS
from intake.notifications.worker import MARK_DOUBT, family_address
from intake.rules.mail import StopReason

# The Message-ID the worker gives every attempt of an outbox row.
OUTBOX_MESSAGE_ID = re.compile(r"<outbox-(\d+)-(\d+)@[^<>\s]+>")
# A report's recipient field: "rfc822; name@example.org" (the type, then the address).
RECIPIENT_FIELDS = ("Final-Recipient", "Original-Recipient")


@dataclass(frozen=True)
class Bounce:
    """What a delivery status notification says of one of the outbox's messages."""

    message_id: int
    # The row's creation time in the Message-ID (seconds): a bounce must name both.
    created: int
    # The enhanced status code of the failure ("5.1.1"), never the server's words.
    status: str
    # The addresses it failed for, in lower case.
    recipients: frozenset[str]


def read_bounce(mail: EmailMessage) -> Bounce | None:
    """The bounce `mail` is, when it is a delivery status notification that says a message
    of this outbox failed for at least one recipient; None for anything else (a delay, a
    success, an ordinary message, another sender's bounce)."""
    if mail.get_content_type() != "multipart/report":
        return None
    if (mail.get_param("report-type") or "").lower() != "delivery-status":
        return None
    failed: dict[str, str] = {}
    original: str | None = None
    for part in mail.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for fields in part.get_payload():
                if str(fields.get("Action", "")).strip().lower() != "failed":
                    continue
                status = ENHANCED_STATUS.search(str(fields.get("Status", "")))
                for name in RECIPIENT_FIELDS:
                    if address := str(fields.get(name, "")).partition(";")[2].strip(" <>"):
                        failed[address.lower()] = status.group() if status else "5.0.0"
        elif kind == "message/rfc822":
            (inner,) = part.get_payload() or (None,)
            original = str(inner.get("Message-ID", "")) if inner is not None else None
        elif kind == "text/rfc822-headers":
            headers = email.message_from_string(part.get_content(), policy=policy.default)
            original = str(headers.get("Message-ID", ""))
    ours = OUTBOX_MESSAGE_ID.search(original or "")
    if not failed or ours is None:
        return None
    return Bounce(
        message_id=int(ours.group(1)),
        created=int(ours.group(2)),
        status=sorted(failed.values())[0],
        recipients=frozenset(failed),
    )


def record_bounce(bounce: Bounce, now: datetime) -> bool:
    """Stop the message `bounce` names, as a refusal at sending would have: it waits for
    `outbox retry`, and its family, when its address is among those that failed, becomes
    "contact incertain". Whether anything changed: a bounce read twice, one for a message
    stopped or not yet sent, or one whose creation time does not match, changes nothing."""
    message = db.session.get(OutboxMessage, bounce.message_id, with_for_update=True)
    if message is None or message.sent_at is None or message.stopped_at is not None:
        return False
    if int(message.created_at.timestamp()) != bounce.created:
        return False
    accepted = message.sent_at.isoformat(timespec="seconds")
    # No longer sent: `outbox retry` then sends it again, and the data page does not list it
    # as delivered. When the server had accepted it is kept with the reason.
    message.sent_at = None
    message.stopped_at = now
    message.last_error = f"{StopReason.BOUNCED}: {bounce.status} (accepted {accepted})"
    ours = {address.strip().lower() for address in message.recipients or ()}
    family_address(message, MARK_DOUBT, recipients=sorted(bounce.recipients & ours))
    return True


@dataclass
class BounceReport:
    """What one reading of the bounce mailbox did."""

    read: int = 0
    recorded: int = 0


def read_maildir(path: Path) -> BounceReport:
    """Read the new messages of the Maildir at `path`: record each bounce of this outbox
    (committed), then mark every message read as seen (moved to `cur/`, flag S, as the
    Maildir convention says a reader does). In an app context."""
    new = sorted(entry for entry in (path / "new").iterdir() if entry.is_file())
    report = BounceReport()
    for entry in new:
        with entry.open("rb") as raw:
            mail = email.message_from_binary_file(raw, policy=policy.default)
        report.read += 1
        bounce = read_bounce(mail)
        if bounce is not None and record_bounce(bounce, utcnow()):
            report.recorded += 1
    db.session.commit()
    # After the commit: a crash between the two reads these again, and a bounce recorded
    # already changes nothing.
    for entry in new:
        entry.rename(path / "cur" / f"{entry.name}:2,S")
    return report
