"""A referral's référent: who may name one, whom, what is recorded, and how it shows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Assignment, Referral, User
from tests.support.app import PASSWORD, login, post_change
from tests.support.builders import make_orientation, make_user, orientation, post_referral


@pytest.fixture
def staff(app, users) -> dict[str, int]:
    """Account ids: the coordinator, a second coordinator, the viewer, an inactive
    coordinator."""
    second = make_user(app, "second@testville.example")
    gone = make_user(app, "gone@testville.example", active=False)
    with app.app_context():
        ids = dict(db.session.execute(select(User.email, User.id)).all())
    return {
        "coordinator": ids[users["coordinator"]],
        "second": second,
        "viewer": ids[users["viewer"]],
        "gone": gone,
    }


def state(app) -> tuple:
    """(assigned_to_id, version, last_activity_at, [(user_id, assigned_to_id) of each
    Assignment]) of the only referral."""
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        rows = db.session.execute(
            select(Assignment.user_id, Assignment.assigned_to_id).order_by(Assignment.id)
        ).all()
        return (
            referral.assigned_to_id,
            referral.version,
            referral.last_activity_at,
            [tuple(row) for row in rows],
        )


def test_a_coordinator_names_a_referent_then_none(app, client, staff, caplog):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    _, version, activity, _ = state(app)
    response = post_change(client, reference, "assign", assigned_to=str(staff["second"]))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/triage/{reference}"
    assigned, new_version, new_activity, rows = state(app)
    assert assigned == staff["second"]
    assert rows == [(staff["coordinator"], staff["second"])]
    assert new_version == version + 1 and new_activity > activity
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Dossier attribué à second@testville.example." in html
    summary = html.split('<dl class="summary">', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Référent</dt><dd>second@testville.example</dd>" in summary

    response = post_change(client, reference, "assign", assigned_to="")
    assert response.status_code == 303
    assigned, _, _, rows = state(app)
    assert assigned is None
    assert rows[-1] == (staff["coordinator"], None) and len(rows) == 2
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Dossier sans référent." in html and "<dt>Référent</dt><dd>Aucun</dd>" in html

    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("assign ")]
    assert logged == [
        f"assign reference={reference} user_id={staff['coordinator']} to_user_id={staff['second']}",
        f"assign reference={reference} user_id={staff['coordinator']} to_user_id=None",
    ]
    assert not any("@" in line for line in logged)


def test_naming_the_same_referent_again_changes_nothing(app, client, staff):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    post_change(client, reference, "assign", assigned_to=str(staff["coordinator"]))
    before = state(app)
    response = post_change(client, reference, "assign", assigned_to=str(staff["coordinator"]))
    assert response.status_code == 303
    assert state(app) == before
    assert len(before[3]) == 1
    # Nobody, when nobody is named already: nothing either.
    other = make_orientation(app)
    with app.app_context():
        rows_before = db.session.scalar(select(db.func.count(Assignment.id)))
    assert post_change(client, other, "assign", assigned_to="").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Assignment.id))) == rows_before


@pytest.mark.parametrize("who", ["viewer", "gone", "unknown", "text", "huge", "negative"])
def test_a_referent_must_be_an_active_coordinator(app, client, staff, who):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    value = {
        "unknown": "99999",
        "text": "coord@testville.example",
        "huge": "9" * 30,
        "negative": "-1",
    }.get(who) or str(staff[who])
    before = state(app)
    response = post_change(client, reference, "assign", assigned_to=value)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choisissez un membre de la coordination dont le compte est actif." in html
    assert 'aria-invalid="true"' in html
    assert state(app) == before


def test_only_active_coordinators_are_offered(app, client, staff):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    form = html.split('action="/triage/' + reference + '/assign"', 1)[1].split("</form>", 1)[0]
    offered = re.findall(r'<option (?:selected )?value="([^"]*)">([^<]*)</option>', form)
    assert offered == [
        ("", "Personne (sans référent)"),
        (str(staff["coordinator"]), "coord@testville.example"),
        (str(staff["second"]), "second@testville.example"),
    ]
    assert '<label for="assigned_to">Attribuer le dossier à</label>' in form


def test_viewers_may_not_assign_and_see_no_form(app, client, staff):
    reference = make_orientation(app)
    login(client, "viewer@testville.example")
    before = state(app)
    assert client.get(f"/triage/{reference}/assign").status_code == 403
    response = post_change(client, reference, "assign", assigned_to=str(staff["second"]))
    assert response.status_code == 403
    assert state(app) == before
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    assert "<dt>Référent</dt><dd>Aucun</dd>" in html
    assert "/assign" not in html


def test_anonymous_visitors_are_sent_to_login(app, client, staff):
    reference = make_orientation(app)
    for method in (client.get, client.post):
        response = method(f"/triage/{reference}/assign", data={"assigned_to": "1"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


def test_a_coordinators_get_leads_to_the_form(app, client, staff):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    response = client.get(f"/triage/{reference}/assign")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/triage/{reference}#referent"
    assert client.get("/triage/PRE-1999-00001/assign").status_code == 404


@pytest.mark.parametrize("version", ["stale", "", "abc"])
def test_a_stale_version_is_refused(app, client, staff, version):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    _, current, _, _ = state(app)
    sent = {"stale": str(current - 1) if current > 1 else "999"}.get(version, version)
    # Someone else changed the referral since the page was read.
    assert post_change(client, reference, "notes", text="Appel.").status_code == 303
    before = state(app)
    response = client.post(
        f"/triage/{reference}/assign", data={"assigned_to": str(staff["second"]), "version": sent}
    )
    assert response.status_code == 409
    assert "Votre modification n’a pas été enregistrée" in response.get_data(as_text=True)
    assert state(app) == before


def test_a_stale_page_loses_to_an_assignment(app, client, staff):
    """Assigning changes the version: a status form read before it is refused."""
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    old = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    post_change(client, reference, "assign", assigned_to=str(staff["second"]))
    response = client.post(
        f"/triage/{reference}/status", data={"status": "in_review", "version": old}
    )
    assert response.status_code == 409


def test_the_csrf_token_is_required(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    # The public form, with its own token.
    page = client.get("/orientation").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    reference = post_referral(client, data={**orientation(), "csrf_token": token})
    second_id = make_user(app, "second@testville.example")
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    login_data = {"email": users["coordinator"], "password": PASSWORD, "csrf_token": token}
    assert client.post("/connexion", data=login_data).status_code == 303
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    form = html.split(f'action="/triage/{reference}/assign"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    data = {"assigned_to": str(second_id), "version": version}
    assert client.post(f"/triage/{reference}/assign", data=data).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Referral.assigned_to_id)) is None
    response = client.post(f"/triage/{reference}/assign", data={**data, "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Referral.assigned_to_id)) == second_id


def test_the_history_tells_assignments_among_status_changes(app, client, staff):
    reference = make_orientation(app)
    login(client, "coord@testville.example")
    post_change(client, reference, "assign", assigned_to=str(staff["second"]))
    post_change(client, reference, status="in_review", comment="")
    post_change(client, reference, "assign", assigned_to="")
    post_change(client, reference, "assign", assigned_to=str(staff["coordinator"]))
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    history = html.split('id="history-title"', 1)[1].split("</ol>", 1)[0]
    entries = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        for item in history.split("<li>")[1:]
    ]
    assert [entry.split(" – ", 1)[1] for entry in entries] == [
        "Reçue",
        "Attribué à second@testville.example par coord@testville.example",
        "Nouvelle → En cours d’examen (coord@testville.example)",
        "Référent retiré par coord@testville.example",
        "Attribué à coord@testville.example par coord@testville.example",
    ]


def test_the_queue_shows_the_referent_and_my_cases(app, client, staff):
    mine = make_orientation(app)
    theirs = make_orientation(app)
    login(client, "coord@testville.example")
    post_change(client, mine, "assign", assigned_to=str(staff["coordinator"]))
    post_change(client, theirs, "assign", assigned_to=str(staff["second"]))
    html = client.get("/triage/?assigned=me").get_data(as_text=True)
    assert f">{mine}<" in html and f">{theirs}<" not in html
    assert "coord@testville.example</td>" in html
    html = client.get(f"/triage/?assigned={staff['second']}").get_data(as_text=True)
    assert f">{theirs}<" in html and f">{mine}<" not in html


def test_the_operation_itself_refuses_a_viewer_or_an_inactive_account(app, client, staff):
    """The form only offers active coordinators; the operation does not rely on it."""
    from intake.rules.workflow import TransitionError
    from intake.triage.operations import assign

    make_orientation(app)
    with app.test_request_context():
        referral = db.session.scalar(select(Referral))
        by = db.session.get(User, staff["coordinator"])
        for refused in ("viewer", "gone"):
            with pytest.raises(TransitionError) as raised:
                assign(referral, db.session.get(User, staff[refused]), by)
            assert raised.value.field == "assigned_to"
        assert referral.assigned_to_id is None and referral.assignments == []
        assert assign(referral, db.session.get(User, staff["second"]), by) is not None
        assert assign(referral, db.session.get(User, staff["second"]), by) is None
        assert len(referral.assignments) == 1
