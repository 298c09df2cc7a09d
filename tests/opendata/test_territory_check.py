"""`flask territory check`: the file validated, its QPVs and schools, and given addresses placed."""

from __future__ import annotations

import os

import pytest

from intake.opendata.check import describe_qpv, describe_street
from intake.territory.addresses import postcode_in
from intake.territory.model import Qpv, Street
from intake.territory.reader import load_territory
from tests.support.app import flask_cli


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("12 rue Neuve, 62190", "62190"),
        ("12 rue Neuve 62190 Lillers", "62190"),
        ("3 rue du 8 mai 1945, 62190", "62190"),
        ("BP 90009, 18 rue Neuve, 62192 Lillers cedex", "62192"),
        ("12 rue Neuve", ""),
        ("12 rue Neuve, 621900", ""),
    ],
)
def test_postcode_in(text, postcode):
    assert postcode_in(text) == postcode


@pytest.mark.parametrize(
    ("street", "words"),
    [
        (Street("rue Neuve"), "rue Neuve (whole street)"),
        (Street("rue Neuve", 1, 59, "odd"), "rue Neuve (numbers 1 to 59, odd side)"),
        (Street("rue Neuve", from_=10), "rue Neuve (numbers from 10)"),
        (Street("rue Neuve", to=20), "rue Neuve (numbers up to 20)"),
        (Street("rue Neuve", side="even"), "rue Neuve (even side)"),
    ],
)
def test_describe_street(street, words):
    assert describe_street(street) == words


def test_describe_qpv_counts_streets_and_their_parts():
    streets = (
        Street("rue A"),
        Street("rue B", 1, 9),
        Street("rue B", 2, 8, "even"),
        Street("rue C", side="odd"),
    )
    assert describe_qpv(Qpv("QN0", "Centre", "Testville", streets)) == (
        "QPV QN0 Centre (Testville): 3 streets in 4 entries: 1 whole, 2 ranges of numbers, "
        "1 one side only"
    )
    assert describe_qpv(Qpv("QN0", "Centre", "Testville", ())) == (
        "QPV QN0 Centre (Testville): no street listed yet, so every address of Testville is "
        'screened "to check" for residence'
    )


@pytest.fixture
def check(make_app, territory_copy):
    """`flask territory check ADDRESS…` on an app whose territory file is the copy."""
    runner = make_app(INTAKE_TERRITORY=str(territory_copy)).test_cli_runner()
    return lambda *addresses: runner.invoke(args=["territory", "check", *addresses])


def test_check_shows_the_qpvs_and_the_schools_by_priority(check, territory_copy):
    result = check()
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{territory_copy}: valid.\n"
        "Programme de Réussite Éducative de Testville: ages 2 to 16, rule qpv_or_priority_school.\n"
        "Communes: Testville (INSEE 62901, postcodes 62999); "
        "Autreville (INSEE 62902, postcodes 62998).\n"
        "Sources: none recorded (streets and schools written by hand or imported).\n"
        "QPV QN06299X Les Tilleuls (Testville): 4 streets: 1 whole, 2 ranges of numbers, "
        "1 one side only\n"
        "Schools: 4\n"
        "  REP+: 1\n"
        "    0629001A École Les Tilleuls (Testville)\n"
        "  REP: 1\n"
        "    0629002B Collège Jean Moulin (Testville)\n"
        "  not in priority education: 2\n"
        "    0629003C École du Centre (Testville)\n"
        "    0629004D École d'Autreville (Autreville)\n"
    )


def places(output: str) -> dict[str, list[str]]:
    """Each address the output places, with its indented lines."""
    blocks = output.split("\n\n")[1:]
    return {block.splitlines()[0]: block.splitlines()[1:] for block in blocks}


