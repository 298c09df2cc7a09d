"""A child's page and its parcours through the staff routes: entry, référent, objectives,
actions, reviews, exit; the profile; stale versions, viewers, anonymous visitors, bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import (
    Objective,
    Parcours,
)
from intake.models.referral import Source
from intake.rules.clock import today
from tests.support.app import post_change
from tests.support.builders import child, get_referral, make_referral

AGREEMENT = {"guardian_name": "Sophie Martin", "given_on": "2026-01-05", "method": "phone"}
VERSION_INPUT = re.compile(r'name="version" type="hidden" value="(\d+)"')

# Free texts a viewer must never read: each recognisable.
OBJECTIVE_TEXT = "Relire chaque soir avec Zébulon"
ACTION_DETAIL = "Atelier Quasimodo du mercredi"
PARTNER = "Association Pélican Bleu"
REVIEW_SUMMARY = "Progrès nets selon Mme Xylophone"
EXIT_COMMENT = "Famille partie chez Oncle Wenceslas"
REFERENT_NAME = "Hortense Vaucanson"


def page_of(reference: str, position: int = 1) -> str:
    return f"/triage/{reference}/enfants/{position}"


def post_child(client, reference: str, action: str, position: int = 1, **data):
    """POST one of the child page's forms as the page would, with the version it shows."""
    page = client.get(page_of(reference, position)).get_data(as_text=True)
    found = VERSION_INPUT.search(page)
    data.setdefault("version", found.group(1) if found else "")
    return client.post(f"{page_of(reference, position)}/{action}", data=data)


def accept(client, reference: str, children: str | None = None) -> None:
    """Take the referral's children (or those numbered) to `accepted`, agreement first."""
    extra = {"children": children} if children else {}
    assert post_change(client, reference, "agreement", **AGREEMENT, **extra).status_code == 303
    for status in ("in_review", "eps", "accepted"):
        answer = post_change(client, reference, status=status, **extra)
        assert answer.status_code == 303, answer.get_data(as_text=True)


@pytest.fixture
def accepted(app, coordinator) -> str:
    """A referral of one child, accepted: its parcours open; the coordinator logged in."""
    reference = make_referral(app, Source.PROFESSIONAL)
    accept(coordinator, reference)
    return reference


@pytest.fixture
def siblings(app, coordinator) -> str:
    """Inès and Yanis, both accepted."""
    reference = make_referral(
        app,
        Source.PROFESSIONAL,
        children=[child("Inès", "Boukhari"), child("Yanis", "Boukhari", class_level="6e")],
    )
    accept(coordinator, reference)
    return reference


def parcours_of(reference: str, position: int = 1) -> Parcours:
    return get_referral(reference).child_at(position).parcours


ACTION = {
    "kind": "tutoring",
    "detail": ACTION_DETAIL,
    "mode": "individual",
    "partner": PARTNER,
    "started_on": "2026-01-12",
    "ended_on": "",
}
REVIEW = {"held_on": "2026-02-02", "kind": "eps", "summary": REVIEW_SUMMARY, "next_on": ""}


def fill_parcours(client, reference: str, position: int = 1) -> None:
    """A référent, an objective, an individual and a collective action (the territory's own
    kind), and a review planning the next."""
    ok = [
        post_child(client, reference, "referent", position, referent_id="", **EXTERNAL),
        post_child(client, reference, "objectifs", position, domain="school", text=OBJECTIVE_TEXT),
        post_child(client, reference, "actions", position, **ACTION),
        post_child(
            client,
            reference,
            "actions",
            position,
            **{**ACTION, "kind": "homework_club", "mode": "collective", "detail": ""},
        ),
        post_child(client, reference, "revues", position, **{**REVIEW, "next_on": "2026-06-01"}),
    ]
    assert [answer.status_code for answer in ok] == [303] * 5, [
        a.get_data(as_text=True) for a in ok if a.status_code != 303
    ]


