"""E-mails any mail server accepts: every part is quoted-printable, so no line exceeds RFC 5321's
998 octets whatever a template or the territory file writes on one line, and every message of
every kind, a digest of a thousand referrals included, goes through a server that refuses longer
lines ("500 Line too long"), decoding back to the text it was written from."""

from __future__ import annotations

import dataclasses
import email
from email import policy

from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage
from tests.support.outbox import DAILY, EVERY_KIND, queue_every_kind
from tests.support.smtp import RFC_LINE_LENGTH

# A programme's name as long as a line can be: every kind of e-mail names the programme.
LONG_NAME = "Programme de Réussite Éducative des communes de " + ", ".join(
    f"Saint-Étienne-lès-Épinettes n° {n}" for n in range(60)
)
BACKLOG = 1000


def text_parts(message: email.message.EmailMessage) -> list[email.message.EmailMessage]:
    return [part for part in message.walk() if part.get_content_maintype() == "text"]


def test_every_kind_of_message_goes_through_a_server_that_refuses_long_lines(app, smtp):
    territory = app.extensions["territory"]
    programme = dataclasses.replace(territory.programme, name=LONG_NAME)
    app.extensions["territory"] = dataclasses.replace(territory, programme=programme)
    assert len(LONG_NAME.encode()) > 2 * RFC_LINE_LENGTH
    references = queue_every_kind(app, backlog=BACKLOG)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {row.kind for row in rows} == EVERY_KIND
        # Every one accepted: none refused, none waiting for a retry.
        assert [(row.kind, row.last_error) for row in rows if row.sent_at is None] == []
        expected = len(rows)
    assert len(smtp.envelopes) == expected

    for envelope in smtp.envelopes:
        # As the server received them, CRLF and all: 998 octets a line at most, the CRLF apart.
        lines = envelope.original_content.split(b"\r\n")
        assert max(len(line) for line in lines) <= RFC_LINE_LENGTH - 2
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        for part in text_parts(message):
            assert part["Content-Transfer-Encoding"] == "quoted-printable", part.get_content_type()
            assert part.get_content_charset() == "utf-8"
            content = part.get_content()
            if message["Subject"].startswith("Récapitulatif"):
                # The digest names its programme, and lists each backlog referral twice.
                assert "Voici le récapitulatif" in content and LONG_NAME in content
                assert content.count("PRE-2026-0") >= 2 * BACKLOG
            else:
                # Every other kind names the programme and its referral, accents intact.
                assert LONG_NAME in content, message["Subject"]
                assert any(reference in content for reference in references)
    digest = [e for e in smtp.envelopes if e.rcpt_tos == [DAILY]]
    assert len(digest) == 1 and len(digest[0].original_content) > 100_000
