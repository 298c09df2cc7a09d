"""Loading and validating the territory file, and matching street names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from intake.territory.addresses import normalise_street
from intake.territory.model import (
    RULES,
    ActionKind,
    Commune,
    Contact,
    Offer,
    Programme,
    Qpv,
    School,
    Service,
    Street,
)
from intake.territory.reader import TerritoryError, load_territory, parse_territory
from tests.support.app import SAMPLE_TERRITORY

TERRITORY_FILE = Path(__file__).parents[1] / "territory.toml"
BASE = TERRITORY_FILE.read_text(encoding="utf-8")
SOURCE = "t.toml"
_STREETS_START = BASE.index("streets = [")
STREETS = BASE[_STREETS_START : BASE.index("]\n", _STREETS_START) + 2]
CLAS_ENGLISH = (
    'en = { name = "CLAS of the Peupliers social centre", '
    'hours = "Monday, Tuesday, Thursday and Friday, 4.30 pm to 6 pm" }\n'
)
CONTACT_ENGLISH = 'en = { hours = "Monday to Friday, 9 am to 12 noon and 1.30 pm to 5 pm" }\n'

MINIMAL = """
[programme]
name = "PRE"
organisation = "CCAS"
min_age = 2
max_age = 16
rule = "qpv_and_priority_school"

[[communes]]
name = "Testville"
postcodes = ["62999"]
"""


def variant(*edits: tuple[str, str], text: str = BASE) -> str:
    """The test territory with each `old` text replaced by `new`, each found exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def appended(extra: str) -> tuple[str, str]:
    """An edit that adds extra at the end of the test territory."""
    last = 'commune = "Autreville"\npriority = ""\n'
    assert BASE.endswith(last)
    return last, last + "\n" + extra


def error_of(text: str) -> str:
    """The message of the TerritoryError that parsing text raises."""
    with pytest.raises(TerritoryError) as caught:
        parse_territory(text, SOURCE)
    return str(caught.value)


# --- The test territory loads whole ---------------------------------------------------------


def test_load_test_territory():
    territory = load_territory(TERRITORY_FILE)

    assert territory.source == str(TERRITORY_FILE)
    assert territory.programme == Programme(
        name="Programme de Réussite Éducative de Testville",
        organisation="CCAS de Testville",
        notify=("coordination@testville.example",),
        min_age=2,
        max_age=16,
        rule="qpv_or_priority_school",
        retention_months=24,
        remind_after_days=7,
        contact_within_days=10,
    )
    assert territory.contact == Contact(
        address="1 place de la Mairie, 62999 Testville",
        phone="03 21 00 00 00",
        email="pre@testville.example",
        hours="Du lundi au vendredi, de 9 h à 12 h et de 13 h 30 à 17 h",
        translations=(("en", "hours", "Monday to Friday, 9 am to 12 noon and 1.30 pm to 5 pm"),),
    )
    assert [offer.title for offer in territory.offers] == [
        "Accompagnement individualisé",
        "Aide aux devoirs et ateliers",
    ]
    assert all(isinstance(offer, Offer) and offer.description for offer in territory.offers)
    assert territory.communes == (
        Commune(name="Testville", postcodes=("62999",), insee="62901"),
        Commune(name="Autreville", postcodes=("62998",), insee="62902"),
    )
    assert territory.qpvs == (
        Qpv(
            code="QN06299X",
            name="Les Tilleuls",
            commune="Testville",
            streets=(
                Street("rue des Tilleuls"),
                Street("avenue Jean-Jaurès", from_=1, to=59, side="odd"),
                Street("boulevard de l'Égalité", side="even"),
                Street("rue Saint-Exupéry", from_=10, to=20),
            ),
        ),
    )
    assert territory.schools == (
        School("0629001A", "École Les Tilleuls", "Testville", "REP+"),
        School("0629002B", "Collège Jean Moulin", "Testville", "REP"),
        School("0629003C", "École du Centre", "Testville", ""),
        School("0629004D", "École d'Autreville", "Autreville", ""),
    )
    assert territory.action_kinds == (ActionKind("homework_club", "Club de devoirs"),)
    clas = Service(
        "clas",
        "CLAS du centre social des Peupliers",
        "8 rue des Écoles, 62999 Testville",
        "03 21 00 00 10",
        "Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h",
        (
            ("en", "name", "CLAS of the Peupliers social centre"),
            ("en", "hours", "Monday, Tuesday, Thursday and Friday, 4.30 pm to 6 pm"),
        ),
    )
    assert territory.services == (clas,)
    assert territory.service("clas") == clas
    # A service the territory does not list, or no service at all.
    assert territory.service("pmi") is None and territory.service(None) is None


