"""The status machine, as a table: every pair of statuses, allowed or refused, and decisions."""

from __future__ import annotations

import itertools

import pytest

from intake.rules.decisions import REASONS, SERVICES, WITHDRAWN_BY
from intake.rules.workflow import (
    FINAL,
    Decision,
    Status,
    TransitionError,
    allowed_next,
    check_decision,
    check_transition,
    needs_confirmation,
)

EXITS = {"redirected", "declined", "withdrawn"}
ALLOWED = {
    ("new", "in_review"), ("in_review", "eps"), ("eps", "accepted"), ("accepted", "closed"),
    *itertools.product(("new", "in_review", "eps"), EXITS),
    *itertools.product(EXITS, ("in_review",)),  # reopening
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


@pytest.mark.parametrize("current", sorted(EXITS))
def test_reopening_needs_a_comment_on_the_comment_field(current):
    with pytest.raises(TransitionError, match="rouvert") as error:
        check_transition(current, "in_review", "   ")
    assert error.value.field == "comment"
    assert check_transition(current, "in_review", "Famille jointe.") == Status.IN_REVIEW


def test_closed_is_not_reopened():
    with pytest.raises(TransitionError, match="close"):
        check_transition("closed", "in_review", "Nouvelle demande.")


def test_forward_steps_need_no_comment():
    assert check_transition("new", "in_review", "") == Status.IN_REVIEW


def test_final_statuses_are_the_contract_ones():
    assert {s.value for s in FINAL} == {"closed", "redirected", "declined", "withdrawn"}
    assert allowed_next("closed") == []
    for status in EXITS:
        assert allowed_next(status) == [Status.IN_REVIEW]


@pytest.mark.parametrize(
    ("target", "asked"),
    [(s.value, s.value in {"closed", "redirected", "declined", "withdrawn"}) for s in Status],
    ids=lambda value: str(value),
)
def test_only_final_statuses_are_confirmed(target, asked):
    assert needs_confirmation(target) is asked


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


def decide(target, comment="", reason=None, service=None, withdrawn_by=None, agreed=False):
    return check_decision(
        Status(target),
        comment=comment,
        reason=reason,
        service=service,
        withdrawn_by=withdrawn_by,
        has_agreement=agreed,
    )


# (target, given, refused on field or None, stored)
DECISIONS = [
    ("declined", {}, "reason", None),
    ("declined", {"reason": "bogus"}, "reason", None),
    ("declined", {"reason": "age"}, None, Decision(reason="age")),
    ("declined", {"reason": "other"}, "comment", None),
    ("declined", {"reason": "other", "comment": "Déménagement."}, None, Decision(reason="other")),
    ("declined", {"reason": "age", "service": "pmi", "withdrawn_by": "family"}, None,
     Decision(reason="age")),
    ("redirected", {"reason": "mainstream_service"}, "service", None),
    ("redirected", {"service": "pmi"}, "reason", None),
    ("redirected", {"reason": "age", "service": "bogus"}, "service", None),
    ("redirected", {"reason": "age", "service": "other"}, "comment", None),
    ("redirected", {"reason": "mainstream_service", "service": "cmp"}, None,
     Decision(reason="mainstream_service", service="cmp")),
    ("withdrawn", {}, "withdrawn_by", None),
    ("withdrawn", {"withdrawn_by": "bogus"}, "withdrawn_by", None),
    ("withdrawn", {"withdrawn_by": "referrer", "reason": "age"}, None,
     Decision(withdrawn_by="referrer")),
    ("accepted", {}, "status", None),
    ("accepted", {"agreed": True, "reason": "age"}, None, Decision()),
    ("in_review", {"reason": "age", "service": "pmi"}, None, Decision()),
    ("closed", {}, None, Decision()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "given", "field", "stored"),
    DECISIONS,
    ids=[
        f"{t}-{'-'.join(f'{k}={v}' for k, v in g.items()) or 'nothing'}" for t, g, _, _ in DECISIONS
    ],
)
def test_decisions_need_their_codes(target, given, field, stored):
    if field:
        with pytest.raises(TransitionError) as error:
            decide(target, **given)
        assert error.value.field == field
    else:
        assert decide(target, **given) == stored


def test_accepted_without_agreement_says_so():
    with pytest.raises(TransitionError, match="accord"):
        decide("accepted")


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_is_accepted(code):
    comment = "Précision." if code == "other" else ""
    assert decide("declined", comment=comment, reason=code).reason == code


@pytest.mark.parametrize("code", sorted(SERVICES))
def test_every_service_is_accepted(code):
    comment = "Précision." if code == "other" else ""
    decision = decide("redirected", comment=comment, reason="age", service=code)
    assert decision.service == code


@pytest.mark.parametrize("code", sorted(WITHDRAWN_BY))
def test_every_withdrawal_author_is_accepted(code):
    assert decide("withdrawn", withdrawn_by=code).withdrawn_by == code
