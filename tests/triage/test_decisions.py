"""Parents' agreement, structured decisions, confirmation, reopening and stale versions,
through the staff pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.models import Agreement, Note, Referral, StatusChange, User
from intake.rules.decisions import REASONS, SERVICES, WITHDRAWN_BY
from intake.triage import detail_views
from tests.support.app import VERSION_INPUT, login, post_change
from tests.support.builders import make_orientation, make_user

AGREEMENT = {
    "guardian_name": "Sophie Martin",
    "given_on": "2026-01-05",
    "method": "phone",
    "comment": "Accord donné lors de l’appel du lundi.",
}


@pytest.fixture
def reference(app, coordinator) -> str:
    """A new referral's reference, the coordinator logged in."""
    return make_orientation(app)


def state(app, reference: str):
    """What a refused change must leave untouched: status, version, and every record."""
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (StatusChange, Note, Agreement)
        )
        withdrawn = db.session.scalar(
            select(func.count()).select_from(Agreement).where(Agreement.withdrawn_on.is_not(None))
        )
        return referral.status, referral.version, counts, withdrawn


def last_change(app) -> StatusChange:
    with app.app_context():
        change = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
        db.session.expunge(change)
        return change


def to_eps(client, reference: str) -> None:
    for status in ("in_review", "eps"):
        assert post_change(client, reference, status=status).status_code == 303


# --- Parents' agreement ---------------------------------------------------------------------


def test_an_agreement_is_recorded_with_who_when_how(app, coordinator, users, reference):
    before = state(app, reference)
    response = post_change(coordinator, reference, "agreement", **AGREEMENT)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/triage/{reference}#agreements")
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        (agreement,) = referral.agreements
        assert (agreement.guardian_name, agreement.given_on.isoformat(), agreement.method) == (
            "Sophie Martin",
            "2026-01-05",
            "phone",
        )
        assert agreement.recorded_by.email == users["coordinator"]
        assert referral.has_agreement and referral.version > before[1]
        assert referral.updated_by.email == users["coordinator"]
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    section = html.split('id="agreements"', 1)[1].split("</section>", 1)[0]
    assert "Sophie Martin" in section and "05/01/2026" in section and "par téléphone" in section
    assert AGREEMENT["comment"] in section and users["coordinator"] in section


def test_a_viewer_sees_agreements_without_their_comment_and_cannot_record_one(app, client, users):
    reference = make_orientation(app)
    login(client, users["coordinator"])
    assert post_change(client, reference, "agreement", **AGREEMENT).status_code == 303
    client.post("/deconnexion")
    login(client, users["viewer"])
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Sophie Martin" in html and AGREEMENT["comment"] not in html
    assert "Enregistrer l’accord" not in html and "Enregistrer le retrait" not in html
    before = state(app, reference)
    assert client.post(f"/triage/{reference}/agreement", data=AGREEMENT).status_code == 403
    assert client.post(f"/triage/{reference}/agreement/1/withdraw", data={}).status_code == 403
    assert state(app, reference) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"guardian_name": " "}, "Indiquez le nom", id="no-name"),
        pytest.param({"given_on": ""}, "Indiquez la date", id="no-date"),
        pytest.param({"given_on": "2026-13-45"}, "pas valide", id="bad-date"),
        pytest.param({"given_on": "2999-01-01"}, "futur", id="future"),
        pytest.param({"given_on": "0001-01-01"}, "Vérifiez l’année", id="year-1"),
        pytest.param({"method": ""}, "Indiquez comment", id="no-method"),
        pytest.param({"method": "telepathy"}, "method", id="unknown-method"),
    ],
)
def test_a_bad_agreement_is_refused_and_nothing_is_stored(
    app, coordinator, reference, changes, message
):
    before = state(app, reference)
    response = post_change(coordinator, reference, "agreement", **{**AGREEMENT, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "error-summary" in html
    assert state(app, reference) == before


def agreement_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Agreement.id))


# Whitespace a date field may hold alone: spaces of several scripts, a tab, a line separator
# and the byte order mark (the whole family is in tests/forms/test_blanks.py).
BLANKS = [" ", "\t", "\u00a0", "\u3000", "\u2028", "\ufeff"]


