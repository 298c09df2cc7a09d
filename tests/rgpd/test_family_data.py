"""A family's data on request (RGPD art. 15): /triage/<reference>/donnees and its JSON hold
every value seeded through the public form and the staff's routes, each use is in the read
log, and only coordinators reach them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, ReadEvent, ReadReferral, Referral, Source
from intake.rgpd.operations import KEYS
from intake.rules.clock import today
from intake.rules.vocabulary import format_date
from intake.triage.audit import ReadKind
from tests.parcours.test_parcours_pages import (
    ACTION_DETAIL,
    EXIT_COMMENT,
    OBJECTIVE_TEXT,
    PARTNER,
    REFERENT_NAME,
    REVIEW_SUMMARY,
    fill_parcours,
    post_child,
)
from tests.support.app import login, post_change
from tests.support.builders import (
    child_fields,
    correction_data,
    get_referral,
    make_referral,
    orientation,
    post_referral,
)

SITUATION = "Noé et Léa peinent en lecture, Mme Quenouille s’inquiète"
ACTIONS_TRIED = "PPRE avec M. Obéron depuis la Toussaint"
AGREEMENT_COMMENT = "Accord donné devant la tante Ursuline"
STATUS_COMMENT = "Dossier complet selon Mme Pistache"
DECLINE_COMMENT = "Noé suivi ailleurs, vu avec la famille Zanzibar"
NOTE = "Appel à la maman, rappeler jeudi pour le CMP Girafe"
OLD_PHONE, NEW_PHONE = "06 12 34 56 78", "06 98 76 54 32"
SENT_AT = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def two_children() -> dict:
    """A professional's referral naming Léa and her brother Noé, as the form posts it."""
    return orientation(
        situation=SITUATION,
        actions_tried=ACTIONS_TRIED,
        **child_fields(
            1,
            first_name="Noé",
            last_name="Martin",
            birth_date="2014-09-21",
            class_level="CM2",
        ),
    )


@pytest.fixture
def seeded(app, coordinator) -> str:
    """The referral with everything a coordinator records on it: agreement, statuses (Léa
    accepted, Noé declined with a reason), a note, a correction, Léa's parcours from entry to
    exit, and an e-mail sent."""
    reference = post_referral(coordinator, data=two_children())
    steps = [
        post_change(
            coordinator,
            reference,
            "agreement",
            guardian_name="Sophie Martin",
            given_on="2026-01-05",
            method="phone",
            comment=AGREEMENT_COMMENT,
            children="1",
        ),
        post_change(coordinator, reference, status="in_review", comment=STATUS_COMMENT),
        post_change(coordinator, reference, status="eps"),
        post_change(coordinator, reference, status="accepted", children="1"),
        post_change(
            coordinator,
            reference,
            status="declined",
            children="2",
            reason="already_supported",
            share_reason="y",
            confirm="y",
            comment=DECLINE_COMMENT,
        ),
        post_change(coordinator, reference, "notes", text=NOTE),
    ]
    assert [step.status_code for step in steps] == [303] * 6, [
        step.get_data(as_text=True) for step in steps if step.status_code != 303
    ]
    with app.app_context():
        version = db.session.scalar(select(Referral.version).where(Referral.reference == reference))
    correction = correction_data(
        version,
        guardian_phone=NEW_PHONE,
        **child_fields(1, first_name="Noé", birth_date="2014-09-21", class_level="CM2"),
    )
    corrected = coordinator.post(f"/triage/{reference}/correction", data=correction)
    assert corrected.status_code == 303, corrected.get_data(as_text=True)
    fill_parcours(coordinator, reference)
    ended = post_child(
        coordinator,
        reference,
        "sortie",
        ended_on=today().isoformat(),
        exit_reason="other",
        comment=EXIT_COMMENT,
        confirm="y",
    )
    assert ended.status_code == 303, ended.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .join(Referral, Referral.id == OutboxMessage.referral_id)
            .where(Referral.reference == reference, OutboxMessage.kind == "acknowledgement")
        ).one()
        message.sent_at = SENT_AT
        db.session.commit()
    return reference


