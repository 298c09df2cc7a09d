"""EPS meetings: creation, the agenda and its order, decisions, print-outs, who may do what,
and the read log. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from intake.extensions import db
from intake.meetings.operations import fiche_reason, initial, parse_attendees
from intake.models import (
    AgendaItem,
    Meeting,
    OutboxMessage,
    ReadEvent,
    ReadReferral,
    Referral,
    Source,
    StatusChange,
    User,
)
from intake.rules.ages import age_on
from intake.rules.clock import today as paris_today
from intake.triage.audit import ReadKind
from tests.support.app import PASSWORD, login, post_change
from tests.support.builders import make_meeting
from tests.support.meetings import GUARDIAN, REFERRER, child, items, load, make_referral

MEETING_VERSION = re.compile(r'name="version" value="(\d+)"')
FORM_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def meeting_version(client, meeting_id: int) -> str:
    page = client.get(f"/triage/reunions/{meeting_id}").get_data(as_text=True)
    return FORM_VERSION.search(page).group(1)


def add(client, meeting_id: int, reference: str, version: str | None = None):
    version = version or meeting_version(client, meeting_id)
    return client.post(
        f"/triage/reunions/{meeting_id}/points", data={"reference": reference, "version": version}
    )


def item_id(app, meeting_id: int, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(AgendaItem.id)
            .join(Referral, AgendaItem.referral_id == Referral.id)
            .where(AgendaItem.meeting_id == meeting_id, Referral.reference == reference)
        )


def decide(client, app, meeting_id: int, reference: str, **data):
    item = item_id(app, meeting_id, reference)
    data.setdefault("version", meeting_version(client, meeting_id))
    return client.post(f"/triage/reunions/{meeting_id}/points/{item}/decision", data=data)


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- Pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marie Durand — Éducation nationale", [("Marie Durand", "Éducation nationale")]),
        ("Marie Durand, Éducation nationale", [("Marie Durand", "Éducation nationale")]),
        (
            "Jean-Paul Roy - CCAS\n\n  Ana Lé – PMI  ",
            [("Jean-Paul Roy", "CCAS"), ("Ana Lé", "PMI")],
        ),
        ("Jean-Paul Roy-CCAS", None),
        ("Marie Durand", None),
        ("— CCAS", None),
    ],
    ids=["em-dash", "comma", "hyphen-en-dash-blank-lines", "hyphen-in-name", "no-org", "no-name"],
)
def test_attendees_are_read_one_a_line(app, text, expected):
    with app.test_request_context():
        if expected is None:
            with pytest.raises(ValueError, match="Ligne"):
                parse_attendees(text)
        else:
            parsed = parse_attendees(text)
            assert [(a["name"], a["organisation"]) for a in parsed] == expected


@pytest.mark.parametrize(
    ("birth", "day", "years"),
    [
        (date(2016, 5, 4), date(2026, 5, 3), 9),
        (date(2016, 5, 4), date(2026, 5, 4), 10),
        (date(2016, 2, 29), date(2026, 2, 28), 9),
        (date(2016, 2, 29), date(2026, 3, 1), 10),
    ],
    ids=["eve-of-birthday", "birthday", "leap-eve", "leap-after"],
)
def test_age_in_whole_years(birth, day, years):
    assert age_on(birth, day) == years


def test_initial_is_the_first_letter_in_capitals():
    assert initial("Bouchareb") == "B."
    assert initial("d’Almeida") == "D."
    assert initial("") == ""


def test_fiche_reasons_never_quote_the_address(app):
    reason = {
        "code": "residence_outside_qpv",
        "template": "Domicile : code postal %(postcode)s à %(commune)s, hors des rues.",
        "params": {"postcode": "62998", "commune": "Autreville"},
    }
    with app.test_request_context():
        text = fiche_reason(reason)
    assert "62998" not in text and "Autreville" not in text and text.startswith("Domicile")


# --- Creating a meeting ---------------------------------------------------------------------------


def test_a_meeting_is_created_in_paris_time_and_stored_in_utc(app, coordinator):
    response = coordinator.post(
        "/triage/reunions/nouvelle",
        data={
            "day": "2027-06-15",
            "start": "14h30",
            "place": "Centre social, salle 1",
            "attendees": "Marie Durand — Éducation nationale\nPaul Roy, Service social",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        # 14:30 in Paris in June (summer time, UTC+2).
        assert meeting.starts_at == datetime(2027, 6, 15, 12, 30, tzinfo=UTC)
        assert meeting.place == "Centre social, salle 1"
        assert meeting.attendees == [
            {"name": "Marie Durand", "organisation": "Éducation nationale"},
            {"name": "Paul Roy", "organisation": "Service social"},
        ]
        assert meeting.created_by.email == "coord@testville.example"
        assert response.location.endswith(f"/triage/reunions/{meeting.id}")
    page = text_of(coordinator.get(response.location))
    assert "15/06/2027 à 14:30" in page and "Paul Roy — Service social" in page


def test_an_invalid_meeting_answers_422_naming_each_field_and_keeps_what_was_typed(
    app, coordinator
):
    response = coordinator.post(
        "/triage/reunions/nouvelle",
        data={"day": "31/02/2027", "start": "25h", "place": "", "attendees": "Marie Durand"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Date de la réunion : Cette date n’est pas valide" in page
    assert "Heure de début : Cette heure n’est pas valide" in page
    assert "Lieu : Indiquez le lieu de la réunion." in page
    assert "Participants : Ligne 1 : écrivez le nom puis l’organisation" in page
    assert 'value="31/02/2027"' in page and 'value="25h"' in page
    assert "Marie Durand</textarea>" in page
    response = coordinator.post("/triage/reunions/nouvelle", data={})
    assert response.status_code == 422
    assert "Indiquez la date de la réunion." in text_of(response)
    assert "Indiquez au moins un participant." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0


# Whitespace a date or a time may hold alone: spaces of several scripts, a tab, a line
# separator and the byte order mark (the whole family is in tests/forms/test_blanks.py).
BLANKS = [" ", "\t", "\u00a0", "\u3000", "\u2028", "\ufeff"]
MEETING = {
    "day": "2027-06-15",
    "start": "14:30",
    "place": "Centre social, salle 1",
    "attendees": "Marie Durand — Éducation nationale",
}


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("day", "Date de la réunion : Indiquez la date de la réunion."),
        ("start", "Heure de début : Indiquez l’heure de début de la réunion."),
    ],
    ids=["day", "start"],
)
@pytest.mark.parametrize("blank", BLANKS, ids=lambda blank: f"U+{ord(blank):04X}")
def test_a_day_or_start_of_whitespace_only_is_missing(app, coordinator, field, message, blank):
    # Either passed InputRequired, then reached datetime.combine() as None: a server error.
    response = coordinator.post("/triage/reunions/nouvelle", data={**MEETING, field: blank})
    assert response.status_code == 422
    assert message in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
    # Around a value, the same whitespace is no more than a typing slip.
    padded = {**MEETING, field: f"{blank}{MEETING[field]}{blank}"}
    assert coordinator.post("/triage/reunions/nouvelle", data=padded).status_code == 303


def test_the_list_shows_coming_meetings_first_then_past_ones(app, coordinator):
    now = datetime.now(UTC)
    make_meeting(app, now - timedelta(days=30), place="Ancienne réunion")
    make_meeting(app, now + timedelta(days=40), place="Réunion lointaine")
    make_meeting(app, now - timedelta(days=3), place="Réunion récente")
    make_meeting(app, now + timedelta(days=5), place="Réunion prochaine")
    page = text_of(coordinator.get("/triage/reunions/"))
    order = [
        page.index(place)
        for place in (
            "Réunion prochaine",
            "Réunion lointaine",
            "Réunions passées",
            "Réunion récente",
            "Ancienne réunion",
        )
    ]
    assert order == sorted(order)
    # The staff navigation leads here.
    assert 'href="/triage/reunions/">Réunions EPS</a>' in text_of(coordinator.get("/triage/"))


# --- The agenda -----------------------------------------------------------------------------------


def test_adding_a_referral_in_review_moves_it_to_eps_with_a_history_entry(app, coordinator):
    reference = make_referral(app, "in_review")
    meeting = make_meeting(app)
    response = add(coordinator, meeting, reference.lower())  # typed in lower case
    assert response.status_code == 303
    assert load(app, reference) == ("eps", ["new", "eps"])
    assert items(app, meeting) == [(reference, None)]
    with app.app_context():
        change = db.session.scalar(select(StatusChange).where(StatusChange.to_status == "eps"))
        assert change.from_status == "in_review" and change.user.email == "coord@testville.example"
        assert "Inscrite à l’ordre du jour de la réunion EPS du" in change.comment
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}"))
    assert f'href="/triage/{reference}">{reference}</a>' in page
    assert "Inès B." in page and "Bouchareb" not in page
    assert "À l’ordre du jour de l’EPS" in page


def test_a_referral_already_eps_is_added_without_a_new_status_change(app, coordinator):
    reference = make_referral(app, "eps")
    meeting = make_meeting(app)
    assert add(coordinator, meeting, reference).status_code == 303
    assert load(app, reference) == ("eps", ["new"])
    # Twice on the same agenda: refused.
    response = add(coordinator, meeting, reference)
    assert response.status_code == 422
    assert "est déjà à l’ordre du jour de cette réunion" in text_of(response)
    assert items(app, meeting) == [(reference, None)]


@pytest.mark.parametrize("status", ["new", "closed", "accepted", "declined"])
def test_adding_is_refused_from_other_statuses_and_changes_nothing(app, coordinator, status):
    reference = make_referral(app, status)
    meeting = make_meeting(app)
    response = add(coordinator, meeting, reference)
    assert response.status_code == 422
    assert f"{reference} doit d’abord être « en cours d’examen »" in text_of(response)
    assert f'value="{reference}"' in text_of(response)  # kept as typed
    assert load(app, reference) == (status, ["new"])
    assert items(app, meeting) == []


def test_an_unknown_reference_is_a_clear_error(app, coordinator):
    meeting = make_meeting(app)
    response = add(coordinator, meeting, "PRE-2026-99999")
    assert response.status_code == 422
    assert "Aucun dossier ne porte la référence PRE-2026-99999." in text_of(response)
    response = add(coordinator, meeting, "")
    assert response.status_code == 422
    assert "Indiquez la référence du dossier" in text_of(response)


@pytest.mark.parametrize(
    "typed",
    ["{reference}", "{lower}", "{year}-{number:05d}", "{year}-{number}", "{number:05d}",
     "{number}", "  {number}  ", " {year}-{number} "],
)  # fmt: skip
def test_the_agenda_takes_a_reference_as_people_say_it(app, coordinator, typed):
    """The short number is what people say at a meeting: "la 2", "2026-2"."""
    reference = make_referral(app, "in_review")
    _, year, number = reference.split("-")
    meeting = make_meeting(app)
    said = typed.format(reference=reference, lower=reference.lower(), year=year, number=int(number))
    response = add(coordinator, meeting, said)
    assert response.status_code == 303, text_of(response)
    assert items(app, meeting) == [(reference, None)]


def test_an_unknown_short_reference_is_named_in_full(app, coordinator):
    make_referral(app, "in_review")
    meeting = make_meeting(app)
    response = add(coordinator, meeting, " 4 ")
    assert response.status_code == 422
    year = paris_today().year
    assert f"Aucun dossier ne porte la référence PRE-{year}-00004." in text_of(response)
    # What does not read as a reference says how one is written, and is kept as typed.
    response = add(coordinator, meeting, "Bouchareb")
    assert response.status_code == 422
    page = text_of(response)
    assert "Une référence s’écrit PRE-2026-00042, ou 2026-42, ou 42 pour cette année." in page
    assert 'value="Bouchareb"' in page
    # Too long: the length's message alone, not a second one saying the same.
    page = text_of(add(coordinator, meeting, "2" * 41))
    assert "Une référence s’écrit PRE-2026-00042." in page
    assert "Une référence s’écrit PRE-2026-00042, ou" not in page
    assert items(app, meeting) == []


def test_a_number_alone_is_this_years_in_paris(app, client, users):
    """At 00:40 on 1 January in Paris it is still 31 December in UTC: "1" is 2027's first
    referral, not 2026's."""
    last_year = make_referral(app, "in_review", received_at=datetime(2026, 12, 31, 11, tzinfo=UTC))
    # 00:30 in Paris on 1 January 2027.
    this_year = make_referral(
        app, "in_review", received_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    assert (last_year, this_year) == ("PRE-2026-00001", "PRE-2027-00001")
    with time_machine.travel(datetime(2026, 12, 31, 23, 40, tzinfo=UTC), tick=False):
        assert login(client, users["coordinator"]).status_code == 303
        meeting = make_meeting(app)
        assert add(client, meeting, "1").status_code == 303
    assert items(app, meeting) == [("PRE-2027-00001", None)]


def test_the_agenda_is_reordered_by_buttons(app, coordinator):
    meeting = make_meeting(app)
    first, second, third = (make_referral(app) for _ in range(3))
    for reference in (first, second, third):
        assert add(coordinator, meeting, reference).status_code == 303

    def move(reference, direction):
        item = item_id(app, meeting, reference)
        return coordinator.post(
            f"/triage/reunions/{meeting}/points/{item}/deplacer",
            data={"direction": direction, "version": meeting_version(coordinator, meeting)},
        )

    assert move(third, "up").status_code == 303
    assert [r for r, _ in items(app, meeting)] == [first, third, second]
    assert move(first, "down").status_code == 303
    assert [r for r, _ in items(app, meeting)] == [third, first, second]
    # At the top already: nothing moves.
    assert move(third, "up").status_code == 303
    assert [r for r, _ in items(app, meeting)] == [third, first, second]
    assert move(third, "sideways").status_code == 400
    with app.app_context():
        positions = db.session.scalars(
            select(AgendaItem.position).where(AgendaItem.meeting_id == meeting)
        ).all()
        assert sorted(positions) == [0, 1, 2]


def test_removing_an_item_keeps_the_referral_eps_and_a_decided_one_stays(app, coordinator):
    meeting = make_meeting(app)
    kept, removed = make_referral(app), make_referral(app)
    add(coordinator, meeting, kept)
    add(coordinator, meeting, removed)
    item = item_id(app, meeting, removed)
    response = coordinator.post(
        f"/triage/reunions/{meeting}/points/{item}/retirer",
        data={"version": meeting_version(coordinator, meeting)},
    )
    assert response.status_code == 303
    assert items(app, meeting) == [(kept, None)]
    assert load(app, removed)[0] == "eps"
    page = text_of(coordinator.get(response.location))
    assert f"{removed} retiré de l’ordre du jour ; son statut n’a pas changé." in page
    # Once decided, an item stays: it is the meeting's record.
    assert decide(coordinator, app, meeting, kept, status="postponed").status_code == 303
    item = item_id(app, meeting, kept)
    coordinator.post(
        f"/triage/reunions/{meeting}/points/{item}/retirer",
        data={"version": meeting_version(coordinator, meeting)},
    )
    assert items(app, meeting) == [(kept, "postponed")]


# --- Decisions ------------------------------------------------------------------------------------


def test_accepted_needs_the_parents_agreement_first(app, coordinator):
    reference = make_referral(app)
    meeting = make_meeting(app)
    add(coordinator, meeting, reference)
    response = decide(coordinator, app, meeting, reference, status="accepted", minute="Accord")
    assert response.status_code == 422
    assert "sans l’accord d’au moins un représentant légal" in text_of(response)
    assert load(app, reference)[0] == "eps"
    assert items(app, meeting) == [(reference, None)]

    agreement = post_change(
        coordinator,
        reference,
        "agreement",
        guardian_name="Yasmina Quellec",
        given_on=date.today().isoformat(),
        method="signed_form",
    )
    assert agreement.status_code == 303
    response = decide(
        coordinator, app, meeting, reference, status="accepted", minute="Parcours lecture."
    )
    assert response.status_code == 303
    assert load(app, reference) == ("accepted", ["new", "eps", "accepted"])
    with app.app_context():
        item = db.session.scalar(select(AgendaItem))
        assert item.decision == "accepted" and item.minute == "Parcours lecture."
        assert item.status_change.to_status == "accepted"
        assert item.status_change.comment == "Parcours lecture."
        assert item.decided_by.email == "coord@testville.example"
        assert item.decided_at is not None
    # Decided: a second decision is refused.
    again = decide(coordinator, app, meeting, reference, status="postponed")
    assert again.status_code == 422
    assert "déjà enregistrée" in text_of(again)


def test_a_declined_decision_performs_the_transition_and_queues_the_notice(app, coordinator):
    reference = make_referral(app, source=Source.PROFESSIONAL)
    meeting = make_meeting(app)
    add(coordinator, meeting, reference)
    # Without a reason, as on the status form: refused, nothing changes.
    response = decide(coordinator, app, meeting, reference, status="declined")
    assert response.status_code == 422
    assert "Choisissez le motif de la décision." in text_of(response)
    assert load(app, reference)[0] == "eps"
    response = decide(
        coordinator,
        app,
        meeting,
        reference,
        status="declined",
        reason="already_supported",
        share_reason="y",
        minute="Déjà suivie par le CMP.",
    )
    assert response.status_code == 303
    assert load(app, reference)[0] == "declined"
    with app.app_context():
        change = db.session.scalar(select(StatusChange).where(StatusChange.to_status == "declined"))
        assert change.reason == "already_supported" and change.share_reason is True
        messages = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "decision_declined")
        ).all()
        assert sorted(m.recipients[0] for m in messages) == sorted(
            [GUARDIAN["guardian_email"], REFERRER["referrer_email"]]
        )
        assert all(m.context["outcome"]["reason"] == "already_supported" for m in messages)
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}"))
    assert "Non retenue" in page and "Déjà suivie par le CMP." in page


