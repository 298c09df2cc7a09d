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
from intake.dev.odds import SPLIT_EXITS, SPLIT_SHARE
from intake.dev.parcours import closing_moment, draw_exit, draw_parcours
from intake.dev.texts import AGREEMENT_COMMENTS, NOTES
from intake.duplicates.likeness import name_similarity
from intake.models import PairState
from intake.rules.clock import local_date
from intake.rules.home_languages import home_language_codes
from intake.rules.workflow import FINAL, Status, referral_status
from intake.territory.model import Territory

CHUNK_SIZE = 2000
# How many of the latest open referrals a later one may be a second sending of.
RECENT_OPEN = 200
ACCEPTED = Status.ACCEPTED.value
# The children that have a parcours: accepted, or closed once it ended.
FOLLOWED = frozenset({Status.ACCEPTED.value, Status.CLOSED.value})


@dataclass
class Batch:
    """One chunk of generated rows, ready for executemany, and where the counters stand."""

    referrals: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    covers: list[dict[str, Any]] = field(default_factory=list)
    parcours: list[dict[str, Any]] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    languages: list[dict[str, Any]] = field(default_factory=list)
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
    parcours_objective_id: int = 1
    parcours_action_id: int = 1
    parcours_review_id: int = 1
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
        "parcours_objective": start.parcours_objective_id,
        "parcours_action": start.parcours_action_id,
        "parcours_review": start.parcours_review_id,
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
            if status is Status.CLOSED:
                # A parcours lasts months, not the weeks between the steps before it.
                moments[-2] = closing_moment(gen, moments[-3])
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

            # Each child's own path: the referral's, but for a sibling now and then decided
            # apart, and for the exit of each child whose parcours ended.
            paths = [history] * len(children)
            split = None
            if len(children) > 1 and rng.random() < SPLIT_SHARE:
                split = _split(gen, history, moments, children)
                if split is not None:
                    paths[split[0]] = split[1]
            exits: list[dict | None] = [None] * len(children)
            if status is Status.CLOSED:
                entered, ended = local_date(history[-2]["at"]), local_date(history[-1]["at"])
                for index, child in enumerate(children):
                    if paths[index] is history:
                        exits[index] = draw_exit(gen, child, entered, ended)
                        closing = {**history[-1], "comment": exits[index]["exit_comment"]}
                        paths[index] = [*history[:-1], closing]
            for child, path in zip(child_rows, paths, strict=True):
                child["status"] = path[-1]["to_status"]
                if status is Status.NEW:
                    # The coordinator records the sex at the first contact, not yet made.
                    child["sex"] = ""
            row["status"] = referral_status(child["status"] for child in child_rows)
            last_activity = max(path[-1]["at"] for path in paths)

            agreement = _agreement(gen, row, status, history, moments[-1])
            if agreement is not None:
                agreement["id"] = next_id("agreement")
                agreement["referral_id"] = referral_id
                batch.agreements.append(agreement)
                covers = _covers(gen, agreement, child_rows, paths, split)
                for cover in covers:
                    cover["id"] = next_id("agreement_child")
                batch.covers.extend(covers)
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

            # A change is made for each child, in time order: siblings moved together in one
            # go have consecutive rows, as `change_status` writes them.
            if all(path is history for path in paths):
                changes = [(change, child) for change in history for child in child_rows]
            else:
                changes = sorted(
                    (
                        (change, child)
                        for child, path in zip(child_rows, paths, strict=True)
                        for change in path
                    ),
                    key=lambda pair: pair[0]["at"],
                )
            for change, child in changes:
                batch.history.append(
                    {
                        **change,
                        "id": next_id("status_change"),
                        "referral_id": referral_id,
                        "child_id": child["id"],
                    }
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

            # A parcours for each child accepted, from the day of its acceptance.
            for child, path, exit_ in zip(child_rows, paths, exits, strict=True):
                if child["status"] not in FOLLOWED:
                    continue
                accepted = next(c for c in reversed(path) if c["to_status"] == ACCEPTED)
                ending = {**path[-1], **exit_} if exit_ is not None else None
                parcours, objectives, actions, reviews = draw_parcours(
                    gen, child_id=child["id"], referral=row, accepted=accepted, ending=ending
                )
                parcours["id"] = next_id("parcours")
                batch.parcours.append(parcours)
                for records, table, name in (
                    (objectives, batch.objectives, "parcours_objective"),
                    (actions, batch.actions, "parcours_action"),
                    (reviews, batch.reviews, "parcours_review"),
                ):
                    for record in records:
                        record["id"] = next_id(name)
                        record["parcours_id"] = parcours["id"]
                        last_activity = max(last_activity, record["at"])
                    table.extend(records)

            row["last_activity_at"] = last_activity
            row["updated_by_id"] = step_user
            row["search_key"] = gen.search_key(row, children)
            # What Referral's event keeps for an object, given here for a row.
            codes = home_language_codes(row["home_languages"])
            row["home_language_codes"] = " ".join(codes)
            batch.languages.extend({"referral_id": referral_id, "code": c} for c in codes)
            batch.referrals.append(row)
        batch.counters = {year: last_numbers[year] for year in {r["year"] for r in batch.referrals}}
        yield batch


def _split(
    gen: Drawer, history: list[dict], moments: list[datetime], children: list[dict]
) -> tuple[int, list[dict]] | None:
    """One child decided apart from its siblings: its path is theirs until it is redirected,
    declined or withdrawn, mostly at the EPS that decides on the others, at the same moment.
    Returns the child's index and its path, or None when the referral was never looked at."""
    rng = gen.rng
    looked_at = (Status.IN_REVIEW.value, Status.EPS.value)
    candidates = [i for i in range(1, len(history)) if history[i]["to_status"] in looked_at]
    if not candidates:
        return None
    index = candidates[-1] if rng.random() < 0.7 else rng.choice(candidates)
    following = history[index + 1] if index + 1 < len(history) else None
    exits = {
        status: weight
        for status, weight in SPLIT_EXITS.items()
        if following is None or status.value != following["to_status"]
    }
    target = rng.choices(list(exits), list(exits.values()))[0]
    chosen = rng.randrange(len(children))
    step = gen.step(target, children[chosen]["eligibility"])
    change = {
        **step,
        "to_status": target.value,
        "at": moments[index],
        "user_id": following["user_id"] if following is not None else gen.user(),
        "from_status": history[index]["to_status"],
    }
    return chosen, [*history[: index + 1], change]


def _covers(
    gen: Drawer,
    agreement: dict,
    children: list[dict],
    paths: list[list[dict]],
    split: tuple[int, list[dict]] | None,
) -> list[dict]:
    """The children an agreement is given for: those that went on, and the one decided apart
    when the parents had agreed for it before (half the time); withdrawn for a child whose
    family withdrew it afterwards, and as a whole once withdrawn for all."""
    rng = gen.rng
    covers = []
    for index, (child, path) in enumerate(zip(children, paths, strict=True)):
        apart = split is not None and index == split[0]
        if apart and (path[-1]["at"] <= agreement["recorded_at"] or rng.random() < 0.5):
            continue
        last = path[-1]
        withdrawn = (
            last["to_status"] == Status.WITHDRAWN.value
            and last["withdrawn_by"] == "family"
            and last["at"] > agreement["recorded_at"]
        )
        covers.append(
            {
                "agreement_id": agreement["id"],
                "child_id": child["id"],
                "withdrawn_on": local_date(last["at"]) if withdrawn else None,
                "withdrawn_at": last["at"] if withdrawn else None,
                "withdrawn_by_id": (last["user_id"] or gen.user()) if withdrawn else None,
            }
        )
    if all(cover["withdrawn_at"] is not None for cover in covers):
        latest = max(covers, key=lambda cover: cover["withdrawn_at"])
        agreement.update(
            withdrawn_on=latest["withdrawn_on"],
            withdrawn_at=latest["withdrawn_at"],
            withdrawn_by_id=latest["withdrawn_by_id"],
        )
    return covers


def _agreement(
    gen: Drawer, row: dict, status: Status, history: list[dict], latest: datetime
) -> dict | None:
    """The parents' agreement: always before `accepted`, sometimes earlier in the process."""
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
        # Withdrawn child by child: see _covers.
        "withdrawn_on": None,
        "withdrawn_at": None,
        "withdrawn_by_id": None,
    }
