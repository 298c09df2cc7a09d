"""The seeder's parcours: a child's exit, then its référent, objectives, actions and reviews
from its entry to its exit (or to today), as a coordination would have recorded them."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from intake.dev.drawer import Drawer
from intake.dev.odds import ACTION_WEIGHTS, EXIT_WEIGHTS, REDIRECT_SERVICES
from intake.dev.texts import (
    ACTION_DETAILS,
    EXIT_COMMENTS,
    HANDOVER_OTHER,
    OBJECTIVES,
    OUTSIDE_REFERENTS,
    PARTNERS,
    REVIEW_SUMMARIES,
)
from intake.dev.words import GUARDIAN_FIRST_NAMES, LAST_NAMES
from intake.rules.ages import age_on
from intake.rules.clock import local_date

# A parcours lasts 6 to 24 months, 14 on average (the national average is 12 to 19).
DURATION_DAYS = (180, 730, 400)
# A child leaves the programme at 17 (its last age is the territory's max_age, 16).
AGE_LIMIT = 17
SHORT = 180
ACTION_KINDS = list(ACTION_WEIGHTS)
# Cumulative weights, worked out once: `choices` would add them up again at each draw.
ACTION_KIND_CUMULATIVE = list(itertools.accumulate(ACTION_WEIGHTS.values()))
ACTION_COUNTS, ACTION_COUNT_CUMULATIVE = (1, 2, 3, 4), (30, 65, 88, 100)
# Activities and parents' groups are often collective; the rest mostly individual.
COLLECTIVE = {"culture_sport": 0.6, "parenting": 0.4, "tutoring": 0.25}


def closing_moment(gen: Drawer, accepted_at: datetime) -> datetime:
    """When a parcours that began at `accepted_at` ended: 6 to 24 months on, or, for one
    that began less long ago, some time before today."""
    rng = gen.rng
    days = rng.triangular(*DURATION_DAYS)
    room = (gen.now - accepted_at).total_seconds() / 86400 - 1
    if days > room:
        days = max(room * rng.uniform(0.4, 0.95), 0.5)
    return accepted_at + timedelta(days=days)


def draw_exit(gen: Drawer, child: dict[str, Any], entered: date, ended: date) -> dict[str, Any]:
    """Why `child`'s parcours ended: the age limit for a child of 17, mostly its goals met
    after a parcours of some length, a move or the family's wish after a short one."""
    rng = gen.rng
    if age_on(child["birth_date"], ended) >= AGE_LIMIT and rng.random() < 0.85:
        reason = "age_limit"
    else:
        weights = EXIT_WEIGHTS[(ended - entered).days < SHORT]
        reason = rng.choices(list(weights), list(weights.values()))[0]
    service = None
    comment = rng.choice(EXIT_COMMENTS[reason])
    if reason == "handed_over":
        service = rng.choices(list(REDIRECT_SERVICES), list(REDIRECT_SERVICES.values()))[0]
        if service == "other":
            comment = HANDOVER_OTHER
    return {"exit_reason": reason, "exit_service": service, "exit_comment": comment}


def _written(day: date, entered: date, opened_at: datetime, now: datetime) -> datetime:
    """When something of `day` was written down: that day at the hour the parcours was
    opened (cheaper than drawing an hour, and as plausible), never after the seed's now."""
    return min(opened_at + timedelta(days=(day - entered).days), now)