def test_territory_is_frozen():
    territory = load_territory(TERRITORY_FILE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        territory.programme.min_age = 0  # type: ignore[misc]


def test_rules():
    assert RULES == ("qpv_or_priority_school", "qpv_and_priority_school")


@pytest.mark.parametrize(
    ("uai", "name"),
    [
        ("0629001A", "École Les Tilleuls"),
        ("0629001a", "École Les Tilleuls"),
        (" 0629002B ", "Collège Jean Moulin"),
        ("0629004D", "École d'Autreville"),
        ("9999999Z", None),
        ("other", None),
        ("", None),
    ],
    ids=["exact", "lower-case", "spaces", "other-commune", "not-listed", "other", "empty"],
)
def test_school_lookup(uai, name):
    found = load_territory(TERRITORY_FILE).school(uai)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(
    ("uai", "is_priority"),
    [("0629001A", True), ("0629002B", True), ("0629003C", False)],
    ids=["REP+", "REP", "none"],
)
def test_school_is_priority(uai, is_priority):
    assert load_territory(TERRITORY_FILE).school(uai).is_priority is is_priority


@pytest.mark.parametrize(
    ("postcode", "commune"),
    [
        ("62999", "Testville"),
        ("62 999", "Testville"),
        ("62998", "Autreville"),
        ("75011", None),
        ("", None),
    ],
    ids=["testville", "with-space", "autreville", "elsewhere", "empty"],
)
def test_commune_for_postcode(postcode, commune):
    found = load_territory(TERRITORY_FILE).commune_for_postcode(postcode)
    assert (found.name if found else None) == commune


def test_communes_sharing_a_postcode():
    text = MINIMAL + '\n[[communes]]\nname = "Ham"\npostcodes = ["62190", "62999"]\n'
    territory = parse_territory(text)
    assert [c.name for c in territory.communes_for_postcode("62999")] == ["Testville", "Ham"]
    assert territory.commune_for_postcode("62999").name == "Testville"
    assert territory.commune_for_postcode("62190").name == "Ham"


def test_optional_parts_default():
    territory = parse_territory(MINIMAL, "minimal.toml")
    assert territory.source == "minimal.toml"
    assert territory.programme.notify == ()
    assert territory.programme.retention_months == 24
    assert territory.programme.remind_after_days == 7
    assert territory.programme.contact_within_days == 15
    assert territory.contact is None
    assert territory.offers == ()
    assert territory.qpvs == ()
    assert territory.schools == ()
    assert territory.action_kinds == ()
    assert territory.services == ()


def test_a_service_needs_its_code_only():
    territory = parse_territory(
        variant(
            (
                'name = "CLAS du centre social des Peupliers"\n'
                'address = "8 rue des Écoles, 62999 Testville"\n'
                'phone = "03 21 00 00 10"\n'
                'hours = "Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h"\n',
                "",
            ),
            (CLAS_ENGLISH, ""),
            ('code = "clas"\n', 'code = "clas"\n\n[[services]]\ncode = "pmi"\nphone = " 03 "\n'),
        )
    )
    assert territory.services == (Service("clas"), Service("pmi", phone="03"))


def test_the_sample_territory_lists_its_clas_without_inventing_an_address():
    (clas,) = load_territory(SAMPLE_TERRITORY).services
    assert clas.code == "clas" and "Lillers" in clas.name
    # The Ville's page gives no address, phone or hours for it: the e-mail says to ask.
    assert (clas.address, clas.phone, clas.hours) == ("", "", "")


def test_qpv_streets_may_be_empty():
    territory = parse_territory(variant((STREETS, "streets = []\n")))
    assert territory.qpvs[0].streets == ()


def test_sample_territory_loads():
    sample = Path(__file__).parents[2] / "instance" / "territory.sample.toml"
    if not sample.exists():
        pytest.skip("no instance/territory.sample.toml in this checkout")
    territory = load_territory(sample)
    assert territory.programme.rule in RULES
    assert territory.communes


def test_parse_default_source_name():
    with pytest.raises(TerritoryError) as caught:
        parse_territory("")
    assert str(caught.value) == "<string>: programme is required"


def test_values_are_tidied():
    text = variant(
        ('uai = "0629001A"', 'uai = "0629001a"'),
        ('code = "QN06299X"', 'code = "qn06299x"'),
        ('priority = "REP+"', 'priority = "rep+"'),
        ('commune = "Autreville"', 'commune = "AUTREVILLE"'),
        ('organisation = "CCAS de Testville"', 'organisation = "  CCAS de Testville  "'),
    )
    territory = parse_territory(text)
    assert territory.schools[0].uai == "0629001A"
    assert territory.schools[0].priority == "REP+"
    assert territory.schools[3].commune == "Autreville"
    assert territory.qpvs[0].code == "QN06299X"
    assert territory.programme.organisation == "CCAS de Testville"


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_territory(path).programme.name == "Programme de Réussite Éducative de Testville"


# --- Streets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("street", "number", "accepted"),
    [
        (Street("rue des Tilleuls"), None, True),
        (Street("rue des Tilleuls"), 1, True),
        (Street("rue des Tilleuls"), 9998, True),
        (Street("av", from_=1, to=59, side="odd"), None, None),
        (Street("av", from_=1, to=59, side="odd"), 1, True),
        (Street("av", from_=1, to=59, side="odd"), 59, True),
        (Street("av", from_=1, to=59, side="odd"), 61, False),
        (Street("av", from_=1, to=59, side="odd"), 30, False),
        (Street("av", from_=1, to=59, side="odd"), 0, False),
        (Street("bd", side="even"), None, None),
        (Street("bd", side="even"), 2, True),
        (Street("bd", side="even"), 1000, True),
        (Street("bd", side="even"), 13, False),
        (Street("rue", from_=10, to=20), None, None),
        (Street("rue", from_=10, to=20), 9, False),
        (Street("rue", from_=10, to=20), 10, True),
        (Street("rue", from_=10, to=20), 15, True),
        (Street("rue", from_=10, to=20), 20, True),
        (Street("rue", from_=10, to=20), 21, False),
        (Street("rue", from_=5), 4, False),
        (Street("rue", from_=5), 5, True),
        (Street("rue", from_=5), 4000, True),
        (Street("rue", to=5), 5, True),
        (Street("rue", to=5), 6, False),
    ],
    ids=[
        "whole-no-number",
        "whole-1",
        "whole-9998",
        "odd-range-no-number",
        "odd-range-from-bound",
        "odd-range-to-bound",
        "odd-range-past-to",
        "odd-range-even-number",
        "odd-range-zero",
        "even-no-number",
        "even-2",
        "even-1000",
        "even-odd-number",
        "range-no-number",
        "range-below",
        "range-from-bound",
        "range-middle-odd",
        "range-to-bound",
        "range-above",
        "from-only-below",
        "from-only-bound",
        "from-only-far",
        "to-only-bound",
        "to-only-above",
    ],
)
def test_street_accepts(street, number, accepted):
    assert street.accepts(number) is accepted


