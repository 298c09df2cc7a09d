"""Screening rules: age, school, residence, both place rules and how advice combines."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from intake.rules.ages import age_on, years_and_months_on
from intake.rules.screening import (
    N_,
    AgeStatus,
    Eligibility,
    Reason,
    Residence,
    SchoolStatus,
    Screening,
    best,
    decide,
    residence_of,
    screen,
    worst,
)
from intake.territory.addresses import ParsedAddress, parse_address
from intake.territory.reader import load_territory, parse_territory

TERRITORY_FILE = Path(__file__).parents[1] / "territory.toml"
TERRITORY = load_territory(TERRITORY_FILE)
TEXT = TERRITORY_FILE.read_text(encoding="utf-8")
AND_TERRITORY = parse_territory(
    TEXT.replace('rule = "qpv_or_priority_school"', 'rule = "qpv_and_priority_school"')
)

E, T, N = Eligibility.ELIGIBLE, Eligibility.TO_CHECK, Eligibility.NOT_ELIGIBLE

# Inputs that give each status on their own, with everything else favourable.
IN_QPV = {"address": "14 rue des Tilleuls", "postcode": "62999"}
REP_PLUS = "0629001A"
AGE_8 = {"birth_date": date(2017, 3, 1), "today": date(2025, 9, 15)}


def run(territory=TERRITORY, **given) -> Screening:
    """Screen with favourable defaults, overridden by the given inputs."""
    inputs = {**AGE_8, **IN_QPV, "school": REP_PLUS, **given}
    return screen(territory=territory, **inputs)


def slug(text: str | None) -> str:
    """A readable ASCII test id for an address or a postcode."""
    if text is None:
        return "none"
    ascii_text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore")
    ascii_text = ascii_text.decode()
    return re.sub(r"[^0-9A-Za-z]+", "-", ascii_text).strip("-") or (
        "blank" if not text.strip() else "gibberish"
    )


def texts(screening: Screening) -> list[str]:
    return [reason.text for reason in screening.reasons]


# --- Combining advice -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], T),
        ([N], N),
        ([T], T),
        ([E], E),
        ([N, T], T),
        ([T, N], T),
        ([N, E], E),
        ([T, E, N], E),
        ([N, N], N),
        (["not_eligible", "to_check"], T),
    ],
    ids=[
        "empty",
        "not-eligible",
        "to-check",
        "eligible",
        "not-eligible+to-check",
        "to-check+not-eligible",
        "not-eligible+eligible",
        "all-three",
        "two-not-eligible",
        "stored-strings",
    ],
)
def test_best(values, expected):
    assert best(values) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], T),
        ([E], E),
        ([E, T], T),
        ([T, E], T),
        ([E, N], N),
        ([T, E, N], N),
        ([E, E], E),
        (iter([E, T]), T),
        (["eligible", "not_eligible"], N),
    ],
    ids=[
        "empty",
        "eligible",
        "eligible+to-check",
        "to-check+eligible",
        "eligible+not-eligible",
        "all-three",
        "two-eligible",
        "iterator",
        "stored-strings",
    ],
)
def test_worst(values, expected):
    assert worst(values) is expected


def test_unknown_eligibility_value_is_refused():
    with pytest.raises(ValueError, match="'maybe' is not a valid Eligibility"):
        best(["maybe"])


# --- Age ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "day", "expected"),
    [
        (date(2016, 9, 10), date(2016, 9, 10), (0, 0)),
        (date(2016, 9, 10), date(2016, 10, 9), (0, 0)),
        (date(2016, 9, 10), date(2016, 10, 10), (0, 1)),
        (date(2016, 9, 10), date(2018, 9, 9), (1, 11)),
        (date(2016, 9, 10), date(2018, 9, 10), (2, 0)),
        (date(2008, 9, 10), date(2025, 9, 9), (16, 11)),
        (date(2008, 9, 10), date(2025, 9, 10), (17, 0)),
        (date(2016, 12, 31), date(2017, 12, 30), (0, 11)),
        (date(2016, 12, 31), date(2017, 12, 31), (1, 0)),
        (date(2008, 2, 29), date(2025, 2, 28), (16, 11)),
        (date(2008, 2, 29), date(2025, 3, 1), (17, 0)),
        (date(2024, 2, 29), date(2026, 2, 28), (1, 11)),
        (date(2024, 2, 29), date(2026, 3, 1), (2, 0)),
        (date(2012, 2, 29), date(2028, 2, 28), (15, 11)),
        (date(2012, 2, 29), date(2028, 2, 29), (16, 0)),
        (date(2020, 1, 31), date(2020, 2, 29), (0, 0)),
        (date(2020, 1, 31), date(2020, 3, 1), (0, 1)),
        (date(2020, 3, 31), date(2020, 4, 30), (0, 0)),
        (date(2020, 3, 31), date(2020, 5, 1), (0, 1)),
    ],
    ids=[
        "birth-day",
        "day-before-1-month",
        "1-month",
        "day-before-2nd-birthday",
        "2nd-birthday",
        "day-before-17th-birthday",
        "17th-birthday",
        "new-year-eve-day-before",
        "new-year-eve-birthday",
        "29-feb-common-year-28-feb",
        "29-feb-common-year-1-mar",
        "29-feb-2nd-birthday-28-feb",
        "29-feb-2nd-birthday-1-mar",
        "29-feb-leap-year-28-feb",
        "29-feb-leap-year-29-feb",
        "31st-short-month-last-day",
        "31st-short-month-next-1st",
        "31-mar-30-apr",
        "31-mar-1-may",
    ],
)
def test_years_and_months_on(birth_date, day, expected):
    assert years_and_months_on(birth_date, day) == expected


def test_years_and_months_on_refuses_a_day_before_birth():
    with pytest.raises(ValueError, match="after"):
        years_and_months_on(date(2020, 1, 2), date(2020, 1, 1))


def test_age_on_counts_the_years_of_years_and_months_on():
    """The fiche's age in years and the screening's agree, 29 February and 31sts included."""
    for birth in (date(2012, 2, 29), date(2016, 1, 31), date(2016, 9, 10), date(2016, 12, 31)):
        for days in range(5 * 366):
            day = birth + timedelta(days=days)
            assert age_on(birth, day) == years_and_months_on(birth, day)[0]


RANGE = "(2 à 16 ans)."


@pytest.mark.parametrize(
    ("birth_date", "today", "status", "eligibility", "text"),
    [
        (
            date(2016, 9, 10),
            date(2018, 9, 9),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a 1 an et 11 mois à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
        (
            date(2016, 9, 10),
            date(2018, 9, 10),
            AgeStatus.IN_RANGE,
            E,
            f"Âge : 2 ans à la date de réception, dans la tranche du programme {RANGE}",
        ),
        (
            date(2008, 9, 10),
            date(2025, 9, 9),
            AgeStatus.IN_RANGE,
            E,
            f"Âge : 16 ans à la date de réception, dans la tranche du programme {RANGE}",
        ),
        (
            date(2008, 9, 10),
            date(2025, 9, 10),
            AgeStatus.TOO_OLD,
            N,
            "Âge : l'enfant a 17 ans à la date de réception, "
            f"au-delà de la tranche du programme {RANGE}",
        ),
        (
            date(2008, 2, 29),
            date(2025, 2, 28),
            AgeStatus.IN_RANGE,
            E,
            f"Âge : 16 ans à la date de réception, dans la tranche du programme {RANGE}",
        ),
        (
            date(2008, 2, 29),
            date(2025, 3, 1),
            AgeStatus.TOO_OLD,
            N,
            "Âge : l'enfant a 17 ans à la date de réception, "
            f"au-delà de la tranche du programme {RANGE}",
        ),
        (
            date(2024, 2, 29),
            date(2026, 2, 28),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a 1 an et 11 mois à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
        (
            date(2024, 2, 29),
            date(2026, 3, 1),
            AgeStatus.IN_RANGE,
            E,
            f"Âge : 2 ans à la date de réception, dans la tranche du programme {RANGE}",
        ),
        (
            date(2024, 9, 1),
            date(2025, 9, 1),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a 1 an à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
        (
            date(2025, 4, 10),
            date(2025, 9, 15),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a 5 mois à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
        (
            date(2025, 9, 1),
            date(2025, 9, 15),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a moins d'un mois à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
        (
            date(2017, 3, 1),
            date(2025, 9, 15),
            AgeStatus.IN_RANGE,
            E,
            f"Âge : 8 ans à la date de réception, dans la tranche du programme {RANGE}",
        ),
        (
            date(1990, 1, 1),
            date(2025, 9, 15),
            AgeStatus.TOO_OLD,
            N,
            "Âge : l'enfant a 35 ans à la date de réception, "
            f"au-delà de la tranche du programme {RANGE}",
        ),
        (
            None,
            date(2025, 9, 15),
            AgeStatus.UNKNOWN,
            T,
            "Âge : date de naissance non renseignée, à vérifier.",
        ),
        (
            date(2025, 9, 16),
            date(2025, 9, 15),
            AgeStatus.UNKNOWN,
            T,
            "Âge : date de naissance postérieure à la date de réception, à vérifier.",
        ),
        (
            date(2025, 9, 15),
            date(2025, 9, 15),
            AgeStatus.TOO_YOUNG,
            N,
            "Âge : l'enfant a moins d'un mois à la date de réception, "
            f"en dessous de la tranche du programme {RANGE}",
        ),
    ],
    ids=[
        "day-before-2nd-birthday",
        "2nd-birthday",
        "day-before-17th-birthday",
        "17th-birthday",
        "29-feb-day-before-17th-birthday",
        "29-feb-17th-birthday-1-mar",
        "29-feb-day-before-2nd-birthday",
        "29-feb-2nd-birthday-1-mar",
        "exactly-1-year",
        "5-months",
        "under-a-month",
        "8-years",
        "adult",
        "missing",
        "born-after-receipt",
        "born-on-receipt-day",
    ],
)
def test_age(birth_date, today, status, eligibility, text):
    result = run(birth_date=birth_date, today=today)
    assert result.age is status
    assert result.eligibility is eligibility
    assert result.reasons[0].text == text


@pytest.mark.parametrize(
    ("birth_date", "today", "status"),
    [
        (date(2020, 2, 29), date(2024, 2, 28), AgeStatus.TOO_YOUNG),
        (date(2020, 2, 29), date(2024, 2, 29), AgeStatus.IN_RANGE),
        (date(2011, 2, 28), date(2024, 2, 28), AgeStatus.TOO_OLD),
        (date(2011, 2, 28), date(2024, 2, 27), AgeStatus.IN_RANGE),
    ],
    ids=[
        "29-feb-day-before-4th-birthday-leap-year",
        "29-feb-4th-birthday-leap-year",
        "13th-birthday-in-leap-year",
        "day-before-13th-birthday-in-leap-year",
    ],
)
def test_age_edges_in_a_leap_year(birth_date, today, status):
    """With a 4–12 range, the leap-day child's 4th birthday falls on a real 29 February."""
    territory = parse_territory(
        TEXT.replace("min_age = 2", "min_age = 4").replace("max_age = 16", "max_age = 12")
    )
    assert run(territory, birth_date=birth_date, today=today).age is status


