"""`flask dev seed`: fictional referrals that look like real ones and leave the database
ready for real submissions."""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

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
    Parcours,
    ReferenceCounter,
    Referral,
    Review,
    Source,
    StatusChange,
    User,
)
from intake.public.operations import create_referral
from intake.rules.ages import age_on
from intake.rules.clock import local_date
from intake.rules.decisions import REASONS, SERVICES, WITHDRAWN_BY
from intake.rules.parcours import ACTION_KINDS, EXIT_REASONS, REVIEW_KINDS, SEXES, check_exit
from intake.rules.screening import best
from intake.rules.search import needle, order_key, referral_key
from intake.rules.workflow import FINAL, TRANSITIONS, Status, referral_status
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
        names = (
            "referrals",
            "children",
            "history",
            "agreements",
            "covers",
            "parcours",
            "objectives",
            "actions",
            "reviews",
            "notes",
            "assignments",
            "pairs",
        )
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
    # Each child has its own history.
    history = defaultdict(list)
    for change in tables["history"]:
        history[change["child_id"]].append(change)
    covered = {cover["child_id"] for cover in tables["covers"]}

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

        # The referral's status is its children's (contract, "Children, one by one").
        assert referral["status"] == referral_status(c["status"] for c in kids)
        for kid in kids:
            assert kid["sex"] in SEXES
            steps = history[kid["id"]]
            assert all(change["referral_id"] == referral["id"] for change in steps)
            assert (steps[0]["from_status"], steps[0]["to_status"]) == (None, "new")
            for earlier, change in itertools.pairwise(steps):
                assert change["from_status"] == earlier["to_status"]
                assert Status(change["to_status"]) in TRANSITIONS[Status(change["from_status"])]
            assert steps[-1]["to_status"] == kid["status"]
            assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
            for change in steps:
                if change["to_status"] in ("declined", "redirected"):
                    assert change["reason"] in REASONS
                if change["to_status"] == "redirected":
                    assert change["service"] in SERVICES
                if change["to_status"] == "withdrawn":
                    assert change["withdrawn_by"] in WITHDRAWN_BY
            if kid["status"] in ("accepted", "closed"):
                assert kid["id"] in covered
    assert Counter(c["sex"] for c in tables["children"]).keys() == set(SEXES)
    # Asked at the first contact: not yet for a referral nobody has looked at.
    assert all(c["sex"] == "" for c in tables["children"] if c["status"] == "new")


def test_siblings_are_sometimes_decided_apart():
    tables = rows(3000)
    children = defaultdict(list)
    for child in tables["children"]:
        children[child["referral_id"]].append(child)
    history = defaultdict(list)
    by_referral = defaultdict(list)
    for change in tables["history"]:
        history[change["child_id"]].append(change)
        by_referral[change["referral_id"]].append(change)
    # In time order across siblings, as the app numbers them: the history reads in id order.
    for changes in by_referral.values():
        assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
        assert [c["at"] for c in changes] == sorted(c["at"] for c in changes)
    standing = defaultdict(set)
    for cover in tables["covers"]:
        if cover["withdrawn_on"] is None:
            standing[cover["child_id"]].add(cover["agreement_id"])
    agreements = {agreement["id"]: agreement for agreement in tables["agreements"]}
    for cover in tables["covers"]:
        agreement = agreements[cover["agreement_id"]]
        # An agreement is withdrawn as a whole once withdrawn for every child it covers.
        if agreement["withdrawn_on"] is not None:
            assert cover["withdrawn_on"] is not None

    looked_at = [kids for kids in children.values() if len(kids) > 1 and kids[0]["status"] != "new"]
    apart = [kids for kids in looked_at if len({c["status"] for c in kids}) > 1]
    assert 0.07 < len(apart) / len(looked_at) < 0.25
    outcomes = set()
    for kids in apart:
        paths = [[c["to_status"] for c in history[kid["id"]]] for kid in kids]
        # They went the same way until one of them left: the others' path starts as its own.
        alone = min(
            paths,
            key=lambda path: (path[-1] not in ("redirected", "declined", "withdrawn"), len(path)),
        )
        assert alone[-1] in ("redirected", "declined", "withdrawn")
        for path in paths:
            assert path[: len(alone) - 1] == alone[:-1]
        outcomes.add(frozenset(c["status"] for c in kids))
        for kid in kids:
            # A child is accepted only while an agreement for it stands.
            if kid["status"] == "accepted":
                assert standing[kid["id"]]
    # A child supported while its sibling is sent to another service, among others.
    assert any({"accepted", "redirected"} <= outcome for outcome in outcomes)
    assert any({"accepted", "closed"} & outcome for outcome in outcomes)


