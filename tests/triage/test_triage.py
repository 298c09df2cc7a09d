"""The coordinator's queue: access, filters, detail, status changes, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral, Source, StatusChange
from tests.support.app import login, post_change
from tests.support.builders import child, make_orientation, make_referral

# A child born in 2005, at a school outside priority education: not eligible.
TOO_OLD = {"birth_date": date(2005, 1, 1), "school": "0629003C"}


@pytest.mark.parametrize(
    "path",
    ["/triage/", "/triage/PRE-2026-00001", "/triage/export.csv", "/triage/?status=new"],
)
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_anonymous_status_change_and_note_are_refused(app, client):
    reference = make_orientation(app)
    for path, data in (("status", {"status": "in_review"}), ("notes", {"text": "x"})):
        response = client.post(f"/triage/{reference}/{path}", data=data)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")
    with app.app_context():
        assert db.session.scalar(select(Referral.status)) == "new"


def test_login_goes_to_next_when_it_stays_on_site(client, users):
    response = client.post(
        "/connexion?next=/triage/%3Fstatus%3Dnew",
        data={"email": users["coordinator"], "password": "correct horse battery"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/?status=new"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_ignores_next_leaving_the_site(client, users, target):
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={"email": users["coordinator"], "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/triage/"


def test_wrong_password_is_refused_with_a_message(client, users):
    response = login(client, users["coordinator"], "wrong password!")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.get_data(as_text=True)
    assert client.get("/triage/").status_code == 302


def test_email_is_case_insensitive(client, users):
    assert login(client, users["coordinator"].upper()).status_code == 303


def test_logout_is_a_post_and_ends_the_session(coordinator):
    assert coordinator.get("/deconnexion").status_code == 405
    assert coordinator.post("/deconnexion").status_code == 303
    assert coordinator.get("/triage/").status_code == 302


def test_login_is_throttled(make_app, users):
    app = make_app(RATELIMIT_ENABLED=True, INTAKE_LOGIN_LIMIT="3 per minute")
    client = app.test_client()
    codes = [login(client, "coord@testville.example", "bad password").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Trop de tentatives" in login(client, "coord@testville.example").get_data(as_text=True)


def test_queue_lists_newest_first_with_screening(app, coordinator):
    first = make_orientation(app)
    second = make_referral(app, Source.PARENT, children=[child("Hugo", **TOO_OLD)])
    html = coordinator.get("/triage/").get_data(as_text=True)
    assert html.index(second) < html.index(first)
    assert "Non éligible" in html and "Éligible" in html
    assert "2 orientations" in html


def test_queue_filters_by_status_eligibility_and_name(app, coordinator):
    eligible = make_orientation(app)
    too_old = make_orientation(app, children=[child("Hugo", "Bernard", **TOO_OLD)])
    assert f">{too_old}<" in coordinator.get("/triage/?eligibility=not_eligible").get_data(
        as_text=True
    )
    assert f">{eligible}<" not in coordinator.get("/triage/?eligibility=not_eligible").get_data(
        as_text=True
    )
    post_change(coordinator, eligible, status="in_review", comment="")
    html = coordinator.get("/triage/?status=in_review").get_data(as_text=True)
    assert f">{eligible}<" in html and f">{too_old}<" not in html
    html = coordinator.get("/triage/?q=bernard").get_data(as_text=True)
    assert f">{too_old}<" in html and f">{eligible}<" not in html
    html = coordinator.get(f"/triage/?q={eligible.lower()}").get_data(as_text=True)
    assert f">{eligible}<" in html and f">{too_old}<" not in html
    # Unknown filter values are ignored rather than failing.
    assert coordinator.get("/triage/?status=nope&eligibility=%27&page=abc").status_code == 200


def test_queue_search_treats_wildcards_literally(app, coordinator):
    make_orientation(app)
    assert "Aucune orientation" in coordinator.get("/triage/?q=%25").get_data(as_text=True)
    assert "Aucune orientation" in coordinator.get("/triage/?q=_").get_data(as_text=True)


def test_queue_is_paginated(make_app, users):
    app = make_app(INTAKE_PAGE_SIZE=2)
    client = app.test_client()
    references = [make_orientation(app) for _ in range(3)]
    login(client, users["coordinator"])
    page1 = client.get("/triage/").get_data(as_text=True)
    assert references[2] in page1 and references[1] in page1 and references[0] not in page1
    assert "3 orientations" in page1 and "Plus récentes" not in page1
    link = re.search(r'href="([^"]*older=[^"]*)"', page1).group(1).replace("&amp;", "&")
    page2 = client.get(link).get_data(as_text=True)
    assert references[0] in page2 and references[2] not in page2
    assert "Plus anciennes" not in page2 and "Plus récentes" in page2


def test_detail_shows_everything_with_reasons_and_history(app, coordinator):
    reference = make_orientation(app, urgent=True)
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    for expected in (
        reference,
        "Léa",
        "Martin",
        "04/05/2016",
        "École Les Tilleuls",
        "CE2",
        "Sophie Martin",
        "06 12 34 56 78",
        "3 rue des Tilleuls",
        "62999 Testville",
        "Santé",
        "Léa a du mal à lire",
        "Paul Durand",
        "Enseignant",
        "Urgent",
        "Aide personnalisée",
        "Les Tilleuls (QN06299X)",
        "Reçue",
    ):
        assert expected in html, expected


def test_unknown_reference_is_404(coordinator):
    assert coordinator.get("/triage/PRE-1999-00001").status_code == 404


def test_status_change_records_who_when_from_to_why(app, coordinator, users):
    reference = make_orientation(app)
    response = post_change(
        coordinator, reference, status="in_review", comment="Appel à la famille prévu."
    )
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        change = referral.history[-1]
        assert (change.from_status, change.to_status) == ("new", "in_review")
        assert change.user.email == users["coordinator"]
        assert change.comment == "Appel à la famille prévu."
        assert datetime.now(UTC) - change.at < timedelta(minutes=1)
        assert referral.status == "in_review"
        assert referral.last_activity_at == change.at
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Appel à la famille prévu." in html and users["coordinator"] in html


def test_the_whole_path_to_closed(app, coordinator):
    reference = make_orientation(app)
    agreement = {"guardian_name": "Sophie Martin", "given_on": "2026-01-05", "method": "phone"}
    assert post_change(coordinator, reference, "agreement", **agreement).status_code == 303
    for status in ("in_review", "eps", "accepted", "closed"):
        assert post_change(coordinator, reference, status=status, confirm="y").status_code == 303
    with app.app_context():
        assert [
            c.to_status for c in db.session.scalars(select(StatusChange).order_by(StatusChange.id))
        ] == ["new", "in_review", "eps", "accepted", "closed"]


@pytest.mark.parametrize(
    ("path", "target", "comment", "message"),
    [
        pytest.param([], "accepted", "", "Passage impossible", id="skip-steps"),
        pytest.param([], "closed", "", "Passage impossible", id="new-to-closed"),
        pytest.param(["declined"], "eps", "", "close", id="from-final"),
        pytest.param(["declined"], "in_review", "", "rouvert", id="reopen-without-comment"),
        pytest.param([], "declined", "", "Choisissez le motif", id="decline-without-reason"),
        pytest.param(
            ["in_review", "eps"], "accepted", "", "accord", id="accepted-without-agreement"
        ),
        pytest.param([], "bogus", "", "Statut inconnu", id="unknown-status"),
        pytest.param([], "", "", "Choisissez un statut", id="no-status"),
    ],
)
def test_refused_transition_is_explained_and_changes_nothing(
    app, coordinator, path, target, comment, message
):
    reference = make_orientation(app)
    for step in path:
        response = post_change(
            coordinator, reference, status=step, comment="raison", reason="age", confirm="y"
        )
        assert response.status_code == 303
    with app.app_context():
        before = (
            db.session.scalar(select(Referral.status)),
            len(db.session.scalars(select(StatusChange)).all()),
        )
    response = post_change(coordinator, reference, status=target, comment=comment, confirm="y")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        after = (
            db.session.scalar(select(Referral.status)),
            len(db.session.scalars(select(StatusChange)).all()),
        )
    assert after == before


def test_decline_with_a_reason_is_final(app, coordinator):
    reference = make_orientation(app)
    response = post_change(
        coordinator,
        reference,
        status="declined",
        reason="age",
        comment="Hors tranche d’âge.",
        confirm="y",
    )
    assert response.status_code == 303
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Non retenue" in html and "Hors tranche d’âge." in html
    assert "Âge hors de la tranche du programme" in html
    # Only reopening is left.
    assert "Changer le statut" not in html and "Rouvrir le dossier" in html


def test_viewer_reads_but_cannot_change(app, client, users):
    reference = make_orientation(app)
    login(client, users["viewer"])
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Léa" in html and "Changer le statut" not in html
    # The contract: viewers see no free text and do not export.
    assert "du mal à lire" not in html and "réservé à la coordination" in html
    assert client.get("/triage/").status_code == 200
    assert client.get("/triage/export.csv").status_code == 403
    assert (
        client.post(f"/triage/{reference}/status", data={"status": "in_review"}).status_code == 403
    )
    with app.app_context():
        assert db.session.scalar(select(Referral.status)) == "new"


def test_export_csv_applies_filters_and_uses_codes(app, coordinator):
    eligible = make_orientation(app)
    too_old = make_referral(app, Source.PARENT, children=[child(**TOO_OLD)])
    response = coordinator.get("/triage/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {"reference", "received_at", "source", "status", "eligibility"} <= set(rows[0])
    by_ref = {row["reference"]: row for row in rows}
    assert (
        by_ref[eligible]["source"] == "professional"
        and by_ref[eligible]["eligibility"] == "eligible"
    )
    assert (
        by_ref[too_old]["source"] == "parent" and by_ref[too_old]["eligibility"] == "not_eligible"
    )
    assert by_ref[eligible]["status"] == "new"
    assert datetime.fromisoformat(by_ref[eligible]["received_at"]).tzinfo is not None
    filtered = coordinator.get("/triage/export.csv?eligibility=not_eligible").get_data(as_text=True)
    assert too_old in filtered and eligible not in filtered
    # No names or situations in a file that may be passed around.
    assert "Martin" not in response.get_data(as_text=True)


def test_coordinator_adds_a_note_that_shows_with_author_and_counts_as_activity(
    app, coordinator, users
):
    reference = make_orientation(app)
    with app.app_context():
        before = db.session.scalar(select(Referral.last_activity_at))
    response = post_change(coordinator, reference, "notes", text="  Appel à la mère : RDV mardi.  ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/triage/{reference}#notes")
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    notes = html.split('id="notes"', 1)[1].split("</section>", 1)[0]
    assert "Appel à la mère : RDV mardi." in notes and users["coordinator"] in notes
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert [n.text for n in referral.notes] == ["Appel à la mère : RDV mardi."]
        assert referral.last_activity_at > before
        assert referral.status == "new"  # a note is not a decision


@pytest.mark.parametrize(("text", "message"), [("   ", "Écrivez la note."), ("x" * 4001, "4000")])
def test_bad_note_is_refused_with_its_message(app, coordinator, text, message):
    reference = make_orientation(app)
    response = post_change(coordinator, reference, "notes", text=text)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Referral)).notes == []


def test_viewer_reads_notes_but_cannot_add_one(app, client, users):
    reference = make_orientation(app)
    login(client, users["coordinator"])
    assert post_change(client, reference, "notes", text="Dossier complet.").status_code == 303
    client.post("/deconnexion")
    login(client, users["viewer"])
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    # The note is listed (when, who) but its text is for the coordination only.
    assert "Dossier complet." not in html and "Note réservée à la coordination." in html
    assert "Ajouter la note" not in html
    assert client.post(f"/triage/{reference}/notes", data={"text": "Non."}).status_code == 403
    with app.app_context():
        assert len(db.session.scalar(select(Referral)).notes) == 1


def test_staff_session_expires_after_idle_hours(app, coordinator):
    cookie = coordinator.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(hours=7, minutes=59) < lifetime <= timedelta(hours=8)