def test_other_reason_needs_the_minute_to_say_which(app, coordinator):
    reference = make_referral(app)
    meeting = make_meeting(app)
    add(coordinator, meeting, reference)
    response = decide(
        coordinator, app, meeting, reference, status="redirected", reason="other", service="clas"
    )
    assert response.status_code == 422
    assert "Compte rendu : Précisez le motif dans le commentaire." in text_of(response)
    assert load(app, reference)[0] == "eps"


def test_postponed_keeps_eps_and_frees_the_referral_for_a_later_meeting(app, coordinator):
    reference = make_referral(app)
    first = make_meeting(app)
    later = make_meeting(app, datetime.now(UTC) + timedelta(days=30))
    add(coordinator, first, reference)
    # Still waiting for the first meeting's decision: not on another agenda yet.
    response = add(coordinator, later, reference)
    assert response.status_code == 422
    assert "enregistrez-y d’abord sa décision" in text_of(response)
    response = decide(coordinator, app, first, reference, status="postponed", minute="Bilan.")
    assert response.status_code == 303
    assert load(app, reference) == ("eps", ["new", "eps"])
    assert items(app, first) == [(reference, "postponed")]
    assert add(coordinator, later, reference).status_code == 303
    assert items(app, later) == [(reference, None)]
    page = text_of(coordinator.get(f"/triage/reunions/{first}"))
    assert "Reporté à une prochaine réunion" in page


