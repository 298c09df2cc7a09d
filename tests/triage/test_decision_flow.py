"""A decision taken on the detail page reaches the referrer and the family as decided there."""

from __future__ import annotations

from tests.support.app import post_change
from tests.support.builders import make_orientation


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_shared_redirection_reaches_both_with_reason_and_service(app, coordinator, smtp):
    reference = make_orientation(app, guardian_email="famille@testville.example")
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0
    smtp.envelopes.clear()

    decision = {
        "status": "redirected",
        "reason": "mainstream_service",
        "service": "clas",
        "share_reason": "y",
        "comment": "Voir avec l’école Jules Ferry",
    }
    # Without the confirmation nothing happens and nobody is told.
    assert post_change(coordinator, reference, **decision).status_code == 200
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).stdout.startswith("sent 0")
    response = post_change(coordinator, reference, **decision, confirm="y")
    assert response.status_code == 303
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0

    by_recipient = {
        frozenset(envelope.rcpt_tos): message
        for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True)
    }
    assert set(by_recipient) == {
        frozenset({"paul.durand@ecole.example"}),
        frozenset({"famille@testville.example"}),
    }
    for message in by_recipient.values():
        text = plain(message)
        assert reference in message["subject"] and reference in text
        # In plain words (intake.rules.decisions.PUBLIC_SERVICES, PUBLIC_REASONS).
        assert "L’accompagnement à la scolarité (CLAS) : aide aux devoirs" in text
        assert "Un autre service, ouvert à tous, peut mieux aider l’enfant." in text
        assert "Jules Ferry" not in text  # the comment stays inside


def test_an_unshared_decline_says_the_outcome_without_the_reason(app, coordinator, smtp):
    reference = make_orientation(app, guardian_email="")  # the referrer alone is told
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0
    smtp.envelopes.clear()
    response = post_change(
        coordinator, reference, status="declined", reason="age", comment="", confirm="y"
    )
    assert response.status_code == 303
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0
    (message,) = smtp.messages()
    text = plain(message)
    assert "Non retenue par le programme" in text
    assert "Âge hors de la tranche du programme" not in text
