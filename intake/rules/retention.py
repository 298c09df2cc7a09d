"""The retention rule: when a final referral's data must be erased, and what of it is erased
and what kept (ANONYMISED). Pure, no Flask.

Past its retention a referral is anonymised, not deleted (CNIL: remove what identifies people
from the active base, two years after the last contact, without forgetting that the programme
worked): names, address, phones, e-mails, every free text and every copy of them go; the
codes and dates the programme's yearly figures count stay.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from intake.rules.clock import days_between
from intake.rules.workflow import FINAL, Status


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (31 March - 1 month = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def is_expired(
    status: str,
    last_activity_at: datetime,
    now: datetime,
    retention_months: int,
    children: Iterable[str] = (),
) -> bool:
    """Whether a referral's data are past retention: final (its own status and each of its
    `children`'s), and untouched for the period."""
    return (
        Status(status) in FINAL
        and all(Status(child) in FINAL for child in children)
        and last_activity_at <= months_before(now, retention_months)
    )


class Fate(StrEnum):
    """What anonymising does to a column."""

    KEEP = "keep"  # a code, a date, a number, a flag, a staff account: the figures' matter
    BLANK = "blank"  # "" (None where the column may be empty): a free text, a contact
    PLACEHOLDER = "placeholder"  # PLACEHOLDER: a name the pages and e-mails expect
    MONTH = "month"  # a date kept to its year and month (the 1st): a birth date
    CODES = "codes"  # a screening's JSON kept to its codes, without the reasons' words
    KEYS = "keys"  # a correction's JSON kept to the fields' names, without their values


PLACEHOLDER = "—"