def test_age_too_young_with_months_leap_year():
    result = run(
        parse_territory(TEXT.replace("min_age = 2", "min_age = 4")),
        birth_date=date(2020, 2, 29),
        today=date(2024, 2, 28),
    )
    assert result.reasons[0].text == (
        "Âge : l'enfant a 3 ans et 11 mois à la date de réception, "
        "en dessous de la tranche du programme (4 à 16 ans)."
    )


def test_datetimes_are_read_as_dates():
    result = run(birth_date=datetime(2016, 9, 10, 23, 0), today=datetime(2018, 9, 10, 1, 0))
    assert result.age is AgeStatus.IN_RANGE


# --- School ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("school", "status", "code", "text"),
    [
        (
            "0629001A",
            SchoolStatus.PRIORITY,
            "school_priority",
            "Établissement : École Les Tilleuls, en REP+ (éducation prioritaire).",
        ),
        (
            "0629002B",
            SchoolStatus.PRIORITY,
            "school_priority",
            "Établissement : Collège Jean Moulin, en REP (éducation prioritaire).",
        ),
        (
            "0629001a",
            SchoolStatus.PRIORITY,
            "school_priority",
            "Établissement : École Les Tilleuls, en REP+ (éducation prioritaire).",
        ),
        (
            "0629003C",
            SchoolStatus.NOT_PRIORITY,
            "school_not_priority",
            "Établissement : École du Centre, hors éducation prioritaire.",
        ),
        (
            "0629004D",
            SchoolStatus.NOT_PRIORITY,
            "school_not_priority",
            "Établissement : École d'Autreville, hors éducation prioritaire.",
        ),
        (
            "other",
            SchoolStatus.UNKNOWN,
            "school_other",
            "Établissement : autre établissement, hors de la liste du programme, à vérifier.",
        ),
        (
            "",
            SchoolStatus.UNKNOWN,
            "school_missing",
            "Établissement : non renseigné, à vérifier.",
        ),
        (
            "   ",
            SchoolStatus.UNKNOWN,
            "school_missing",
            "Établissement : non renseigné, à vérifier.",
        ),
        (
            None,
            SchoolStatus.UNKNOWN,
            "school_missing",
            "Établissement : non renseigné, à vérifier.",
        ),
        (
            "9999999Z",
            SchoolStatus.UNKNOWN,
            "school_not_listed",
            "Établissement : code 9999999Z absent de la liste du programme, à vérifier.",
        ),
    ],
    ids=[
        "rep-plus",
        "rep",
        "lower-case-uai",
        "not-priority",
        "not-priority-other-commune",
        "other",
        "empty",
        "blank",
        "none",
        "not-listed",
    ],
)
def test_school(school, status, code, text):
    result = run(school=school)
    assert result.school is status
    assert result.reasons[2].code == code
    assert result.reasons[2].text == text