def test_accepted_children_are_followed_from_entry_to_exit():
    tables = rows(3000, user_ids=(7, 9))
    today = local_date(NOW)
    referrals = {row["id"]: row for row in tables["referrals"]}
    children = {row["id"]: row for row in tables["children"]}
    accepted_at = {}
    closed_at = {}
    for change in tables["history"]:
        if change["to_status"] == "accepted":
            accepted_at[change["child_id"]] = change["at"]
        if change["to_status"] == "closed":
            closed_at[change["child_id"]] = change
    parcours = {row["child_id"]: row for row in tables["parcours"]}
    by_id = {row["id"]: row for row in tables["parcours"]}
    records = {name: defaultdict(list) for name in ("objectives", "actions", "reviews")}
    for name, found in records.items():
        for record in tables[name]:
            found[record["parcours_id"]].append(record)

    # Every accepted child has an open parcours, every closed child an ended one, no other.
    followed = {i for i, c in children.items() if c["status"] in ("accepted", "closed")}
    assert set(parcours) == followed
    durations, reasons = [], Counter()
    for child_id, row in parcours.items():
        child, referral = children[child_id], referrals[parcours[child_id]["referral_id"]]
        assert row["referral_id"] == child["referral_id"]
        assert row["entered_on"] == local_date(accepted_at[child_id])
        if child["status"] == "accepted":
            assert row["ended_on"] is row["exit_reason"] is None
        else:
            closing = closed_at[child_id]
            assert row["ended_on"] == local_date(closing["at"]) <= today
            assert row["entered_on"] <= row["ended_on"]
            assert row["ended_at"] == closing["at"]
            assert row["exit_comment"] == closing["comment"]
            # As the exit form checks it (intake.rules.parcours.check_exit).
            check_exit(
                entered_on=row["entered_on"],
                ended_on=row["ended_on"],
                exit_reason=row["exit_reason"],
                service=row["exit_service"],
                comment=row["exit_comment"],
            )
            if row["exit_reason"] == "age_limit":
                assert age_on(child["birth_date"], row["ended_on"]) >= 17
            reasons[row["exit_reason"]] += 1
            durations.append((row["ended_on"] - row["entered_on"]).days)
        # Followed by a coordinator, or by someone named of a partner organisation.
        if row["referent_id"] is not None:
            assert row["referent_id"] in (7, 9) and not row["referent_name"]
        else:
            assert bool(row["referent_name"]) == bool(row["referent_organisation"])
        end = row["ended_on"] or today

        objectives = records["objectives"][row["id"]]
        assert 1 <= len(objectives) <= 3
        domains = [o["domain"] for o in objectives]
        assert len(set(domains)) == len(domains) and set(domains) <= set(referral["domains"])
        assert all(o["text"] for o in objectives)

        actions = records["actions"][row["id"]]
        assert 1 <= len(actions) <= 4
        for action in actions:
            assert action["kind"] in ACTION_KINDS and action["partner"]
            assert action["kind"] != "other" or action["detail"]
            assert row["entered_on"] <= action["started_on"] <= end
            if action["ended_on"] is not None:
                assert action["started_on"] <= action["ended_on"] <= end
            elif row["ended_on"] is not None:
                raise AssertionError("an action still running in a parcours that ended")
            assert action["at"] <= NOW

        reviews = records["reviews"][row["id"]]
        assert [r["number"] for r in reviews] == list(range(1, len(reviews) + 1))
        held = [r["held_on"] for r in reviews]
        assert held == sorted(held)
        for review in reviews:
            assert review["kind"] in REVIEW_KINDS and review["summary"]
            assert row["entered_on"] < review["held_on"] <= end
            assert review["next_on"] is None or review["next_on"] > review["held_on"]
        assert row["next_review_on"] == (reviews[-1]["next_on"] if reviews else None)
        if (end - row["entered_on"]).days > 130:
            assert reviews

    # Realistic: most exits with their goals met, every reason seen; 6 to 24 months mostly.
    assert reasons.most_common(1)[0][0] == "goals_met"
    assert set(reasons) == set(EXIT_REASONS)
    durations.sort()
    median = durations[len(durations) // 2]
    assert 270 <= median <= 600
    assert durations[-1] <= 731
    assert sum(180 <= d <= 730 for d in durations) / len(durations) > 0.6
    # Collective actions too, and reviews that are due or late by now.
    assert any(a["collective"] for a in tables["actions"])
    assert not all(a["collective"] for a in tables["actions"])
    open_ones = [p for p in by_id.values() if p["ended_on"] is None and p["next_review_on"]]
    assert any(p["next_review_on"] < today for p in open_ones)
    assert any(p["next_review_on"] >= today for p in open_ones)


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
            stored = referral.status
            assert referral.derive_status() == stored
            for kid in referral.children:
                changes = [c for c in referral.history if c.child_id == kid.id]
                assert changes[0].to_status == "new"
                assert changes[-1].to_status == kid.status
                if kid.status == "accepted":
                    assert kid.has_agreement
                    assert kid.parcours is not None and not kid.parcours.ended
                elif kid.status == "closed":
                    assert kid.parcours.ended and kid.parcours.exit_reason in EXIT_REASONS
                else:
                    assert kid.parcours is None
        db.session.rollback()
        followed = db.session.scalars(select(Parcours)).all()
        assert followed and any(p.reviews for p in followed) and any(p.actions for p in followed)
        assert all(p.objectives for p in followed)
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
        # Parcours' référents are coordinators too, and their records continue the same way.
        followed = db.session.scalars(select(Parcours)).all()
        assert {p.referent_id for p in followed} - {None} == {coordinator.id}
        review = Review(
            parcours_id=followed[0].id, held_on=date(2026, 5, 4), kind="team", number=99
        )
        db.session.add(review)
        db.session.commit()
        assert review.id == db.session.scalar(select(func.count()).select_from(Review))