# Every column of every table that holds a referral's data, and what anonymising does to it.
# A column added to one of these tables without its line here fails the retention tests:
# whoever adds it decides whether it identifies a family.
ANONYMISED: Mapping[str, Mapping[str, Fate]] = {
    "referral": {
        "id": Fate.KEEP,
        "reference": Fate.KEEP,
        "year": Fate.KEEP,
        "number": Fate.KEEP,
        "source": Fate.KEEP,
        "received_at": Fate.KEEP,
        "status": Fate.KEEP,
        "eligibility": Fate.KEEP,
        "urgent": Fate.KEEP,
        # A digest of what the family typed: a guess of their name could be checked on it.
        "fingerprint": Fate.BLANK,
        # Names, phones and reference, normalised (an anonymised referral is found by none).
        "search_key": Fate.BLANK,
        "last_activity_at": Fate.KEEP,
        "version": Fate.KEEP,
        "updated_by_id": Fate.KEEP,
        "assigned_to_id": Fate.KEEP,
        "duplicate_suspected": Fate.KEEP,  # its pairs are deleted, and the flag with them
        "anonymised_at": Fate.KEEP,
        "guardian_name": Fate.PLACEHOLDER,
        "guardian_phone": Fate.BLANK,
        "guardian_email": Fate.BLANK,
        "address": Fate.BLANK,
        # The commune stays (postcode and city): a QPV and a network are counted within it.
        "postcode": Fate.KEEP,
        "city": Fate.KEEP,
        "domains": Fate.KEEP,
        "situation": Fate.BLANK,
        "referrer_name": Fate.BLANK,
        # Where the referrer works names a person's workplace, a small one its only teacher.
        "referrer_organisation": Fate.BLANK,
        "referrer_role": Fate.KEEP,
        "referrer_email": Fate.BLANK,
        "referrer_phone": Fate.BLANK,
        "actions_tried": Fate.BLANK,
        "family_informed": Fate.KEEP,
        "consent": Fate.KEEP,
        "heard_from": Fate.BLANK,
        "contact_language": Fate.KEEP,
        "sent_language": Fate.KEEP,
        # As typed: it may say where a family comes from, more than a figure needs.
        "home_languages": Fate.BLANK,
        # Follows the words (Referral.home_languages' event): blanked with them.
        "home_language_codes": Fate.BLANK,
        "interpreter": Fate.KEEP,
        # A reason code, no address: says nothing of the family once its contact is blanked.
        "contact_doubt": Fate.KEEP,
    },
    "child": {
        "id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "position": Fate.KEEP,
        "first_name": Fate.PLACEHOLDER,
        "last_name": Fate.PLACEHOLDER,
        "birth_date": Fate.MONTH,
        "school": Fate.KEEP,  # a UAI, or "other": a school is no person
        "school_other": Fate.BLANK,  # typed by the sender: it may name a home or a clinic
        "class_level": Fate.KEEP,
        "eligibility": Fate.KEEP,
        "screening": Fate.CODES,  # its reasons quote the address
        "screening_residence": Fate.KEEP,
        "screening_qpv": Fate.KEEP,
        "screening_uai": Fate.KEEP,
        "screening_network": Fate.KEEP,
        "screening_territory_date": Fate.KEEP,
        "status": Fate.KEEP,
        "sex": Fate.KEEP,
        "school_level": Fate.KEEP,
    },
    "status_change": {
        "id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "from_status": Fate.KEEP,
        "to_status": Fate.KEEP,
        "comment": Fate.BLANK,
        "reason": Fate.KEEP,
        "service": Fate.KEEP,
        "withdrawn_by": Fate.KEEP,
        "share_reason": Fate.KEEP,
        "child_id": Fate.KEEP,
        # Which EPS meeting decided it: the figures count the children reviewed.
        "agenda_item_id": Fate.KEEP,
    },
    "agreement": {
        "id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "guardian_name": Fate.PLACEHOLDER,
        "given_on": Fate.KEEP,
        "method": Fate.KEEP,
        "comment": Fate.BLANK,
        "recorded_at": Fate.KEEP,
        "recorded_by_id": Fate.KEEP,
        "withdrawn_on": Fate.KEEP,
        "withdrawn_at": Fate.KEEP,
        "withdrawn_by_id": Fate.KEEP,
    },
    "agreement_child": {
        "id": Fate.KEEP,
        "agreement_id": Fate.KEEP,
        "child_id": Fate.KEEP,
        "withdrawn_on": Fate.KEEP,
        "withdrawn_at": Fate.KEEP,
        "withdrawn_by_id": Fate.KEEP,
    },
    "correction": {
        "id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "fields": Fate.KEEP,
        "previous": Fate.KEYS,
        "current": Fate.KEYS,
        "screening": Fate.BLANK,  # the children's screenings before and after, reasons and all
    },
    "assignment": {
        "id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "assigned_to_id": Fate.KEEP,
    },
    "agenda_item": {
        "id": Fate.KEEP,
        "meeting_id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "position": Fate.KEEP,
        "decision": Fate.KEEP,
        "status_change_id": Fate.KEEP,
        "minute": Fate.BLANK,
        "decided_at": Fate.KEEP,
        "decided_by_id": Fate.KEEP,
    },
    "parcours": {
        "id": Fate.KEEP,
        "child_id": Fate.KEEP,
        "referral_id": Fate.KEEP,
        "entered_on": Fate.KEEP,
        "opened_at": Fate.KEEP,
        "opened_by_id": Fate.KEEP,
        "referent_id": Fate.KEEP,
        # A person outside the programme, and where they work.
        "referent_name": Fate.BLANK,
        "referent_organisation": Fate.BLANK,
        "next_review_on": Fate.KEEP,
        "ended_on": Fate.KEEP,
        "exit_reason": Fate.KEEP,
        "exit_service": Fate.KEEP,
        "exit_comment": Fate.BLANK,
        "ended_at": Fate.KEEP,
        "ended_by_id": Fate.KEEP,
    },
    "parcours_objective": {
        "id": Fate.KEEP,
        "parcours_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "domain": Fate.KEEP,
        "text": Fate.BLANK,
    },
    "parcours_action": {
        "id": Fate.KEEP,
        "parcours_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "kind": Fate.KEEP,
        "detail": Fate.BLANK,
        "collective": Fate.KEEP,
        "partner": Fate.BLANK,  # a speech therapist in private practice is a person
        "started_on": Fate.KEEP,
        "ended_on": Fate.KEEP,
    },
    "parcours_review": {
        "id": Fate.KEEP,
        "parcours_id": Fate.KEEP,
        "at": Fate.KEEP,
        "user_id": Fate.KEEP,
        "held_on": Fate.KEEP,
        "kind": Fate.KEEP,
        "summary": Fate.BLANK,
        "next_on": Fate.KEEP,
        "number": Fate.KEEP,
    },
}

