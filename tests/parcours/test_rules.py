"""The parcours' pure rules: reviews due, the kinds of action offered, an action's and a
review's dates."""

from __future__ import annotations

from datetime import date

import pytest

from intake.rules.parcours import (
    ACTION_KINDS,
    action_kinds,
    check_action,
    check_review,
    due_for_review,
    review_late,
)
from intake.rules.workflow import TransitionError

DAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("next_review_on", "due", "late"),
    [
        pytest.param(None, False, False, id="none-planned"),
        pytest.param(date(2026, 3, 11), False, False, id="tomorrow"),
        pytest.param(date(2026, 3, 10), True, False, id="today-due-not-late"),
        pytest.param(date(2026, 3, 9), True, True, id="yesterday-late"),
        pytest.param(date(2025, 3, 10), True, True, id="a-year-ago"),
    ],
)
def test_due_for_review(next_review_on, due, late):
    assert due_for_review(next_review_on, DAY) is due
    assert review_late(next_review_on, DAY) is late


def test_action_kinds_put_the_territory_s_before_other():
    kinds = action_kinds([("homework_club", "Club de devoirs"), ("tutoring", "Ignoré")])
    assert list(kinds) == [*list(ACTION_KINDS)[:-1], "homework_club", "other"]
    # A territory's kind never renames a built-in one.
    assert kinds["tutoring"] == ACTION_KINDS["tutoring"]
    assert list(action_kinds()) == list(ACTION_KINDS)


KINDS = [*ACTION_KINDS, "homework_club"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"kind": "astrology"}, "kind", id="unknown-kind"),
        pytest.param({"kind": None}, "kind", id="no-kind"),
        pytest.param({"kind": "other", "detail": "  "}, "detail", id="other-without-detail"),
        pytest.param({"ended_on": date(2026, 3, 9)}, "ended_on", id="ends-before-start"),
    ],
)
def test_check_action_refuses(values, field):
    action = {"kind": "tutoring", "detail": "", "started_on": DAY, "ended_on": None, **values}
    with pytest.raises(TransitionError) as refused:
        check_action(kinds=KINDS, **action)
    assert refused.value.field == field


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="open"),
        pytest.param({"ended_on": DAY}, id="one-day"),
        pytest.param({"kind": "other", "detail": "Stage de voile"}, id="other-with-detail"),
        pytest.param({"kind": "homework_club"}, id="territory-kind"),
    ],
)
def test_check_action_accepts(values):
    action = {"kind": "tutoring", "detail": "", "started_on": DAY, "ended_on": None, **values}
    check_action(kinds=KINDS, **action)


@pytest.mark.parametrize(
    ("next_on", "refused"),
    [
        pytest.param(None, False, id="none-planned"),
        pytest.param(date(2026, 3, 11), False, id="the-day-after"),
        pytest.param(DAY, True, id="the-same-day"),
        pytest.param(date(2026, 3, 1), True, id="before"),
    ],
)
def test_check_review(next_on, refused):
    if refused:
        with pytest.raises(TransitionError) as error:
            check_review(held_on=DAY, next_on=next_on)
        assert error.value.field == "next_on"
    else:
        check_review(held_on=DAY, next_on=next_on)