EXTERNAL = {"referent_name": REFERENT_NAME, "referent_organisation": "CMPP de Testville"}


def test_the_referral_page_links_each_child_to_its_page(app, coordinator, siblings):
    page = coordinator.get(f"/triage/{siblings}").get_data(as_text=True)
    assert f'href="/triage/{siblings}/enfants/1">Parcours de Inès' in page
    assert f'href="/triage/{siblings}/enfants/2">Parcours de Yanis' in page


def test_a_parcours_from_entry_through_actions_objectives_and_a_review(app, coordinator, accepted):
    fill_parcours(coordinator, accepted)
    with app.app_context():
        parcours = parcours_of(accepted)
        assert parcours.entered_on == today()
        assert (parcours.referent_id, parcours.referent_name) == (None, REFERENT_NAME)
        assert [(o.domain, o.text) for o in parcours.objectives] == [("school", OBJECTIVE_TEXT)]
        assert [(a.kind, a.collective, a.partner) for a in parcours.actions] == [
            ("tutoring", False, PARTNER),
            ("homework_club", True, PARTNER),
        ]
        assert all(a.user_id is not None and a.at is not None for a in parcours.actions)
        (review,) = parcours.reviews
        assert (review.held_on, review.kind, review.next_on) == (
            date(2026, 2, 2),
            "eps",
            date(2026, 6, 1),
        )
        assert parcours.next_review_on == date(2026, 6, 1)
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    for text in (OBJECTIVE_TEXT, ACTION_DETAIL, PARTNER, REVIEW_SUMMARY, REFERENT_NAME):
        assert text in page
    assert "Club de devoirs" in page  # the territory's kind, by its name
    assert f"Entrée</dt><dd>{today().strftime('%d/%m/%Y')}" in page
    assert "Revue prévue le 01/06/2026" in page


def test_a_territory_kind_is_offered_before_other(app, coordinator, accepted):
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    add_form = page[page.index("Ajouter une action") :]
    assert add_form.index("Club de devoirs") < add_form.index("Autre action")
    assert add_form.index("Accès aux droits") < add_form.index("Club de devoirs")


@pytest.mark.parametrize(
    ("reason", "extra", "stored_service"),
    [
        ("goals_met", {}, None),
        ("moved_away", {}, None),
        ("age_limit", {}, None),
        ("family_ended", {}, None),
        ("handed_over", {"service": "cmp"}, "cmp"),
        ("other", {"comment": EXIT_COMMENT}, None),
    ],
)
def test_each_exit_reason_closes_the_child(
    app, coordinator, accepted, reason, extra, stored_service
):
    fill_parcours(coordinator, accepted)
    ended_on = today().isoformat()
    exit_ = {"ended_on": ended_on, "exit_reason": reason, **extra}
    asked = post_child(coordinator, accepted, "sortie", **exit_)
    # Without `confirm`: the page asks, nothing changes.
    assert asked.status_code == 200
    assert "Je confirme : terminer le parcours" in asked.get_data(as_text=True)
    with app.app_context():
        assert parcours_of(accepted).ended_on is None
        assert get_referral(accepted).children[0].status == "accepted"
    done = post_child(coordinator, accepted, "sortie", confirm="y", **exit_)
    assert done.status_code == 303
    with app.app_context():
        referral = get_referral(accepted)
        parcours = referral.children[0].parcours
        assert (parcours.ended_on, parcours.exit_reason, parcours.exit_service) == (
            today(),
            reason,
            stored_service,
        )
        assert parcours.ended_by_id is not None
        assert referral.children[0].status == "closed"
        assert referral.status == "closed"
        last = referral.history[-1]
        assert (last.from_status, last.to_status, last.child_id) == (
            "accepted",
            "closed",
            referral.children[0].id,
        )
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    assert "Ce parcours est terminé depuis le" in page
    assert "Ajouter une action" not in page