def family_json(client, reference: str) -> dict:
    response = client.get(f"/triage/{reference}/donnees.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f"attachment; filename={reference}.json"
    return json.loads(response.get_data(as_text=True))


def test_the_json_holds_every_seeded_value(app, coordinator, users, seeded):
    data = family_json(coordinator, seeded)
    assert tuple(data) == KEYS
    referral = data["referral"]
    assert referral["reference"] == seeded
    assert referral["source"] == "professional"
    assert referral["situation"] == SITUATION
    assert referral["actions_tried"] == ACTIONS_TRIED
    assert referral["guardian_phone"] == "+33698765432"
    assert referral["guardian_email"] == "sophie.martin@famille.example"
    assert (referral["address"], referral["postcode"], referral["city"]) == (
        "3 rue des Tilleuls",
        "62999",
        "Testville",
    )
    assert referral["domains"] == ["school", "health"]
    assert referral["referrer_name"] == "Paul Durand"
    assert referral["referrer_role"] == "teacher"
    assert referral["family_informed"] is True
    assert datetime.fromisoformat(referral["received_at"]).tzinfo is not None
    for internal in ("fingerprint", "search_key", "version", "id"):
        assert internal not in referral

    lea, noe = data["children"]
    assert (lea["number"], lea["first_name"], lea["birth_date"]) == (1, "Léa", "2016-05-04")
    assert (noe["number"], noe["first_name"], noe["birth_date"]) == (2, "Noé", "2014-09-21")
    assert (noe["class_level"], noe["school_level"]) == ("CM2", "elementaire")
    assert (lea["status"], noe["status"]) == ("closed", "declined")
    assert lea["screening"]["reasons"] and "screening_residence" in lea

    statuses = [entry for entry in data["history"] if entry["kind"] == "status"]
    declined = next(entry for entry in statuses if entry["to_status"] == "declined")
    assert declined["child"] == 2
    assert (declined["reason"], declined["share_reason"]) == ("already_supported", True)
    assert declined["comment"] == DECLINE_COMMENT
    assert declined["by"] == users["coordinator"]
    assert any(entry["comment"] == STATUS_COMMENT for entry in statuses)

    (agreement,) = data["agreements"]
    assert (agreement["given_on"], agreement["method"]) == ("2026-01-05", "phone")
    assert agreement["comment"] == AGREEMENT_COMMENT
    assert agreement["children"] == [
        {"child": 1, "withdrawn_on": None, "withdrawn_at": None, "withdrawn_by": None}
    ]

    (parcours,) = data["parcours"]
    assert parcours["child"] == 1
    assert parcours["referent"]["name"] == REFERENT_NAME
    assert [o["text"] for o in parcours["objectives"]] == [OBJECTIVE_TEXT]
    assert parcours["actions"][0]["detail"] == ACTION_DETAIL
    assert parcours["actions"][0]["partner"] == PARTNER
    assert [a["collective"] for a in parcours["actions"]] == [False, True]
    assert parcours["reviews"][0]["summary"] == REVIEW_SUMMARY
    assert parcours["reviews"][0]["held_on"] == "2026-02-02"
    assert parcours["exit"]["comment"] == EXIT_COMMENT
    assert parcours["exit"]["reason"] == "other"

    assert [note["text"] for note in data["notes"]] == [NOTE]
    (correction,) = [c for c in data["corrections"] if "guardian_phone" in c["fields"]]
    assert correction["previous"]["guardian_phone"] == "+33612345678"
    assert correction["current"]["guardian_phone"] == "+33698765432"

    sent = next(email for email in data["emails"] if email["kind"] == "acknowledgement")
    assert sent["recipients"] == ["paul.durand@ecole.example"]
    assert sent["sent_at"] == SENT_AT.isoformat()
    assert seeded in sent["subject"]
    assert all(email["subject"] for email in data["emails"])


def test_the_page_holds_every_seeded_value_in_words(app, coordinator, seeded):
    response = coordinator.get(f"/triage/{seeded}/donnees")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for value in (
        seeded,
        SITUATION,
        ACTIONS_TRIED,
        NEW_PHONE,
        OLD_PHONE,
        "sophie.martin@famille.example",
        "3 rue des Tilleuls",
        "Paul Durand",
        "Noé",
        "21/09/2014",
        "Enfant déjà accompagné",
        DECLINE_COMMENT,
        STATUS_COMMENT,
        AGREEMENT_COMMENT,
        "05/01/2026",
        REFERENT_NAME,
        OBJECTIVE_TEXT,
        ACTION_DETAIL,
        PARTNER,
        REVIEW_SUMMARY,
        EXIT_COMMENT,
        NOTE,
        "paul.durand@ecole.example",
        "04/03/2026",
        f"Données détenues sur la demande {seeded} – extrait du {format_date(today())}",
    ):
        assert value in page, value
    # A professional's referral: the family was told and agrees; the parent's own question
    # (consent) was never asked, so it is not answered "Non".
    assert "<dt>Famille informée et d’accord</dt><dd>Oui</dd>" in page
    assert (
        "<dt>Accord pour être contacté·e</dt>"
        "<dd>Sans objet (orientation par un professionnel)</dd>" in page
    )


def test_a_parent_request_shows_the_parent_consent(app, coordinator):
    reference = make_referral(app, Source.PARENT)
    page = coordinator.get(f"/triage/{reference}/donnees").get_data(as_text=True)
    assert "<dt>Accord pour être contacté·e</dt><dd>Oui</dd>" in page


def test_each_use_is_logged_and_the_copy_lists_the_reads_before_it(app, coordinator, users, seeded):
    coordinator.get(f"/triage/{seeded}")
    assert coordinator.get(f"/triage/{seeded}/donnees").status_code == 200
    data = family_json(coordinator, seeded)
    kinds = [read["kind"] for read in data["reads"]]
    # The detail page's read, then the page's; the JSON's own read comes after its answer.
    assert kinds[-2:] == [ReadKind.DETAIL, ReadKind.DATA]
    assert data["reads"][-1]["by"] == users["coordinator"]
    assert datetime.fromisoformat(data["reads"][-1]["at"]).tzinfo is not None
    with app.app_context():
        logged = db.session.scalars(
            select(ReadEvent.kind)
            .join(ReadReferral, ReadReferral.event_id == ReadEvent.id)
            .where(ReadReferral.reference == seeded)
            .order_by(ReadEvent.id)
        ).all()
    assert logged[-2:] == [ReadKind.DATA, ReadKind.DATA_JSON]
    # The detail page names the new kinds in words.
    page = coordinator.get(f"/triage/{seeded}").get_data(as_text=True)
    assert "données de la famille, fichier JSON (RGPD)" in page


def test_the_detail_page_links_coordinators_to_the_data(app, coordinator, seeded):
    page = coordinator.get(f"/triage/{seeded}").get_data(as_text=True)
    assert f'href="/triage/{seeded}/donnees">Données de la famille (RGPD)' in page
    # …and carries the footer its printed sheets show.
    assert f"Orientation {seeded} – imprimée le {format_date(today())}" in page


@pytest.mark.parametrize("suffix", ["donnees", "donnees.json"])
def test_viewers_are_refused_and_visitors_sent_to_log_in(app, client, users, suffix):
    reference = post_referral(client)
    address = f"/triage/{reference}/{suffix}"
    visitor = client.get(address)
    assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/connexion")
    assert login(client, users["viewer"]).status_code == 303
    assert client.get(address).status_code == 403
    assert f"/triage/{reference}/donnees" not in client.get(f"/triage/{reference}").get_data(
        as_text=True
    )
    with app.app_context():
        assert not db.session.scalar(select(ReadEvent).where(ReadEvent.kind.like("donnees%")))


@pytest.mark.parametrize("suffix", ["donnees", "donnees.json"])
def test_unknown_and_anonymised_referrals_are_not_found(app, coordinator, suffix):
    reference = post_referral(coordinator)
    assert coordinator.get(f"/triage/PRE-2026-99999/{suffix}").status_code == 404
    with app.app_context():
        stored = db.session.scalar(select(Referral).where(Referral.reference == reference))
        stored.anonymised_at = datetime.now(UTC)
        db.session.commit()
    assert coordinator.get(f"/triage/{reference}/{suffix}").status_code == 404


def test_the_privacy_page_says_how_a_family_asks_and_how_long_the_answer_takes(client):
    page = client.get("/confidentialite").get_data(as_text=True)
    assert "Comment obtenir vos données ?" in page
    assert "par courrier, par e-mail, par téléphone, ou en venant sur place" in page
    assert "un mois au plus" in page and "prolongé de deux mois" in page
    assert "pre@testville.example" in page  # the contact it points to


def test_an_email_sent_in_english_is_listed_with_its_english_subject(app, coordinator):
    reference = make_referral(app, Source.PARENT, guardian_email="famille@example.net")
    with app.app_context():
        referral = get_referral(reference)
        referral.contact_language = "en"
        db.session.commit()
    data = coordinator.get(f"/triage/{reference}/donnees.json").get_json()
    subjects = {mail["subject"] for mail in data["emails"]}
    # The family's acknowledgement in the language it went out in, the coordination's in French.
    assert f"Your request to the Programme de Réussite Éducative: {reference}" in subjects
    assert f"Nouvelle demande {reference}" in subjects