# --- Addresses ------------------------------------------------------------------------------


PARSED = [
    ("14 rue des Tilleuls", (14, "", "rue des tilleuls")),
    ("14 bis rue des Tilleuls", (14, "bis", "rue des tilleuls")),
    ("14bis rue des Tilleuls", (14, "bis", "rue des tilleuls")),
    ("14 ter, rue des Tilleuls", (14, "ter", "rue des tilleuls")),
    ("12B rue Saint-Exupéry", (12, "b", "rue saint exupery")),
    ("12 b rue Saint-Exupéry", (12, "b", "rue saint exupery")),
    ("12 B, rue Saint-Exupéry", (12, "b", "rue saint exupery")),
    ("12-14 rue Saint-Exupéry", (12, "", "rue saint exupery")),
    ("12 à 14 rue Saint-Exupéry", (12, "", "rue saint exupery")),
    ("N° 3 av. Jean Jaurès", (3, "", "avenue jean jaures")),
    ("14 r. des tilleuls", (14, "", "rue des tilleuls")),
    ("14 r des tilleuls", (14, "", "rue des tilleuls")),
    ("rue des Tilleuls", (None, "", "rue des tilleuls")),
    ("14,\nrue des Tilleuls", (14, "", "rue des tilleuls")),
    ("Bâtiment C\n14 rue des Tilleuls", (14, "", "rue des tilleuls")),
    (
        "Appartement 12, Résidence Les Roses, 14 bis rue des Tilleuls",
        (14, "bis", "rue des tilleuls"),
    ),
    ("Résidence Les Roses, rue des Tilleuls", (None, "", "rue des tilleuls")),
    ("Résidence Les Roses", (None, "", "residence les roses")),
    ("14 rue des Tilleuls, appt 3", (14, "", "rue des tilleuls")),
    ("14 rue des Tilleuls apt 3 bat B", (14, "", "rue des tilleuls")),
    ("14 rue des Tilleuls 2e étage", (14, "", "rue des tilleuls")),
    ("3e étage, 14 rue des Tilleuls", (14, "", "rue des tilleuls")),
    ("14 rue de la Porte d'Arras", (14, "", "rue de la porte d arras")),
    ("14 rue des Tilleuls 62999 Testville", (14, "", "rue des tilleuls")),
    ("14 Les Hauts Prés", (14, "", "les hauts pres")),
    ("Grande Rue", (None, "", "grande rue")),
    ("Lieu-dit Le Moulin", (None, "", "lieu dit le moulin")),
    ("1 rond-point de l'Europe", (1, "", "rond point de l europe")),
    ("5 rue du 8 Mai 1945", (5, "", "rue du 8 mai 1945")),
    ("???", None),
    ("", None),
    ("14", None),
    ("Testville", None),
    ("62999 Testville", None),
    ("Appartement 12", None),
    ("3e étage", None),
    ("Bâtiment B, 2e étage", None),
    ("Chez Mme Dupont", None),
]