def test_a_sibling_still_supported_keeps_the_referral_open(app, coordinator, siblings):
    exit_ = {"ended_on": today().isoformat(), "exit_reason": "goals_met", "confirm": "y"}
    # The day typed the French way, as DayField reads it.
    french = {**exit_, "ended_on": today().strftime("%d/%m/%Y")}
    assert post_child(coordinator, siblings, "sortie", 2, **french).status_code == 303
    with app.app_context():
        referral = get_referral(siblings)
        assert [c.status for c in referral.children] == ["accepted", "closed"]
        assert referral.children[1].parcours.ended_on == today()
        assert referral.status == "accepted"
    assert post_child(coordinator, siblings, "sortie", 1, **exit_).status_code == 303
    with app.app_context():
        assert get_referral(siblings).status == "closed"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ended_on": "2000-01-01"}, "exit-ended_on", "avant d’avoir commencé"),
        ({"ended_on": "FUTURE"}, "exit-ended_on", "dans le futur"),
        ({"ended_on": "   "}, "exit-ended_on", "Indiquez la date de fin du parcours."),
        ({"ended_on": "٢٠٢٦-٠١-٠٢"}, "exit-ended_on", "Cette date n’est pas valide"),
        ({"exit_reason": "bored"}, "exit_reason", "choisissez-le dans la liste"),
        ({"exit_reason": "handed_over"}, "service", "Choisissez le service qui prend le relais."),
        ({"exit_reason": "handed_over", "service": "spa"}, "service", "choisissez-le dans"),
        ({"exit_reason": "other"}, "exit-comment", "Précisez le motif dans le commentaire."),
    ],
)
def test_a_refused_exit_names_its_field_and_changes_nothing(
    app, coordinator, accepted, data, field, message
):
    if data.get("ended_on") == "FUTURE":
        data = {**data, "ended_on": (today() + timedelta(days=1)).isoformat()}
    exit_ = {"ended_on": today().isoformat(), "exit_reason": "goals_met", "confirm": "y", **data}
    answer = post_child(coordinator, accepted, "sortie", **exit_)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert error is not None and message in error.group(1), page
    assert f'href="#{field}"' in page  # the summary links the field, named by its label
    with app.app_context():
        assert parcours_of(accepted).ended_on is None
        assert get_referral(accepted).children[0].status == "accepted"


def test_an_exit_is_refused_for_a_child_not_accepted(app, coordinator):
    reference = make_referral(app)
    answer = post_child(
        coordinator, reference, "sortie", ended_on=today().isoformat(), exit_reason="goals_met"
    )
    assert answer.status_code == 422
    assert "Seul le parcours en cours" in answer.get_data(as_text=True)
    with app.app_context():
        assert get_referral(reference).children[0].status == "new"


def test_a_child_without_parcours_says_so_and_takes_its_profile(app, coordinator):
    reference = make_referral(app)
    page = coordinator.get(page_of(reference)).get_data(as_text=True)
    assert "Pas encore de parcours" in page
    assert "Nouvelle" in page
    assert post_child(coordinator, reference, "profil", sex="F").status_code == 303
    with app.app_context():
        assert get_referral(reference).children[0].sex == "F"
    # The parcours' forms are refused: there is none.
    answer = post_child(coordinator, reference, "objectifs", domain="school", text="Lire")
    assert answer.status_code == 422
    assert "pas de parcours" in answer.get_data(as_text=True)


@pytest.mark.parametrize(("sent", "stored"), [("F", "F"), ("M", "M"), ("", ""), ("  ", "")])
def test_profile_sex_values(app, coordinator, accepted, sent, stored):
    with app.app_context():
        get_referral(accepted).children[0].sex = "M" if stored != "M" else "F"
        db.session.commit()
    assert post_child(coordinator, accepted, "profil", sex=sent).status_code == 303
    with app.app_context():
        referral = get_referral(accepted)
        assert referral.children[0].sex == stored
        correction = referral.corrections[-1]
        assert correction.fields == ["children.0.sex"]
        assert correction.current == {"children.0.sex": stored}


