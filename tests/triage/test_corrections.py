"""Corrections: each field kind kept with its previous value, screening redone exactly when
what it reads changes, viewers kept out of the values, stale versions refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.models import Child, Referral
from intake.triage import correction_views
from intake.triage.corrections import canonical_domains, changed_fields, children_to_screen
from tests.support.app import PASSWORD, login
from tests.support.builders import (
    correction_data,
    make_orientation,
    make_user,
    orientation,
    post_referral,
)

VERSION = re.compile(r'name="version" type="hidden" value="([0-9]+)"')


# --- Rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "count", "expected"),
    [
        ([], 2, []),
        (["guardian_phone", "guardian_email", "city", "domains"], 2, []),
        (["children.0.first_name", "children.0.class_level", "children.0.school_other"], 1, []),
        (["children.1.birth_date"], 2, [1]),
        (["children.0.school"], 2, [0]),
        (["children.1.school", "children.0.birth_date"], 3, [0, 1]),
        (["address"], 3, [0, 1, 2]),
        (["children.0.birth_date", "postcode"], 2, [0, 1]),
    ],
    ids=[
        "nothing",
        "contact-details",
        "names-class-other-school-text",
        "second-child-birth-date",
        "first-child-school",
        "two-children",
        "address-screens-all",
        "postcode-screens-all",
    ],
)
def test_children_to_screen(fields, count, expected):
    assert children_to_screen(fields, count) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"city": "A"}, {"city": "A"}, []),
        ({"city": "A", "postcode": "1"}, {"postcode": "2", "city": "B"}, ["city", "postcode"]),
        ({"guardian_email": None}, {"guardian_email": "a@b.fr"}, ["guardian_email"]),
        ({"city": "A"}, {"city": "A", "children.5.first_name": "X"}, []),
    ],
    ids=["same", "in-stored-order", "from-empty", "unknown-key-ignored"],
)
def test_changed_fields(before, after, expected):
    assert changed_fields(before, after) == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["health", "school"], ["school", "health"]),
        (["school", "school"], ["school"]),
        (["evil", "family"], ["family"]),
        (None, []),
    ],
    ids=["contract-order", "once-each", "unknown-dropped", "none"],
)
def test_canonical_domains(codes, expected):
    assert canonical_domains(codes) == expected


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def reference(app, users) -> str:
    """A stored referral (Léa, born 2016-05-04, QPV address, REP+ school: eligible)."""
    return make_orientation(app)


def load(app, reference: str) -> Referral:
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        # Loaded while the context lasts: the tests read them after it ends.
        _ = (referral.children, referral.corrections, referral.updated_by)
        for correction in referral.corrections:
            _ = correction.user
        db.session.expunge_all()
        return referral


# --- The page -------------------------------------------------------------------------------


def test_the_form_is_prefilled_with_the_stored_values(coordinator, reference):
    page = coordinator.get(f"/triage/{reference}/correction")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in ("Léa", "Martin", "2016-05-04", "Sophie Martin", "06 12 34 56 78"):
        assert f'value="{shown}"' in html
    assert 'value="0629001A" selected' in html or 'selected value="0629001A"' in html
    assert VERSION.search(html).group(1) == "1"
    # No situation: what the sender wrote is not corrected here.
    assert 'name="situation"' not in html


def test_the_detail_page_links_coordinators_to_the_correction(coordinator, reference):
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert f'href="/triage/{reference}/correction"' in html


@pytest.mark.parametrize(
    ("posted", "key", "previous", "current", "rescreened"),
    [
        ({"children-0-first_name": "Lea"}, "children.0.first_name", "Léa", "Lea", False),
        ({"children-0-last_name": "Martins"}, "children.0.last_name", "Martin", "Martins", False),
        (
            {"children-0-birth_date": "05/05/2016"},
            "children.0.birth_date",
            "2016-05-04",
            "2016-05-05",
            True,
        ),
        ({"children-0-school": "0629003C"}, "children.0.school", "0629001A", "0629003C", True),
        ({"children-0-class_level": "CM1"}, "children.0.class_level", "CE2", "CM1", False),
        (
            {"guardian_name": "Sophie Durand"},
            "guardian_name",
            "Sophie Martin",
            "Sophie Durand",
            False,
        ),
        (
            {"guardian_phone": "07.98.76.54.32"},
            "guardian_phone",
            "+33612345678",
            "+33798765432",
            False,
        ),
        (
            {"guardian_email": "s.martin@famille.example"},
            "guardian_email",
            "sophie.martin@famille.example",
            "s.martin@famille.example",
            False,
        ),
        ({"address": "5 rue des Lilas"}, "address", "3 rue des Tilleuls", "5 rue des Lilas", True),
        ({"postcode": "62998"}, "postcode", "62999", "62998", True),
        ({"city": "Autreville"}, "city", "Testville", "Autreville", False),
        (
            {"domains": ["family", "school"]},
            "domains",
            ["school", "health"],
            ["school", "family"],
            False,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value else None,
)
def test_each_field_is_corrected_and_recorded(
    app, coordinator, reference, posted, key, previous, current, rescreened
):
    before = load(app, reference)
    response = coordinator.post(f"/triage/{reference}/correction", data=correction_data(**posted))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/triage/{reference}#corrections"
    after = load(app, reference)
    [correction] = after.corrections
    assert correction.fields == [key]
    assert correction.previous == {key: previous}
    assert correction.current == {key: current}
    assert correction.user.email == "coord@testville.example"
    assert after.version > before.version
    assert after.updated_by.email == "coord@testville.example"
    if rescreened:
        [child] = correction.screening["children"]
        assert child["before"] == before.children[0].screening
        assert child["after"] == after.children[0].screening
    else:
        assert correction.screening is None
        assert after.children[0].screening == before.children[0].screening


def test_a_birth_date_out_of_the_age_range_changes_eligibility(app, coordinator, reference):
    assert load(app, reference).eligibility == "eligible"
    response = coordinator.post(
        f"/triage/{reference}/correction",
        data=correction_data(**{"children-0-birth_date": "2008-01-15"}),
    )
    assert response.status_code == 303
    after = load(app, reference)
    assert after.children[0].eligibility == "not_eligible"
    assert after.eligibility == "not_eligible"
    [correction] = after.corrections
    assert correction.screening["referral"] == {"before": "eligible", "after": "not_eligible"}
    [child] = correction.screening["children"]
    assert child["position"] == 0
    assert child["before"]["eligibility"] == "eligible"
    assert child["after"]["eligibility"] == "not_eligible"
    assert "age_in_range" in [reason["code"] for reason in child["before"]["reasons"]]
    assert "age_too_old" in [reason["code"] for reason in child["after"]["reasons"]]
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Éligibilité recalculée : Éligible → Non éligible." in html
    assert "04/05/2016" in html and "15/01/2008" in html


def test_screening_uses_the_date_received_not_today(app, coordinator, reference):
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        received = referral.received_at
        # Received long ago: born 2008, the child was 10 then, though older today.
        referral.received_at = received.replace(year=2018)
        db.session.commit()
        version = referral.version
    response = coordinator.post(
        f"/triage/{reference}/correction",
        data=correction_data(version, **{"children-0-birth_date": "2008-01-15"}),
    )
    assert response.status_code == 303
    assert load(app, reference).children[0].eligibility == "eligible"


def test_a_correction_of_several_fields_is_one_record(app, coordinator, reference):
    posted = {"children-0-school": "0629004D", "address": "8 rue du Port", "guardian_phone": ""}
    response = coordinator.post(f"/triage/{reference}/correction", data=correction_data(**posted))
    assert response.status_code == 303
    after = load(app, reference)
    [correction] = after.corrections
    assert correction.fields == ["guardian_phone", "address", "children.0.school"]
    assert after.guardian_phone is None
    # Outside the QPV streets, school outside priority education: no longer eligible.
    assert after.eligibility == "not_eligible"


def test_a_correction_that_changes_nothing_is_not_recorded(app, coordinator, reference):
    # The same phone in another spelling, the same domains in another order.
    data = correction_data(guardian_phone="06.12.34.56.78", domains=["health", "school"])
    response = coordinator.post(f"/triage/{reference}/correction", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Aucune valeur n’a changé : rien n’a été enregistré." in response.get_data(as_text=True)
    after = load(app, reference)
    assert after.corrections == [] and after.version == 1 and after.updated_by is None


def test_a_school_since_removed_from_the_territory_stays_a_valid_answer(
    app, coordinator, reference
):
    with app.app_context():
        db.session.scalar(select(Child)).school = "0629999Z"
        db.session.commit()
    version = load(app, reference).version
    html = coordinator.get(f"/triage/{reference}/correction").get_data(as_text=True)
    assert re.search(
        r'<option[^>]*value="0629999Z"[^>]*selected|selected[^>]*value="0629999Z"', html
    )
    data = correction_data(version, **{"children-0-school": "0629999Z"})
    response = coordinator.post(f"/triage/{reference}/correction", data=data)
    assert response.status_code == 303
    assert load(app, reference).corrections == []


@pytest.mark.parametrize(
    ("posted", "field_id"),
    [
        ({"postcode": "6299"}, "postcode"),
        ({"children-0-birth_date": "31/02/2016"}, "children-0-birth_date"),
        ({"children-0-school": "9999999Z"}, "children-0-school"),
        ({"children-0-first_name": ""}, "children-0-first_name"),
        ({"guardian_phone": "12", "guardian_email": ""}, "guardian_phone"),
        ({"guardian_phone": "", "guardian_email": ""}, "guardian_phone"),
        ({"guardian_email": "josé@famille.example"}, "guardian_email"),
        ({"domains": []}, "domains"),
        ({"children-0-school": "other", "children-0-school_other": ""}, "children-0-school_other"),
    ],
    ids=[
        "postcode",
        "impossible-date",
        "unknown-school",
        "empty-name",
        "bad-phone",
        "no-way-to-reach",
        "accented-local-part",
        "no-domain",
        "other-school-unnamed",
    ],
)
def test_invalid_input_is_shown_again_and_changes_nothing(
    app, coordinator, reference, posted, field_id
):
    response = coordinator.post(f"/triage/{reference}/correction", data=correction_data(**posted))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert f'id="{field_id}-error"' in html or f'id="{field_id}-0"' in html
    after = load(app, reference)
    assert after.corrections == [] and after.version == 1


@pytest.mark.parametrize(
    "posted",
    [
        {"children-7-first_name": "Intrus", "children-0-first_name": "Lea"},
        {"children-0-first_name": "x" * 10_000},
        {"address": "3 rue\x00 des Tilleuls"},
        {"guardian_name": "Sophie \ufffd"},
        {"children-0-birth_date": "１２/０５/２０１６"},
        {"children-0-birth_date": "1800-01-01"},
        {"children-0-class_level": "<script>"},
        {"domains": ["school", "evil"]},
        {"postcode": "６２９９９"},
        {"children-²-first_name": "x", "children-01-first_name": "y"},
    ],
    ids=[
        "child-beyond-the-referral",
        "huge-name",
        "nul",
        "replacement-character",
        "full-width-digits",
        "ancient-date",
        "unknown-class",
        "unknown-domain",
        "full-width-postcode",
        "odd-indexes",
    ],
)
def test_odd_input_never_fails(app, coordinator, reference, posted):
    response = coordinator.post(f"/triage/{reference}/correction", data=correction_data(**posted))
    # 400: a body the parser refuses (a NUL byte).
    assert response.status_code in (303, 400, 422)
    after = load(app, reference)
    if response.status_code == 303:
        # Only the child the referral has is corrected; nobody is added.
        assert len(after.children) == 1
        assert all(key.startswith("children.0.") for c in after.corrections for key in c.fields)


@pytest.mark.parametrize("version", ["", "abc", "9" * 40, "0", "2"])
def test_a_missing_or_wrong_version_is_refused(app, coordinator, reference, version):
    response = coordinator.post(
        f"/triage/{reference}/correction", data=correction_data(version, city="Autreville")
    )
    assert response.status_code == 409
    assert load(app, reference).city == "Testville"


def test_an_unknown_reference_is_not_found(coordinator, reference):
    assert coordinator.get("/triage/PRE-1999-00001/correction").status_code == 404
    response = coordinator.post("/triage/PRE-1999-00001/correction", data=correction_data())
    assert response.status_code == 404


# --- Who may ------------------------------------------------------------------------------


def test_viewers_may_not_correct(app, viewer, reference):
    assert viewer.get(f"/triage/{reference}/correction").status_code == 403
    response = viewer.post(
        f"/triage/{reference}/correction", data=correction_data(city="Autreville")
    )
    assert response.status_code == 403
    assert load(app, reference).corrections == []
    assert f'href="/triage/{reference}/correction"' not in viewer.get(
        f"/triage/{reference}"
    ).get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(app, client, reference):
    for response in (
        client.get(f"/triage/{reference}/correction"),
        client.post(f"/triage/{reference}/correction", data=correction_data(city="X")),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")
    assert load(app, reference).corrections == []


def test_a_viewer_sees_the_correction_but_not_the_values(app, users, reference):
    coordinator, viewer = app.test_client(), app.test_client()
    login(coordinator, users["coordinator"])
    login(viewer, users["viewer"])
    data = correction_data(
        guardian_phone="07 98 76 54 32", **{"children-0-birth_date": "2008-01-15"}
    )
    assert coordinator.post(f"/triage/{reference}/correction", data=data).status_code == 303
    for_coordinator = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    for_viewer = viewer.get(f"/triage/{reference}").get_data(as_text=True)
    for page in (for_coordinator, for_viewer):
        assert "Enfant 1 – Date de naissance" in page and "Téléphone" in page
        assert "coord@testville.example" in page
    # The previous values, and the screening that read them, for the coordination only.
    for previous in ("06 12 34 56 78", "04/05/2016", "10 ans"):
        assert previous in for_coordinator
        assert previous not in for_viewer


# --- Stale versions -------------------------------------------------------------------------


def test_a_correction_read_before_another_is_refused(app, users, reference):
    make_user(app, "other@testville.example")
    first, second = app.test_client(), app.test_client()
    login(first, users["coordinator"])
    login(second, "other@testville.example")
    versions = [
        VERSION.search(client.get(f"/triage/{reference}/correction").get_data(as_text=True))[1]
        for client in (first, second)
    ]
    assert versions == ["1", "1"]
    done = first.post(f"/triage/{reference}/correction", data=correction_data(1, city="Autreville"))
    assert done.status_code == 303
    refused = second.post(
        f"/triage/{reference}/correction", data=correction_data(1, guardian_name="Autre Nom")
    )
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert re.search(
        r"Ce dossier a été modifié par coord@testville\.example à [0-9]{2}:[0-9]{2}, "
        r"rechargez-le\.",
        html,
    )
    after = load(app, reference)
    assert after.city == "Autreville" and after.guardian_name == "Sophie Martin"
    assert [c.user.email for c in after.corrections] == ["coord@testville.example"]


def test_a_change_committed_during_the_correction_is_not_overwritten(
    app, coordinator, reference, monkeypatch
):
    real = correction_views.correct_referral

    def racing(referral, *args):
        # Another coordinator's change lands between this request's read and its write.
        with Session(db.engine) as other:
            other.scalar(select(Referral)).urgent = True
            other.commit()
        return real(referral, *args)

    monkeypatch.setattr(correction_views, "correct_referral", racing)
    response = coordinator.post(
        f"/triage/{reference}/correction", data=correction_data(city="Autreville")
    )
    assert response.status_code == 409
    assert "Ce dossier a été modifié par un autre compte" in response.get_data(as_text=True)
    after = load(app, reference)
    assert after.urgent and after.city == "Testville" and after.corrections == []


# --- CSRF -----------------------------------------------------------------------------------


def test_the_correction_needs_the_form_token(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/orientation").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    reference = post_referral(client, data={**orientation(), "csrf_token": token})
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    login_data = {"email": users["coordinator"], "password": PASSWORD, "csrf_token": token}
    assert client.post("/connexion", data=login_data).status_code == 303
    data = correction_data(city="Autreville")
    assert client.post(f"/triage/{reference}/correction", data=data).status_code == 400
    page = client.get(f"/triage/{reference}/correction").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post(f"/triage/{reference}/correction", data={**data, "csrf_token": token})
    assert response.status_code == 303
    assert load(app, reference).city == "Autreville"
