"""`flask retention purge` anonymises: a referral past its retention keeps its codes and dates
and loses every value that named or located its family, in every table of the database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text, update

from intake.extensions import db
from intake.meetings.operations import add_to_agenda, record_decision
from intake.models import (
    Action,
    AgendaItem,
    Child,
    Correction,
    Meeting,
    Note,
    Objective,
    OutboxMessage,
    Referral,
    ReferralLanguage,
    Review,
    User,
)
from intake.rules.retention import ANONYMISED, DELETED, PLACEHOLDER, UNTOUCHED, Fate
from intake.rules.search import normalise
from intake.tokens import make_status_token
from intake.triage.operations import add_note, change_status, end_parcours, record_agreement
from tests.support.builders import child_fields, make_meeting, make_referral, orientation

OLD = datetime(2023, 1, 10, tzinfo=UTC)

# What the family, the referrer and the staff typed: none of it may remain after the purge.
TYPED = {
    "guardian_name": "Ghislaine Vandermeersch",
    "guardian_phone": "06 71 82 93 04",
    "guardian_email": "ghislaine.vdm@famille.example",
    "address": "17 impasse des Coquelicots",
    "situation": "Zéphyrin s’endort en classe depuis Brocéliande.",
    "referrer_name": "Barnabé Quintal",
    "referrer_organisation": "Cabinet Quintal-Ferrand",
    "referrer_email": "b.quintal@cabinet.example",
    "referrer_phone": "03 21 54 76 98",
    "actions_tried": "Tutorat Tamponnoir.",
    "home_languages": "Tamoul et wolof",
}
FIRST_CHILD = {"first_name": "Zéphyrin", "last_name": "Vandermeersch", "birth_date": "2016-05-17"}
SECOND_CHILD = {"first_name": "Anatolie", "last_name": "Vandermeersch", "birth_date": "2013-09-23",
                "class_level": "other"}  # fmt: skip
STAFF_TEXTS = {
    "note": "Appel à Mme Vandermeersch : Xylophage.",
    "agreement_comment": "Signé au centre Ornithorynque.",
    "status_comment": "Chrysanthème.",
    "minute": "Minute Kaléidoscope pour Zéphyrin.",
    "objective": "Lire Périscope.",
    "action_detail": "Séances Zodiaque.",
    "action_partner": "Orthophoniste Laburnum",
    "review_summary": "Hippocampe va mieux.",
    "referent_name": "Hortense Picpus",
    "referent_organisation": "Association Mandragore",
    "exit_comment": "Parti chez Séraphine Grumbach.",
    "corrected_phone": "07 65 43 21 09",
}
# Each searched for in every text, JSON and date of the database, as typed and normalised.
NEEDLES = [
    "Vandermeersch", "Ghislaine", "Zéphyrin", "Anatolie", "Coquelicots", "Brocéliande",
    "Quintal", "Barnabé", "Tamponnoir", "ghislaine.vdm", "b.quintal", "671829304",
    "71 82 93 04", "321547698", "21 54 76 98", "765432109", "65 43 21 09", "2016-05-17",
    "2013-09-23", "Xylophage", "Ornithorynque", "Chrysanthème", "Kaléidoscope", "Périscope",
    "Zodiaque", "Laburnum", "Hippocampe", "Picpus", "Mandragore", "Grumbach", "Tamoul",
]  # fmt: skip


def dump(row_values) -> str:
    return json.dumps([str(value) for value in row_values], ensure_ascii=False)


def database_text() -> str:
    """Every value of every row of every table, as text (dates as ISO), in one string."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts.append(dump(row))
    return "\n".join(parts)


def found(text: str) -> list[str]:
    folded, plain = text.casefold(), normalise(text)
    digits = "".join(c for c in text if c.isdigit() or c == "\n")
    return [
        needle
        for needle in NEEDLES
        if needle.casefold() in folded
        or normalise(needle) in plain
        or (needle.replace(" ", "").isdigit() and needle.replace(" ", "") in digits)
    ]


def kept_columns() -> dict[tuple[str, int], dict[str, object]]:
    """The kept columns of every row of the tables ANONYMISED lists, by table and id."""
    kept = {}
    for table in db.metadata.sorted_tables:
        fates = ANONYMISED.get(table.name)
        if fates is None:
            continue
        # The version moves with every write; the flag follows the deleted pairs.
        names = [n for n, fate in fates.items() if fate is Fate.KEEP and n not in {"version"}]
        for row in db.session.execute(select(*(table.c[n] for n in names))).mappings():
            kept[table.name, row["id"]] = dict(row)
    return kept