@pytest.mark.parametrize("sent", ["X", "f", "Femme", "F,M"])
def test_profile_refuses_other_values(app, coordinator, accepted, sent):
    answer = post_child(coordinator, accepted, "profil", sex=sent)
    assert answer.status_code == 422
    assert "Sexe : choisissez fille, garçon ou non renseigné." in answer.get_data(as_text=True)
    with app.app_context():
        assert get_referral(accepted).children[0].sex == ""


def test_the_profile_works_on_a_closed_child(app, coordinator, accepted):
    exit_ = {"ended_on": today().isoformat(), "exit_reason": "goals_met", "confirm": "y"}
    assert post_child(coordinator, accepted, "sortie", **exit_).status_code == 303
    assert post_child(coordinator, accepted, "profil", sex="M").status_code == 303
    with app.app_context():
        assert get_referral(accepted).children[0].sex == "M"


# --- Corrections kept -------------------------------------------------------------------------


def test_an_action_ended_and_corrected_keeps_what_it_held(app, coordinator, accepted):
    fill_parcours(coordinator, accepted)
    answer = post_child(
        coordinator,
        accepted,
        "actions/1",
        **{**ACTION, "ended_on": "2026-03-01"},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    with app.app_context():
        referral = get_referral(accepted)
        assert referral.children[0].parcours.actions[0].ended_on == date(2026, 3, 1)
        correction = referral.corrections[-1]
        assert correction.fields == ["parcours.1.action.1.ended_on"]
        assert correction.previous == {"parcours.1.action.1.ended_on": None}
        assert correction.current == {"parcours.1.action.1.ended_on": "2026-03-01"}
        assert correction.user_id is not None
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    assert "Action 1 – Fin : — → 01/03/2026" in page
    # The referral's page lists it too, in words, the child named by its number.
    detail = coordinator.get(f"/triage/{accepted}").get_data(as_text=True)
    assert "Enfant 1 – Action 1 – Fin" in detail and "parcours.1.action" not in detail
    assert "01/03/2026" in detail


def test_an_objective_edited_then_removed_keeps_its_texts(app, coordinator, accepted):
    fill_parcours(coordinator, accepted)
    assert (
        post_child(coordinator, accepted, "objectifs/school", text="Lire seul").status_code == 303
    )
    assert post_child(coordinator, accepted, "objectifs/school/retrait").status_code == 303
    with app.app_context():
        referral = get_referral(accepted)
        assert referral.children[0].parcours.objectives == []
        edited, removed = referral.corrections[-2:]
        key = "parcours.1.objective.school.text"
        assert (edited.previous[key], edited.current[key]) == (OBJECTIVE_TEXT, "Lire seul")
        assert (removed.previous[key], removed.current[key]) == ("Lire seul", None)
    # Gone, it can be added again.
    answer = post_child(coordinator, accepted, "objectifs", domain="school", text="Relire")
    assert answer.status_code == 303


def test_one_objective_per_domain(app, coordinator, accepted):
    fill_parcours(coordinator, accepted)
    answer = post_child(coordinator, accepted, "objectifs", domain="school", text="Encore")
    assert answer.status_code == 422
    assert "Ce domaine a déjà un objectif" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Objective)) == 1