def test_street_key_is_normalised_name():
    street = Street("Boulevard de l’Égalité", side="even")
    assert street.key == "boulevard de l egalite"
    assert street.is_limited
    assert not Street("rue des Tilleuls").is_limited


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("rue des Tilleuls", "rue des tilleuls"),
        ("RUE DES TILLEULS", "rue des tilleuls"),
        ("  rue   des ,Tilleuls. ", "rue des tilleuls"),
        ("r. des tilleuls", "rue des tilleuls"),
        ("R des Tilleuls", "rue des tilleuls"),
        ("Av. Jean Jaures", "avenue jean jaures"),
        ("avenue Jean-Jaurès", "avenue jean jaures"),
        ("AV JEAN-JAURÈS", "avenue jean jaures"),
        ("ave Jean Jaurès", "avenue jean jaures"),
        ("BD DE L EGALITE", "boulevard de l egalite"),
        ("boulevard de l'Égalité", "boulevard de l egalite"),
        ("Bd de l’Égalité", "boulevard de l egalite"),
        ("bld de l'egalite", "boulevard de l egalite"),
        ("boul. de l'Egalite", "boulevard de l egalite"),
        ("pl. de la République", "place de la republique"),
        ("rue St-Exupéry", "rue saint exupery"),
        ("rue saint Exupery", "rue saint exupery"),
        ("rue Ste Catherine", "rue sainte catherine"),
        ("imp. des Lilas", "impasse des lilas"),
        ("all. des Roses", "allee des roses"),
        ("ch. du Moulin", "chemin du moulin"),
        ("chem du Moulin", "chemin du moulin"),
        ("rte de Lille", "route de lille"),
        ("sq. Verlaine", "square verlaine"),
        ("rés. Les Roses", "residence les roses"),
        ("resid Les Roses", "residence les roses"),
        ("fg d'Arras", "faubourg d arras"),
        ("fbg d'Arras", "faubourg d arras"),
        ("chs Brunehaut", "chaussee brunehaut"),
        ("pass. des Arts", "passage des arts"),
        ("lot. Les Prés", "lotissement les pres"),
        ("HLM Les Oiseaux", "hlm les oiseaux"),
        ("rue du Cœur-Joyeux", "rue du coeur joyeux"),
        ("place Lætitia", "place laetitia"),
        ("rue du 8-Mai-1945", "rue du 8 mai 1945"),
        ("av. du Gal de Gaulle", "avenue du general de gaulle"),
        ("rue du Lot", "rue du lot"),
        ("avenue R. Schuman", "avenue r schuman"),
        ("rue Pierre St", "rue pierre st"),
        ("", ""),
        ("-- ''", ""),
    ],
    ids=lambda value: value.encode("ascii", "replace").decode() or "empty",
)
def test_normalise_street(name, key):
    assert normalise_street(name) == key


# --- Validation -----------------------------------------------------------------------------


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_bad_toml_names_the_line():
    text = variant(("min_age = 2\n", "min_age = \n"))
    line = line_of(text, "min_age = ")
    assert error_of(text) == f"{SOURCE}: line {line}: Invalid value (column 11)"