@pytest.mark.parametrize("blank", BLANKS, ids=lambda blank: f"U+{ord(blank):04X}")
def test_an_agreement_dated_with_whitespace_only_is_refused_as_undated(
    app, coordinator, reference, blank
):
    # A date of whitespace only passed InputRequired and was stored as NULL: a server error.
    before = state(app, reference)
    response = post_change(coordinator, reference, "agreement", **{**AGREEMENT, "given_on": blank})
    assert response.status_code == 422
    assert "Date de l’accord : Indiquez la date de l’accord." in response.get_data(as_text=True)
    assert state(app, reference) == before


@pytest.mark.parametrize("blank", BLANKS, ids=lambda blank: f"U+{ord(blank):04X}")
def test_a_withdrawal_dated_with_whitespace_only_is_refused_as_undated(
    app, coordinator, reference, blank
):
    # It reached the comparison with the agreement's date as None: a server error.
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    before = state(app, reference)
    action = f"agreement/{agreement_id(app)}/withdraw"
    response = post_change(coordinator, reference, action, withdrawn_on=blank)
    assert response.status_code == 422
    assert "pas été enregistré : Indiquez la date du retrait." in response.get_data(as_text=True)
    assert state(app, reference) == before
    # Around a date, the same whitespace is no more than a typing slip.
    response = post_change(coordinator, reference, action, withdrawn_on=f"{blank}2026-02-01{blank}")
    assert response.status_code == 303


