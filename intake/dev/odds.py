"""How often the seeder draws each status, reason and service; the class level of an age."""

from __future__ import annotations

from intake.rules.workflow import Status

# Status by age of the referral (days since received): recent ones are open, old ones final.
STATUS_WEIGHTS: list[tuple[int, dict[Status, int]]] = [
    (7, {Status.NEW: 70, Status.IN_REVIEW: 24, Status.WITHDRAWN: 3, Status.REDIRECTED: 3}),
    (
        30,
        {
            Status.NEW: 20,
            Status.IN_REVIEW: 40,
            Status.EPS: 20,
            Status.REDIRECTED: 7,
            Status.DECLINED: 7,
            Status.WITHDRAWN: 6,
        },
    ),
    (
        120,
        {
            Status.NEW: 3,
            Status.IN_REVIEW: 15,
            Status.EPS: 20,
            Status.ACCEPTED: 35,
            Status.REDIRECTED: 10,
            Status.DECLINED: 10,
            Status.WITHDRAWN: 7,
        },
    ),
    (
        365,
        {
            Status.IN_REVIEW: 2,
            Status.EPS: 3,
            Status.ACCEPTED: 40,
            Status.CLOSED: 25,
            Status.REDIRECTED: 12,
            Status.DECLINED: 11,
            Status.WITHDRAWN: 7,
        },
    ),
    (
        10**6,
        {
            Status.ACCEPTED: 8,
            Status.CLOSED: 55,
            Status.REDIRECTED: 15,
            Status.DECLINED: 14,
            Status.WITHDRAWN: 8,
        },
    ),
]
STATUS_TABLES = [
    (limit, list(weights), list(weights.values())) for limit, weights in STATUS_WEIGHTS
]

DECLINE_REASONS = {
    "mainstream_service": 30,
    "unreachable": 25,
    "family_declined": 20,
    "already_supported": 10,
    "duplicate": 8,
    "other": 7,
}
REDIRECT_SERVICES = {
    "clas": 30,
    "social_service": 20,
    "cmp": 15,
    "reaap": 12,
    "pmi": 8,
    "mda": 8,
    "other": 7,
}

# Class level by age in completed years on the day received (French school years).
LEVELS = ["none", "none", "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e"]
LEVELS += ["5e", "4e", "3e"]

# How often each kind of action is put in place (intake.rules.parcours.ACTION_KINDS).
ACTION_WEIGHTS = {
    "tutoring": 30,
    "speech_therapy": 10,
    "psychological": 10,
    "culture_sport": 22,
    "parenting": 14,
    "rights": 8,
    "other": 6,
}

# Why a parcours ended, for one that lasted six months or more (False) or less (True).
EXIT_WEIGHTS = {
    False: {
        "goals_met": 62,
        "moved_away": 10,
        "family_ended": 8,
        "handed_over": 12,
        "other": 8,
    },
    True: {
        "goals_met": 15,
        "moved_away": 30,
        "family_ended": 30,
        "handed_over": 15,
        "other": 10,
    },
}

# The share of referrals of several children whose children are decided apart: one of them
# redirected, declined or withdrawn while the others go on; and how that one leaves.
SPLIT_SHARE = 0.15
SPLIT_EXITS = {Status.REDIRECTED: 55, Status.DECLINED: 35, Status.WITHDRAWN: 10}
