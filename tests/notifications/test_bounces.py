"""Bounces (intake.notifications.bounces): a message the mail server accepted and later
returned undelivered is stopped, and its family flagged "contact incertain". The messages are
sent to a real SMTP server; the bounce is written into a real Maildir, as a relay's
MAILER-DAEMON report (RFC 3464) for what that server received."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from intake.notifications.bounces import Bounce, read_bounce
from intake.rules.mail import StopReason, stop_reason
from intake.rules.reach import ContactDoubt
from tests.support.builders import get_referral, make_referral

FAMILY = "sophie.martin@exemple.org"


def report(
    original: EmailMessage | None,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    recipient: str = FAMILY,
    headers_only: bool = True,
    report_type: str = "delivery-status",
) -> EmailMessage:
    """A delivery status notification as Postfix writes one: words for a person, the report's
    fields, then the original's headers (or the whole original)."""
    dsn = EmailMessage()
    dsn["From"] = "MAILER-DAEMON@relay.exemple.org (Mail Delivery System)"
    dsn["To"] = "pre@testville.example"
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn.set_content("This is the mail system at host relay.exemple.org.\n")
    dsn.make_mixed()
    dsn.set_type("multipart/report")
    dsn.set_param("report-type", report_type)
    fields = email.message_from_string(
        "Reporting-MTA: dns; relay.exemple.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\n",
        policy=policy.default,
    )
    status_part = EmailMessage()
    status_part.set_type("message/delivery-status")
    blocks = str(fields).split("\n\n", 1)
    status_part.set_payload(
        [email.message_from_string(block, policy=policy.default) for block in blocks]
    )
    dsn.attach(status_part)
    if original is not None:
        if headers_only:
            part = EmailMessage()
            headers = "".join(f"{name}: {value}\n" for name, value in original.items())
            part.set_content(headers, subtype="rfc822-headers")
        else:
            part = EmailMessage()
            part.set_content(original)
        dsn.attach(part)
    return dsn


def original(message_id: str = "<outbox-12-1765094400@testville.example>") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "pre@testville.example"
    mail["To"] = FAMILY
    mail["Subject"] = "Votre demande PRE-2026-00001"
    mail["Message-ID"] = message_id
    mail.set_content("Bonjour,\n")
    return mail


def reread(mail: EmailMessage) -> EmailMessage:
    """`mail` as the Maildir hands it back: its bytes, parsed again."""
    return email.message_from_bytes(mail.as_bytes(), policy=policy.default)


FAILED = Bounce(12, 1765094400, "5.1.1", frozenset({FAMILY}))


@pytest.mark.parametrize(
    ("mail", "expected"),
    [
        (report(original()), FAILED),
        (report(original(), headers_only=False), FAILED),
        (report(original(), status="5.1.2"), Bounce(12, 1765094400, "5.1.2", FAILED.recipients)),
        (
            report(original(), recipient="<Sophie.Martin@Exemple.org>"),
            FAILED,
        ),
        # A status that is no enhanced code still says failed.
        (report(original(), status="failed"), Bounce(12, 1765094400, "5.0.0", FAILED.recipients)),
        # Not (yet) a failure: a delay, a delivery report.
        (report(original(), action="delayed", status="4.4.7"), None),
        (report(original(), action="delivered", status="2.0.0"), None),
        # Someone else's message, or none named.
        (report(original("<CAF123@mail.gmail.com>")), None),
        (report(None), None),
        # Not a delivery status notification.
        (report(original(), report_type="disposition-notification"), None),
        (original(), None),
    ],
    ids=[
        "headers",
        "whole original",
        "status",
        "address written otherwise",
        "no enhanced status",
        "delayed",
        "delivered",
        "another sender's",
        "no original",
        "read receipt",
        "plain message",
    ],
)
def test_read_bounce(mail, expected):
    assert read_bounce(reread(mail)) == expected


# --- Through a real SMTP server and a real Maildir ------------------------------------------