def test_an_unknown_decision_is_refused(app, coordinator):
    reference = make_referral(app)
    meeting = make_meeting(app)
    add(coordinator, meeting, reference)
    for status in ("closed", "in_review", "nonsense", ""):
        response = decide(coordinator, app, meeting, reference, status=status)
        assert response.status_code == 422, status
    assert load(app, reference)[0] == "eps"


# --- Concurrency and tokens -----------------------------------------------------------------------


def test_a_change_from_a_stale_meeting_page_answers_409_and_changes_nothing(app, coordinator):
    meeting = make_meeting(app)
    first, second = make_referral(app), make_referral(app)
    old = meeting_version(coordinator, meeting)
    assert add(coordinator, meeting, first, version=old).status_code == 303
    response = add(coordinator, meeting, second, version=old)
    assert response.status_code == 409
    assert "Cette réunion a été modifiée entre-temps" in text_of(response)
    assert items(app, meeting) == [(first, None)]
    assert load(app, second)[0] == "in_review"
    # A move and a decision from the old page: refused too.
    item = item_id(app, meeting, first)
    response = coordinator.post(
        f"/triage/reunions/{meeting}/points/{item}/deplacer",
        data={"direction": "down", "version": old},
    )
    assert response.status_code == 409
    response = decide(
        coordinator, app, meeting, first, status="postponed", minute="Texte gardé", version=old
    )
    assert response.status_code == 409
    assert "Texte gardé</textarea>" in text_of(response)
    assert items(app, meeting) == [(first, None)]
    # No version at all counts as stale.
    response = coordinator.post(f"/triage/reunions/{meeting}/points", data={"reference": second})
    assert response.status_code == 409


