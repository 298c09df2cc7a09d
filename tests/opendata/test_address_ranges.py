"""The fewest street entries holding a QPV's numbers, and a QPV's streets from placed points."""

from __future__ import annotations

import itertools
import random

import pytest

from intake.opendata.qpv_streets import PlacedPoint, is_readable, qpv_streets, street_entries
from intake.opendata.ranges import Entry, fewest_entries
from intake.territory.addresses import normalise_street, parse_address
from intake.territory.model import Street


def accepted(entries, number: int) -> bool:
    """Whether screening places the number in the QPV: any entry of the street accepts it."""
    return any(
        Street(name="rue x", from_=e.from_, to=e.to, side=e.side).accepts(number) for e in entries
    )


def street(inside: str, outside: str = "") -> dict[int, bool]:
    """A street's numbers, inside or not, from two space-separated lists."""
    numbers = {int(n): True for n in inside.split()}
    numbers.update({int(n): False for n in outside.split()})
    return numbers


CASES = [
    # (inside numbers, outside numbers, expected entries)
    pytest.param("1 2 3 4 5 6", "", [Entry()], id="all-inside-is-the-whole-street"),
    pytest.param("", "1 2 3", [], id="nothing-inside-no-entry"),
    pytest.param("1 3 5 7", "2 4 6 8", [Entry(side="odd")], id="odd-inside-even-outside"),
    pytest.param("2 4 6", "1 3 5", [Entry(side="even")], id="even-inside-odd-outside"),
    pytest.param("3 5", "1 7 2 4", [Entry(3, 5, "odd")], id="odd-side-with-both-bounds"),
    pytest.param("3 5 7", "1 2 4", [Entry(3, None, "odd")], id="run-to-the-last-number-open"),
    pytest.param("1 3", "5 7", [Entry(None, 3, "odd")], id="run-from-the-first-number-open"),
    pytest.param("7", "1 3 5 9 11 13", [Entry(7, 7, "odd")], id="a-single-number-from-equals-to"),
    pytest.param(
        "1 3 9 11", "5 7 13", [Entry(None, 3, "odd"), Entry(9, 11, "odd")], id="gap-two-entries"
    ),
    pytest.param("1 2 3 4 5 6", "7 8", [Entry(None, 6)], id="both-sides-beats-two-side-entries"),
    pytest.param("4 5 6 7", "1 2 3 8 9", [Entry(4, 7)], id="both-sides-run-in-the-middle"),
    pytest.param(
        "1 3 5 7 9 2 4 6 8 19 21 23",
        "11 13 15 17 25 27 29 10 12 14 16 18 20 22 24 26 28 30",
        [Entry(None, 9), Entry(19, 23, "odd")],
        id="gaps-both-sides-then-odd-side",
    ),
    pytest.param(
        "1 2 5 7",
        "3 4 6",
        [Entry(None, 2), Entry(5, None, "odd")],
        id="mixed-both-sides-and-side",
    ),
    # One entry either way: the side entry accepts fewer numbers the BAN does not list.
    pytest.param("3", "1 5", [Entry(3, 3, "odd")], id="tie-goes-to-the-side-entry"),
    # Two runs across both sides hold the odd side and the broken even side.
    pytest.param("1 3 5 2 6", "4", [Entry(None, 3), Entry(5, None)], id="odd-whole-even-broken"),
]


@pytest.mark.parametrize(("inside", "outside", "expected"), CASES)
def test_fewest_entries(inside, outside, expected):
    numbers = street(inside, outside)
    entries = fewest_entries(numbers)
    assert entries == expected
    assert all(accepted(entries, n) == is_in for n, is_in in numbers.items())


def runs(sequence: list[int], numbers: dict[int, bool]) -> list[list[int]]:
    found, current = [], []
    for n in sequence:
        if numbers[n]:
            current.append(n)
        elif current:
            found, current = [*found, current], []
    return [*found, current] if current else found


def fewest_by_search(numbers: dict[int, bool]) -> int:
    """The fewest entries, by trying every set of maximal runs (any valid entry fits in one)."""
    ordered = sorted(numbers)
    odd = [n for n in ordered if n % 2]
    even = [n for n in ordered if not n % 2]
    candidates = [set(r) for r in runs(odd, numbers) + runs(even, numbers) + runs(ordered, numbers)]
    wanted = {n for n, is_in in numbers.items() if is_in}
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if wanted <= set().union(*chosen):
                return size
    raise AssertionError("unreachable: all the runs together hold every inside number")


