"""Retention: the pure rule and the table of what anonymising erases and keeps (the command
on a real database: tests/triage/test_retention_purge.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.rules.retention import (
    ANONYMISED,
    PLACEHOLDER,
    Fate,
    anonymised_value,
    is_expired,
    is_overdue,
    months_before,
)
from tests.support.builders import make_referral

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 11, 27, tzinfo=UTC), 24, datetime(2024, 11, 27, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    ],
    ids=["two-years", "end-of-march", "leap-february", "across-new-year", "thirteen-months"],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


@pytest.mark.parametrize(
    ("status", "last_activity", "expected"),
    [
        ("closed", datetime(2024, 11, 27, 12, 0, tzinfo=UTC), True),
        ("closed", datetime(2024, 11, 27, 12, 1, tzinfo=UTC), False),
        ("declined", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("withdrawn", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("redirected", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("accepted", datetime(2020, 1, 1, tzinfo=UTC), False),
        ("new", datetime(2020, 1, 1, tzinfo=UTC), False),
    ],
    ids=["closed-on-the-day", "closed-a-minute-later", "declined", "withdrawn", "redirected",
         "accepted-is-ongoing", "new-is-ongoing"],
)  # fmt: skip
def test_only_final_referrals_past_retention_expire(status, last_activity, expected):
    assert is_expired(status, last_activity, NOW, 24) is expected


@pytest.mark.parametrize(
    ("status", "received", "expected"),
    [
        # Paris days (UTC+1 in November): 20/11 at 23:59 in Paris is seven days before the
        # 27th, whatever the hour; 21/11 at 00:01 in Paris (still the 20th in UTC) is six.
        ("new", datetime(2026, 11, 20, 22, 59, tzinfo=UTC), True),
        ("new", datetime(2026, 11, 20, 23, 1, tzinfo=UTC), False),
        ("in_review", datetime(2026, 1, 1, tzinfo=UTC), False),
    ],
    ids=["new-for-7-paris-days", "new-for-6-paris-days", "already-in-review"],
)
def test_overdue_referrals_are_the_ones_still_new(status, received, expected):
    assert is_overdue(status, received, NOW, 7) is expected


@pytest.mark.parametrize(
    ("status", "children", "expected"),
    [
        ("closed", ["closed", "redirected"], True),
        ("declined", ["declined"], True),
        # A stored status that lags its children's: the children have the last word.
        ("closed", ["closed", "accepted"], False),
        ("redirected", ["eps"], False),
    ],
    ids=["all-final", "one-child-final", "a-child-still-followed", "a-child-at-the-eps"],
)
def test_a_referral_expires_only_when_each_child_is_final(status, children, expected):
    old = datetime(2020, 1, 1, tzinfo=UTC)
    assert is_expired(status, old, NOW, 24, children) is expected


@pytest.mark.parametrize(
    ("fate", "value", "nullable", "expected"),
    [
        (Fate.KEEP, "REP+", True, "REP+"),
        (Fate.KEEP, date(2016, 5, 17), False, date(2016, 5, 17)),
        (Fate.BLANK, "06 12 34 56 78", True, None),
        (Fate.BLANK, "3 rue des Tilleuls", False, ""),
        (Fate.BLANK, None, True, None),
        (Fate.PLACEHOLDER, "Sophie Martin", False, PLACEHOLDER),
        (Fate.MONTH, date(2016, 5, 17), False, date(2016, 5, 1)),
        (Fate.MONTH, date(2016, 2, 29), False, date(2016, 2, 1)),
        (Fate.KEYS, {"guardian_phone": "+33612345678", "children.0.last_name": "Martin"}, False,
         {"guardian_phone": None, "children.0.last_name": None}),
        (Fate.KEYS, {}, False, {}),
    ],
    ids=["code", "date-kept", "phone", "address", "already-empty", "name", "birth-date",
         "leap-day", "correction", "no-correction"],
)  # fmt: skip
def test_anonymised_value(fate, value, nullable, expected):
    assert anonymised_value(fate, value, nullable) == expected


def test_a_screening_keeps_its_codes_not_its_words():
    reason = {
        "code": "residence_no_number",
        "template": "Domicile : numéro absent (%(street)s, %(postcode)s).",
        "params": {"street": "rue des Tilleuls", "postcode": "62999"},
        "text": "Domicile : numéro absent (rue des Tilleuls, 62999).",
    }
    age = {
        "code": "age_in_range",
        "template": "Âge : %(age)s (%(min_age)s à %(max_age)s ans).",
        "params": {"age": "9 ans et 3 mois", "min_age": 2, "max_age": 16},
        "text": "Âge : 9 ans et 3 mois (2 à 16 ans).",
    }
    codes = {
        "eligibility": "to_check",
        "age": "in_range",
        "school": "listed",
        "residence": "unknown",
        "qpv_code": None,
        "school_uai": "0629001A",
        "school_network": "REP+",
    }
    kept = anonymised_value(Fate.CODES, {**codes, "reasons": [reason, age]})
    assert kept == {
        **codes,
        "reasons": [
            {
                "code": "residence_no_number",
                "template": reason["template"],
                "params": {"street": PLACEHOLDER, "postcode": "62999"},
            },
            {
                "code": "age_in_range",
                "template": age["template"],
                "params": {"age": PLACEHOLDER, "min_age": 2, "max_age": 16},
            },
        ],
    }
    assert "Tilleuls" not in str(kept) and "3 mois" not in str(kept)
    # Its template can still be filled.
    assert kept["reasons"][0]["template"] % kept["reasons"][0]["params"]
    assert anonymised_value(Fate.CODES, {}) == {}


@pytest.mark.parametrize(
    ("table", "column", "fate"),
    [
        ("referral", "guardian_name", Fate.PLACEHOLDER),
        ("referral", "address", Fate.BLANK),
        ("referral", "city", Fate.KEEP),
        ("referral", "postcode", Fate.KEEP),
        ("referral", "referrer_role", Fate.KEEP),
        ("referral", "referrer_organisation", Fate.BLANK),
        ("referral", "search_key", Fate.BLANK),
        ("referral", "domains", Fate.KEEP),
        ("child", "birth_date", Fate.MONTH),
        ("child", "sex", Fate.KEEP),
        ("child", "screening_qpv", Fate.KEEP),
        ("child", "screening_network", Fate.KEEP),
        ("child", "school_level", Fate.KEEP),
        ("child", "screening", Fate.CODES),
        ("status_change", "reason", Fate.KEEP),
        ("status_change", "comment", Fate.BLANK),
        ("agreement", "guardian_name", Fate.PLACEHOLDER),
        ("correction", "fields", Fate.KEEP),
        ("correction", "previous", Fate.KEYS),
        ("agenda_item", "minute", Fate.BLANK),
        ("parcours", "exit_reason", Fate.KEEP),
        ("parcours", "exit_comment", Fate.BLANK),
        ("parcours_action", "kind", Fate.KEEP),
        ("parcours_action", "partner", Fate.BLANK),
        ("parcours_review", "summary", Fate.BLANK),
    ],
)
def test_what_the_figures_keep_and_what_identifies_a_family(table, column, fate):
    assert ANONYMISED[table][column] is fate


def test_queue_flags_referrals_left_new_too_long(app, coordinator):
    january = datetime(2026, 1, 5, tzinfo=UTC)
    waiting = make_referral(app, received_at=january, status="new")
    next_day = datetime(2026, 1, 6, tzinfo=UTC)
    handled = make_referral(app, received_at=january, status="in_review", last_activity_at=next_day)
    fresh = make_referral(app, status="new")
    html = coordinator.get("/triage/").get_data(as_text=True)
    rows = {ref: html.split(ref, 1)[1].split("</tr>", 1)[0] for ref in (waiting, handled, fresh)}
    assert "Nouvelle depuis plus de 7 jours" in rows[waiting]
    assert "Nouvelle depuis plus de" not in rows[handled]
    assert "Nouvelle depuis plus de" not in rows[fresh]