@pytest.mark.parametrize(("address", "parsed"), PARSED, ids=[slug(a) for a, _ in PARSED])
def test_parse_address(address, parsed):
    assert parse_address(address) == (ParsedAddress(*parsed) if parsed else None)


QPV = (Residence.QPV, "QN06299X")
OUTSIDE = (Residence.OUTSIDE_QPV, None)
ELSEWHERE = (Residence.OUTSIDE_TERRITORY, None)
UNKNOWN = (Residence.UNKNOWN, None)


PLACED = [
    # A whole street: any number, or none.
    ("14 rue des Tilleuls", "62999", QPV),
    ("1 rue des Tilleuls", "62999", QPV),
    ("rue des Tilleuls", "62999", QPV),
    ("14 r. des tilleuls", "62999", QPV),
    ("14 RUE DES TILLEULS", "62999", QPV),
    # Odd side from 1 to 59.
    ("1 avenue Jean-Jaurès", "62999", QPV),
    ("59 avenue Jean-Jaurès", "62999", QPV),
    ("61 avenue Jean-Jaurès", "62999", OUTSIDE),
    ("2 avenue Jean-Jaurès", "62999", OUTSIDE),
    ("3 Av. Jean Jaures", "62999", QPV),
    ("3 bis avenue Jean-Jaurès", "62999", QPV),
    ("3B avenue Jean-Jaurès", "62999", QPV),
    ("4 bis avenue Jean-Jaurès", "62999", OUTSIDE),
    ("avenue Jean-Jaurès", "62999", UNKNOWN),
    # Even side only.
    ("12 BD DE L EGALITE", "62999", QPV),
    ("12 boulevard de l’Égalité", "62999", QPV),
    ("13 boulevard de l'Égalité", "62999", OUTSIDE),
    ("BD DE L EGALITE", "62999", UNKNOWN),
    # Both sides from 10 to 20.
    ("9 rue Saint-Exupéry", "62999", OUTSIDE),
    ("10 rue Saint-Exupéry", "62999", QPV),
    ("15 rue St Exupéry", "62999", QPV),
    ("20 rue st-exupery", "62999", QPV),
    ("21 rue Saint-Exupéry", "62999", OUTSIDE),
    ("20 ter rue Saint-Exupéry", "62999", QPV),
    ("12-14 rue Saint-Exupéry", "62999", QPV),
    ("8-10 rue Saint-Exupéry", "62999", OUTSIDE),
    ("rue Saint-Exupéry", "62999", UNKNOWN),
    # Several parts, several lines.
    ("Appartement 12, Résidence Les Roses, 14 bis rue des Tilleuls", "62999", QPV),
    ("Bâtiment C\n3 avenue Jean-Jaurès", "62999", QPV),
    ("3,\navenue Jean-Jaurès", "62999", QPV),
    # Other streets and communes.
    ("14 rue de la Paix", "62999", OUTSIDE),
    ("Résidence Les Roses", "62999", OUTSIDE),
    ("14 rue des Tilleuls", "62998", OUTSIDE),
    ("14 rue des Tilleuls", "62 999", QPV),
    ("14 rue des Tilleuls", "75011", ELSEWHERE),
    ("???", "75011", ELSEWHERE),
    # What cannot be read.
    ("???", "62999", UNKNOWN),
    ("", "62999", UNKNOWN),
    (None, "62999", UNKNOWN),
    ("Testville", "62999", UNKNOWN),
    ("14 rue des Tilleuls", "", UNKNOWN),
    ("14 rue des Tilleuls", "  ", UNKNOWN),
    ("14 rue des Tilleuls", None, UNKNOWN),
    ("14 rue des Tilleuls", "6299", UNKNOWN),
]