def test_duplicate_toml_key_names_the_line():
    text = variant(("max_age = 16\n", "max_age = 16\nmax_age = 17\n"))
    line = line_of(text, "max_age = 17")
    assert error_of(text) == f"{SOURCE}: line {line}: Cannot overwrite a value (column 13)"


def test_bad_toml_at_end_of_document():
    assert error_of(BASE + "\nx = [1,") == (
        f"{SOURCE}: invalid TOML: Invalid value (at end of document)"
    )


PROGRAMME_KEYS = (
    "name, organisation, notify, min_age, max_age, rule, retention_months, remind_after_days, "
    "contact_within_days"
)
TOP_KEYS = "programme, contact, offers, communes, qpv, schools, sources, action_kinds, services"
RULE_CHOICES = "qpv_or_priority_school, qpv_and_priority_school"


SECOND_OFFER_DESCRIPTION = (
    'description = "Des ateliers de langage, de lecture et '
    "d'activités culturelles après l'école.\"\n"
)

# Each case: the edits made to the test territory, then the message after "t.toml: ".
CASES = [
    # Top level and the shape of tables.
    pytest.param(
        [('[[schools]]\nuai = "0629001A"', '[school]\nuai = "0629001A"')],
        f"unknown key 'school' (expected one of: {TOP_KEYS})",
        id="unknown-top-level-table",
    ),
    pytest.param(
        [("[programme]", "[[programme]]")],
        "programme: must be a table, not an array",
        id="programme-not-a-table",
    ),
    pytest.param(
        [("[[qpv]]", "[qpv]")],
        "qpv: must be an array of tables ([[qpv]])",
        id="qpv-not-an-array-of-tables",
    ),
    pytest.param(
        [("remind_after_days = 7", "remind_after_day = 7")],
        f"programme: unknown key 'remind_after_day' (expected one of: {PROGRAMME_KEYS})",
        id="unknown-programme-key",
    ),
    pytest.param(
        [('phone = "03 21 00 00 00"', 'telephone = "03 21 00 00 00"')],
        "contact: unknown key 'telephone' (expected one of: address, phone, email, hours, en)",
        id="unknown-contact-key",
    ),
    # Programme.
    pytest.param(
        [('name = "Programme de Réussite Éducative de Testville"\n', "")],
        "programme.name is required",
        id="missing-name",
    ),
    pytest.param(
        [('organisation = "CCAS de Testville"\n', "")],
        "programme.organisation is required",
        id="missing-organisation",
    ),
    pytest.param(
        [('organisation = "CCAS de Testville"', 'organisation = "  "')],
        "programme.organisation must not be empty",
        id="empty-organisation",
    ),
    pytest.param(
        [("min_age = 2\n", "")],
        "programme.min_age is required",
        id="missing-min-age",
    ),
    pytest.param(
        [("max_age = 16\n", "")],
        "programme.max_age is required",
        id="missing-max-age",
    ),
    pytest.param(
        [('rule = "qpv_or_priority_school"\n', "")],
        "programme.rule is required",
        id="missing-rule",
    ),
    pytest.param(
        [("min_age = 2", 'min_age = "two"')],
        "programme.min_age must be an integer, not 'two'",
        id="min-age-string",
    ),
    pytest.param(
        [("min_age = 2", "min_age = true")],
        "programme.min_age must be an integer, not true",
        id="min-age-boolean",
    ),
    pytest.param(
        [("max_age = 16", "max_age = 16.5")],
        "programme.max_age must be an integer, not 16.5",
        id="max-age-float",
    ),
    pytest.param(
        [("min_age = 2", "min_age = -1")],
        "programme.min_age must not be negative (found -1)",
        id="min-age-negative",
    ),
    pytest.param(
        [("min_age = 2", "min_age = 0"), ("max_age = 16", "max_age = -16")],
        "programme.max_age must not be negative (found -16)",
        id="max-age-negative",
    ),
    pytest.param(
        [("min_age = 2", "min_age = 17")],
        "programme: min_age (17) is greater than max_age (16)",
        id="min-age-above-max-age",
    ),
    pytest.param(
        [('rule = "qpv_or_priority_school"', 'rule = "qpv_only"')],
        f"programme.rule must be one of {RULE_CHOICES}, not 'qpv_only'",
        id="unknown-rule",
    ),
    pytest.param(
        [('rule = "qpv_or_priority_school"', "rule = 1")],
        "programme.rule must be a string, not 1",
        id="rule-not-a-string",
    ),
    pytest.param(
        [("retention_months = 24", "retention_months = 0")],
        "programme.retention_months must be at least 1 (found 0)",
        id="retention-months-zero",
    ),
    pytest.param(
        [("remind_after_days = 7", 'remind_after_days = "7"')],
        "programme.remind_after_days must be an integer, not '7'",
        id="remind-after-days-string",
    ),
    pytest.param(
        [("contact_within_days = 10", "contact_within_days = 0")],
        "programme.contact_within_days must be at least 1 (found 0)",
        id="contact-within-days-zero",
    ),
    pytest.param(
        [("contact_within_days = 10", "contact_within_days = -3")],
        "programme.contact_within_days must be at least 1 (found -3)",
        id="contact-within-days-negative",
    ),
    pytest.param(
        [("contact_within_days = 10", "contact_within_days = 7.5")],
        "programme.contact_within_days must be an integer, not 7.5",
        id="contact-within-days-not-an-integer",
    ),
    pytest.param(
        [("contact_within_days = 10", "contact_within_days = true")],
        "programme.contact_within_days must be an integer, not true",
        id="contact-within-days-boolean",
    ),
    pytest.param(
        [('notify = ["coordination@testville.example"]', 'notify = ["coordination"]')],
        "programme.notify[1] is not an e-mail address: 'coordination'",
        id="notify-not-an-address",
    ),
    pytest.param(
        [
            (
                'notify = ["coordination@testville.example"]',
                'notify = ["a@testville.example", "b@testville"]',
            )
        ],
        "programme.notify[2] is not an e-mail address: 'b@testville'",
        id="notify-second-without-domain",
    ),
    pytest.param(
        [('notify = ["coordination@testville.example"]', 'notify = "a@testville.example"')],
        "programme.notify must be an array of strings, not 'a@testville.example'",
        id="notify-not-an-array",
    ),
    pytest.param(
        [('notify = ["coordination@testville.example"]', "notify = [1]")],
        "programme.notify[1] must be a string, not 1",
        id="notify-entry-not-a-string",
    ),
    # Contact and offers.
    pytest.param(
        [('email = "pre@testville.example"', 'email = "pre at testville"')],
        "contact.email is not an e-mail address: 'pre at testville'",
        id="contact-email",
    ),
    pytest.param(
        [('hours = "Du lundi au vendredi, de 9 h à 12 h et de 13 h 30 à 17 h"', "hours = 9")],
        "contact.hours must be a string, not 9",
        id="contact-hours-not-a-string",
    ),
    pytest.param(
        [('title = "Accompagnement individualisé"\n', "")],
        "offers[1].title is required",
        id="offer-without-title",
    ),
    pytest.param(
        [('description = "Des ateliers', 'description = ""\nx = "Des ateliers')],
        "offers[2]: unknown key 'x' (expected one of: title, description, en)",
        id="offer-unknown-key",
    ),
    pytest.param(
        [(SECOND_OFFER_DESCRIPTION, "")],
        "offers[2].description is required",
        id="offer-without-description",
    ),
    # Communes.
    pytest.param(
        [('insee = "62901"', 'insee = "6290"')],
        "communes[1].insee must be an INSEE code of 5 characters (62516, 2A004), not '6290'",
        id="insee-four-digits",
    ),
    pytest.param(
        [('insee = "62901"', 'insee = "2C004"')],
        "communes[1].insee must be an INSEE code of 5 characters (62516, 2A004), not '2C004'",
        id="insee-not-corsica",
    ),
    pytest.param(
        [('insee = "62901"', 'insee = "６２９０１"')],
        "communes[1].insee must be an INSEE code of 5 characters (62516, 2A004), not '６２９０１'",
        id="insee-full-width-digits",
    ),
    pytest.param(
        [('insee = "62902"', 'insee = "62901"')],
        "communes[2]: duplicate INSEE code 62901",
        id="insee-duplicate",
    ),
    pytest.param(
        [('insee = "62901"', "insee = 62901")],
        "communes[1].insee must be a string, not 62901",
        id="insee-number",
    ),
    pytest.param(
        [('postcodes = ["62999"]', 'postcodes = ["6299"]')],
        "communes[1].postcodes[1] must be 5 digits, not '6299'",
        id="postcode-four-digits",
    ),
    pytest.param(
        [('postcodes = ["62998"]', 'postcodes = ["62998", "62 99A"]')],
        "communes[2].postcodes[2] must be 5 digits, not '62 99A'",
        id="postcode-letters",
    ),
    pytest.param(
        [('postcodes = ["62999"]', "postcodes = [62999]")],
        "communes[1].postcodes[1] must be a string, not 62999",
        id="postcode-integer",
    ),
    pytest.param(
        [('postcodes = ["62999"]', "postcodes = []")],
        "communes[1].postcodes must list at least one postcode",
        id="postcodes-empty",
    ),
    pytest.param(
        [('postcodes = ["62998"]\n', "")],
        "communes[2].postcodes is required",
        id="postcodes-missing",
    ),
    pytest.param(
        [('name = "Autreville"', 'name = "TESTVILLE"')],
        "communes[2]: duplicate commune TESTVILLE",
        id="duplicate-commune",
    ),
    # QPV and streets.
    pytest.param(
        [('code = "QN06299X"\n', "")],
        "qpv[1].code is required",
        id="qpv-without-code",
    ),
    pytest.param(
        [('code = "QN06299X"', 'code = ""')],
        "qpv[1].code must not be empty",
        id="qpv-empty-code",
    ),
    pytest.param(
        [('name = "Les Tilleuls"\n', "")],
        "qpv[1].name is required",
        id="qpv-without-name",
    ),
    pytest.param(
        [('commune = "Testville"\nstreets', 'commune = "Nulleville"\nstreets')],
        "qpv[1].commune 'Nulleville' is not a declared commune (Testville, Autreville)",
        id="qpv-unknown-commune",
    ),
    pytest.param(
        [(STREETS, "")],
        "qpv[1].streets is required",
        id="qpv-without-streets",
    ),
    pytest.param(
        [(STREETS, 'streets = "rue des Tilleuls"\n')],
        "qpv[1].streets must be an array, not 'rue des Tilleuls'",
        id="qpv-streets-not-an-array",
    ),
    pytest.param(
        [('{ name = "rue des Tilleuls" }', '"rue des Tilleuls"')],
        "qpv[1].streets[1]: must be a table like { name = \"rue …\" }, not 'rue des Tilleuls'",
        id="street-not-a-table",
    ),
    pytest.param(
        [('{ name = "rue des Tilleuls" }', '{ name = "rue des Tilleuls", number = 3 }')],
        "qpv[1].streets[1]: unknown key 'number' (expected one of: name, from, to, side)",
        id="street-unknown-key",
    ),
    pytest.param(
        [('{ name = "rue des Tilleuls" }', "{ from = 3 }")],
        "qpv[1].streets[1].name is required",
        id="street-without-name",
    ),
    pytest.param(
        [('{ name = "rue des Tilleuls" }', '{ name = " " }')],
        "qpv[1].streets[1].name must not be empty",
        id="street-empty-name",
    ),
    pytest.param(
        [('{ name = "rue des Tilleuls" }', '{ name = "-- \'" }')],
        'qpv[1].streets[1].name has no letters or digits: "-- \'"',
        id="street-name-only-punctuation",
    ),
    pytest.param(
        [('side = "odd"', 'side = "left"')],
        'qpv[1].streets[2].side must be "odd" or "even" (or absent for both sides), not \'left\'',
        id="street-unknown-side",
    ),
    pytest.param(
        [('side = "even"', 'side = "both"')],
        'qpv[1].streets[3].side must be "odd" or "even" (or absent for both sides), not \'both\'',
        id="street-side-both",
    ),
    pytest.param(
        [('side = "even"', "side = 2")],
        'qpv[1].streets[3].side must be "odd" or "even" (or absent for both sides), not 2',
        id="street-side-not-a-string",
    ),
    pytest.param(
        [("from = 1, to = 59", "from = 60, to = 59")],
        "qpv[1].streets[2]: from (60) is greater than to (59)",
        id="street-from-above-to",
    ),
    pytest.param(
        [("from = 10, to = 20", "from = 0, to = 20")],
        "qpv[1].streets[4].from must be at least 1 (found 0)",
        id="street-from-zero",
    ),
    pytest.param(
        [("from = 10, to = 20", "from = 10, to = -20")],
        "qpv[1].streets[4].to must be at least 1 (found -20)",
        id="street-to-negative",
    ),
    pytest.param(
        [("from = 10, to = 20", 'from = "10", to = 20')],
        "qpv[1].streets[4].from must be an integer, not '10'",
        id="street-from-string",
    ),
    pytest.param(
        [
            appended(
                '[[qpv]]\ncode = "qn06299x"\nname = "Bis"\ncommune = "Autreville"\n'
                'streets = [{ name = "rue X" }]\n'
            )
        ],
        "qpv[2]: duplicate QPV code QN06299X",
        id="qpv-duplicate-code",
    ),
    # Schools.
    pytest.param(
        [('uai = "0629002B"', 'uai = "0629001a"')],
        "schools[2]: duplicate UAI 0629001A",
        id="duplicate-uai",
    ),
    pytest.param(
        [('uai = "0629002B"\n', "")],
        "schools[2].uai is required",
        id="school-without-uai",
    ),
    pytest.param(
        [('uai = "0629002B"', 'uai = "62902B"')],
        "schools[2].uai must be 7 digits and a letter (like 0620000X), not '62902B'",
        id="uai-malformed",
    ),
    pytest.param(
        [('uai = "0629002B"', 'uai = "other"')],
        "schools[2].uai must be 7 digits and a letter (like 0620000X), not 'other'",
        id="uai-other",
    ),
    pytest.param(
        [('name = "Collège Jean Moulin"\n', "")],
        "schools[2].name is required",
        id="school-without-name",
    ),
    pytest.param(
        [('priority = "REP+"', 'priority = "REP++"')],
        'schools[1].priority must be "REP", "REP+" or "" (none), not \'REP++\'',
        id="unknown-priority",
    ),
    pytest.param(
        [('priority = "REP"', 'priority = "rep1"')],
        'schools[2].priority must be "REP", "REP+" or "" (none), not \'rep1\'',
        id="priority-rep1",
    ),
    pytest.param(
        [('priority = "REP+"', "priority = true")],
        "schools[1].priority must be a string, not true",
        id="priority-boolean",
    ),
    pytest.param(
        [('commune = "Autreville"\npriority = ""\n', 'commune = "Autreville"\n')],
        "schools[4].priority is required",
        id="school-without-priority",
    ),
    pytest.param(
        [('commune = "Autreville"\npriority', 'commune = "Nulleville"\npriority')],
        "schools[4].commune 'Nulleville' is not a declared commune (Testville, Autreville)",
        id="school-unknown-commune",
    ),
    # The territory's own kinds of parcours action.
    pytest.param(
        [('code = "homework_club"', 'code = "Homework club"')],
        "action_kinds[1].code must be lowercase ASCII letters, digits and underscores, "
        "starting with a letter, at most 40 characters: 'Homework club'",
        id="action-kind-code-not-ascii-lowercase",
    ),
    pytest.param(
        [('code = "homework_club"', 'code = "club_de_soutien_scolaire_du_mercredi_apres"')],
        "action_kinds[1].code must be lowercase ASCII letters, digits and underscores, "
        "starting with a letter, at most 40 characters: "
        "'club_de_soutien_scolaire_du_mercredi_apres'",
        id="action-kind-code-too-long",
    ),
    pytest.param(
        [('code = "homework_club"', 'code = "cours_d_été"')],
        "action_kinds[1].code must be lowercase ASCII letters, digits and underscores, "
        "starting with a letter, at most 40 characters: 'cours_d_été'",
        id="action-kind-code-accented",
    ),
    pytest.param(
        [('code = "homework_club"', 'code = "tutoring"')],
        "action_kinds[1].code 'tutoring' is a built-in kind of action (tutoring, "
        "speech_therapy, psychological, culture_sport, parenting, rights, other): "
        "choose another code",
        id="action-kind-code-built-in",
    ),
    pytest.param(
        [('code = "homework_club"', 'code = "other"')],
        "action_kinds[1].code 'other' is a built-in kind of action (tutoring, "
        "speech_therapy, psychological, culture_sport, parenting, rights, other): "
        "choose another code",
        id="action-kind-code-other",
    ),
    pytest.param(
        [
            (
                'name = "Club de devoirs"\n',
                'name = "Club de devoirs"\n\n[[action_kinds]]\ncode = "homework_club"\n'
                'name = "Encore"\n',
            )
        ],
        "action_kinds[2].code 'homework_club' is declared twice",
        id="action-kind-code-twice",
    ),
    pytest.param(
        [('name = "Club de devoirs"\n', 'name = "  "\n')],
        "action_kinds[1].name must not be empty",
        id="action-kind-name-empty",
    ),
    pytest.param(
        [('name = "Club de devoirs"\n', "")],
        "action_kinds[1].name is required",
        id="action-kind-name-missing",
    ),
    pytest.param(
        [('name = "Club de devoirs"\n', 'name = "Club de devoirs"\nhours = "mercredi"\n')],
        "action_kinds[1]: unknown key 'hours' (expected one of: code, name)",
        id="action-kind-unknown-key",
    ),
    pytest.param(
        [
            ('[[action_kinds]]\ncode = "homework_club"\nname = "Club de devoirs"\n', ""),
            ("[programme]\n", 'action_kinds = ["homework_club"]\n\n[programme]\n'),
        ],
        "action_kinds: must be an array of tables ([[action_kinds]])",
        id="action-kinds-not-tables",
    ),
    # The services a redirection sends a family to.
    pytest.param(
        [('code = "clas"', 'code = "CLAS"')],
        "services[1].code must be a decision's service (clas, reaap, pmi, cmp, social_service, "
        "mda, other), not 'CLAS'",
        id="service-unknown-code",
    ),
    pytest.param(
        [('code = "clas"', 'code = "soutien"')],
        "services[1].code must be a decision's service (clas, reaap, pmi, cmp, social_service, "
        "mda, other), not 'soutien'",
        id="service-code-not-a-decision-one",
    ),
    pytest.param(
        [('code = "clas"\n', "")],
        "services[1].code is required",
        id="service-without-code",
    ),
    pytest.param(
        [('code = "clas"\n', 'code = "clas"\n\n[[services]]\ncode = "clas"\n')],
        "services[2].code 'clas' is declared twice",
        id="service-code-twice",
    ),
    pytest.param(
        [('phone = "03 21 00 00 10"', "phone = 321000010")],
        "services[1].phone must be a string, not 321000010",
        id="service-phone-number",
    ),
    pytest.param(
        [('hours = "Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h"', 'hours = ["lundi"]')],
        "services[1].hours must be a string, not an array",
        id="service-hours-array",
    ),
    pytest.param(
        [('code = "clas"', "code = true")],
        "services[1].code must be a string, not true",
        id="service-code-boolean",
    ),
    pytest.param(
        [('code = "clas"\n', 'code = "clas"\nemail = "clas@testville.example"\n')],
        "services[1]: unknown key 'email' (expected one of: code, name, address, phone, hours, en)",
        id="service-unknown-key",
    ),
    pytest.param(
        [("[[services]]\n", "[services]\n")],
        "services: must be an array of tables ([[services]])",
        id="services-not-tables",
    ),
    pytest.param(
        [('commune = "Autreville"\npriority', 'town = "Autreville"\npriority')],
        "schools[4]: unknown key 'town' (expected one of: uai, name, commune, priority)",
        id="school-unknown-key",
    ),
]