def test_the_referent_is_an_account_or_an_outside_person(app, coordinator, accepted, users):
    with app.app_context():
        from intake.models import User

        coordinator_id = db.session.scalar(
            select(User.id).where(User.email == users["coordinator"])
        )
        viewer_id = db.session.scalar(select(User.id).where(User.email == users["viewer"]))
    both = post_child(
        coordinator, accepted, "referent", referent_id=str(coordinator_id), **EXTERNAL
    )
    assert both.status_code == 422
    assert "pas les deux" in both.get_data(as_text=True)
    a_viewer = post_child(coordinator, accepted, "referent", referent_id=str(viewer_id))
    assert a_viewer.status_code == 422
    no_org = post_child(coordinator, accepted, "referent", referent_name=REFERENT_NAME)
    assert no_org.status_code == 422
    assert 'id="referent_organisation-error"' in no_org.get_data(as_text=True)
    assert post_child(coordinator, accepted, "referent", **EXTERNAL).status_code == 303
    assert (
        post_child(coordinator, accepted, "referent", referent_id=str(coordinator_id)).status_code
        == 303
    )
    with app.app_context():
        parcours = parcours_of(accepted)
        assert (parcours.referent_id, parcours.referent_name) == (coordinator_id, "")
        last = get_referral(accepted).corrections[-1]
        assert last.previous["parcours.1.referent.name"] == REFERENT_NAME
        assert last.current["parcours.1.referent.account"] == users["coordinator"]


# --- Reviews due ------------------------------------------------------------------------------


def test_a_review_planned_in_the_past_is_late(app, coordinator, accepted):
    held = today() - timedelta(days=30)
    review = {
        **REVIEW,
        "held_on": held.isoformat(),
        "next_on": (held + timedelta(days=7)).isoformat(),
    }
    assert post_child(coordinator, accepted, "revues", **review).status_code == 303
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    assert "(en retard)" in page
    later = {**REVIEW, "held_on": today().isoformat(), "next_on": "2099-01-01"}
    # 2099 is years ahead: a slip of the year.
    assert post_child(coordinator, accepted, "revues", **later).status_code == 422
    later["next_on"] = (today() + timedelta(days=60)).isoformat()
    assert post_child(coordinator, accepted, "revues", **later).status_code == 303
    page = coordinator.get(page_of(accepted)).get_data(as_text=True)
    assert "(en retard)" not in page
    with app.app_context():
        assert parcours_of(accepted).next_review_on == today() + timedelta(days=60)
        assert [r.number for r in parcours_of(accepted).reviews] == [1, 2]


# --- Bad input: the field named, 422, nothing stored ------------------------------------------

BAD_INPUT = [
    ("actions", {**ACTION, "kind": "astrology"}, "kind", "Choisissez le type d’action"),
    ("actions", {**ACTION, "kind": ""}, "kind", "Choisissez le type d’action"),
    ("actions", {**ACTION, "kind": "other", "detail": " "}, "detail", "Précisez de quelle"),
    ("actions", {**ACTION, "mode": "both"}, "mode", "individuelle ou collective"),
    ("actions", {**ACTION, "started_on": "  "}, "started_on", "Indiquez la date de début"),
    ("actions", {**ACTION, "started_on": "١٢/٠١/٢٠٢٦"}, "started_on", "pas valide"),
    ("actions", {**ACTION, "started_on": "31/02/2026"}, "started_on", "pas valide"),
    ("actions", {**ACTION, "ended_on": "2026-01-11"}, "ended_on", "avant d’avoir commencé"),
    ("actions", {**ACTION, "partner": "x" * 201}, "partner", "200 caractères"),
    ("objectifs", {"domain": "weather", "text": "Lire"}, "objective-domain", "Domaine"),
    ("objectifs", {"domain": "school", "text": "   "}, "objective-text", "Écrivez l’objectif."),
    ("objectifs", {"domain": "school", "text": "x" * 501}, "objective-text", "500 caractères"),
    ("revues", {**REVIEW, "kind": "court"}, "review-kind", "Choisissez qui a fait la revue."),
    ("revues", {**REVIEW, "held_on": " "}, "held_on", "Indiquez la date de la revue."),
    ("revues", {**REVIEW, "held_on": "2999-01-01"}, "held_on", "dans le futur"),
    ("revues", {**REVIEW, "summary": ""}, "summary", "Résumez la revue."),
    ("revues", {**REVIEW, "next_on": "2026-02-02"}, "next_on", "après celle-ci"),
    ("revues", {**REVIEW, "next_on": "demain"}, "next_on", "pas valide"),
    ("referent", {"referent_id": "999999"}, "referent_id", "Choisissez un membre"),
    ("referent", {"referent_id": "٣"}, "referent_id", "Choisissez un membre"),
    ("referent", {}, "referent_name", "indiquez le nom du référent"),
]