def test_check_places_each_address_with_the_entry_that_decided(check):
    result = check(
        "14 bis rue des Tilleuls, 62999",
        "avenue Jean Jaures, 62999 Testville",
        "16 av. Jean-Jaurès, 62999",
        "14 rue des Tilleuls, 62998 Autreville",
        "14 rue des Tilleuls, 75011 Paris",
        "14 rue des Tilleuls",
    )
    assert result.exit_code == 0, result.output
    assert places(result.output) == {
        "14 bis rue des Tilleuls, 62999": [
            '  read as: number 14bis, street "rue des tilleuls", postcode 62999',
            "  residence: qpv",
            "  decided by: QN06299X Les Tilleuls: rue des Tilleuls (whole street)",
            "  reason: Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X).",
        ],
        "avenue Jean Jaures, 62999 Testville": [
            '  read as: no number, street "avenue jean jaures", postcode 62999',
            "  residence: unknown",
            "  decided by: QN06299X Les Tilleuls: avenue Jean-Jaurès (numbers 1 to 59, odd side)",
            "  reason: Domicile : numéro absent, alors que seule une partie de "
            "« avenue Jean-Jaurès » est en quartier prioritaire, à vérifier.",
        ],
        "16 av. Jean-Jaurès, 62999": [
            '  read as: number 16, street "avenue jean jaures", postcode 62999',
            "  residence: outside_qpv",
            "  decided by: no street entry of the file; listed for other numbers only: "
            "avenue Jean-Jaurès (numbers 1 to 59, odd side)",
            "  reason: Domicile : code postal 62999 à Testville, "
            "hors des rues des quartiers prioritaires connues.",
        ],
        # Autreville has no QPV: the street of Testville's does not count there.
        "14 rue des Tilleuls, 62998 Autreville": [
            '  read as: number 14, street "rue des tilleuls", postcode 62998',
            "  residence: outside_qpv",
            "  decided by: no street entry of the file",
            "  reason: Domicile : code postal 62998 à Autreville, "
            "hors des rues des quartiers prioritaires connues.",
        ],
        "14 rue des Tilleuls, 75011 Paris": [
            '  read as: number 14, street "rue des tilleuls", postcode 75011',
            "  residence: outside_territory",
            "  decided by: no street entry of the file",
            "  reason: Domicile : code postal 75011 hors du territoire du programme.",
        ],
        "14 rue des Tilleuls": [
            '  read as: number 14, street "rue des tilleuls", postcode none',
            "  residence: unknown",
            "  decided by: no street entry of the file",
            "  reason: Domicile : code postal non renseigné, à vérifier.",
        ],
    }


def test_check_names_a_qpv_whose_streets_are_not_listed(check, territory_copy):
    text = territory_copy.read_text(encoding="utf-8")
    start = text.index("streets = [")
    territory_copy.write_text(
        text[:start] + "streets = []\n" + text[text.index("]\n", start) + 2 :], encoding="utf-8"
    )
    assert load_territory(territory_copy).qpvs[0].streets == ()
    result = check("3 rue des Tilleuls, 62999")
    assert result.exit_code == 0, result.output
    assert "QPV QN06299X Les Tilleuls (Testville): no street listed yet" in result.output
    assert places(result.output)["3 rue des Tilleuls, 62999"][1:3] == [
        "  residence: unknown",
        "  decided by: QN06299X Les Tilleuls, which lists no street yet",
    ]


def test_check_reads_the_file_as_it_is_now(check, territory_copy):
    # Broken after the app started: the check reads the file again, and says what is wrong.
    territory_copy.write_text(
        territory_copy.read_text(encoding="utf-8").replace("max_age = 16", "max_age = 1"),
        encoding="utf-8",
    )
    result = check("3 rue des Tilleuls, 62999")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {territory_copy}: programme: min_age (2) is greater than max_age (1)\n"
    )


def test_check_of_a_bad_file_from_a_shell_exits_1_with_the_message(territory_copy):
    """As an operator runs it: a file the app cannot start with."""
    territory_copy.write_text(
        territory_copy.read_text(encoding="utf-8").replace('priority = "REP"', 'priority = "ZEP"'),
        encoding="utf-8",
    )
    env = {**os.environ, "FLASK_INTAKE_TERRITORY": str(territory_copy), "FLASK_DEBUG": "1"}
    result = flask_cli("territory", "check", env=env)
    assert result.returncode == 1
    assert f"{territory_copy}: schools[2].priority must be" in result.stderr
    assert "'ZEP'" in result.stderr
