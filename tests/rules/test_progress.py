"""What families and referrers are told: public steps, outcome, years. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from intake.rules.progress import (
    Outcome,
    Step,
    birth_years,
    join_words,
    latest_outcome,
    outcome_of,
    public_steps,
)
from intake.rules.workflow import Status

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Change:
    to_status: str
    day: int
    reason: str | None = None
    service: str | None = None
    share_reason: bool = False

    @property
    def at(self) -> datetime:
        return datetime(2026, 3, self.day, 10, 0, tzinfo=UTC)


def on(day: int) -> datetime:
    return datetime(2026, 3, day, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(Change("in_review", 3), None, id="review-is-not-a-decision"),
        pytest.param(Change("closed", 3), None, id="closing-is-not-a-decision"),
        pytest.param(
            Change("accepted", 3, reason="age", share_reason=True),
            Outcome(Status.ACCEPTED, on(3), None, None),
            id="accepted-has-no-reason",
        ),
        pytest.param(
            Change("declined", 3, reason="age"),
            Outcome(Status.DECLINED, on(3), None, None),
            id="declined-reason-kept",
        ),
        pytest.param(
            Change("declined", 3, reason="age", share_reason=True),
            Outcome(Status.DECLINED, on(3), "age", None),
            id="declined-reason-shared",
        ),
        pytest.param(
            Change("redirected", 3, reason="age", service="cmp"),
            Outcome(Status.REDIRECTED, on(3), None, "cmp"),
            id="redirected-service-always",
        ),
        pytest.param(
            Change("withdrawn", 3, share_reason=True),
            Outcome(Status.WITHDRAWN, on(3), None, None),
            id="withdrawn",
        ),
    ],
)
def test_outcome_of_a_change(change, expected):
    assert outcome_of(change) == expected


NEW = [Change("new", 2)]


@pytest.mark.parametrize(
    ("status", "history", "review", "decision"),
    [
        pytest.param("new", NEW, None, None, id="just-received"),
        pytest.param("in_review", [*NEW, Change("in_review", 4)], on(4), None, id="in-review"),
        pytest.param(
            "eps", [*NEW, Change("in_review", 4), Change("eps", 6)], on(4), None, id="eps"
        ),
        pytest.param(
            "declined", [*NEW, Change("declined", 5)], None, on(5), id="declined-straight-away"
        ),
        pytest.param(
            "closed",
            [
                *NEW,
                Change("in_review", 3),
                Change("eps", 4),
                Change("accepted", 6),
                Change("closed", 9),
            ],
            on(3),
            on(6),
            id="closed-keeps-the-acceptance-date",
        ),
        pytest.param(
            "in_review",
            [*NEW, Change("redirected", 3), Change("in_review", 7)],
            on(7),
            None,
            id="reopened-is-undecided-again",
        ),
    ],
)
def test_public_steps(status, history, review, decision):
    assert public_steps(RECEIVED, status, history) == [
        (Step.RECEIVED, RECEIVED),
        (Step.IN_REVIEW, review),
        (Step.DECISION, decision),
    ]


def test_the_decision_that_stands_is_the_last_one():
    history = [*NEW, Change("declined", 3), Change("in_review", 4), Change("withdrawn", 8)]
    assert latest_outcome("withdrawn", history).status is Status.WITHDRAWN
    assert latest_outcome("in_review", history[:3]) is None


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        pytest.param([date(2016, 5, 4)], [2016], id="one"),
        pytest.param([date(2019, 1, 9), date(2016, 5, 4)], [2016, 2019], id="sorted"),
        pytest.param([date(2016, 1, 1), date(2016, 12, 31)], [2016], id="twins-once"),
    ],
)
def test_birth_years(dates, expected):
    assert birth_years(dates) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], ""),
        (["2015"], "2015"),
        (["2015", "2018"], "2015 et 2018"),
        (["2014", "2015", "2018"], "2014, 2015 et 2018"),
    ],
)
def test_join_words(words, expected):
    assert join_words(words) == expected