def seeded_referral(app, client, coordinator_email: str) -> str:
    """A sibling referral through the public form, corrected, noted, agreed, taken to the EPS,
    one child accepted with a parcours then ended, the other redirected: every free text a
    family, a referrer and the staff write."""
    data = orientation(
        **TYPED,
        **child_fields(0, **FIRST_CHILD),
        **child_fields(1, **SECOND_CHILD),
    )
    assert client.post("/orientation", data=data).status_code == 303
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        reference = referral.reference
        user = db.session.scalar(select(User).where(User.email == coordinator_email))
        # A correction of the phone keeps the old and new numbers.
        referral.corrections.append(
            Correction(
                user_id=user.id,
                fields=["guardian_phone"],
                previous={"guardian_phone": "+33671829304"},
                current={"guardian_phone": "+33765432109"},
                screening={"0": {"reasons": [{"text": "17 impasse des Coquelicots"}]}},
            )
        )
        add_note(referral, STAFF_TEXTS["note"], user)
        change_status(referral, "in_review", STAFF_TEXTS["status_comment"], user)
        record_agreement(
            referral,
            user,
            guardian_name=TYPED["guardian_name"],
            given_on=date(2023, 1, 12),
            method="signed_form",
            comment=STAFF_TEXTS["agreement_comment"],
            children=[1],
        )
        db.session.commit()
    meeting_id = make_meeting(app, starts_at=datetime(2023, 1, 20, 9, tzinfo=UTC))
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        user = db.session.scalar(select(User).where(User.email == coordinator_email))
        meeting = db.session.get(Meeting, meeting_id)
        item = add_to_agenda(meeting, referral, user)
        change_status(
            referral,
            "redirected",
            "",
            user,
            children=[2],
            reason="mainstream_service",
            service="clas",
        )
        record_decision(meeting, item, "accepted", STAFF_TEXTS["minute"], user)
        first = referral.child_at(1)
        parcours = first.parcours
        parcours.entered_on = date(2023, 1, 20)
        parcours.referent_name = STAFF_TEXTS["referent_name"]
        parcours.referent_organisation = STAFF_TEXTS["referent_organisation"]
        parcours.objectives.append(Objective(domain="school", text=STAFF_TEXTS["objective"]))
        parcours.actions.append(
            Action(
                kind="other",
                detail=STAFF_TEXTS["action_detail"],
                partner=STAFF_TEXTS["action_partner"],
                started_on=date(2023, 2, 1),
            )
        )
        parcours.reviews.append(
            Review(held_on=date(2023, 6, 1), kind="team", summary=STAFF_TEXTS["review_summary"])
        )
        end_parcours(
            first,
            user,
            ended_on=date(2024, 6, 30),
            exit_reason="other",
            comment=STAFF_TEXTS["exit_comment"],
        )
        # One e-mail sent, the others still queued.
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.referral_id == referral.id)
        )
        message.sent_at = OLD
        message.body_text = f"Bonjour {TYPED['guardian_name']}"
        db.session.commit()
        assert referral.status == "closed"
        db.session.execute(
            update(Referral).where(Referral.id == referral.id).values(last_activity_at=OLD)
        )
        db.session.commit()
    return reference


@pytest.fixture
def seeded(app, coordinator, users):
    return seeded_referral(app, coordinator, users["coordinator"])