def test_an_agreement_id_in_other_digits_is_not_found(app, coordinator, reference):
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    before = state(app, reference)
    number = str(agreement_id(app))
    for digits in ("٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "⁰¹²³⁴⁵⁶⁷⁸⁹"):
        other = number.translate(str.maketrans("0123456789", digits))
        action = f"agreement/{other}/withdraw"
        response = post_change(coordinator, reference, action, withdrawn_on="2026-02-01")
        assert response.status_code == 404, other
    assert state(app, reference) == before


def test_an_agreement_is_withdrawn_and_stays_listed(app, coordinator, users, reference):
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    number = agreement_id(app)
    action = f"agreement/{number}/withdraw"
    response = post_change(coordinator, reference, action, withdrawn_on="2026-02-01")
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        agreement = referral.agreements[0]
        assert agreement.withdrawn_on.isoformat() == "2026-02-01"
        assert agreement.withdrawn_by.email == users["coordinator"]
        assert not referral.has_agreement
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Sophie Martin" in html and "Retiré le 01/02/2026" in html
    # Once withdrawn, it is not withdrawn again.
    before = state(app, reference)
    response = post_change(coordinator, reference, action, withdrawn_on="2026-02-02")
    assert response.status_code == 422 and "déjà retiré" in response.get_data(as_text=True)
    assert state(app, reference) == before


def test_a_withdrawal_before_the_agreement_or_of_another_referral_is_refused(
    app, coordinator, reference
):
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    number = agreement_id(app)
    other = make_orientation(app)
    before = state(app, reference)
    early = post_change(
        coordinator, reference, f"agreement/{number}/withdraw", withdrawn_on="2025-12-31"
    )
    assert early.status_code == 422 and "avant" in early.get_data(as_text=True)
    response = post_change(
        coordinator, other, f"agreement/{number}/withdraw", withdrawn_on="2026-02-01"
    )
    assert response.status_code == 404
    assert post_change(coordinator, reference, "agreement/999/withdraw").status_code == 404
    huge = post_change(coordinator, reference, f"agreement/{10**20}/withdraw")
    assert huge.status_code == 404
    assert state(app, reference) == before


def test_accepted_needs_an_agreement_not_withdrawn(app, coordinator, reference):
    to_eps(coordinator, reference)
    before = state(app, reference)
    refused = post_change(coordinator, reference, status="accepted")
    assert refused.status_code == 422
    assert "sans l’accord d’au moins un représentant légal" in refused.get_data(as_text=True)
    assert state(app, reference) == before

    post_change(coordinator, reference, "agreement", **AGREEMENT)
    post_change(
        coordinator, reference, f"agreement/{agreement_id(app)}/withdraw", withdrawn_on="2026-02-01"
    )
    assert post_change(coordinator, reference, status="accepted").status_code == 422

    post_change(coordinator, reference, "agreement", **{**AGREEMENT, "guardian_name": "Marc"})
    assert post_change(coordinator, reference, status="accepted").status_code == 303
    assert state(app, reference)[0] == "accepted"


def test_the_queue_and_its_export_filter_on_the_agreement(app, coordinator):
    agreed, missing, withdrawn = (make_orientation(app) for _ in range(3))
    post_change(coordinator, agreed, "agreement", **AGREEMENT)
    post_change(coordinator, withdrawn, "agreement", **AGREEMENT)
    with app.app_context():
        number = db.session.scalars(select(Agreement.id).order_by(Agreement.id.desc())).first()
    post_change(coordinator, withdrawn, f"agreement/{number}/withdraw", withdrawn_on="2026-02-01")

    page = coordinator.get("/triage/").get_data(as_text=True)
    assert "Accord des parents" in page and "Reçu" in page and "Manquant" in page

    def listed(query: str) -> set[str]:
        html = coordinator.get(f"/triage/?{query}").get_data(as_text=True)
        return set(re.findall(r">(PRE-\d{4}-\d{5})<", html))

    def exported(query: str) -> set[str]:
        text = coordinator.get(f"/triage/export.csv?{query}").get_data(as_text=True)
        return {row["reference"] for row in csv.DictReader(io.StringIO(text))}

    assert listed("agreement=received") == exported("agreement=received") == {agreed}
    assert listed("agreement=missing") == exported("agreement=missing") == {missing, withdrawn}
    assert listed("agreement=bogus") == {agreed, missing, withdrawn}
    # The filter is carried into the export link.
    html = coordinator.get("/triage/?agreement=missing").get_data(as_text=True)
    assert "export.csv?agreement=missing" in html and 'value="missing" selected' in html


# --- Decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(REASONS))
@pytest.mark.parametrize("share", ["y", ""], ids=["shared", "not-shared"])
def test_a_decline_stores_its_reason_as_a_code(app, coordinator, reference, code, share):
    response = post_change(
        coordinator,
        reference,
        status="declined",
        reason=code,
        share_reason=share,
        comment="Précision." if code == "other" else "",
        confirm="y",
    )
    assert response.status_code == 303
    change = last_change(app)
    assert (change.to_status, change.reason, change.service, change.withdrawn_by) == (
        "declined",
        code,
        None,
        None,
    )
    assert change.share_reason is (share == "y")
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert str(REASONS[code]) in html


@pytest.mark.parametrize("code", sorted(SERVICES))
def test_a_redirection_stores_its_reason_and_service_as_codes(app, coordinator, reference, code):
    response = post_change(
        coordinator,
        reference,
        status="redirected",
        reason="mainstream_service",
        service=code,
        comment="Service précisé." if code == "other" else "",
        confirm="y",
    )
    assert response.status_code == 303
    change = last_change(app)
    assert (change.reason, change.service, change.share_reason) == (
        "mainstream_service",
        code,
        False,
    )


@pytest.mark.parametrize("code", sorted(WITHDRAWN_BY))
def test_a_withdrawal_stores_who_withdrew(app, coordinator, reference, code):
    response = post_change(
        coordinator, reference, status="withdrawn", withdrawn_by=code, reason="age", confirm="y"
    )
    assert response.status_code == 303
    change = last_change(app)
    # A code that does not belong to the decision is not kept.
    assert (change.to_status, change.withdrawn_by, change.reason) == ("withdrawn", code, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"status": "declined"}, "reason", "Choisissez le motif"),
        ({"status": "declined", "reason": "nope"}, "reason", "Choisissez le motif"),
        ({"status": "declined", "reason": "other"}, "comment", "Précisez le motif"),
        ({"status": "redirected", "reason": "age"}, "service", "Choisissez le service"),
        ({"status": "redirected", "reason": "age", "service": "other"}, "comment", "Précisez"),
        ({"status": "withdrawn", "withdrawn_by": "cousin"}, "withdrawn_by", "qui a retiré"),
    ],
    ids=["no-reason", "unknown-reason", "other-reason", "no-service", "other-service", "who"],
)
def test_an_incomplete_decision_is_refused_on_its_field(
    app, coordinator, reference, data, field, message
):
    before = state(app, reference)
    # Refused before the confirmation step, and with the confirmation alike.
    for confirm in ("", "y"):
        response = post_change(coordinator, reference, confirm=confirm, **data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html
        assert "Je confirme" not in html
    assert state(app, reference) == before


# --- Safer transitions ----------------------------------------------------------------------


def test_the_status_form_chooses_nothing_in_advance(coordinator, reference):
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    select_html = html.split('<select id="status" name="status"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option( selected)? value="">Choisissez un statut</option>', select_html)
    assert "selected" not in select_html


def test_a_final_status_is_asked_twice_and_nothing_changes_meanwhile(app, coordinator, reference):
    before = state(app, reference)
    data = {
        "status": "redirected",
        "reason": "mainstream_service",
        "service": "cmp",
        "share_reason": "y",
        "comment": 'Suivi "CMP" <Nord>\nà confirmer.',
    }
    response = post_change(coordinator, reference, **data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Je confirme : passer à « Orientée vers un autre service »" in html
    assert "Centre médico-psychologique" in html and "Oui, à la famille" in html
    assert state(app, reference) == before
    # The confirmation carries every field back, as typed; its button adds confirm=y.
    form = html.split('name="confirm" value="y"', 1)[0].rsplit("<form", 1)[1]
    carried = {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
    }
    assert {key: carried[key] for key in ("status", "reason", "service", "share_reason")} == {
        "status": "redirected",
        "reason": "mainstream_service",
        "service": "cmp",
        "share_reason": "y",
    }
    assert carried["comment"] == "Suivi &#34;CMP&#34; &lt;Nord&gt;\nà confirmer."
    assert VERSION_INPUT.search(form).group(1) == str(before[1])

    assert post_change(coordinator, reference, **data, confirm="y").status_code == 303
    change = last_change(app)
    assert (change.to_status, change.service, change.share_reason) == ("redirected", "cmp", True)
    assert change.comment == 'Suivi "CMP" <Nord>\nà confirmer.'


@pytest.mark.parametrize("target", ["in_review", "eps"])
def test_a_step_forward_is_not_asked_twice(app, coordinator, reference, target):
    if target == "eps":
        post_change(coordinator, reference, status="in_review")
    assert post_change(coordinator, reference, status=target).status_code == 303


@pytest.mark.parametrize(
    ("status", "data"),
    [
        ("declined", {"reason": "unreachable"}),
        ("redirected", {"reason": "mainstream_service", "service": "pmi"}),
        ("withdrawn", {"withdrawn_by": "family"}),
    ],
)
def test_a_decision_is_reopened_with_a_reason_in_the_history(
    app, coordinator, users, reference, status, data
):
    post_change(coordinator, reference, status=status, confirm="y", **data)
    before = state(app, reference)
    refused = post_change(coordinator, reference, status="in_review", comment=" ")
    assert refused.status_code == 422 and "rouvert" in refused.get_data(as_text=True)
    assert state(app, reference) == before

    response = post_change(
        coordinator, reference, status="in_review", comment="La famille a rappelé."
    )
    assert response.status_code == 303
    change = last_change(app)
    assert (change.from_status, change.to_status, change.comment) == (
        status,
        "in_review",
        "La famille a rappelé.",
    )
    assert (change.reason, change.service, change.withdrawn_by, change.share_reason) == (
        None,
        None,
        None,
        False,
    )
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    history = html.split('id="history-title"', 1)[1].split("</section>", 1)[0]
    assert "La famille a rappelé." in history and "→ En cours d’examen" in history


def test_closed_cannot_be_reopened(app, coordinator, reference):
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    for status in ("in_review", "eps", "accepted", "closed"):
        assert post_change(coordinator, reference, status=status, confirm="y").status_code == 303
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Rouvrir" not in html and "son statut ne change plus" in html
    response = post_change(coordinator, reference, status="in_review", comment="Erreur.")
    assert response.status_code == 422 and state(app, reference)[0] == "closed"


# --- Concurrent edits -----------------------------------------------------------------------


@pytest.fixture
def second(app, users):
    """Another coordinator, logged in from another client at the same time."""
    make_user(app, "coord2@testville.example")
    client = app.test_client()
    assert login(client, "coord2@testville.example").status_code == 303
    return client


def page_version(client, reference: str) -> str:
    return VERSION_INPUT.search(client.get(f"/triage/{reference}").get_data(as_text=True)).group(1)


STALE_CHANGES = {
    "status": ("status", {"status": "declined", "reason": "age", "confirm": "y"}),
    "note": ("notes", {"text": "Appel à la mère."}),
    "agreement": ("agreement", AGREEMENT),
    "withdrawal": ("agreement/{agreement}/withdraw", {"withdrawn_on": "2026-02-01"}),
}


@pytest.mark.parametrize("kind", STALE_CHANGES)
def test_a_change_on_a_stale_version_answers_409_and_keeps_nothing(
    app, coordinator, second, users, reference, kind
):
    post_change(coordinator, reference, "agreement", **AGREEMENT)
    number = agreement_id(app)
    # Both read the same version of the referral.
    seen_first, seen_second = page_version(coordinator, reference), page_version(second, reference)
    assert seen_first == seen_second
    # The first moves it on.
    response = coordinator.post(
        f"/triage/{reference}/status", data={"status": "in_review", "version": seen_first}
    )
    assert response.status_code == 303
    before = state(app, reference)

    action, data = STALE_CHANGES[kind]
    response = second.post(
        f"/triage/{reference}/{action.format(agreement=number)}",
        data={**data, "version": seen_second},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert re.search(
        r"Ce dossier a été modifié par coord@testville\.example à \d\d:\d\d, rechargez-le\.", html
    )
    assert state(app, reference) == before
    # The page shows the referral as it now stands, with forms carrying its current version.
    assert "En cours d’examen" in html
    assert VERSION_INPUT.search(html).group(1) == str(before[1])
    if kind == "note":
        # What was typed is shown again, not lost.
        assert "Appel à la mère.</textarea>" in html
    # Reloaded, the same change goes through.
    response = post_change(second, reference, action.format(agreement=number), **data)
    assert response.status_code == 303


@pytest.mark.parametrize("version", [None, "", "abc", "99"])
def test_a_change_without_the_current_version_is_refused(app, coordinator, reference, version):
    before = state(app, reference)
    data = (
        {"status": "in_review"} if version is None else {"status": "in_review", "version": version}
    )
    response = coordinator.post(f"/triage/{reference}/status", data=data)
    assert response.status_code == 409
    assert state(app, reference) == before


def test_a_change_committed_between_read_and_write_answers_409(
    app, coordinator, second, reference, monkeypatch
):
    """The version matched when the view read it, but someone else committed before our
    UPDATE: SQLAlchemy's version check (StaleDataError) becomes the same 409."""
    version = page_version(coordinator, reference)
    real_check = detail_views.check_version

    def check_then_race(referral, submitted):
        real_check(referral, submitted)
        # Another coordinator's change, committed in its own transaction, after our read.
        with Session(db.engine) as other:
            row = other.scalar(select(Referral).where(Referral.id == referral.id))
            row.urgent = True
            row.updated_by_id = other.scalar(
                select(User.id).where(User.email == "coord2@testville.example")
            )
            other.commit()

    monkeypatch.setattr(detail_views, "check_version", check_then_race)
    response = coordinator.post(
        f"/triage/{reference}/status", data={"status": "in_review", "version": version}
    )
    assert response.status_code == 409
    assert "modifié par coord2@testville.example" in response.get_data(as_text=True)
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.status == "new" and referral.urgent
        assert [c.to_status for c in referral.history] == ["new"]
