"""What a territory holds and lacks, and an address placed: the facts the staff page and
`flask territory check` both put in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from intake.rules.screening import Residence
from intake.rules.territory_summary import (
    STALE_AFTER_DAYS,
    build_command,
    gaps,
    place,
    schools_by_network,
    street_counts,
)
from intake.territory.model import Commune, Qpv, School, Sources, Street
from intake.territory.reader import load_territory
from tests.support.app import TERRITORY

TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def territory():
    return load_territory(TERRITORY)


def test_street_counts_count_streets_once_and_entries_by_part():
    qpv = Qpv(
        "QN0",
        "Centre",
        "Testville",
        (
            Street("rue A"),
            Street("rue B", 1, 9),
            Street("Rue  b", 2, 8, "even"),
            Street("rue C", side="odd"),
            Street("rue D", to=20),
        ),
    )
    counts = street_counts(qpv)
    assert (counts.streets, counts.entries) == (4, 5)
    assert (counts.whole, counts.ranges, counts.sides) == (1, 3, 1)


def test_schools_by_network_strongest_first_without_empty_networks():
    schools = (
        School("0000001A", "École A", "Testville", ""),
        School("0000002B", "Collège B", "Testville", "REP+"),
        School("0000003C", "École C", "Testville", ""),
    )
    assert [
        (network, [s.uai for s in found]) for network, found in schools_by_network(schools)
    ] == [
        ("REP+", ["0000002B"]),
        ("", ["0000001A", "0000003C"]),
    ]


def test_place_reads_and_decides_and_names_the_entry(territory):
    placement = place("14 bis rue des Tilleuls, 62999", territory)
    assert placement.postcode == "62999"
    assert (placement.parsed.number, placement.parsed.suffix) == (14, "bis")
    assert placement.decision.residence is Residence.QPV
    assert placement.decision.street.name == "rue des Tilleuls"
    assert placement.other_numbers == ()


def test_place_explains_an_address_outside_by_the_same_streets_other_numbers(territory):
    outside = place("16 avenue Jean-Jaurès, 62999", territory)
    assert outside.decision.residence is Residence.OUTSIDE_QPV
    assert outside.decision.street is None
    assert [(qpv.code, street.name) for qpv, street in outside.other_numbers] == [
        ("QN06299X", "avenue Jean-Jaurès")
    ]
    # Autreville has no QPV: Testville's street of the same name explains nothing there.
    assert place("16 avenue Jean-Jaurès, 62998", territory).other_numbers == ()


def test_a_territory_without_sources_was_never_built(territory):
    assert [gap.code for gap in gaps(territory, TODAY)] == ["never_built"]


@pytest.mark.parametrize(
    ("age", "stale"), [(0, False), (STALE_AFTER_DAYS, False), (STALE_AFTER_DAYS + 1, True)]
)
def test_a_territory_built_over_a_year_ago_is_stale(territory, age, stale):
    built = replace(territory, sources=Sources(TODAY - timedelta(days=age), ()))
    found = gaps(built, TODAY)
    assert [(gap.code, gap.days) for gap in found] == ([("stale", age)] if stale else [])


def test_what_is_missing_is_listed_most_general_first(territory):
    lacking = replace(
        territory,
        qpvs=(replace(territory.qpvs[0], streets=()),),
        communes=(*territory.communes, Commune("Troisville", ("62997",), "62903")),
    )
    found = gaps(lacking, TODAY)
    assert [(gap.code, gap.qpv and gap.qpv.code, gap.commune) for gap in found] == [
        ("never_built", None, ""),
        ("qpv_without_streets", "QN06299X", ""),
        ("commune_without_school", None, "Troisville"),
    ]
    # Without any school, one gap says so rather than one per commune.
    assert [gap.code for gap in gaps(replace(lacking, schools=()), TODAY)] == [
        "never_built",
        "qpv_without_streets",
        "no_school",
    ]


def test_the_build_command_names_every_commune_with_its_insee_code(territory):
    assert build_command(territory) == (
        "flask --app wsgi territory build --commune 62901 --commune 62902 --write"
    )
    assert build_command(territory, flask=".venv/bin/flask").startswith(".venv/bin/flask --app")
    # Without any INSEE code, a placeholder rather than a command missing its --commune.
    unnamed = replace(territory, communes=tuple(replace(c, insee="") for c in territory.communes))
    assert build_command(unnamed) == "flask --app wsgi territory build --commune INSEE --write"