@pytest.mark.parametrize(
    ("address", "postcode", "expected"), PLACED, ids=[f"{slug(a)}@{slug(p)}" for a, p, _ in PLACED]
)
def test_residence_of(address, postcode, expected):
    assert residence_of(address, postcode, TERRITORY) == expected


def test_any_entry_of_a_repeated_street_places_the_address():
    territory = parse_territory(
        TEXT.replace(
            '  { name = "rue Saint-Exupéry", from = 10, to = 20 },\n',
            '  { name = "rue Saint-Exupéry", from = 10, to = 20 },\n'
            '  { name = "avenue Jean Jaures", from = 2, to = 10, side = "even" },\n',
        )
    )
    assert residence_of("4 avenue Jean-Jaurès", "62999", territory) == QPV
    assert residence_of("3 avenue Jean-Jaurès", "62999", territory) == QPV
    assert residence_of("12 avenue Jean-Jaurès", "62999", territory) == OUTSIDE
    assert residence_of("avenue Jean-Jaurès", "62999", territory) == UNKNOWN


# (address, postcode, residence, QPV code of the deciding entry, its street's name)
DECIDED = [
    ("3 rue des Tilleuls", "62999", QPV[0], "QN06299X", "rue des Tilleuls"),
    ("15 av. Jean Jaures", "62999", QPV[0], "QN06299X", "avenue Jean-Jaurès"),
    ("rue Saint-Exupéry", "62999", UNKNOWN[0], "QN06299X", "rue Saint-Exupéry"),
    # Refused by every entry of its street, or on no listed street: nothing decided but that.
    ("16 avenue Jean-Jaurès", "62999", OUTSIDE[0], None, None),
    ("14 rue de la Paix", "62999", OUTSIDE[0], None, None),
    ("14 rue des Tilleuls", "75011", ELSEWHERE[0], None, None),
    ("14 rue des Tilleuls", "", UNKNOWN[0], None, None),
]


@pytest.mark.parametrize(("address", "postcode", "residence", "qpv", "street"), DECIDED)
def test_decide_names_the_entry_that_decided(address, postcode, residence, qpv, street):
    decision = decide(address, postcode, TERRITORY)
    assert decision.residence == residence
    assert (decision.qpv.code if decision.qpv else None) == qpv
    assert (decision.street.name if decision.street else None) == street
    # The same decision, and the same words, as screening gives.
    assert (decision.residence, qpv if residence == QPV[0] else None) == residence_of(
        address, postcode, TERRITORY
    )
    assert decision.reason == run(address=address, postcode=postcode).reasons[1]


