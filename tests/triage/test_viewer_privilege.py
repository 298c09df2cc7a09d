"""Least privilege for the `viewer` role, route by route and method by method.

The test walks the application's URL map: a route added later is checked as soon as it
exists, and a route this file does not know about fails the test until someone decides what
a viewer may do with it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    AgendaItem,
    Agreement,
    Assignment,
    Correction,
    DuplicatePair,
    Meeting,
    Note,
    OutboxMessage,
    ReadEvent,
    Referral,
    Source,
    StatusChange,
)
from tests.support.app import PASSWORD, post_change
from tests.support.builders import correction_data, make_meeting, make_orientation, make_referral

# What a viewer may do in the staff area: read the queue, a referral, the EPS meetings and
# their agenda, the territory and the statistics, and choose their own e-mail alerts. Every
# other (endpoint, method) of the staff area answers them 403: no change, no assignment, no
# fiche, no export.
VIEWER_MAY = {
    ("triage.queue", "GET"),
    ("triage.detail", "GET"),
    ("triage.child_page", "GET"),
    ("meetings.index", "GET"),
    ("meetings.show", "GET"),
    ("meetings.agenda", "GET"),
    ("account.alerts", "GET"),
    ("account.alerts", "POST"),
    ("triage.territory", "GET"),
    ("triage.statistics", "GET"),
}
# Pages for everyone, and logging in and out.
OPEN_BLUEPRINTS = {"public", "auth"}

SITUATION = "Situation écrite par l’enseignante, mots à elle"
ACTIONS = "Rencontre avec la famille en octobre, RASED sollicité"
NOTE = "Appel passé à la maman, rappeler jeudi"
COMMENT = "Commentaire de décision à usage interne"
AGREEMENT_COMMENT = "Accord signé en présence de la tante"
HEARD_FROM = "Par l’assistante sociale du collège"
OLD_PHONE = "06 11 22 33 44"

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def world(make_app, users):
    """A production-like app (CSRF on) holding a referral with every kind of free text, and a
    parent's request; returns the app and the sample value of each URL argument."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    def token(path: str) -> str:
        return CSRF.search(client.get(path).get_data(as_text=True)).group(1)

    reference = make_orientation(
        app, situation=SITUATION, actions_tried=ACTIONS, guardian_phone=OLD_PHONE
    )
    request_reference = make_referral(app, Source.PARENT, heard_from=HEARD_FROM)
    log_in(client, users["coordinator"])
    for action, fields in (
        ("notes", {"text": NOTE}),
        ("status", {"status": "in_review", "comment": COMMENT}),
        (
            "agreement",
            {
                "guardian_name": "Mme Martin",
                "given_on": "2026-11-02",
                "method": "signed_form",
                "comment": AGREEMENT_COMMENT,
            },
        ),
    ):
        fields["csrf_token"] = token(f"/triage/{reference}")
        assert post_change(client, reference, action, **fields).status_code == 303, action
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"',
        client.get(f"/triage/{reference}/correction").get_data(as_text=True),
    ).group(1)
    correction = correction_data(version, guardian_phone="07 81 23 45 67")
    correction["csrf_token"] = token(f"/triage/{reference}/correction")
    response = client.post(f"/triage/{reference}/correction", data=correction)
    assert response.status_code == 303
    meeting_id = make_meeting(
        app,
        datetime(2026, 12, 3, 13, 30, tzinfo=UTC),
        "CCAS, salle du conseil",
        [{"name": "Mme Leroy", "organisation": "CCAS"}],
        by=users["coordinator"],
    )
    with app.app_context():
        agreement_id = db.session.scalar(select(Agreement.id))
        meeting = db.session.get(Meeting, meeting_id)
        meeting.items.append(AgendaItem(referral_id=db.session.scalar(select(Referral.id))))
        db.session.commit()
        item_id = meeting.items[0].id
        # Both stored referrals name Léa Martin, born 4 May 2016: the check paired them.
        pair_id = db.session.scalar(select(DuplicatePair.id))
        assert pair_id is not None
        samples = {
            "pair_id": pair_id,
            "reference": reference,
            "agreement_id": agreement_id,
            "meeting_id": meeting.id,
            "item_id": item_id,
            # A child's page and its parcours' records (objective by domain, action by number).
            "position": 1,
            "domain": "school",
            "number": 1,
        }
    return app, samples, request_reference


