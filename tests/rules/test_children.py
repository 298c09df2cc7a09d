"""The child as the unit: the referral's status derived from its children's, on every mix of
two; the school level of each class; what an exit needs."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from intake.rules.parcours import EXIT_REASONS, check_exit, school_level
from intake.rules.workflow import Status, TransitionError, applies_to, referral_status

# The contract's order: the first of these one of the children has.
ORDER = ["new", "in_review", "eps", "accepted", "closed", "redirected", "declined", "withdrawn"]

# Every mix of two children's statuses, and the referral's status, written out by hand: the
# table is the specification, not a copy of the code's loop.
EXPECTED = {
    ("new", "new"): "new",
    ("new", "in_review"): "new",
    ("new", "eps"): "new",
    ("new", "accepted"): "new",
    ("new", "closed"): "new",
    ("new", "redirected"): "new",
    ("new", "declined"): "new",
    ("new", "withdrawn"): "new",
    ("in_review", "in_review"): "in_review",
    ("in_review", "eps"): "in_review",
    ("in_review", "accepted"): "in_review",
    ("in_review", "closed"): "in_review",
    ("in_review", "redirected"): "in_review",
    ("in_review", "declined"): "in_review",
    ("in_review", "withdrawn"): "in_review",
    ("eps", "eps"): "eps",
    ("eps", "accepted"): "eps",
    ("eps", "closed"): "eps",
    ("eps", "redirected"): "eps",
    ("eps", "declined"): "eps",
    ("eps", "withdrawn"): "eps",
    ("accepted", "accepted"): "accepted",
    ("accepted", "closed"): "accepted",
    ("accepted", "redirected"): "accepted",
    ("accepted", "declined"): "accepted",
    ("accepted", "withdrawn"): "accepted",
    ("closed", "closed"): "closed",
    ("closed", "redirected"): "closed",
    ("closed", "declined"): "closed",
    ("closed", "withdrawn"): "closed",
    ("redirected", "redirected"): "redirected",
    ("redirected", "declined"): "redirected",
    ("redirected", "withdrawn"): "redirected",
    ("declined", "declined"): "declined",
    ("declined", "withdrawn"): "declined",
    ("withdrawn", "withdrawn"): "withdrawn",
}


@pytest.mark.parametrize(
    ("first", "second"),
    list(itertools.product(ORDER, repeat=2)),
    ids=lambda value: value,
)
def test_the_referral_status_on_every_mix_of_two_children(first, second):
    pair = tuple(sorted((first, second), key=ORDER.index))
    assert referral_status([first, second]) == EXPECTED[pair]


def test_every_pair_is_in_the_table():
    assert len(EXPECTED) == len(ORDER) * (len(ORDER) + 1) // 2


def test_one_child_gives_its_own_status_and_none_gives_new():
    for status in ORDER:
        assert referral_status([status]) == status
    assert referral_status([]) == "new"


def test_three_children_take_the_first_in_the_order():
    assert referral_status(["declined", "accepted", "redirected"]) == "accepted"
    assert referral_status(["closed", "withdrawn", "closed"]) == "closed"


def test_a_move_applies_to_a_child_only_from_where_it_may_be_made():
    assert applies_to("eps", "accepted")
    assert not applies_to("in_review", "accepted")
    assert applies_to("declined", "in_review")
    assert not applies_to("closed", "in_review")
    assert not applies_to("eps", "nowhere")
    assert [s.value for s in Status] == ORDER


RECEIVED = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("class_level", "born", "level"),
    [
        ("TPS", date(2024, 3, 1), "maternelle"),
        ("PS", date(2023, 3, 1), "maternelle"),
        ("MS", date(2022, 3, 1), "maternelle"),
        ("GS", date(2021, 3, 1), "maternelle"),
        ("CP", date(2020, 3, 1), "elementaire"),
        ("CE1", date(2019, 3, 1), "elementaire"),
        ("CE2", date(2018, 3, 1), "elementaire"),
        ("CM1", date(2017, 3, 1), "elementaire"),
        ("CM2", date(2016, 3, 1), "elementaire"),
        ("6e", date(2015, 3, 1), "college"),
        ("5e", date(2014, 3, 1), "college"),
        ("4e", date(2013, 3, 1), "college"),
        ("3e", date(2012, 3, 1), "college"),
        ("none", date(2023, 3, 1), "none"),
        # "Autre" at 15 or more is a lycée's class; younger, a class the survey does not count.
        ("other", date(2011, 10, 1), "lycee"),
        ("other", date(2011, 10, 2), "other"),
        ("other", date(2016, 3, 1), "other"),
        ("other", None, "other"),
    ],
)
def test_the_school_level_of_each_class(class_level, born, level):
    assert school_level(class_level, born, RECEIVED) == level


ENTERED = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ended_on": None}, "ended_on"),
        ({"ended_on": date(2026, 1, 4)}, "ended_on"),
        ({"exit_reason": ""}, "exit_reason"),
        ({"exit_reason": "finished"}, "exit_reason"),
        ({"exit_reason": "handed_over", "service": None}, "service"),
        ({"exit_reason": "handed_over", "service": "nowhere"}, "service"),
        ({"exit_reason": "handed_over", "service": "other", "comment": " "}, "comment"),
        ({"exit_reason": "other", "comment": "\u00a0"}, "comment"),
    ],
)
def test_an_exit_refused_names_its_field(fields, field):
    given = {
        "entered_on": ENTERED,
        "ended_on": date(2026, 6, 30),
        "exit_reason": "goals_met",
        "service": None,
        "comment": "",
    } | fields
    with pytest.raises(TransitionError) as refused:
        check_exit(**given)
    assert refused.value.field == field


@pytest.mark.parametrize("reason", sorted(EXIT_REASONS))
def test_every_exit_reason_is_recorded_with_what_it_needs(reason):
    exit_ = check_exit(
        entered_on=ENTERED,
        ended_on=ENTERED,
        exit_reason=reason,
        service="clas",
        comment="Relais",
    )
    assert exit_.reason == reason
    assert exit_.ended_on == ENTERED
    # Only a hand-over keeps a service.
    assert exit_.service == ("clas" if reason == "handed_over" else None)