def maildir(root: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    return root


def deliver(path: Path, name: str, mail: EmailMessage) -> None:
    """Put `mail` in the Maildir at `path` as a delivery agent does: written in tmp/, then
    moved to new/."""
    (path / "tmp" / name).write_bytes(mail.as_bytes())
    (path / "tmp" / name).rename(path / "new" / name)


def bounces(app, path: Path) -> str:
    result = app.test_cli_runner().invoke(args=["outbox", "bounces", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_bounced_acknowledgement_stops_and_flags_the_family(app, smtp, tmp_path, coordinator):
    reference = make_referral(app, guardian_email=FAMILY)
    sent = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    (received,) = [m for m in smtp.messages() if m["To"] == FAMILY]
    box = maildir(tmp_path / "bounces")
    deliver(box, "1.bounce", report(received))
    # Whatever else the sender's mailbox receives is read and left alone.
    deliver(box, "2.reply", original("<reply-from-a-parent@exemple.org>"))

    assert bounces(app, box) == "bounces: 2 new messages read, 1 outbox message stopped\n"

    with app.app_context():
        referral = get_referral(reference)
        assert referral.contact_doubt == ContactDoubt.MAIL_STOPPED
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.stopped_at.is_not(None))
        )
        assert message.recipients == [FAMILY] and message.sent_at is None
        assert stop_reason(message.last_error) is StopReason.BOUNCED
        assert "5.1.1" in message.last_error and FAMILY not in message.last_error
        db.session.remove()
    # Both marked seen, none left new: the next reading reads nothing.
    assert sorted(p.name for p in (box / "cur").iterdir()) == ["1.bounce:2,S", "2.reply:2,S"]
    assert bounces(app, box) == "bounces: 0 new messages read, 0 outbox messages stopped\n"
    # Read again (a crash before the messages were marked seen): nothing changes.
    deliver(box, "3.bounce", report(received))
    assert bounces(app, box) == "bounces: 1 new message read, 0 outbox messages stopped\n"

    # The coordination reads why on the referral, and in `outbox status`.
    page = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Contact incertain" in page
    assert "message revenu non distribué après son envoi" in page
    status = app.test_cli_runner().invoke(args=["outbox", "status"]).output
    assert "stopped 1" in status and "bounced: 5.1.1" in status

    # Once the address is fixed, `outbox retry` sends it again, and the delivery lifts the
    # doubt.
    with app.app_context():
        message_id = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.stopped_at.is_not(None))
        )
    retried = app.test_cli_runner().invoke(args=["outbox", "retry", str(message_id)])
    assert retried.exit_code == 0, retried.output
    again = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert again.exit_code == 0, again.output
    assert len([m for m in smtp.messages() if m["To"] == FAMILY]) == 2
    with app.app_context():
        assert get_referral(reference).contact_doubt is None


def test_a_bounce_for_the_referrer_says_nothing_of_the_family(app, smtp, tmp_path):
    from intake.models import Source

    reference = make_referral(app, Source.PROFESSIONAL, guardian_email=FAMILY)
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0
    with app.app_context():
        referrer = get_referral(reference).referrer_email
    (to_referrer,) = [m for m in smtp.messages() if m["To"] == referrer]
    box = maildir(tmp_path / "bounces")
    deliver(box, "1.bounce", report(to_referrer, recipient=referrer))
    assert bounces(app, box).endswith("1 outbox message stopped\n")
    with app.app_context():
        assert get_referral(reference).contact_doubt is None


def test_a_bounce_must_name_the_message_as_it_was_created(app, smtp, tmp_path):
    """The Message-ID holds the row's id and its creation time: a report naming the id with
    another time (a guess, an old database's message) stops nothing."""
    make_referral(app, guardian_email=FAMILY)
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0
    (received,) = [m for m in smtp.messages() if m["To"] == FAMILY]
    forged = original(received["Message-ID"].replace("-", "-9", 2).replace("-9", "-", 1))
    box = maildir(tmp_path / "bounces")
    deliver(box, "1.bounce", report(forged))
    assert bounces(app, box).endswith("0 outbox messages stopped\n")


def test_a_folder_that_is_no_maildir_is_named(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["outbox", "bounces", str(tmp_path)])
    assert result.exit_code != 0
    assert "MAILDIR" in result.output and "not a Maildir" in result.output


def test_a_bounce_flags_the_family_only_for_the_addresses_it_failed_for(app):
    """A message to the family and someone else, returned for the other address only: the
    message stops, the family's contact is not doubted."""
    from datetime import timedelta

    from intake.models import utcnow
    from intake.notifications.bounces import record_bounce

    reference = make_referral(app, guardian_email=FAMILY)
    with app.app_context():
        referral = get_referral(reference)
        created = utcnow().replace(microsecond=0)
        message = OutboxMessage(
            kind="acknowledgement",
            referral_id=referral.id,
            recipients=[FAMILY, "other@exemple.org"],
            created_at=created,
            sent_at=created + timedelta(seconds=5),
        )
        db.session.add(message)
        db.session.commit()
        other = Bounce(message.id, int(created.timestamp()), "5.1.1", frozenset({"x@y.org"}))
        assert not record_bounce(Bounce(message.id, 1, "5.1.1", other.recipients), utcnow())
        assert record_bounce(other, utcnow())
        db.session.commit()
        assert get_referral(reference).contact_doubt is None
        assert message.stopped_at is not None and message.sent_at is None
        # Stopped already: a second report changes nothing.
        assert not record_bounce(other, utcnow())
        db.session.remove()
