"""`generate`: fictional referrals in batches of plain dicts, the same for the same seed."""

# Generation is pure (`generate` yields batches of plain dicts, from a `random.Random(seed)`
# and a fixed `now`), so the same seed on the same day gives the same data and the tests can
# read it without a database. Everything is invented: names from the lists of `words`, phones
# in the mobile range, e-mails on example.org (a domain reserved for examples, RFC 2606).

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from intake.dev import DEFAULT_SEED
from intake.dev.drawer import Drawer
from intake.dev.draws import draw_times
from intake.dev.texts import AGREEMENT_COMMENTS, NOTES
from intake.duplicates.likeness import name_similarity
from intake.models import PairState
from intake.rules.clock import local_date
from intake.rules.workflow import FINAL, Status
from intake.territory.model import Territory

CHUNK_SIZE = 2000
# How many of the latest open referrals a later one may be a second sending of.
RECENT_OPEN = 200


@dataclass
class Batch:
    """One chunk of generated rows, ready for executemany, and where the counters stand."""

    referrals: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    covers: list[dict[str, Any]] = field(default_factory=list)
    parcours: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    # Earlier referrals (of this batch or a previous one) that a pair flags once stored.
    flagged: list[int] = field(default_factory=list)
    # year -> last number handed out once this batch is stored
    counters: dict[int, int] = field(default_factory=dict)


@dataclass
class Start:
    """Where the database stands: the next primary key of each table and each year's last
    reference number, so that added rows continue them."""

    referral_id: int = 1
    child_id: int = 1
    status_change_id: int = 1
    agreement_id: int = 1
    agreement_child_id: int = 1
    parcours_id: int = 1
    note_id: int = 1
    assignment_id: int = 1
    duplicate_pair_id: int = 1
    last_numbers: dict[int, int] = field(default_factory=dict)


def generate(
    count: int,
    *,
    territory: Territory,
    now: datetime,
    seed: int = DEFAULT_SEED,
    start: Start | None = None,
    user_ids: Sequence[int] = (),
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Batch]:
    """Yield `count` fictional referrals in batches of `chunk_size`, with their children,
    history, agreements and notes as plain dicts keyed by column name.

    The same arguments give the same rows. `start` says where the tables' ids and the
    yearly reference numbers stand; `user_ids` are coordinators to sign history and notes.
    """
    if count < 1:
        raise ValueError("count must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start = start or Start()
    gen = Drawer(territory, seed, now, user_ids)
    rng = gen.rng
    received = gen.received_dates(count)
    statuses = gen.statuses(received)
    last_numbers = dict(start.last_numbers)
    ids = {
        "referral": start.referral_id,
        "child": start.child_id,
        "status_change": start.status_change_id,
        "agreement": start.agreement_id,
        "agreement_child": start.agreement_child_id,
        "parcours": start.parcours_id,
        "note": start.note_id,
        "assignment": start.assignment_id,
        "duplicate_pair": start.duplicate_pair_id,
    }

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table] - 1

    # The latest open referrals, with their first child: the ones a later referral may send
    # again. Kept across batches, so the rows do not depend on the chunk size.
    recent: deque[tuple[dict[str, Any], dict[str, Any]]] = deque(maxlen=RECENT_OPEN)
    for offset in range(0, count, chunk_size):
        batch = Batch()
        for received_at, status in zip(
            received[offset : offset + chunk_size],
            statuses[offset : offset + chunk_size],
            strict=True,
        ):
            year = local_date(received_at).year
            number = last_numbers.get(year, 0) + 1
            last_numbers[year] = number
            row = gen.referral(received_at, status, year, number)
            children = row.pop("children")
            referral_id = next_id("referral")
            row["id"] = referral_id
            earlier = gen.sent_again(row, children, status, recent)
            for child in children:
                batch.children.append(
                    {
                        "id": next_id("child"),
                        "referral_id": referral_id,
                        "status": status.value,
                        **child,
                    }
                )
            child_rows = batch.children[-len(children) :]
            if earlier is not None:
                # What the duplicate check did when this one was stored: a pair still waiting
                # for a coordinator, and both referrals flagged.
                earlier_row, earlier_child = earlier
                row["duplicate_suspected"] = True
                batch.flagged.append(earlier_row["id"])
                batch.pairs.append(
                    {
                        "id": next_id("duplicate_pair"),
                        "referral_id": referral_id,
                        "child_id": batch.children[-len(children)]["id"],
                        "other_referral_id": earlier_row["id"],
                        "other_child_id": earlier_child["id"],
                        "score": name_similarity(
                            children[0]["first_name"],
                            children[0]["last_name"],
                            earlier_child["first_name"],
                            earlier_child["last_name"],
                        ),
                        "state": PairState.SUSPECTED.value,
                        "found_at": received_at,
                    }
                )
            elif status not in FINAL:
                # Open referrals are what a later one may be a second sending of.
                recent.append((row, batch.children[-len(children)]))

            steps = gen.path(status, row["eligibility"])
            gap = rng.uniform(3, 40)
            moments = draw_times(rng, received_at, now, len(steps) + 1, gap)
            history = [
                {
                    "at": received_at,
                    "user_id": None,
                    "from_status": None,
                    "to_status": Status.NEW.value,
                    "comment": "",
                    "reason": None,
                    "service": None,
                    "withdrawn_by": None,
                    "share_reason": False,
                }
            ]
            previous = Status.NEW
            step_user = None
            for step, moment in zip(steps, moments, strict=False):
                step_user = gen.user()
                history.append(
                    {
                        **step,
                        "to_status": step["to_status"].value,
                        "at": moment,
                        "user_id": step_user,
                        "from_status": previous.value,
                    }
                )
                previous = step["to_status"]
            last_activity = history[-1]["at"]

            agreement = _agreement(gen, row, status, history, moments[-1])
            if agreement is not None:
                agreement["id"] = next_id("agreement")
                agreement["referral_id"] = referral_id
                batch.agreements.append(agreement)
                batch.covers.extend(
                    {
                        "id": next_id("agreement_child"),
                        "agreement_id": agreement["id"],
                        "child_id": child["id"],
                        "withdrawn_on": agreement["withdrawn_on"],
                        "withdrawn_at": agreement["withdrawn_at"],
                        "withdrawn_by_id": agreement["withdrawn_by_id"],
                    }
                    for child in child_rows
                )
                last_activity = max(
                    last_activity,
                    agreement["recorded_at"],
                    agreement["withdrawn_at"] or agreement["recorded_at"],
                )

            if status is not Status.NEW or rng.random() < 0.1:
                # Notes come with the work: before a final decision, up to now on open ones.
                end = history[-1]["at"] if status in FINAL else moments[-1]
                for _ in range(rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]):
                    at = received_at + (end - received_at) * rng.random()
                    batch.notes.append(
                        {
                            "id": next_id("note"),
                            "referral_id": referral_id,
                            "at": at,
                            "user_id": gen.user(),
                            "text": rng.choice(NOTES),
                        }
                    )
                    last_activity = max(last_activity, at)

            # A change is made for each child: the siblings of a referral move together.
            for change in history:
                for child in child_rows:
                    batch.history.append(
                        {
                            **change,
                            "id": next_id("status_change"),
                            "referral_id": referral_id,
                            "child_id": child["id"],
                        }
                    )
            batch.parcours.extend(
                {**parcours, "id": next_id("parcours")}
                for parcours in _parcours(history, child_rows, referral_id)
            )

            # Once someone has looked at a referral, it mostly has a référent, named then.
            row.setdefault("duplicate_suspected", False)
            row["assigned_to_id"] = None
            if status is not Status.NEW and gen.user_ids and rng.random() < 0.85:
                row["assigned_to_id"] = rng.choice(gen.user_ids)
                batch.assignments.append(
                    {
                        "id": next_id("assignment"),
                        "referral_id": referral_id,
                        "at": history[1]["at"],
                        "user_id": history[1]["user_id"],
                        "assigned_to_id": row["assigned_to_id"],
                    }
                )
            row["last_activity_at"] = last_activity
            row["updated_by_id"] = step_user
            row["search_key"] = gen.search_key(row, children)
            batch.referrals.append(row)
        batch.counters = {year: last_numbers[year] for year in {r["year"] for r in batch.referrals}}
        yield batch


