"""What a notice and the status page tell of each child: pure rules over plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from intake.rules.progress import (
    ChildOutcome,
    child_standing,
    notice_outcomes,
    same_year_numbers,
)
from intake.rules.workflow import Status
from tests.rules.test_progress import Change, on


@dataclass
class Kid:
    number: int
    birth_date: date
    status: str


INES = date(2017, 3, 12)
YANIS = date(2013, 10, 2)
CLAS = Change("redirected", 5, reason="mainstream_service", service="clas", share_reason=True)


@pytest.mark.parametrize(
    ("statuses", "moved", "expected"),
    [
        pytest.param(
            ("eps", "redirected"),
            {2: CLAS},
            [
                ChildOutcome(1, 2017, Status.EPS),
                ChildOutcome(2, 2013, Status.REDIRECTED, on(5), "mainstream_service", "clas"),
            ],
            id="one-redirected-the-other-still-examined",
        ),
        pytest.param(
            ("accepted", "redirected"),
            {1: Change("accepted", 9)},
            [ChildOutcome(1, 2017, Status.ACCEPTED, on(9))],
            id="the-sibling-decided-earlier-is-left-out",
        ),
        pytest.param(
            ("declined", "declined"),
            {1: Change("declined", 4, reason="age"), 2: Change("declined", 4, reason="age")},
            [
                ChildOutcome(1, 2017, Status.DECLINED, on(4)),
                ChildOutcome(2, 2013, Status.DECLINED, on(4)),
            ],
            id="both-at-once-reason-kept",
        ),
        pytest.param(
            ("in_review", "in_review"),
            {1: Change("in_review", 2), 2: Change("in_review", 2)},
            [],
            id="a-step-is-not-a-decision",
        ),
        pytest.param(
            ("new", "closed"),
            {2: Change("closed", 20)},
            [],
            id="closing-tells-nobody",
        ),
    ],
)
def test_notice_outcomes(statuses, moved, expected):
    children = [Kid(1, INES, statuses[0]), Kid(2, YANIS, statuses[1])]
    changes = [(kid, moved[kid.number]) for kid in children if kid.number in moved]
    assert notice_outcomes(children, changes) == expected


@pytest.mark.parametrize(
    ("status", "history", "expected"),
    [
        pytest.param("new", [], ChildOutcome(1, 2017, Status.NEW), id="new"),
        pytest.param(
            "in_review",
            [Change("redirected", 5, service="pmi"), Change("in_review", 8)],
            ChildOutcome(1, 2017, Status.IN_REVIEW),
            id="reopened-is-examined-again",
        ),
        pytest.param(
            "redirected",
            [Change("in_review", 2), CLAS],
            ChildOutcome(1, 2017, Status.REDIRECTED, on(5), "mainstream_service", "clas"),
            id="redirected-with-what-is-shared",
        ),
        pytest.param(
            "declined",
            [Change("declined", 6, reason="age")],
            ChildOutcome(1, 2017, Status.DECLINED, on(6)),
            id="declined-reason-kept",
        ),
        pytest.param(
            "closed",
            [Change("accepted", 6), Change("closed", 30)],
            ChildOutcome(1, 2017, Status.CLOSED, on(30)),
            id="closed-dated-from-its-end",
        ),
        pytest.param(
            "accepted",
            [],
            ChildOutcome(1, 2017, Status.ACCEPTED),
            id="a-status-without-its-change",
        ),
    ],
)
def test_child_standing(status, history, expected):
    assert child_standing(Kid(1, INES, status), history) == expected


@pytest.mark.parametrize(
    ("births", "expected"),
    [
        pytest.param([INES], frozenset(), id="one-child"),
        pytest.param([INES, YANIS], frozenset(), id="different-years"),
        pytest.param([INES, date(2017, 12, 1), YANIS], frozenset({1, 2}), id="same-year"),
    ],
)
def test_same_year_numbers(births, expected):
    children = [Kid(number, born, "new") for number, born in enumerate(births, start=1)]
    assert same_year_numbers(children) == expected


def test_a_child_outcome_says_whether_it_is_decided():
    assert not ChildOutcome(1, 2017, Status.EPS).decided
    assert ChildOutcome(1, 2017, Status.WITHDRAWN).decided
    assert ChildOutcome(1, 2017, Status.NEW).label == "toujours en cours d’examen"