@pytest.mark.parametrize(
    ("action", "data", "field", "message"),
    BAD_INPUT,
    ids=[f"{action}-{field}-{i}" for i, (action, _d, field, _m) in enumerate(BAD_INPUT)],
)
def test_bad_input_names_its_field_and_stores_nothing(
    app, coordinator, accepted, action, data, field, message
):
    with app.app_context():
        corrections = len(get_referral(accepted).corrections)
    answer = post_child(coordinator, accepted, action, **data)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert error is not None and message in error.group(1), page
    # The summary names the field by its label and links to it.
    assert f'<li><a href="#{field}">' in page
    with app.app_context():
        referral = get_referral(accepted)
        parcours = referral.children[0].parcours
        assert (parcours.objectives, parcours.actions, parcours.reviews) == ([], [], [])
        assert (parcours.referent_id, parcours.referent_name) == (None, "")
        assert len(referral.corrections) == corrections


# --- Stale versions, viewers, anonymous visitors, missing children ----------------------------

# Every form of the page: its address (after /enfants/1/) and valid data.
FORMS = [
    ("profil", {"sex": "F"}),
    ("referent", {"referent_name": "Gaspard Monge", "referent_organisation": "CMP"}),
    ("objectifs", {"domain": "health", "text": "Voir l’orthophoniste"}),
    ("objectifs/school", {"text": "Lire seul"}),
    ("objectifs/school/retrait", {}),
    ("actions", ACTION),
    (
        "actions/1",
        ACTION | {"ended_on": "2026-02-01"},
    ),
    ("revues", REVIEW),
    ("sortie", {"ended_on": "today", "exit_reason": "goals_met", "confirm": "y"}),
]


def dated(data: dict) -> dict:
    return {k: today().isoformat() if v == "today" else v for k, v in data.items()}


def snapshot(app, reference: str) -> tuple:
    with app.app_context():
        referral = get_referral(reference)
        parcours = referral.children[0].parcours
        return (
            referral.version,
            referral.children[0].sex,
            referral.children[0].status,
            parcours.referent_name,
            [(o.domain, o.text) for o in parcours.objectives],
            [(a.kind, a.ended_on) for a in parcours.actions],
            len(parcours.reviews),
            parcours.ended_on,
            len(referral.corrections),
            len(referral.history),
        )


@pytest.fixture
def filled(app, coordinator, accepted) -> str:
    fill_parcours(coordinator, accepted)
    return accepted


@pytest.mark.parametrize(("action", "data"), FORMS, ids=[f[0] for f in FORMS])
def test_every_form_works_with_the_version_read(app, coordinator, filled, action, data):
    before = snapshot(app, filled)
    answer = post_child(coordinator, filled, action, **dated(data))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    after = snapshot(app, filled)
    assert after[0] > before[0]  # the referral was touched
    assert after[1:] != before[1:]


