"""`flask dev seed`: fictional referrals that look like real ones and leave the database
ready for real submissions."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import func, select, text

from intake.dev.generator import Start, generate
from intake.dev.store import seed_database
from intake.duplicates.likeness import THRESHOLD, same_child
from intake.extensions import db
from intake.models import (
    Agreement,
    Assignment,
    Child,
    DuplicatePair,
    Note,
    OutboxMessage,
    ReferenceCounter,
    Referral,
    Source,
    StatusChange,
    User,
)
from intake.public.operations import create_referral
from intake.rules.decisions import REASONS, SERVICES, WITHDRAWN_BY
from intake.rules.screening import best
from intake.rules.search import needle, order_key, referral_key
from intake.rules.workflow import FINAL, TRANSITIONS, Status
from intake.territory.reader import load_territory
from tests.support.app import TERRITORY, login
from tests.support.builders import PARENT_DATA

NOW = datetime(2026, 5, 4, tzinfo=UTC)
COUNT = 60


def rows(count: int = COUNT, **kwargs) -> dict[str, list[dict]]:
    """Every row `generate` makes, by table, flattened over its batches."""
    tables: dict[str, list[dict]] = defaultdict(list)
    options = {"territory": load_territory(TERRITORY), "now": NOW, **kwargs}
    for batch in generate(count, chunk_size=25, **options):
        names = ("referrals", "children", "history", "agreements", "notes", "assignments", "pairs")
        for name in names:
            tables[name] += getattr(batch, name)
        tables["flagged"] += batch.flagged
    return tables


def test_generation_is_reproducible_with_the_same_seed():
    assert rows(seed=7) == rows(seed=7)
    assert rows(seed=7)["referrals"] != rows(seed=8)["referrals"]


def test_generated_referrals_look_like_real_ones():
    tables = rows(200)
    referrals = tables["referrals"]
    children = defaultdict(list)
    for child in tables["children"]:
        children[child["referral_id"]].append(child)
    # Each child has its history; the first child's tells its referral's path.
    first_child = {rid: kids[0]["id"] for rid, kids in children.items()}
    history = defaultdict(list)
    for change in tables["history"]:
        if change["child_id"] == first_child[change["referral_id"]]:
            history[change["referral_id"]].append(change)
    agreed = {agreement["referral_id"] for agreement in tables["agreements"]}

    assert {r["status"] for r in referrals} == {status.value for status in Status}
    assert {r["source"] for r in referrals} == {"professional", "parent"}
    assert Counter(len(children[r["id"]]) for r in referrals).most_common(1)[0][0] == 1
    for referral in referrals:
        kids = children[referral["id"]]
        assert 1 <= len(kids) <= 3
        assert referral["eligibility"] == best(c["eligibility"] for c in kids).value
        assert all(c["screening"]["eligibility"] == c["eligibility"] for c in kids)
        assert 300 <= len(referral["situation"]) <= 1200
        assert (referral["actions_tried"] is not None) == (referral["source"] == "professional")
        assert referral["received_at"].tzinfo is not None
        assert referral["received_at"] <= referral["last_activity_at"] <= NOW
        for phone in (referral["guardian_phone"], referral["referrer_phone"]):
            if phone is not None:
                assert phonenumbers.is_valid_number(phonenumbers.parse(phone))
                assert phone.startswith(("+336", "+337"))
        for email in (referral["guardian_email"], referral["referrer_email"]):
            assert email is None or email.endswith("@example.org")
        # The key the app would compute, whatever shortcut the generator takes.
        as_model = type("R", (), {**referral, "children": [type("C", (), c) for c in kids]})
        assert referral["search_key"] == referral_key(as_model)

        steps = history[referral["id"]]
        assert (steps[0]["from_status"], steps[0]["to_status"]) == (None, "new")
        for change in steps[1:]:
            assert Status(change["to_status"]) in TRANSITIONS[Status(change["from_status"])]
        assert steps[-1]["to_status"] == referral["status"]
        assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
        for change in steps:
            if change["to_status"] in ("declined", "redirected"):
                assert change["reason"] in REASONS
            if change["to_status"] == "redirected":
                assert change["service"] in SERVICES
            if change["to_status"] == "withdrawn":
                assert change["withdrawn_by"] in WITHDRAWN_BY
        if referral["status"] in ("accepted", "closed"):
            assert referral["id"] in agreed


def test_numbers_continue_from_where_the_database_stands():
    tables = rows(30, start=Start(referral_id=101, last_numbers={2025: 40, 2026: 7}))
    referrals = tables["referrals"]
    assert referrals[0]["id"] == 101
    for year, first in ((2025, 41), (2026, 8)):
        numbers = [r["number"] for r in referrals if r["year"] == year]
        assert numbers == list(range(first, first + len(numbers)))


def test_count_must_be_positive(runner):
    result = runner.invoke(args=["dev", "seed", "--count", "0"])
    assert result.exit_code != 0
    assert "--count" in result.output


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Referral, Child, StatusChange, Agreement, Note, ReferenceCounter)
    }


def test_referrals_looked_at_mostly_have_a_referent_named_in_their_history():
    tables = rows(300, user_ids=(7, 9))
    assignments = {row["referral_id"]: row for row in tables["assignments"]}
    assert len(assignments) == len(tables["assignments"])  # one each
    first_steps = {}
    for change in tables["history"]:
        if change["from_status"] is not None:
            first_steps.setdefault(change["referral_id"], change)
    looked_at = [r for r in tables["referrals"] if r["status"] != "new"]
    for referral in tables["referrals"]:
        assignment = assignments.get(referral["id"])
        if assignment is None:
            assert referral["assigned_to_id"] is None
            continue
        assert referral["status"] != "new"
        assert referral["assigned_to_id"] == assignment["assigned_to_id"] in (7, 9)
        # Named when the referral was first looked at, by whoever did it.
        assert assignment["at"] == first_steps[referral["id"]]["at"]
        assert assignment["user_id"] == first_steps[referral["id"]]["user_id"]
    assert 0.7 < len(assignments) / len(looked_at) < 0.97


def test_some_open_referrals_send_a_child_again_as_the_duplicate_check_would_see_it():
    tables = rows(2000)
    referrals = {row["id"]: row for row in tables["referrals"]}
    children = {row["id"]: row for row in tables["children"]}
    pairs = tables["pairs"]
    assert 5 <= len(pairs) <= 60
    flagged = set()
    for pair in pairs:
        later, earlier = children[pair["child_id"]], children[pair["other_child_id"]]
        assert later["referral_id"] == pair["referral_id"] != pair["other_referral_id"]
        assert earlier["referral_id"] == pair["other_referral_id"]
        assert later["birth_date"] == earlier["birth_date"]
        # Written another way, and still what the check takes for one child.
        assert (later["first_name"], later["last_name"]) != (
            earlier["first_name"],
            earlier["last_name"],
        )
        assert same_child(
            later["first_name"], later["last_name"], earlier["first_name"], earlier["last_name"]
        )
        assert pair["score"] >= THRESHOLD and pair["state"] == "suspected"
        for side in (pair["referral_id"], pair["other_referral_id"]):
            assert referrals[side]["status"] not in {s.value for s in FINAL}
            flagged.add(side)
        assert referrals[pair["other_referral_id"]]["received_at"] <= pair["found_at"]
    marked = {i for i, r in referrals.items() if r["duplicate_suspected"]}
    assert marked | set(tables["flagged"]) == flagged


def test_seed_fills_a_database_that_real_submissions_continue(app, runner):
    result = runner.invoke(args=["dev", "seed", "--count", str(COUNT)])
    assert result.exit_code == 0, result.output
    assert f"Added {COUNT} fictional referrals" in result.output

    with app.app_context():
        referrals = db.session.scalars(select(Referral).order_by(Referral.id)).all()
        assert len(referrals) == COUNT
        assert {r.status for r in referrals} == {status.value for status in Status}
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

        by_year = defaultdict(list)
        for referral in referrals:
            assert referral.reference == f"PRE-{referral.year}-{referral.number:05d}"
            assert referral.version == 1
            by_year[referral.year].append(referral.number)
            assert 1 <= len(referral.children) <= 3
            assert referral.eligibility == best(c.eligibility for c in referral.children).value
            # JSON columns read back as the app wrote them (PostgreSQL takes them by COPY).
            assert all(c.screening["eligibility"] == c.eligibility for c in referral.children)
            assert referral.domains and isinstance(referral.domains, list)
            assert referral.received_at.tzinfo is not None
            if referral.status in ("accepted", "closed"):
                assert referral.has_agreement or referral.agreements
            assert referral.history[0].to_status == "new"
            assert referral.history[-1].to_status == referral.status
        assert len({r.reference for r in referrals}) == COUNT
        assert len({r.fingerprint for r in referrals}) == COUNT
        counters = dict(
            db.session.execute(select(ReferenceCounter.year, ReferenceCounter.last_number)).all()
        )
        for year, numbers in by_year.items():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))
            assert counters[year] == len(numbers)

        # An accented name is found by its unaccented spelling, through the stored key.
        child = next(c for c in db.session.scalars(select(Child)) if not c.first_name.isascii())
        plain = "".join(c for c in unicodedata.normalize("NFKD", child.first_name) if c.isascii())
        pattern = f"%{needle(plain)}%"
        found = db.session.scalars(select(Referral.id).where(Referral.search_key.like(pattern)))
        assert child.referral_id in set(found)

        if db.engine.dialect.name == "sqlite":
            # The FTS5 index the queue searches holds the seeded keys, and its trigger is back.
            # Its entries are numbered in the queue's order, as the trigger numbers them.
            matched = set(
                db.session.scalars(
                    text("SELECT rowid FROM referral_search WHERE referral_search MATCH :q"),
                    {"q": f'"{needle(plain)}"'},
                )
            )
            numbers = text(f"SELECT {order_key('referral')} FROM referral WHERE id = :id")  # noqa: S608
            assert db.session.scalar(numbers, {"id": child.referral_id}) in matched
            trigger = "SELECT count(*) FROM sqlite_master WHERE name = 'referral_search_insert'"
            assert db.session.scalar(text(trigger)) == 1

        # A real submission takes the next number of its year, and the next free ids.
        data = {
            **PARENT_DATA,
            "situation": "Une vraie demande, après les données de démonstration.",
        }
        real = create_referral(Source.PARENT, data, app.extensions["territory"])
        db.session.commit()
        assert real.number == counters.get(real.year, 0) + 1
        assert real.id == max(r.id for r in referrals) + 1


def test_seed_refuses_a_database_with_referrals_unless_forced(app, runner):
    assert runner.invoke(args=["dev", "seed", "--count", "10"]).exit_code == 0
    with app.app_context():
        before = counts()

    refused = runner.invoke(args=["dev", "seed", "--count", "10"])
    assert refused.exit_code != 0
    assert "already holds referrals" in refused.output
    with app.app_context():
        assert counts() == before

    forced = runner.invoke(args=["dev", "seed", "--count", "10", "--force"])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        after = counts()
        assert after["referral"] == before["referral"] + 10
        references = db.session.scalars(select(Referral.reference)).all()
        assert len(set(references)) == 20
        for year, last in db.session.execute(
            select(ReferenceCounter.year, ReferenceCounter.last_number)
        ):
            numbers = db.session.scalars(select(Referral.number).where(Referral.year == year))
            assert sorted(numbers) == list(range(1, last + 1))


def test_chunks_generated_in_a_second_process_are_the_ones_generate_makes(app):
    # More than one chunk: generation runs in a spawned process while chunks are written.
    with app.app_context():
        territory = app.extensions["territory"]
        written = seed_database(45, territory=territory, now=NOW, seed=3, chunk_size=20)
        assert written == 45
        stored = db.session.scalars(select(Referral.search_key).order_by(Referral.id)).all()
        counter = db.session.scalar(select(func.sum(ReferenceCounter.last_number)))
    expected = rows(45, seed=3)["referrals"]
    assert stored == [r["search_key"] for r in expected]
    assert counter == 45


def test_seeded_pairs_show_on_both_referrals(app, runner, users):
    assert runner.invoke(args=["dev", "seed", "--count", "600"]).exit_code == 0
    with app.app_context():
        pairs = db.session.scalars(select(DuplicatePair)).all()
        named = {p.referral_id for p in pairs} | {p.other_referral_id for p in pairs}
        flagged = select(Referral.id).where(Referral.duplicate_suspected)
        assert set(db.session.scalars(flagged)) == named
        later, earlier = pairs[0].referral.reference, pairs[0].other_referral.reference
    client = app.test_client()
    login(client, users["coordinator"])
    assert earlier in client.get(f"/triage/{later}").get_data(as_text=True)
    assert later in client.get(f"/triage/{earlier}").get_data(as_text=True)
    page = client.get("/triage/?duplicate=1").get_data(as_text=True)
    assert later in page and earlier in page


def test_seeded_referents_are_staff_accounts_and_ids_continue(app, runner, users):
    result = runner.invoke(args=["dev", "seed", "--count", str(COUNT)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == users["coordinator"]))
        assigned = db.session.scalars(
            select(Referral).where(Referral.assigned_to_id.is_not(None))
        ).all()
        assert assigned
        # Viewers are never référents.
        assert {r.assigned_to_id for r in assigned} == {coordinator.id}
        assert all([a.assigned_to_id for a in r.assignments] == [coordinator.id] for r in assigned)
        # The sequences were moved past the seeded rows: a real assignment gets a new id.
        real = Assignment(referral_id=assigned[0].id, user_id=coordinator.id, assigned_to_id=None)
        db.session.add(real)
        db.session.commit()
        assert real.id == db.session.scalar(select(func.count()).select_from(Assignment))