def test_every_post_needs_the_csrf_token(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token_re = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    token = token_re.search(text_of(client.get("/connexion"))).group(1)
    login = {"email": users["coordinator"], "password": PASSWORD, "csrf_token": token}
    assert client.post("/connexion", data=login).status_code == 303
    reference = make_referral(app)
    meeting = make_meeting(app)
    version = meeting_version(client, meeting)
    response = client.post(
        f"/triage/reunions/{meeting}/points", data={"reference": reference, "version": version}
    )
    assert response.status_code == 400
    response = client.post(
        "/triage/reunions/nouvelle",
        data={"day": "2027-01-12", "start": "14:00", "place": "Mairie", "attendees": "A, B"},
    )
    assert response.status_code == 400
    assert items(app, meeting) == [] and load(app, reference)[0] == "in_review"
    token = token_re.search(text_of(client.get(f"/triage/reunions/{meeting}"))).group(1)
    response = client.post(
        f"/triage/reunions/{meeting}/points",
        data={"reference": reference, "version": version, "csrf_token": token},
    )
    assert response.status_code == 303
    assert items(app, meeting) == [(reference, None)]


# --- Viewers --------------------------------------------------------------------------------------


def test_viewers_read_the_meeting_without_forms_or_minutes(app, client, users):
    from tests.support.app import login

    reference = make_referral(app)
    meeting = make_meeting(app)
    assert login(client, users["coordinator"]).status_code == 303
    add(client, meeting, reference)
    decide(client, app, meeting, reference, status="postponed", minute="Minute confidentielle")
    client.post("/deconnexion")
    assert login(client, users["viewer"]).status_code == 303

    assert "Mairie, salle 2" in text_of(client.get("/triage/reunions/"))
    page = text_of(client.get(f"/triage/reunions/{meeting}"))
    assert reference in page and "Reporté à une prochaine réunion" in page
    assert "Minute confidentielle" not in page
    assert "<form" not in page.split('id="contenu"')[1]
    assert "Fiches de liaison" not in page
    agenda = client.get(f"/triage/reunions/{meeting}/ordre-du-jour")
    assert agenda.status_code == 200 and reference in text_of(agenda)
    # The referral's page says which meeting it was on, without the print or the form.
    detail = text_of(client.get(f"/triage/{reference}"))
    assert f'href="/triage/reunions/{meeting}#item-' in detail
    assert "Reporté à une prochaine réunion" in detail
    assert "Fiche de liaison à imprimer" not in detail and "Mettre à l’ordre du jour" not in detail


def test_viewers_get_403_on_every_change_and_on_fiches(app, client, users):
    from tests.support.app import login

    reference = make_referral(app)
    other = make_referral(app)
    meeting = make_meeting(app)
    assert login(client, users["coordinator"]).status_code == 303
    add(client, meeting, reference)
    version = meeting_version(client, meeting)
    client.post("/deconnexion")
    assert login(client, users["viewer"]).status_code == 303
    item = item_id(app, meeting, reference)
    base = f"/triage/reunions/{meeting}"
    attempts = [
        ("get", "/triage/reunions/nouvelle", {}),
        ("post", "/triage/reunions/nouvelle", {"day": "2027-01-12", "start": "14:00"}),
        ("post", f"{base}/points", {"reference": other, "version": version}),
        ("post", f"{base}/points/{item}/deplacer", {"direction": "down", "version": version}),
        ("post", f"{base}/points/{item}/retirer", {"version": version}),
        ("get", f"{base}/points/{item}/decision", {}),
        ("post", f"{base}/points/{item}/decision", {"status": "postponed", "version": version}),
        ("post", f"/triage/reunions/inscrire/{other}", {"meeting": str(meeting)}),
        ("get", f"{base}/fiches", {}),
        ("get", f"/triage/{reference}/fiche", {}),
        ("get", f"/triage/reunions/marges.css?ref={reference}", {}),
    ]
    for method, url, data in attempts:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (method, url)
    assert items(app, meeting) == [(reference, None)]
    assert load(app, other)[0] == "in_review"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(ReadEvent).where(ReadEvent.kind == ReadKind.FICHE)
            )
            == 0
        )


