"""The statistics' pure rules, by tables: periods, age bands, who referred, durations, masks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.rules.statistics import (
    MASK,
    PeriodError,
    age_band,
    age_thresholds,
    calendar_year,
    current_school_year,
    duration_band,
    masked,
    mean_days,
    median_days,
    month_range,
    period_for,
    referrer_group,
    school_year,
)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 9, 1), date(2026, 9, 1), date(2027, 8, 31)),
        (date(2026, 8, 31), date(2025, 9, 1), date(2026, 8, 31)),
        (date(2027, 1, 15), date(2026, 9, 1), date(2027, 8, 31)),
        (date(2026, 12, 31), date(2026, 9, 1), date(2027, 8, 31)),
    ],
)
def test_the_current_school_year_starts_on_1_september(today, start, end):
    period = current_school_year(today)
    assert (period.start, period.end, period.kind) == (start, end, "school_year")


@pytest.mark.parametrize(
    ("year", "calendar", "start", "end"),
    [
        (2025, False, date(2025, 9, 1), date(2026, 8, 31)),
        (2025, True, date(2025, 1, 1), date(2025, 12, 31)),
        (None, False, date(2026, 9, 1), date(2027, 8, 31)),
        (None, True, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_period_named_by_year(year, calendar, start, end):
    period = period_for(year, calendar, date(2026, 12, 7))
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("year", [1800, 2004, 2101, 9999])
def test_a_year_out_of_range_is_refused(year):
    with pytest.raises(PeriodError, match="2005"):
        period_for(year, False, date(2026, 12, 7))


def test_a_range_of_months_covers_whole_months():
    period = month_range(date(2026, 2, 14), date(2026, 4, 2))
    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 4, 30))
    assert period.months() == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]


def test_a_range_of_months_across_december():
    period = month_range(date(2025, 11, 1), date(2026, 1, 1))
    assert period.end == date(2026, 1, 31)
    assert [m.month for m in period.months()] == [11, 12, 1]


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2026, 5, 1), date(2026, 4, 1), "précède"),
        (date(2023, 1, 1), date(2026, 1, 1), "36 mois"),
    ],
)
def test_a_range_of_months_that_cannot_be(first, last, message):
    with pytest.raises(PeriodError, match=message):
        month_range(first, last)


def test_a_school_year_has_twelve_months_from_september():
    months = school_year(2025).months()
    assert len(months) == 12
    assert (months[0], months[-1]) == (date(2025, 9, 1), date(2026, 8, 1))
    assert len(calendar_year(2024).months()) == 12


@pytest.mark.parametrize(
    ("today", "as_of"),
    [
        (date(2026, 12, 7), date(2026, 12, 7)),  # the period runs: today
        (date(2027, 10, 1), date(2027, 8, 31)),  # the period is over: its last day
        (date(2026, 6, 1), date(2026, 9, 1)),  # not begun: its first day
    ],
)
def test_active_on_the_last_day_or_today(today, as_of):
    assert school_year(2026).as_of(today) == as_of


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (date(2025, 3, 1), "2_5"),  # 1 on the first day: supported the year it turns 2
        (date(2024, 9, 1), "2_5"),  # 2 that day
        (date(2020, 9, 2), "2_5"),  # 5, turning 6 the next day
        (date(2020, 9, 1), "6_10"),
        (date(2015, 9, 2), "6_10"),  # 10
        (date(2015, 9, 1), "11_16"),
        (date(2009, 9, 2), "11_16"),  # 16, 17 the next day
        (date(2009, 9, 1), "17_plus"),
        (date(2000, 1, 1), "17_plus"),
    ],
)
def test_age_bands_on_the_first_day(birth, band):
    assert age_band(birth, date(2026, 9, 1)) == band


@pytest.mark.parametrize(
    ("source", "role", "group"),
    [
        ("parent", None, "family"),
        ("parent", "teacher", "family"),  # a request is the family's, whatever else it holds
        ("professional", "teacher", "school"),
        ("professional", "head_teacher", "school"),
        ("professional", "cpe", "school"),
        ("professional", "rased", "school"),
        ("professional", "school_nurse_doctor", "school"),
        ("professional", "school_social_worker", "school"),
        ("professional", "social_worker", "social"),
        ("professional", "youth_worker", "social"),
        ("professional", "pmi", "health"),
        ("professional", "other", "other"),
        ("professional", None, "other"),
    ],
)
def test_who_referred_as_the_survey_groups_it(source, role, group):
    assert referrer_group(source, role) == group


@pytest.mark.parametrize(
    ("days", "band"),
    [
        (0, "under_3m"),
        (90, "under_3m"),
        (91, "3_6m"),
        (182, "3_6m"),
        (183, "6_12m"),
        (364, "6_12m"),
        (365, "12_24m"),
        (729, "12_24m"),
        (730, "24m_plus"),
    ],
)
def test_duration_bands(days, band):
    assert duration_band(days) == band


@pytest.mark.parametrize(
    ("value", "mask", "written"),
    [
        (0, True, 0),
        (1, True, MASK),
        (4, True, MASK),
        (5, True, 5),
        (3, False, 3),
        (None, True, None),
        (2.5, True, 2.5),  # a median is not a count
        (True, True, True),
    ],
)
def test_small_counts_masked(value, mask, written):
    assert masked(value, mask) == written


def test_medians_and_means():
    assert median_days([]) is None
    assert mean_days([]) is None
    assert median_days([10, 30]) == 20.0
    assert median_days([1, 2, 100]) == 2.0
    assert mean_days([1, 2, 4]) == 2.3


def band_by_thresholds(birth: date, on: date) -> str:
    return next((code for code, last in age_thresholds(on) if birth <= last), "2_5")


@pytest.mark.parametrize(
    "on",
    [date(2025, 9, 1), date(2026, 1, 1), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)],
)
def test_age_bands_by_birth_dates_agree_with_ages(on):
    # Every birth date over 20 years, 29 February included: the SQL's comparison of birth
    # dates and the age in years give the same band.
    birth = date(on.year - 20, 1, 1)
    while birth <= on:
        assert band_by_thresholds(birth, on) == age_band(birth, on), birth
        birth += timedelta(days=1)