def _parcours(history: list[dict], children: list[dict], referral_id: int) -> list[dict]:
    """A parcours for each child accepted, from the day of the decision; ended (reason
    unrecorded: `other`) when the referral was closed."""
    reached = {change["to_status"]: change for change in history}
    accepted = reached.get(Status.ACCEPTED.value)
    if accepted is None:
        return []
    closed = reached.get(Status.CLOSED.value)
    return [
        {
            "child_id": child["id"],
            "referral_id": referral_id,
            "entered_on": local_date(accepted["at"]),
            "opened_at": accepted["at"],
            "opened_by_id": accepted["user_id"],
            "referent_id": None,
            "referent_name": "",
            "referent_organisation": "",
            "next_review_on": None,
            "ended_on": local_date(closed["at"]) if closed else None,
            "exit_reason": "goals_met" if closed else None,
            "exit_service": None,
            "exit_comment": "",
            "ended_at": closed["at"] if closed else None,
            "ended_by_id": closed["user_id"] if closed else None,
        }
        for child in children
    ]


def _agreement(
    gen: Drawer, row: dict, status: Status, history: list[dict], latest: datetime
) -> dict | None:
    """The parents' agreement: always before `accepted`, sometimes earlier in the process,
    now and then withdrawn along with the referral."""
    rng = gen.rng
    reached = [change["to_status"] for change in history]
    if Status.ACCEPTED.value in reached:
        index = reached.index(Status.ACCEPTED.value)
        before, after = history[index - 1]["at"], history[index]["at"]
    elif rng.random() < {Status.EPS: 0.5, Status.IN_REVIEW: 0.15}.get(status, 0):
        before, after = history[-1]["at"], latest
    elif status is Status.WITHDRAWN and Status.EPS.value in reached and rng.random() < 0.5:
        index = reached.index(Status.EPS.value)
        before, after = history[index]["at"], history[index + 1]["at"]
    else:
        return None
    recorded_at = before + (after - before) * rng.uniform(0.2, 0.9)
    withdrawn = status is Status.WITHDRAWN and history[-1]["withdrawn_by"] == "family"
    withdrawn_at = history[-1]["at"] if withdrawn else None
    return {
        "guardian_name": row["guardian_name"],
        # Often signed a day or two before the coordination records it, never before the
        # referral came in.
        "given_on": max(
            local_date(recorded_at) - timedelta(days=rng.choice((0, 0, 0, 1, 2))),
            local_date(row["received_at"]),
        ),
        "method": rng.choice(gen.methods),
        "comment": rng.choice(AGREEMENT_COMMENTS),
        "recorded_at": recorded_at,
        "recorded_by_id": gen.user(),
        "withdrawn_on": local_date(withdrawn_at) if withdrawn_at else None,
        "withdrawn_at": withdrawn_at,
        "withdrawn_by_id": gen.user() if withdrawn_at else None,
    }