def test_anonymous_visitors_are_sent_to_the_login(app, client):
    meeting = make_meeting(app)
    reference = make_referral(app)
    for url in (
        "/triage/reunions/",
        f"/triage/reunions/{meeting}",
        f"/triage/reunions/{meeting}/ordre-du-jour",
        f"/triage/{reference}/fiche",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.location, url


# --- The referral's page --------------------------------------------------------------------------


def test_a_referral_is_put_on_a_coming_meeting_from_its_own_page(app, coordinator):
    reference = make_referral(app)
    past = make_meeting(app, datetime.now(UTC) - timedelta(days=3), place="Réunion passée")
    meeting = make_meeting(app, place="Réunion à venir")
    page = text_of(coordinator.get(f"/triage/{reference}"))
    assert "Réunion à venir" in page and "Réunion passée" not in page
    version = FORM_VERSION.search(page).group(1)
    # No such meeting, an id that is not a number, none chosen: refused, nothing changes.
    for value in ("999999", "abc", ""):
        response = coordinator.post(
            f"/triage/reunions/inscrire/{reference}", data={"meeting": value, "version": version}
        )
        assert response.status_code == 422, value
        message = "Choisissez une réunion" if value == "" else "Choisissez une réunion de la liste."
        assert message in text_of(response), value
    assert load(app, reference)[0] == "in_review"
    response = coordinator.post(
        f"/triage/reunions/inscrire/{reference}", data={"meeting": str(meeting), "version": "0"}
    )
    assert response.status_code == 409
    response = coordinator.post(
        f"/triage/reunions/inscrire/{reference}", data={"meeting": str(meeting), "version": version}
    )
    assert response.status_code == 303
    assert load(app, reference)[0] == "eps"
    assert items(app, meeting) == [(reference, None)] and items(app, past) == []
    # On it now: the page says so, and offers no meeting left.
    page = text_of(coordinator.get(f"/triage/{reference}"))
    assert "Aucune réunion à venir où inscrire ce dossier." in page
    assert f'href="/triage/reunions/{meeting}#item-' in page and "décision à prendre" in page
    assert f'href="/triage/{reference}/fiche"' in page
    # A closed referral's page offers nothing.
    closed = make_referral(app, "closed")
    assert "Mettre à l’ordre du jour" not in text_of(coordinator.get(f"/triage/{closed}"))


def test_enrolling_from_the_referral_page_says_why_it_is_refused(app, coordinator):
    fresh = make_referral(app, "new")
    meeting = make_meeting(app)
    page = text_of(coordinator.get(f"/triage/{fresh}"))
    assert "Mettre à l’ordre du jour" not in page  # a new referral is not offered any
    version = FORM_VERSION.search(page).group(1)
    response = coordinator.post(
        f"/triage/reunions/inscrire/{fresh}", data={"meeting": str(meeting), "version": version}
    )
    assert response.status_code == 422
    assert f"{fresh} doit d’abord être « en cours d’examen »" in text_of(response)
    assert load(app, fresh) == ("new", ["new"]) and items(app, meeting) == []


@pytest.mark.parametrize(
    "digits",
    ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "⁰¹²³⁴⁵⁶⁷⁸⁹"],
    ids=["arabic-indic", "fullwidth", "superscript"],
)
def test_a_meeting_chosen_in_other_digits_is_not_one_of_the_list(app, coordinator, digits):
    # str.isdigit() took "²" (then int() failed: a server error) and "١" (read as meeting 1).
    reference = make_referral(app)
    meeting = make_meeting(app)
    page = text_of(coordinator.get(f"/triage/{reference}"))
    version = FORM_VERSION.search(page).group(1)
    other = str(meeting).translate(str.maketrans("0123456789", digits))
    response = coordinator.post(
        f"/triage/reunions/inscrire/{reference}", data={"meeting": other, "version": version}
    )
    assert response.status_code == 422
    assert "Choisissez une réunion de la liste." in text_of(response)
    assert load(app, reference)[0] == "in_review" and items(app, meeting) == []
    # Nor is such a meeting found at its address.
    assert coordinator.get(f"/triage/reunions/{other}").status_code == 404


