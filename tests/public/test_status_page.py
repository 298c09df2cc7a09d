"""/suivi/<token>: the reference, the dates of the public steps, the outcome as shared, the
contact; never a name, a comment or a note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from intake.extensions import db
from intake.models import Note, Referral
from intake.tokens import make_status_token
from tests.support.outbox import GUARDIAN_EMAIL, decide, submit

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOTE = "Note interne : père Gaspard Quenouille joint au 06 99 88 77 66"


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>")[0]


def status_page(app, client, reference: str, audience: str = "family") -> str:
    """The status page's <main> as the family's link (or the referrer's) opens it."""
    with app.app_context():
        token = make_status_token(reference, audience)
    response = client.get(f"/suivi/{token}")
    assert response.status_code == 200
    return main_of(response.get_data(as_text=True))


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def test_a_new_referral_says_when_we_get_in_touch(app, client):
    with at(RECEIVED):
        reference = submit(app)
    page = status_page(app, client, reference)
    assert reference in page
    assert "02/03/2026" in page
    assert "Reçue, en attente d’examen" in page
    # The test territory's contact_within_days is 10.
    assert "Nous vous contactons sous 10 jours, d’ici le 12/03/2026." in page
    assert "Demande reçue :\n    le 02/03/2026" in page
    assert page.count("pas encore") == 2
    assert "03 21 00 00 00" in page and "pre@testville.example" in page
    # The referrer's link says who is contacted, and by when.
    page = status_page(app, client, reference, "referrer")
    assert "Nous vous contactons" not in page
    assert (
        "L’équipe prend contact avec la famille sous 10 jours, d’ici le 12/03/2026, "
        "et si besoin avec vous." in page
    )


def test_the_steps_carry_their_dates_and_the_shared_outcome(app, client):
    with at(RECEIVED):
        reference = submit(app, guardian_email=GUARDIAN_EMAIL)
    with at(RECEIVED + timedelta(days=3)):
        decide(app, reference, "in_review")
    with at(RECEIVED + timedelta(days=9)):
        decide(
            app,
            reference,
            "redirected",
            reason="mainstream_service",
            service="reaap",
            share_reason=True,
        )
    page = status_page(app, client, reference)
    assert "En cours d’examen :\n    le 05/03/2026" in page
    assert "Décision :\n    le 11/03/2026" in page
    assert "pas encore" not in page
    assert "Nous vous contactons" not in page
    assert "<dt>Décision</dt><dd><strong>Orientée vers un autre service</strong></dd>" in page
    # In plain words (intake.rules.decisions.PUBLIC_REASONS, PUBLIC_SERVICES).
    assert "Un autre service, ouvert à tous, peut mieux aider l’enfant." in page
    assert "Le réseau des parents (REAAP) : rencontres et soutien pour les parents" in page


def test_a_reason_not_shared_stays_inside(app, client):
    reference = submit(app)
    decide(app, reference, "declined", reason="family_declined", share_reason=False)
    page = status_page(app, client, reference)
    assert "Non retenue par le programme" in page
    assert "La famille n’a pas souhaité donner suite" not in page
    assert "<dt>Raison</dt>" not in page


def test_no_name_comment_or_note_appears(app, client):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL, second_child=True)
    decide(app, reference, "declined", reason="other", share_reason=True)
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        referral.notes.append(Note(text=NOTE))
        db.session.commit()
    page = status_page(app, client, reference)
    # The code's label, not the comment that says which.
    assert "Une autre raison : l’équipe peut l’expliquer." in page
    for secret in (
        "Zéphyrine",
        "Anatole",
        "Quenouille",
        "Bérénice",
        "Tilleuls",
        "orthophoni",
        "Marchetti",
        "Commentaire interne",
        "Gaspard",
        "06 99 88 77 66",
        GUARDIAN_EMAIL,
        "04/05/2016",
        "CM1",
    ):
        assert secret not in page, secret
    # Each child by its year of birth, nothing more.
    assert "Enfant né en 2016 : <strong>non retenu par le programme</strong>" in page
    assert "Enfant né en 2019 : <strong>non retenu par le programme</strong>" in page


def test_the_contact_date_is_counted_in_paris_days(app, client):
    """Received at 23:30 in Paris on the night before spring's change of time: ten days later
    is 7 April. Ten times 24 hours would end at 00:30 on the 8th, Paris summer time."""
    with at(datetime(2026, 3, 28, 22, 30, tzinfo=UTC)):
        reference = submit(app)
    page = status_page(app, client, reference)
    assert "Nous vous contactons sous 10 jours, d’ici le 07/04/2026." in page