@pytest.mark.parametrize(("edits", "message"), CASES)
def test_invalid_territory(edits, message):
    assert error_of(variant(*edits)) == f"{SOURCE}: {message}"


def test_what_a_family_reads_may_also_be_given_in_english():
    territory = load_territory(TERRITORY_FILE)
    contact, (first, second), (clas,) = territory.contact, territory.offers, territory.services
    assert contact.said("hours", "en") == "Monday to Friday, 9 am to 12 noon and 1.30 pm to 5 pm"
    assert contact.said("hours", "fr") == contact.hours
    assert (first.said("title", "en"), first.said("description", "en")) == (
        "Individual support",
        first.description,  # not translated: shown as written
    )
    assert second.said("title", "en") == second.title
    assert clas.said("name", "en") == "CLAS of the Peupliers social centre"
    assert clas.said("address", "en") == clas.address


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [(CLAS_ENGLISH, 'en = { address = "8 School Street" }\n')],
            "services[1].en: unknown key 'address' (expected one of: name, hours)",
        ),
        (
            [(CLAS_ENGLISH, 'en = { name = "" }\n')],
            "services[1].en.name must not be empty",
        ),
        (
            [(CLAS_ENGLISH, 'en = "CLAS"\n')],
            "services[1].en: must be a table, not 'CLAS'",
        ),
        (
            [(CONTACT_ENGLISH, "en = { hours = 9 }\n")],
            "contact.en.hours must be a string, not 9",
        ),
        (
            [(CONTACT_ENGLISH, 'de = { hours = "Montag" }\n')],
            "contact: unknown key 'de' (expected one of: address, phone, email, hours, en)",
        ),
    ],
)
def test_an_english_text_that_cannot_be_used_stops_the_app(edits, message):
    assert error_of(variant(*edits)) == f"{SOURCE}: {message}"