def test_decide_names_a_neighbourhood_without_streets():
    territory = parse_territory(
        TEXT.replace(
            '[[schools]]\nuai = "0629001A"',
            '[[qpv]]\ncode = "QN06298Y"\nname = "Le Centre"\ncommune = "Autreville"\n'
            'streets = []\n\n[[schools]]\nuai = "0629001A"',
        )
    )
    decision = decide("14 rue des Tilleuls", "62998", territory)
    assert decision.residence == Residence.UNKNOWN
    assert decision.qpv.code == "QN06298Y" and decision.street is None
    assert decision.reason.code == "residence_streets_unlisted"
    assert residence_of("14 rue des Tilleuls", "62998", territory) == UNKNOWN


def test_communes_sharing_a_postcode_are_all_searched():
    territory = parse_territory(
        TEXT.replace('postcodes = ["62998"]', 'postcodes = ["62999"]').replace(
            'commune = "Testville"\nstreets', 'commune = "Autreville"\nstreets'
        )
    )
    result = run(territory, address="14 rue des Tilleuls", postcode="62999")
    assert result.residence is Residence.QPV
    outside = run(territory, address="14 rue de la Paix", postcode="62999")
    assert outside.reasons[1].text == (
        "Domicile : code postal 62999 à Testville ou Autreville, "
        "hors des rues des quartiers prioritaires connues."
    )


@pytest.mark.parametrize(
    ("address", "postcode", "code", "text"),
    [
        (
            "14 rue des Tilleuls",
            "62999",
            "residence_qpv",
            "Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X).",
        ),
        (
            "14 rue de la Paix",
            "62999",
            "residence_outside_qpv",
            "Domicile : code postal 62999 à Testville, "
            "hors des rues des quartiers prioritaires connues.",
        ),
        (
            "14 rue des Tilleuls",
            "62998",
            "residence_outside_qpv",
            "Domicile : code postal 62998 à Autreville, "
            "hors des rues des quartiers prioritaires connues.",
        ),
        (
            "14 rue des Tilleuls",
            "75011",
            "residence_outside_territory",
            "Domicile : code postal 75011 hors du territoire du programme.",
        ),
        (
            "???",
            "62999",
            "residence_no_street",
            "Domicile : adresse impossible à situer, à vérifier.",
        ),
        (
            "avenue Jean Jaures",
            "62999",
            "residence_no_number",
            "Domicile : numéro absent, alors que seule une partie de « avenue Jean-Jaurès » "
            "est en quartier prioritaire, à vérifier.",
        ),
        (
            "14 rue des Tilleuls",
            None,
            "residence_no_postcode",
            "Domicile : code postal non renseigné, à vérifier.",
        ),
        (
            "14 rue des Tilleuls",
            "62-999",
            "residence_bad_postcode",
            "Domicile : code postal « 62-999 » illisible, à vérifier.",
        ),
    ],
    ids=[
        "qpv",
        "outside-qpv",
        "other-commune",
        "outside-territory",
        "no-street",
        "no-number",
        "no-postcode",
        "bad-postcode",
    ],
)
def test_residence_reason(address, postcode, code, text):
    result = run(address=address, postcode=postcode)
    assert result.reasons[1].code == code
    assert result.reasons[1].text == text


# --- Place rules ----------------------------------------------------------------------------

RESIDENCES = {
    Residence.QPV: IN_QPV,
    Residence.OUTSIDE_QPV: {"address": "14 rue de la Paix", "postcode": "62999"},
    Residence.OUTSIDE_TERRITORY: {"address": "14 rue des Tilleuls", "postcode": "75011"},
    Residence.UNKNOWN: {"address": "???", "postcode": "62999"},
}
SCHOOLS = {
    SchoolStatus.PRIORITY: "0629001A",
    SchoolStatus.NOT_PRIORITY: "0629003C",
    SchoolStatus.UNKNOWN: "other",
}

OR_TABLE = [
    (Residence.QPV, SchoolStatus.PRIORITY, E),
    (Residence.QPV, SchoolStatus.NOT_PRIORITY, E),
    (Residence.QPV, SchoolStatus.UNKNOWN, E),
    (Residence.OUTSIDE_QPV, SchoolStatus.PRIORITY, E),
    (Residence.OUTSIDE_QPV, SchoolStatus.NOT_PRIORITY, N),
    (Residence.OUTSIDE_QPV, SchoolStatus.UNKNOWN, T),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.PRIORITY, E),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.NOT_PRIORITY, N),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.UNKNOWN, T),
    (Residence.UNKNOWN, SchoolStatus.PRIORITY, E),
    (Residence.UNKNOWN, SchoolStatus.NOT_PRIORITY, T),
    (Residence.UNKNOWN, SchoolStatus.UNKNOWN, T),
]