@pytest.mark.parametrize(("action", "data"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize("version", ["1", "", "abc", "٣"])
def test_every_form_answers_409_to_a_stale_version(app, coordinator, filled, action, data, version):
    before = snapshot(app, filled)
    answer = coordinator.post(
        f"{page_of(filled)}/{action}", data={**dated(data), "version": version}
    )
    assert answer.status_code == 409
    assert "Votre modification n’a pas été enregistrée" in answer.get_data(as_text=True)
    assert "coord@testville.example" in answer.get_data(as_text=True)
    assert snapshot(app, filled) == before


@pytest.mark.parametrize(("action", "data"), FORMS, ids=[f[0] for f in FORMS])
def test_viewers_may_not_post(app, client, users, filled, action, data):
    from tests.support.app import login

    client.post("/deconnexion")
    assert login(client, users["viewer"]).status_code == 303
    before = snapshot(app, filled)
    answer = post_child(client, filled, action, **dated(data))
    assert answer.status_code == 403
    assert snapshot(app, filled) == before


def test_viewers_read_the_page_without_free_text(app, client, users, filled, coordinator):
    exit_ = {"ended_on": today().isoformat(), "exit_reason": "other", "comment": EXIT_COMMENT}
    assert post_child(coordinator, filled, "sortie", confirm="y", **exit_).status_code == 303
    # An action corrected: its old detail kept in a correction, shown to coordinators only.
    coordinator_page = coordinator.get(page_of(filled)).get_data(as_text=True)
    for text in (OBJECTIVE_TEXT, ACTION_DETAIL, PARTNER, REVIEW_SUMMARY, EXIT_COMMENT):
        assert text in coordinator_page
    coordinator.post("/deconnexion")
    from tests.support.app import login

    assert login(client, users["viewer"]).status_code == 303
    page = client.get(page_of(filled)).get_data(as_text=True)
    for text in (
        OBJECTIVE_TEXT,
        ACTION_DETAIL,
        PARTNER,
        REVIEW_SUMMARY,
        EXIT_COMMENT,
        REFERENT_NAME,
        "CMPP de Testville",
    ):
        assert text not in page
    # Codes and dates are there; no form is.
    assert "Scolarité, apprentissages" in page and "Soutien scolaire" in page
    assert "Autre motif" in page and "02/02/2026" in page
    assert '<form method="post" action="/triage/' not in page


def test_viewers_see_no_free_text_in_the_corrections(app, client, users, filled, coordinator):
    edited = {"text": "Lire avec Barnabé"}
    assert post_child(coordinator, filled, "objectifs/school", **edited).status_code == 303
    from tests.support.app import login

    coordinator.post("/deconnexion")
    assert login(client, users["viewer"]).status_code == 303
    page = client.get(page_of(filled)).get_data(as_text=True)
    assert "Objectif – Scolarité, apprentissages" in page
    assert "Barnabé" not in page and OBJECTIVE_TEXT not in page


@pytest.mark.parametrize(("action", "data"), [("", None), *FORMS])
def test_anonymous_visitors_are_sent_to_log_in(app, client, action, data):
    reference = make_referral(app)
    path = page_of(reference) + (f"/{action}" if action else "")
    answer = client.get(path) if data is None else client.post(path, data=dated(data))
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("path", ["5", "2", "0", "99999999999", "1/actions/7"])
def test_no_such_child_is_404(app, coordinator, accepted, path):
    answer = coordinator.get(f"/triage/{accepted}/enfants/{path}")
    if "/" in path:
        answer = coordinator.post(f"/triage/{accepted}/enfants/{path}", data={"version": "9"})
    assert answer.status_code == 404


def test_no_such_referral_is_404(app, coordinator):
    assert coordinator.get("/triage/PRE-2026-99999/enfants/1").status_code == 404


@pytest.mark.parametrize(
    ("action", "data"), [f for f in FORMS if f[0] != "profil"], ids=[f[0] for f in FORMS[1:]]
)
def test_an_ended_parcours_takes_no_more_changes(app, coordinator, filled, action, data):
    exit_ = {"ended_on": today().isoformat(), "exit_reason": "goals_met", "confirm": "y"}
    assert post_child(coordinator, filled, "sortie", **exit_).status_code == 303
    before = snapshot(app, filled)
    answer = post_child(coordinator, filled, action, **dated(data))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "La modification n’a pas été enregistrée" in page
    assert "terminé" in page
    assert snapshot(app, filled) == before