# --- Print-outs -----------------------------------------------------------------------------------


def test_the_fiche_shows_what_the_eps_needs_and_nothing_of_the_family(app, coordinator):
    reference = make_referral(
        app,
        source=Source.PROFESSIONAL,
        children=[
            child(),
            child(
                "Malik",
                "Bouchareb",
                birth_date=date(2012, 11, 20),
                **{"school": "0629002B", "class_level": "6e"},
            ),
        ],
        situation="Inès a du mal à lire ; Malik manque souvent le collège.",
    )
    response = coordinator.get(f"/triage/{reference}/fiche")
    assert response.status_code == 200
    page = text_of(response)
    assert page.count('<article class="fiche ') == 2
    today = paris_today()
    for expected in (
        reference,
        "Inès B.",
        "Malik B.",
        f"{age_on(date(2016, 5, 4), today)} ans",
        f"{age_on(date(2012, 11, 20), today)} ans",
        "École Les Tilleuls (REP+)",
        "Collège Jean Moulin (REP)",
        "CE2",
        "6e",
        "Scolarité, apprentissages",
        "Santé",
        "Inès a du mal à lire ; Malik manque souvent le collège.",
        "Éligible",
    ):
        assert expected in page, expected
    forbidden = [
        "Bouchareb",
        "Yasmina",
        "Quellec",
        "+33671829304",
        "06 71 82 93 04",
        "y.quellec@famille.example",
        "17 rue des Tilleuls",
        "62998",
        "Autreville",
        "Hortense",
        "Vaillant",
        "Association Arc-en-ciel",
        "h.vaillant@arc.example",
        "03 21 98 76 54",
        "+33321987654",
        "Suivi hebdomadaire",
    ]
    for value in forbidden:
        assert value not in page, value
    assert coordinator.get("/triage/PRE-2026-99999/fiche").status_code == 404