AND_TABLE = [
    (Residence.QPV, SchoolStatus.PRIORITY, E),
    (Residence.QPV, SchoolStatus.NOT_PRIORITY, N),
    (Residence.QPV, SchoolStatus.UNKNOWN, T),
    (Residence.OUTSIDE_QPV, SchoolStatus.PRIORITY, N),
    (Residence.OUTSIDE_QPV, SchoolStatus.NOT_PRIORITY, N),
    (Residence.OUTSIDE_QPV, SchoolStatus.UNKNOWN, N),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.PRIORITY, N),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.NOT_PRIORITY, N),
    (Residence.OUTSIDE_TERRITORY, SchoolStatus.UNKNOWN, N),
    (Residence.UNKNOWN, SchoolStatus.PRIORITY, T),
    (Residence.UNKNOWN, SchoolStatus.NOT_PRIORITY, N),
    (Residence.UNKNOWN, SchoolStatus.UNKNOWN, T),
]


def rule_id(case) -> str:
    residence, school, expected = case
    return f"{residence}+{school}->{expected}"


@pytest.mark.parametrize("case", OR_TABLE, ids=[rule_id(c) for c in OR_TABLE])
def test_qpv_or_priority_school(case):
    residence, school, expected = case
    result = run(TERRITORY, school=SCHOOLS[school], **RESIDENCES[residence])
    assert (result.residence, result.school, result.eligibility) == (residence, school, expected)


@pytest.mark.parametrize("case", AND_TABLE, ids=[rule_id(c) for c in AND_TABLE])
def test_qpv_and_priority_school(case):
    residence, school, expected = case
    result = run(AND_TERRITORY, school=SCHOOLS[school], **RESIDENCES[residence])
    assert (result.residence, result.school, result.eligibility) == (residence, school, expected)


# --- The child's result: the worst of age and place ------------------------------------------

AGES = {
    AgeStatus.IN_RANGE: {"birth_date": date(2017, 3, 1)},
    AgeStatus.TOO_YOUNG: {"birth_date": date(2024, 9, 1)},
    AgeStatus.TOO_OLD: {"birth_date": date(2005, 1, 1)},
    AgeStatus.UNKNOWN: {"birth_date": None},
}
PLACES = {
    E: {"school": "0629001A"},
    T: {"school": "other", "address": "???"},
    N: {"school": "0629003C", "address": "14 rue de la Paix"},
}
COMBINED = [
    (AgeStatus.IN_RANGE, E, E),
    (AgeStatus.IN_RANGE, T, T),
    (AgeStatus.IN_RANGE, N, N),
    (AgeStatus.UNKNOWN, E, T),
    (AgeStatus.UNKNOWN, T, T),
    (AgeStatus.UNKNOWN, N, N),
    (AgeStatus.TOO_YOUNG, E, N),
    (AgeStatus.TOO_YOUNG, T, N),
    (AgeStatus.TOO_OLD, E, N),
    (AgeStatus.TOO_OLD, T, N),
]


@pytest.mark.parametrize(
    ("age", "place", "expected"),
    COMBINED,
    ids=[f"{age}+place-{place}->{expected}" for age, place, expected in COMBINED],
)
def test_child_result_is_the_worst_criterion(age, place, expected):
    result = run(**AGES[age], **PLACES[place])
    assert result.age is age
    assert result.eligibility is expected


# --- The screening as a whole ---------------------------------------------------------------


def test_full_screening():
    result = run(birth_date=date(2017, 3, 1), school="0629001A", today=date(2025, 9, 15))
    assert result == Screening(
        eligibility=E,
        age=AgeStatus.IN_RANGE,
        school=SchoolStatus.PRIORITY,
        residence=Residence.QPV,
        qpv_code="QN06299X",
        reasons=(
            Reason(
                "age_in_range",
                "Âge : %(age)s à la date de réception, dans la tranche du programme "
                "(%(min_age)s à %(max_age)s ans).",
                {"age": "8 ans", "min_age": 2, "max_age": 16},
            ),
            Reason(
                "residence_qpv",
                "Domicile : adresse dans le quartier prioritaire %(qpv)s (%(code)s).",
                {"qpv": "Les Tilleuls", "code": "QN06299X"},
            ),
            Reason(
                "school_priority",
                "Établissement : %(school)s, en %(network)s (éducation prioritaire).",
                {"school": "École Les Tilleuls", "network": "REP+"},
            ),
        ),
        school_uai="0629001A",
        school_network="REP+",
    )
    assert texts(result) == [
        "Âge : 8 ans à la date de réception, dans la tranche du programme (2 à 16 ans).",
        "Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X).",
        "Établissement : École Les Tilleuls, en REP+ (éducation prioritaire).",
    ]


def test_missing_information_is_never_not_eligible():
    result = screen(
        birth_date=None,
        school=None,
        address=None,
        postcode=None,
        territory=TERRITORY,
        today=date(2025, 9, 15),
    )
    assert (result.eligibility, result.age, result.school, result.residence) == (
        T,
        AgeStatus.UNKNOWN,
        SchoolStatus.UNKNOWN,
        Residence.UNKNOWN,
    )
    assert result.qpv_code is None
    assert [r.code for r in result.reasons] == [
        "age_missing",
        "residence_no_postcode",
        "school_missing",
    ]