def test_the_purge_leaves_nothing_that_names_the_family_and_keeps_every_code(
    app, runner, coordinator, seeded
):
    recent = make_referral(app, status="closed", last_activity_at=datetime.now(UTC))
    ongoing = make_referral(app, received_at=OLD, status="accepted")
    with app.app_context():
        assert set(found(database_text())) == set(NEEDLES)  # the seeding wrote them all
        if db.engine.dialect.name == "sqlite":
            match = text("SELECT count(*) FROM referral_search WHERE referral_search MATCH :q")
            assert db.session.scalar(match, {"q": '"vandermeersch"'}) == 1
        before = kept_columns()
        children = db.session.scalar(select(func.count()).select_from(Child))
        languages = select(ReferralLanguage.code).join(Referral).where(Referral.reference == seeded)
        assert sorted(db.session.scalars(languages)) == ["ta", "wo"]
        others = {
            ref: dump(db.session.execute(select(Referral).where(Referral.reference == ref)).one())
            for ref in (recent, ongoing)
        }

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "anonymised 1 referral(s), 2 child(ren)" in result.output
    assert "deleted 1 note(s)" in result.output

    with app.app_context():
        assert found(database_text()) == []
        if db.engine.dialect.name == "sqlite":
            # SQLite's search index (FTS5, outside the models) no longer finds the names.
            match = text("SELECT count(*) FROM referral_search WHERE referral_search MATCH :q")
            for name in ("vandermeersch", "zephyrin", "quintal"):
                assert db.session.scalar(match, {"q": f'"{name}"'}) == 0
        after = kept_columns()
        assert after.keys() <= before.keys()
        changed = {key for key in after if after[key] != before[key]}
        # Only the marker moved among the kept columns of the purged referral.
        referral = db.session.scalar(select(Referral).where(Referral.reference == seeded))
        assert changed == {("referral", referral.id)}
        assert {k for k, v in after["referral", referral.id].items()
                if v != before["referral", referral.id][k]} == {"anonymised_at"}  # fmt: skip
        assert db.session.scalar(select(func.count()).select_from(Child)) == children
        first, second = referral.children
        assert (first.birth_date, second.birth_date) == (date(2016, 5, 1), date(2013, 9, 1))
        assert first.first_name == first.last_name == referral.guardian_name == PLACEHOLDER
        assert (first.status, second.status) == ("closed", "redirected")
        assert first.parcours.exit_reason == "other" and first.parcours.actions[0].kind == "other"
        assert referral.search_key == "" and referral.address == ""
        # Its languages, as words and as codes, go with what the family typed.
        assert referral.home_languages == referral.home_language_codes == ""
        assert list(db.session.scalars(languages)) == []
        assert all("text" not in reason for reason in first.screening["reasons"])
        assert first.screening["reasons"] and first.screening["residence"]
        assert referral.corrections[0].previous == {"guardian_phone": None}
        assert db.session.scalar(select(func.count()).select_from(Note)) == 0
        assert (
            db.session.scalar(select(func.count()).where(OutboxMessage.referral_id == referral.id))
            == 0
        )
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.referral_id == referral.id))
        assert item.decision == "accepted" and item.minute == ""
        # The referrals not past their retention, or not final, are as they were.
        for ref, was in others.items():
            assert (
                dump(db.session.execute(select(Referral).where(Referral.reference == ref)).one())
                == was
            )

    # Gone from the queue, its searches, its page and the export.
    link = f'href="/triage/{seeded}"'
    queue = coordinator.get("/triage/?status=closed").get_data(as_text=True)
    assert f'href="/triage/{recent}"' in queue and link not in queue
    assert link not in coordinator.get("/triage/").get_data(as_text=True)
    assert link not in coordinator.get(f"/triage/?q={seeded}").get_data(as_text=True)
    assert seeded not in coordinator.get("/triage/export.csv").get_data(as_text=True)
    assert coordinator.get(f"/triage/{seeded}").status_code == 404
    # The status link of an old e-mail says the file is gone, and shows nothing of it.
    with app.app_context():
        link = f"/suivi/{make_status_token(seeded, 'family')}"
    gone = coordinator.get(link)
    assert gone.status_code == 410
    page = gone.get_data(as_text=True)
    assert "Ce suivi n’est plus disponible" in page and seeded not in page

    again = runner.invoke(args=["retention", "purge"])
    assert "anonymised 0 referral(s)" in again.output


def test_the_dry_run_counts_what_is_erased_and_kept_and_changes_nothing(app, runner, seeded):
    with app.app_context():
        before = database_text()
    result = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert seeded in result.output
    assert "would anonymise 1 referral(s), 2 child(ren)" in result.output
    assert "would delete 1 note(s)" in result.output
    # in_review, eps, accepted for the first child; in_review, redirected for the second…
    assert "would keep for the figures: 1 referral(s), 2 child(ren)" in result.output
    assert "1 parcours, 1 action(s), 1 review(s)" in result.output
    with app.app_context():
        assert database_text() == before


def test_a_referral_with_a_child_still_followed_is_kept(app, runner):
    reference = make_referral(
        app, received_at=OLD, status="closed", children=None, last_activity_at=OLD
    )
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        # A derived status cannot say closed while a child is accepted; a stale one could.
        referral.children[0].status = "accepted"
        db.session.commit()
    result = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert "would anonymise 0 referral(s)" in result.output


def test_every_column_of_the_referral_tables_has_its_fate():
    """A column added without a line in ANONYMISED fails here: whoever adds it decides."""
    touching = {
        table.name
        for table in db.metadata.sorted_tables
        if any(fk.column.table.name in {"referral", "child", "parcours", "agreement"}
               for fk in table.foreign_keys) or table.name == "referral"
    }  # fmt: skip
    assert touching <= ANONYMISED.keys() | DELETED | UNTOUCHED
    for name, fates in ANONYMISED.items():
        assert set(fates) == set(db.metadata.tables[name].c.keys()), name
    assert not (ANONYMISED.keys() & DELETED) and not (DELETED & UNTOUCHED)
