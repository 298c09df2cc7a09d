"""The status machine, as a table: every pair of statuses, allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from intake.workflow import FINAL, Status, TransitionError, allowed_next, check_transition

NEEDS_REASON = {"redirected", "declined", "withdrawn"}
ALLOWED = {
    ("new", "in_review"), ("in_review", "eps"), ("eps", "accepted"), ("accepted", "closed"),
    *itertools.product(("new", "in_review", "eps"), NEEDS_REASON),
}  # fmt: skip


@pytest.mark.parametrize(
    ("current", "target"),
    list(itertools.product([s.value for s in Status], repeat=2)),
    ids=lambda value: value,
)
def test_every_pair_of_statuses(current, target):
    if (current, target) in ALLOWED:
        assert check_transition(current, target, "parce que") == Status(target)
    else:
        with pytest.raises(TransitionError):
            check_transition(current, target, "parce que")


@pytest.mark.parametrize("target", sorted(NEEDS_REASON))
def test_leaving_the_path_needs_a_reason(target):
    with pytest.raises(TransitionError, match="raison"):
        check_transition("in_review", target, "   ")
    assert check_transition("in_review", target, "Suivi par le CMP.") == Status(target)


def test_forward_steps_need_no_comment():
    assert check_transition("new", "in_review", "") == Status.IN_REVIEW


def test_final_statuses_are_the_contract_ones():
    assert {s.value for s in FINAL} == {"closed", "redirected", "declined", "withdrawn"}
    for status in FINAL:
        assert allowed_next(status) == []


def test_allowed_next_follows_the_path_order():
    assert [s.value for s in allowed_next("new")] == [
        "in_review",
        "redirected",
        "declined",
        "withdrawn",
    ]


def test_unknown_target_is_refused_with_its_name():
    with pytest.raises(TransitionError, match="bogus"):
        check_transition("new", "bogus", "")