def draw_parcours(
    gen: Drawer,
    *,
    child_id: int,
    referral: dict[str, Any],
    accepted: dict[str, Any],
    ending: dict[str, Any] | None,
) -> tuple[dict[str, Any], list[dict], list[dict], list[dict]]:
    """A child's parcours row and its objectives, actions and reviews (without ids), from the
    change that accepted it to `ending` (the closing change with the exit's columns, or None
    for a parcours still open)."""
    rng = gen.rng
    opened_at = accepted["at"]
    entered = local_date(opened_at)
    last_day = local_date(ending["at"]) if ending else local_date(gen.now - timedelta(minutes=1))
    row: dict[str, Any] = {
        "child_id": child_id,
        "referral_id": referral["id"],
        "entered_on": entered,
        "opened_at": opened_at,
        "opened_by_id": accepted["user_id"],
        "referent_id": None,
        "referent_name": "",
        "referent_organisation": "",
        "next_review_on": None,
        "ended_on": None,
        "exit_reason": None,
        "exit_service": None,
        "exit_comment": "",
        "ended_at": None,
        "ended_by_id": None,
    }
    # The référent: mostly the referral's, else another coordinator, now and then someone of
    # a partner (the school, the social worker) who knows the family best; with no
    # coordinator to name, a partner's now and then, nobody yet otherwise.
    roll = rng.random()
    if roll < 0.15 or not gen.user_ids:
        if roll < 0.3:
            row["referent_name"] = f"{rng.choice(GUARDIAN_FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            row["referent_organisation"] = rng.choice(OUTSIDE_REFERENTS)
    elif referral["assigned_to_id"] is not None and roll < 0.8:
        row["referent_id"] = referral["assigned_to_id"]
    else:
        row["referent_id"] = rng.choice(gen.user_ids)
    if ending is not None:
        row.update(
            ended_on=last_day,
            exit_reason=ending["exit_reason"],
            exit_service=ending["exit_service"],
            exit_comment=ending["exit_comment"],
            ended_at=ending["at"],
            ended_by_id=ending["user_id"],
        )

    domains = referral["domains"]
    objectives = [
        {"at": opened_at, "user_id": accepted["user_id"], "domain": domain, "text": text}
        for domain in rng.sample(domains, min(len(domains), rng.randint(1, 3)))
        for text in (rng.choice(OBJECTIVES[domain]),)
    ]

    # The référent writes the parcours down, or whoever accepted the child when the référent
    # is not on the staff.
    writer = row["referent_id"] or accepted["user_id"]
    span = (last_day - entered).days
    now = gen.now - timedelta(minutes=1)
    random = rng.random
    actions = []
    for _ in range(rng.choices(ACTION_COUNTS, cum_weights=ACTION_COUNT_CUMULATIVE)[0]):
        kind = rng.choices(ACTION_KINDS, cum_weights=ACTION_KIND_CUMULATIVE)[0]
        started = entered + timedelta(days=int(random() * (min(60, span) + 1)))
        # Actions last a term or a school year; those of a parcours that ended ended with it.
        ended = started + timedelta(days=30 + int(random() * 270))
        if ended > last_day:
            ended = last_day if ending is not None else None
        actions.append(
            {
                "at": _written(started, entered, opened_at, now),
                "user_id": writer,
                "kind": kind,
                "detail": rng.choice(ACTION_DETAILS[kind]),
                "collective": random() < COLLECTIVE.get(kind, 0.05),
                "partner": rng.choice(PARTNERS[kind]),
                "started_on": started,
                "ended_on": ended,
            }
        )

    # Reviews every two to four months, each planning the next; the one planned last may be
    # late, as some are. A parcours that ended plans nothing after its exit.
    reviews = []
    held = entered + timedelta(days=60 + int(random() * 60))
    while held <= last_day:
        planned = held + timedelta(days=60 + int(random() * 60))
        reviews.append(
            {
                "at": _written(held, entered, opened_at, now),
                "user_id": writer,
                "held_on": held,
                "kind": "eps" if random() < 0.4 else "team",
                "summary": rng.choice(REVIEW_SUMMARIES),
                "next_on": None if ending is not None and planned > last_day else planned,
                "number": len(reviews) + 1,
            }
        )
        held = planned + timedelta(days=int(random() * 28) - 7)
    if reviews:
        row["next_review_on"] = reviews[-1]["next_on"]
    return row, objectives, actions, reviews