def test_the_meeting_fiches_follow_the_agenda_with_ages_on_the_meeting_day(app, coordinator):
    starts = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)  # Inès's 11th birthday, in Paris
    meeting = make_meeting(app, starts)
    first = make_referral(app, children=[child("Zoé", "Abadie", birth_date=date(2016, 5, 4))])
    second = make_referral(app, children=[child("Adam", "Zerbib", birth_date=date(2016, 5, 5))])
    add(coordinator, meeting, second)
    add(coordinator, meeting, first)
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}/fiches"))
    fiches = page.split('<article class="fiche ')[1:]
    assert [second in fiches[0], first in fiches[1]] == [True, True]
    assert "Zoé A." in page and "11 ans" in page
    assert "Adam Z." in page and "10 ans" in page
    assert "Abadie" not in page and "Zerbib" not in page


def test_the_margin_stylesheet_names_each_fiche_and_nothing_else(app, coordinator, client):
    reference = make_referral(app)
    page = text_of(coordinator.get(f"/triage/{reference}/fiche"))
    assert f'href="/triage/reunions/marges.css?ref={reference}" media="print"' in page
    assert '<article class="fiche fiche--0"' in page
    response = coordinator.get(
        "/triage/reunions/marges.css",
        query_string=[("ref", "PRE-2026-00001"), ("ref", 'x"}body{'), ("ref", "PRE-2026-00042")],
    )
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = text_of(response)
    assert (
        '@page fiche-0 { @top-right { content: "PRE-2026-00001 · Fiche de liaison EPS"; } }' in css
    )
    assert ".fiche--0 { page: fiche-0; }" in css and ".fiche--2 { page: fiche-2; }" in css
    assert "fiche-1" not in css and "body" not in css