# The tables whose rows about an anonymised referral are deleted, not kept erased: nothing in
# them is counted. Notes are free text whole; a suspected duplicate names two families; an
# e-mail is its recipients and its words.
# (`referral_language`: a referral's languages spoken at home as codes go with its words,
# `home_languages`, which Referral's event follows.)
DELETED = frozenset({"note", "duplicate_pair", "outbox_message", "referral_language"})

# Tables that name a referral by its reference or not at all, and hold nothing of the
# family: the read log (references only, purged after INTAKE_READ_LOG_MONTHS) and meetings
# (their place and attendees are staff and partners; the agenda items are above).
UNTOUCHED = frozenset({"read_event", "read_referral", "meeting"})


def anonymised_value(fate: Fate, value: Any, nullable: bool = False) -> Any:
    """What a column holding `value` holds once anonymised (`nullable`: whether it may be
    None, which BLANK then gives, rather than "")."""
    match fate:
        case Fate.KEEP:
            return value
        case Fate.BLANK:
            return None if nullable else ""
        case Fate.PLACEHOLDER:
            return PLACEHOLDER
        case Fate.MONTH:
            return value.replace(day=1) if isinstance(value, date) else value
        case Fate.CODES:
            return screening_codes(value)
        case Fate.KEYS:
            return dict.fromkeys(value) if value else value
    raise ValueError(fate)


# A screening's codes (intake.rules.screening.Screening.to_dict): kept whole.
SCREENING_CODES = (
    "eligibility",
    "age",
    "school",
    "residence",
    "qpv_code",
    "school_uai",
    "school_network",
)
# A reason's parameters that name the territory, not the family: its QPV, commune, postcode,
# school and the programme's ages. The others (the street, the child's age in years and
# months) become PLACEHOLDER, so that a page still filling the reason's template (a meeting's
# fiche) finds every parameter it names.
TERRITORY_PARAMS = frozenset(
    {"qpv", "code", "commune", "postcode", "school", "uai", "network", "min_age", "max_age"}
)


def screening_codes(screening: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored screening kept to its codes, and its reasons to their codes and templates
    (fixed sentences), without the words they were filled with."""
    if not screening:
        return screening  # type: ignore[return-value]
    kept = {key: screening[key] for key in SCREENING_CODES if key in screening}
    kept["reasons"] = [
        {
            "code": reason.get("code"),
            "template": reason.get("template", ""),
            "params": {
                name: value if name in TERRITORY_PARAMS else PLACEHOLDER
                for name, value in reason.get("params", {}).items()
            },
        }
        for reason in screening.get("reasons", [])
    ]
    return kept


def is_overdue(status: str, received_at: datetime, now: datetime, remind_after_days: int) -> bool:
    """Whether a referral has waited too long in `new` and should be flagged in the queue:
    `remind_after_days` Paris days or more since it was received (as days_since counts)."""
    return Status(status) is Status.NEW and days_since(received_at, now) >= remind_after_days


def days_since(moment: datetime, now: datetime) -> int:
    """Paris calendar days from `moment` to `now`, as the queue shows waits: 0 the day it
    came, 1 ("hier") from midnight in Paris, whatever the hour it came at."""
    return days_between(moment, now)


def is_stalled(
    status: str, last_activity_at: datetime, now: datetime, remind_after_days: int
) -> bool:
    """Whether an open referral has had no staff action for too long and should be flagged in
    the queue (a final one waits for nothing)."""
    return Status(status) not in FINAL and days_since(last_activity_at, now) >= remind_after_days