def test_the_file_may_be_translated_into_each_language_the_service_writes_in():
    from intake.rules.reach import DEFAULT_LANGUAGE, LANGUAGES
    from intake.territory.reader import TEXT_LANGUAGES

    assert tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE) == TEXT_LANGUAGES


PROGRAMME_PART, COMMUNES_PART = MINIMAL.split("[[communes]]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[communes]]" + COMMUNES_PART, "programme is required"),
        (PROGRAMME_PART, "communes is required (at least one [[communes]] table)"),
        (
            PROGRAMME_PART + "communes = []",
            "communes is required (at least one [[communes]] table)",
        ),
    ],
    ids=["no-programme", "no-communes", "empty-communes"],
)
def test_missing_sections(text, message):
    assert error_of(text) == f"{SOURCE}: {message}"


def test_missing_file(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(TerritoryError) as caught:
        load_territory(path)
    assert str(caught.value) == f"{path}: cannot read the file: No such file or directory"


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(TerritoryError) as caught:
        load_territory(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot read the file: Is a directory"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(BASE.encode("latin-1"))
    with pytest.raises(TerritoryError) as caught:
        load_territory(path)
    assert str(caught.value).startswith(f"{path}: not valid UTF-8 (invalid continuation byte")


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text(variant(('priority = "REP+"', 'priority = "ZEP"')), encoding="utf-8")
    with pytest.raises(TerritoryError) as caught:
        load_territory(str(path))
    assert str(caught.value) == (
        f'{path}: schools[1].priority must be "REP", "REP+" or "" (none), not \'ZEP\''
    )


def test_file_toml_error_names_file_and_line(tmp_path):
    path = tmp_path / "territory.toml"
    path.write_text('[programme]\nname = "PRE"\nmin_age = two\n', encoding="utf-8")
    with pytest.raises(TerritoryError) as caught:
        load_territory(path)
    assert str(caught.value) == f"{path}: line 3: Invalid value (column 11)"


def test_built_in_action_kinds_are_the_rules_own():
    # The reader cannot import intake.rules (it sits below them): its copy of the built-in
    # codes, which a territory's own kind may not take, is kept in step here.
    from intake.rules.parcours import ACTION_KINDS
    from intake.territory.reader import BUILT_IN_ACTION_KINDS

    assert tuple(ACTION_KINDS) == BUILT_IN_ACTION_KINDS


def test_service_codes_are_the_decisions_own():
    # The same for the services a redirection may send a family to.
    from intake.rules.decisions import PUBLIC_SERVICES, SERVICES
    from intake.territory.model import SERVICE_CODES

    assert tuple(SERVICES) == SERVICE_CODES == tuple(PUBLIC_SERVICES)