def test_the_printable_agenda_lists_the_meeting_in_order(app, coordinator):
    meeting = make_meeting(app)
    first, second = make_referral(app), make_referral(app)
    add(coordinator, meeting, first)
    add(coordinator, meeting, second)
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}/ordre-du-jour"))
    table = page.split("<tbody>")[1]
    assert table.index(first) < table.index(second)
    assert "Marie Durand — Éducation nationale" in page and "Mairie, salle 2" in page
    assert 'media="print"' in page and "print.css" in page


def test_bad_ids_answer_404_not_500(app, coordinator):
    meeting = make_meeting(app)
    other = make_meeting(app)
    reference = make_referral(app)
    add(coordinator, other, reference)
    foreign_item = item_id(app, other, reference)
    for url in (
        "/triage/reunions/999999",
        f"/triage/reunions/{2**40}",
        f"/triage/reunions/{2**40}/ordre-du-jour",
        f"/triage/reunions/{meeting}/points/{foreign_item}/decision",
        f"/triage/reunions/{meeting}/points/{2**40}/decision",
    ):
        assert coordinator.get(url).status_code == 404, url
    response = coordinator.post(
        f"/triage/reunions/{meeting}/points/{foreign_item}/retirer", data={"version": "1"}
    )
    assert response.status_code == 404
    assert coordinator.post("/triage/reunions/inscrire/PRE-2026-99999").status_code == 404
    response = coordinator.get("/triage/reunions")
    assert response.status_code == 308 and response.location.endswith("/triage/reunions/")


# --- The read log ---------------------------------------------------------------------------------


def reads(app) -> list[tuple[str, list[str], dict, str]]:
    with app.app_context():
        events = db.session.scalars(select(ReadEvent).order_by(ReadEvent.id)).all()
        return [
            (
                event.kind,
                sorted(r.reference for r in event.referrals),
                event.details,
                db.session.get(User, event.user_id).email,
            )
            for event in events
        ]


def test_each_display_writes_a_read_event_with_its_references(app, coordinator):
    meeting = make_meeting(app)
    first, second = make_referral(app), make_referral(app)
    add(coordinator, meeting, first)
    add(coordinator, meeting, second)
    with app.app_context():
        # Children first: SQLite does not cascade here.
        db.session.execute(ReadReferral.__table__.delete())
        db.session.execute(ReadEvent.__table__.delete())
        db.session.commit()
    both = sorted([first, second])
    email = "coord@testville.example"

    coordinator.get(f"/triage/reunions/{meeting}")
    coordinator.get(f"/triage/reunions/{meeting}/ordre-du-jour")
    coordinator.get(f"/triage/reunions/{meeting}/fiches")
    coordinator.get(f"/triage/{first}/fiche")
    assert reads(app) == [
        (ReadKind.AGENDA, both, {"meeting_id": meeting}, email),
        (ReadKind.AGENDA, both, {"meeting_id": meeting}, email),
        (ReadKind.FICHE, both, {"meeting_id": meeting}, email),
        (ReadKind.FICHE, [first], {}, email),
    ]


# --- Retention ------------------------------------------------------------------------------------


def test_purge_erases_the_minutes_of_anonymised_referrals_and_keeps_their_decisions(
    app, coordinator, runner
):
    meeting = make_meeting(app)
    expired, kept = make_referral(app), make_referral(app)
    add(coordinator, meeting, expired)
    add(coordinator, meeting, kept)
    decide(
        coordinator,
        app,
        meeting,
        expired,
        status="declined",
        reason="age",
        minute="Minute Ysengrin.",
    )
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == expired))
        referral.last_activity_at = datetime(2023, 1, 1, tzinfo=UTC)
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "anonymised 1 referral(s)" in result.output
    # The decision stays for the figures; its minute is gone.
    assert items(app, meeting) == [(expired, "declined"), (kept, None)]
    with app.app_context():
        minutes = db.session.scalars(select(AgendaItem.minute).order_by(AgendaItem.id)).all()
        assert minutes == ["", ""]
    # The meeting's pages still show its agenda, the anonymised point without a name.
    for address in ("", "/ordre-du-jour", "/fiches"):
        page = coordinator.get(f"/triage/reunions/{meeting}{address}")
        assert page.status_code == 200 and "Ysengrin" not in page.get_data(as_text=True)
    assert coordinator.get(f"/triage/{expired}/fiche").status_code == 404