def log_in(client, email: str) -> None:
    """Log in through the real form, with its CSRF token, as a browser would."""
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
    response = client.post(
        "/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303


def snapshot(app) -> dict:
    """What a refused request must leave unchanged."""
    with app.app_context():
        counts = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (
                Referral,
                StatusChange,
                Note,
                Agreement,
                Correction,
                Assignment,
                OutboxMessage,
                Meeting,
                AgendaItem,
            )
        }
        rows = db.session.execute(
            select(
                Referral.reference,
                Referral.version,
                Referral.status,
                Referral.assigned_to_id,
                Referral.duplicate_suspected,
            )
        ).all()
        pairs = db.session.execute(select(DuplicatePair.id, DuplicatePair.state)).all()
        meetings = db.session.execute(select(Meeting.id, Meeting.version)).all()
        items = db.session.execute(
            select(AgendaItem.id, AgendaItem.position, AgendaItem.decision, AgendaItem.minute)
        ).all()
        return {
            "counts": counts,
            "referrals": sorted(map(tuple, rows)),
            "meetings": sorted(map(tuple, meetings)),
            "items": sorted(map(tuple, items)),
            "pairs": sorted(map(tuple, pairs)),
        }


def staff_routes(app):
    """Every (rule, method) of the staff area."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in OPEN_BLUEPRINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def build(rule, samples: dict) -> str:
    missing = set(rule.arguments) - set(samples)
    if missing:
        pytest.fail(
            f"{rule.rule} takes {sorted(missing)}: give this test a sample value, and decide "
            "in VIEWER_MAY what a viewer may do there"
        )
    return rule.build({name: samples[name] for name in rule.arguments})[1]


def test_a_viewer_is_refused_every_change_and_every_export(world, users):
    app, samples, _ = world
    client = app.test_client()
    log_in(client, users["viewer"])
    token = CSRF.search(client.get("/triage/compte").get_data(as_text=True)).group(1)
    before = snapshot(app)
    checked = []
    for rule, method in staff_routes(app):
        url = build(rule, samples)
        response = client.open(url, method=method, data={"csrf_token": token})
        allowed = (rule.endpoint, method) in VIEWER_MAY
        if allowed:
            # Allowed: the page answers (an empty form is refused as invalid, not forbidden).
            assert response.status_code in (200, 303, 422), (method, url, response.status_code)
        else:
            assert response.status_code == 403, (method, url, response.status_code)
        checked.append((rule.endpoint, method, allowed))
        if not allowed:
            assert snapshot(app) == before, (method, url)
    # The walk met every kind of route: reads, changes and exports.
    assert {
        ("triage.export", "GET", False),
        ("triage.set_status", "POST", False),
        ("triage.assign_referral", "POST", False),
        ("fiches.fiche", "GET", False),
        ("meetings.decide", "POST", False),
        ("triage.dismiss_duplicate", "POST", False),
        ("triage.family_data_page", "GET", False),
        ("triage.family_data_json", "GET", False),
    } <= set(checked)
    assert ("triage.detail", "GET", True) in checked
    assert len(checked) >= 28


def test_every_staff_route_sends_visitors_to_the_login_page(world):
    app, samples, _ = world
    client = app.test_client()
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
    for rule, method in staff_routes(app):
        data = {"csrf_token": token}
        response = client.open(build(rule, samples), method=method, data=data)
        assert response.status_code in (302, 303), (method, rule.rule)
        assert response.headers["Location"].startswith("/connexion"), (method, rule.rule)


def test_a_viewer_reads_the_file_without_its_free_text(world, users):
    app, samples, request_reference = world
    client = app.test_client()
    log_in(client, users["viewer"])
    html = client.get(f"/triage/{samples['reference']}").get_data(as_text=True)
    # What the viewer may read: the referral, its children, its status and history.
    assert samples["reference"] in html and "Léa" in html
    assert "Téléphone" in html  # the corrected field is named…
    for text in (SITUATION, ACTIONS, NOTE, COMMENT, AGREEMENT_COMMENT, OLD_PHONE):
        assert text not in html, text
    assert OLD_PHONE.replace(" ", "") not in html.replace(" ", "")
    parent = client.get(f"/triage/{request_reference}").get_data(as_text=True)
    assert HEARD_FROM not in parent
    # …and a coordinator reads it all.
    coordinator = app.test_client()
    log_in(coordinator, users["coordinator"])
    full = coordinator.get(f"/triage/{samples['reference']}").get_data(as_text=True)
    for text in (SITUATION, ACTIONS, NOTE, COMMENT, AGREEMENT_COMMENT):
        assert text in full, text
    assert HEARD_FROM in coordinator.get(f"/triage/{request_reference}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReadEvent)) >= 4