def test_to_dict_is_json_ready():
    result = run(school="0629003C", address="14 rue de la Paix")
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored == {
        "eligibility": "not_eligible",
        "age": "in_range",
        "school": "not_priority",
        "residence": "outside_qpv",
        "qpv_code": None,
        "school_uai": "0629003C",
        "school_network": "",
        "reasons": [
            {
                "code": "age_in_range",
                "template": "Âge : %(age)s à la date de réception, dans la tranche du programme "
                "(%(min_age)s à %(max_age)s ans).",
                "params": {"age": "8 ans", "min_age": 2, "max_age": 16},
                "text": "Âge : 8 ans à la date de réception, dans la tranche du programme "
                "(2 à 16 ans).",
            },
            {
                "code": "residence_outside_qpv",
                "template": "Domicile : code postal %(postcode)s à %(commune)s, "
                "hors des rues des quartiers prioritaires connues.",
                "params": {"postcode": "62999", "commune": "Testville"},
                "text": "Domicile : code postal 62999 à Testville, "
                "hors des rues des quartiers prioritaires connues.",
            },
            {
                "code": "school_not_priority",
                "template": "Établissement : %(school)s, hors éducation prioritaire.",
                "params": {"school": "École du Centre"},
                "text": "Établissement : École du Centre, hors éducation prioritaire.",
            },
        ],
    }


def test_reason_is_frozen_and_hashable():
    params = {"qpv": "Les Tilleuls", "code": "QN06299X"}
    reason = Reason("residence_qpv", "%(qpv)s (%(code)s)", params)
    params["qpv"] = "changed afterwards"
    assert reason.text == "Les Tilleuls (QN06299X)"
    with pytest.raises(TypeError):
        reason.params["qpv"] = "Autre"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        reason.code = "other"  # type: ignore[misc]
    assert hash(reason) == hash(Reason("residence_qpv", "%(qpv)s (%(code)s)", dict(params)))
    assert reason == Reason(
        "residence_qpv", "%(qpv)s (%(code)s)", {**params, "qpv": "Les Tilleuls"}
    )
    assert Reason("age_missing", "Âge : à vérifier.").text == "Âge : à vérifier."


def test_n_marks_without_translating():
    assert N_("Âge : à vérifier.") == "Âge : à vérifier."


def test_statuses_are_their_stored_codes():
    assert [e.value for e in Eligibility] == ["eligible", "to_check", "not_eligible"]
    assert [a.value for a in AgeStatus] == ["in_range", "too_young", "too_old", "unknown"]
    assert [s.value for s in SchoolStatus] == ["priority", "not_priority", "unknown"]
    assert [r.value for r in Residence] == ["qpv", "outside_qpv", "outside_territory", "unknown"]
    assert Eligibility.TO_CHECK == "to_check"


SAMPLE = Path(__file__).parents[2] / "instance" / "territory.sample.toml"


@pytest.mark.parametrize("rule", ["qpv_or_priority_school", "qpv_and_priority_school"])
def test_a_qpv_without_listed_streets_never_rules_an_address_out(rule):
    """The Lillers sample lists no streets yet: its addresses are to check, not outside."""
    territory = load_territory(SAMPLE)
    territory = dataclasses.replace(
        territory, programme=dataclasses.replace(territory.programme, rule=rule)
    )
    result = run(territory, school="other", address="18 rue Neuve", postcode="62190")
    assert result.residence is Residence.UNKNOWN
    assert result.eligibility is Eligibility.TO_CHECK
    assert any(
        t.startswith("Domicile : les rues du quartier prioritaire Ville Centre")
        for t in texts(result)
    )
    # Outside the commune it is still plainly outside the territory.
    assert (
        run(territory, address="1 rue X", postcode="75001").residence is Residence.OUTSIDE_TERRITORY
    )


@pytest.mark.parametrize(
    ("school", "uai", "network"),
    [
        ("0629001A", "0629001A", "REP+"),
        ("0629002B", "0629002B", "REP"),
        ("0629001a", "0629001A", "REP+"),
        ("0629003C", "0629003C", ""),
        ("other", None, None),
        ("", None, None),
        ("9999999Z", None, None),
    ],
    ids=["rep-plus", "rep", "lower-case-uai", "not-priority", "other", "empty", "not-listed"],
)
def test_screening_keeps_the_school_as_the_territory_lists_it(school, uai, network):
    result = run(school=school)
    assert (result.school_uai, result.school_network) == (uai, network)
    assert (result.to_dict()["school_uai"], result.to_dict()["school_network"]) == (uai, network)