def test_fewest_entries_is_exact_and_minimal_on_random_streets():
    generator = random.Random(2024)
    for _ in range(600):
        listed = [n for n in range(1, 13) if generator.random() < 0.7]
        numbers = {n: generator.random() < 0.6 for n in listed}
        entries = fewest_entries(numbers)
        assert all(accepted(entries, n) == is_in for n, is_in in numbers.items()), numbers
        assert len(entries) == fewest_by_search(numbers), numbers


# --- A QPV's streets from placed points -----------------------------------------------------


def test_an_ambiguous_number_is_left_out_and_listed():
    points = [
        PlacedPoint("Rue du Moulin", 2, True),
        PlacedPoint("Rue du Moulin", 4, True),
        PlacedPoint("Rue du Moulin", 4, False),  # 4 bis, across the line
        PlacedPoint("Rue du Moulin", 6, True),
        PlacedPoint("Rue du Moulin", 1, False),
    ]
    found = qpv_streets(points)
    assert found.ambiguous == (("Rue du Moulin", 4),)
    (entries,) = [s.entries for s in found.streets]
    assert [accepted(entries, n) for n in (1, 2, 4, 6)] == [False, True, False, True]
    assert (found.inside, found.outside) == (3, 2)


def test_spellings_of_one_street_are_one_street_written_as_the_most_frequent():
    points = [
        PlacedPoint("Rue Neuve", 1, True),
        PlacedPoint("rue neuve", 2, True),
        PlacedPoint("Rue Neuve", 3, True),
        PlacedPoint("RUE NEUVE", 4, False),
    ]
    found = qpv_streets(points)
    assert [s.name for s in found.streets] == ["Rue Neuve"]
    assert found.streets[0].entries == (Entry(None, 3),)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        pytest.param(
            [(1, True), (2, True), (None, True)], (Entry(),), id="unnumbered-inside-whole"
        ),
        pytest.param(
            [(1, True), (2, True), (None, False)],
            (Entry(1, 2),),
            id="unnumbered-outside-bounds-the-entry",
        ),
        pytest.param([(None, True)], (Entry(),), id="only-unnumbered-all-inside-whole"),
        pytest.param([(None, True), (None, False)], (), id="only-unnumbered-split-nothing"),
        pytest.param(
            [(1, True), (3, False), (None, True)], (Entry(None, 1, "odd"),), id="not-whole"
        ),
    ],
)
def test_points_without_a_number_only_decide_the_whole_street(points, expected):
    found = qpv_streets(PlacedPoint("Chemin Vert", number, is_in) for number, is_in in points)
    assert tuple(e for s in found.streets for e in s.entries) == expected


def test_a_street_with_no_point_inside_is_not_written():
    found = qpv_streets([PlacedPoint("Rue des Champs", n, False) for n in range(1, 9)])
    assert found.streets == ()
    assert (found.inside, found.outside) == (0, 8)


def test_street_entries_never_accept_an_ambiguous_number():
    entries = street_entries({8: {True, False}, 10: {True}}, all_inside=False)
    assert entries == (Entry(10, None, "even"),)


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Rue Neuve", "12 bis r. neuve"),
        ("Avenue Jean Jaurès", "3 av jean jaures"),
        ("Rue du Général de Gaulle", "4 rue du gal de gaulle"),
        ("Place du Marché", "1 pl. du marche"),
        ("Rue Saint-Exupéry", "10 r st exupery"),
        ("Rue du 8 Mai 1945", "2 rue du 8 mai 1945"),
    ],
)
def test_a_ban_name_reads_as_what_a_family_types(name, typed):
    assert is_readable(name)
    assert parse_address(typed).street_key == normalise_street(name)


@pytest.mark.parametrize(
    "name", ["Rue Roger Salengro, prolongée", "Logement Foyer", "Place du 62190"]
)
def test_names_a_family_cannot_type_are_pointed_out(name):
    assert not is_readable(name)
    found = qpv_streets([PlacedPoint(name, 1, True)])
    assert found.unreadable == (name,)
