"""`flask territory import-schools`: the school directory export → the [[schools]] tables."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
import tomlkit

from intake.opendata.schools import (
    DirectoryError,
    insee_code,
    open_directory,
    read_directory,
    replace_schools,
    territory_schools,
)
from intake.territory.model import School
from intake.territory.reader import TerritoryError, load_territory, parse_territory
from tests.support.app import TERRITORY

DATA = Path(__file__).parents[1] / "data"
# The same rows under both header styles: as published (Identifiant_de_l_etablissement…),
# and lower-cased as the API names the fields (CRLF and a byte order mark in that one).
TITLED = DATA / "fr-en-annuaire-education.csv"
LOWER = DATA / "fr-en-annuaire-education-api.csv"
SAMPLE = Path(__file__).parents[2] / "instance" / "territory.sample.toml"
TESTVILLE, AUTREVILLE, VOISINVILLE = "62901", "62902", "62903"
HEADER = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;"
    "Code_postal;Code_commune;Nom_commune;Appartenance_Education_Prioritaire;etat\n"
)


def directory(*rows: str, header: str = HEADER):
    """Read a directory made of these rows (`;`-separated, in HEADER's order) for Testville."""
    lines = io.StringIO(header + "".join(row + "\n" for row in rows))
    return read_directory(lines, {TESTVILLE}, "t")


def outside_schools(text: str) -> str:
    """The text without its [[schools]] tables: what an import of schools must leave as it was.

    A table runs from its header to the next header; the comments and blank lines just before
    that next header introduce it and stay.
    """
    lines = text.splitlines(keepends=True)
    kept, index = [], 0
    while index < len(lines):
        if lines[index].strip() != "[[schools]]":
            kept.append(lines[index])
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].lstrip().startswith("["):
            end += 1
        start = end
        if end < len(lines) and lines[end].strip() != "[[schools]]":
            while lines[start - 1].strip()[:1] in ("", "#"):
                start -= 1
        kept.extend(lines[start:end])
        index = end
    return "".join(kept)


def test_outside_schools_drops_the_tables_and_keeps_what_introduces_the_next():
    text = 'a = 1\n\n[[schools]]\nuai = "X"\n\n# The contact\n[contact]\n\n[[schools]]\nb = 2\n'
    assert outside_schools(text) == "a = 1\n\n\n# The contact\n[contact]\n\n"


# --- Reading the directory ------------------------------------------------------------------


@pytest.mark.parametrize("path", [TITLED, LOWER], ids=["titled-headers", "lower-case-headers"])
def test_both_header_styles_give_the_open_ecoles_and_colleges(path):
    reading = open_directory(path, {TESTVILLE, AUTREVILLE})
    found = {uai: (s.kind, s.insee, s.public, s.priority) for uai, s in reading.schools.items()}
    assert found == {
        "0629001A": ("école", TESTVILLE, True, "REP+"),
        "0629002B": ("collège", TESTVILLE, True, "REP"),
        "0629003C": ("école", TESTVILLE, True, ""),
        "0629007G": ("école", TESTVILLE, False, ""),  # private: kept
        "0629004D": ("école", AUTREVILLE, True, ""),
    }
    assert reading.schools["0629002B"].name == "Collège Jean Moulin"
    assert reading.rows == 10
    assert reading.merged == ["0629001A"]
    assert reading.not_open == Counter({"FERME": 1})
    assert reading.other_types == Counter({"Lycée": 1})
    assert reading.other_communes == 2  # Voisinville and Loinville
    assert reading.conflicts == []
    assert reading.communes[VOISINVILLE] == ("Voisinville", "62997")


def test_a_neighbouring_commune_is_read_when_asked_for():
    reading = open_directory(TITLED, {VOISINVILLE})
    assert list(reading.schools) == ["0629008H"]
    assert reading.schools["0629008H"].priority == "REP"


def test_headers_match_whatever_their_case():
    header = HEADER.upper().replace("ETAT", "Etat")
    reading = directory(
        "0629001A;École A;Ecole;Public;62999;62901;Testville;REP;OUVERT", header=header
    )
    assert list(reading.schools) == ["0629001A"]


@pytest.mark.parametrize(
    ("kind", "state", "priority", "kept"),
    [
        ("Ecole", "OUVERT", "REP+", ("école", "REP+")),
        ("École", "OUVERT", "rep", ("école", "REP")),
        ("Collège", "OUVERT", " REP + ", ("collège", "REP+")),
        ("COLLEGE", "OUVERT", "", ("collège", "")),
        # Open until its closing date: its pupils are there today.
        ("Ecole", "A FERMER", "", ("école", "")),
        ("Ecole", "FERME", "", None),
        ("Ecole", "A OUVRIR", "", None),
        ("Ecole", "", "", None),
        ("Lycée", "OUVERT", "", None),
        ("EREA", "OUVERT", "", None),
        ("Service Administratif", "OUVERT", "", None),
    ],
)
def test_which_rows_are_kept(kind, state, priority, kept):
    reading = directory(f"0629001A;École A;{kind};Public;62999;62901;Testville;{priority};{state}")
    school = reading.schools.get("0629001A")
    assert ((school.kind, school.priority) if school else None) == kept


def test_rows_of_other_communes_are_not_checked():
    # A broken row elsewhere in France is none of this territory's business.
    reading = directory("???;;Ecole;Public;75011;75111;Paris;HORS EP;OUVERT")
    assert reading.schools == {} and reading.other_communes == 1


def test_a_repeated_uai_keeps_the_first_name_and_the_strongest_network():
    reading = directory(
        "0629001A;École A;Ecole;Public;62999;62901;Testville;;OUVERT",
        "0629001A;École A (annexe);Ecole;Public;62999;62901;Testville;REP;OUVERT",
        "0629001A;École A;Ecole;Public;62999;62901;Testville;;FERME",
    )
    school = reading.schools["0629001A"]
    assert (school.name, school.priority) == ("École A", "REP")
    assert reading.merged == ["0629001A"]
    assert reading.not_open == Counter({"FERME": 1})
    assert reading.conflicts == [
        "0629001A is not in priority education on one row and REP on another: kept REP"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        (
            "Identifiant_de_l_etablissement,Nom_etablissement\n0629001A,École A\n",
            "not the school directory export (fr-en-annuaire-education, ';'-separated): "
            "no column identifiant_de_l_etablissement, nom_etablissement, type_etablissement",
        ),
        (
            HEADER + "0629001;École A;Ecole;Public;62999;62901;Testville;;OUVERT\n",
            "line 2: '0629001' is not a UAI code",
        ),
        (HEADER + "0629001A; ;Ecole;Public;62999;62901;Testville;;OUVERT\n", "has no name"),
        (
            HEADER + "0629001A;École A;Ecole;Public;62999;62901;Testville;REP++;OUVERT\n",
            "school 0629001A: priority education 'REP++' is none of",
        ),
    ],
    ids=["empty", "comma-separated", "bad-uai", "no-name", "unknown-network"],
)
def test_a_file_that_is_not_the_directory_is_refused_with_the_reason(text, message):
    with pytest.raises(DirectoryError, match="^t: ") as error:
        read_directory(io.StringIO(text), {TESTVILLE}, "t")
    assert message in str(error.value)


def test_a_file_saved_in_another_encoding_is_refused(tmp_path):
    path = tmp_path / "annuaire.csv"
    path.write_bytes(TITLED.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(DirectoryError, match="not valid UTF-8"):
        open_directory(path, {TESTVILLE})


@pytest.mark.parametrize(
    ("written", "code"),
    [("62516", "62516"), (" 62516 ", "62516"), ("1053", "01053"), ("2a004", "2A004")],
)
def test_insee_code(written, code):
    assert insee_code(written) == code


# --- Writing the territory file -------------------------------------------------------------


def test_schools_are_listed_by_commune_then_name_under_the_territorys_names():
    territory = load_territory(TERRITORY)
    reading = open_directory(TITLED, {TESTVILLE, AUTREVILLE})
    schools = territory_schools(reading, territory)
    assert [(s.commune, s.name) for s in schools] == [
        ("Testville", "Collège Jean Moulin"),
        ("Testville", "Ecole élémentaire du Centre"),
        ("Testville", "Ecole primaire Les Tilleuls"),
        ("Testville", "Ecole privée Sainte-Marie"),
        ("Autreville", "Ecole primaire d'Autreville"),
    ]


ONE = [School(uai="0629009Z", name='École "Nouvelle"', commune="Testville", priority="REP")]


def test_replacing_keeps_what_follows_the_last_school_table():
    text = TERRITORY.read_text(encoding="utf-8")
    contact = text[text.index("[contact]") : text.index("[[offers]]")]
    # The contact table moved after the schools, introduced by a comment of its own.
    moved = text.replace(contact, "") + "\n# How families reach the programme\n" + contact.rstrip()
    document = tomlkit.parse(moved)
    replace_schools(document, ONE, "t")
    after = tomlkit.dumps(document)
    assert outside_schools(after) == outside_schools(moved)
    assert "# How families reach the programme\n[contact]" in after
    territory = parse_territory(after)
    assert territory.schools == tuple(ONE)
    assert territory.contact.phone == "03 21 00 00 00"


def test_replacing_adds_the_tables_to_a_file_without_any():
    text = SAMPLE.read_text(encoding="utf-8")
    document = tomlkit.parse(text)
    school = School(uai="0620000X", name="École", commune="Lillers", priority="")
    replace_schools(document, [school], "t")
    after = tomlkit.dumps(document)
    assert after.startswith(text + "\n[[schools]]\n")
    assert parse_territory(after).schools == (school,)


def test_replacing_refuses_schools_written_as_an_inline_array():
    text = TERRITORY.read_text(encoding="utf-8")
    inline = text[: text.index("[[schools]]")].replace(
        "[programme]",
        'schools = [{ uai = "0629001A", name = "A", commune = "Testville", priority = "" }]\n\n'
        "[programme]",
    )
    parse_territory(inline)  # a valid file
    with pytest.raises(TerritoryError, match=r"written as \[\[schools\]\] tables"):
        replace_schools(tomlkit.parse(inline), ONE, "t")


# --- The command ----------------------------------------------------------------------------


@pytest.fixture
def run(make_app, territory_copy):
    """`flask territory import-schools …` on an app whose territory file is the copy."""
    runner = make_app(INTAKE_TERRITORY=str(territory_copy)).test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["territory", "import-schools", *args])

    return invoke


def test_without_write_it_shows_the_summary_and_the_change_and_writes_nothing(run, territory_copy):
    before = territory_copy.read_bytes()
    result = run(str(TITLED))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Read 10 rows; kept 5 open écoles and collèges:\n"
        "  Testville (62901): 4 (REP+ 1, REP 1, none 2)\n"
        "  Autreville (62902): 1 (none 1)\n"
        "Private schools kept: 1 (the programme serves their pupils too; "
        "priority education is public only).\n"
        "Merged 1 row repeating a UAI: 0629001A.\n"
        "Skipped 1 row not open: FERME 1.\n"
        "Skipped 1 row of other types: Lycée 1.\n"
        "Skipped 2 rows of other communes.\n"
    )
    assert f"--- {territory_copy} (current)\n+++ {territory_copy} (imported)\n" in result.stdout
    assert '-name = "École du Centre"\n+name = "Ecole élémentaire du Centre"\n' in result.stdout
    assert '+name = "Ecole privée Sainte-Marie"\n' in result.stdout
    assert result.stdout.endswith(
        f"Nothing written: run again with --write to replace the schools of {territory_copy}.\n"
    )
    assert territory_copy.read_bytes() == before


@pytest.mark.parametrize("path", [TITLED, LOWER], ids=["titled-headers", "lower-case-headers"])
def test_write_replaces_the_schools_and_keeps_everything_else(run, territory_copy, path):
    before = territory_copy.read_text(encoding="utf-8")
    result = run(str(path), "--write")
    assert result.exit_code == 0, result.output
    assert f"Wrote 5 schools to {territory_copy}." in result.stdout
    after = territory_copy.read_text(encoding="utf-8")
    assert outside_schools(after) == outside_schools(before)
    assert after.startswith("# A fictional territory for the test suite.")
    territory = load_territory(territory_copy)
    assert {s.uai: (s.name, s.commune, s.priority) for s in territory.schools} == {
        "0629002B": ("Collège Jean Moulin", "Testville", "REP"),
        "0629003C": ("Ecole élémentaire du Centre", "Testville", ""),
        "0629001A": ("Ecole primaire Les Tilleuls", "Testville", "REP+"),
        "0629007G": ("Ecole privée Sainte-Marie", "Testville", ""),
        "0629004D": ("Ecole primaire d'Autreville", "Autreville", ""),
    }
    # The same import again changes nothing.
    again = run(str(path), "--write")
    assert again.exit_code == 0, again.output
    assert "its [[schools]] tables are already these; nothing to write." in again.stdout
    assert territory_copy.read_text(encoding="utf-8") == after


def test_an_undeclared_neighbouring_commune_is_refused_with_the_table_to_add(run, territory_copy):
    before = territory_copy.read_bytes()
    result = run(str(TITLED), "--commune", VOISINVILLE, "--write")
    assert result.exit_code == 1
    assert f"commune 62903 given with --commune is not in {territory_copy}" in result.output
    assert (
        '[[communes]]\nname = "Voisinville"\ninsee = "62903"\npostcodes = ["62997"]\n'
        in result.output
    )
    assert "Nothing written." in result.output
    assert territory_copy.read_bytes() == before


def test_a_declared_neighbouring_commune_brings_its_schools(run, territory_copy):
    text = territory_copy.read_text(encoding="utf-8")
    territory_copy.write_text(
        text.replace(
            "[[qpv]]",
            '[[communes]]\nname = "Voisinville"\ninsee = "62903"\npostcodes = ["62997"]\n\n[[qpv]]',
            1,
        ),
        encoding="utf-8",
    )
    result = run(str(LOWER), "--commune", VOISINVILLE, "--commune", "62903", "--write")
    assert result.exit_code == 0, result.output
    assert "  Voisinville (62903): 1 (REP 1)\n" in result.stdout
    school = load_territory(territory_copy).school("0629008H")
    assert (school.name, school.commune, school.priority) == (
        "Ecole primaire Jules Ferry",
        "Voisinville",
        "REP",
    )


def test_a_commune_missing_from_the_export_is_warned_of_and_one_without_insee_refused(
    run, territory_copy, tmp_path
):
    only_testville = tmp_path / "testville.csv"
    lines = TITLED.read_text(encoding="utf-8").splitlines(keepends=True)
    only_testville.write_text(
        lines[0] + "".join(line for line in lines[1:] if ";62901;" in line), encoding="utf-8"
    )
    result = run(str(only_testville))
    assert result.exit_code == 0, result.output
    assert "  Autreville (62902): 0\n" in result.stdout
    assert result.stderr == (
        "Warning: no open école or collège of Autreville (62902) in the file: was the export "
        "filtered on another commune?\n"
    )
    # Without an insee code its schools cannot be looked for, and those listed would be lost.
    territory_copy.write_text(
        territory_copy.read_text(encoding="utf-8").replace('insee = "62902"\n', ""),
        encoding="utf-8",
    )
    before = territory_copy.read_bytes()
    result = run(str(TITLED), "--write")
    assert result.exit_code == 1
    assert f"Error: {territory_copy}: no insee code for Autreville: " in result.output
    assert "Nothing written." in result.output
    assert territory_copy.read_bytes() == before


def test_a_bad_commune_code_is_refused(run, territory_copy):
    before = territory_copy.read_bytes()
    result = run(str(TITLED), "--commune", "62 901", "--write")
    assert result.exit_code == 1
    assert "Error: --commune 62 901: not an INSEE commune code" in result.output
    assert territory_copy.read_bytes() == before


def test_a_directory_without_any_school_of_the_territory_writes_nothing(
    run, territory_copy, tmp_path
):
    # Emptying [[schools]] would turn every child's school into "other": refused.
    elsewhere = tmp_path / "paris.csv"
    elsewhere.write_text(
        HEADER + "0750001A;École A;Ecole;Public;75011;75111;Paris;;OUVERT\n", encoding="utf-8"
    )
    before = territory_copy.read_bytes()
    result = run(str(elsewhere), "--write")
    assert result.exit_code == 1
    assert "Skipped 1 row of other communes." in result.output
    assert "no open école or collège of communes 62901, 62902" in result.output
    assert territory_copy.read_bytes() == before


def test_a_file_that_is_not_the_directory_leaves_the_territory_untouched(run, territory_copy):
    before = territory_copy.read_bytes()
    result = run(str(TERRITORY), "--write")
    assert result.exit_code == 1
    assert "not the school directory export" in result.output
    assert territory_copy.read_bytes() == before


def test_a_territory_file_broken_since_start_up_is_reported(run, territory_copy):
    territory_copy.write_text(
        territory_copy.read_text(encoding="utf-8").replace('rule = "qpv_or', 'rule = "x'),
        encoding="utf-8",
    )
    before = territory_copy.read_bytes()
    result = run(str(TITLED), "--write")
    assert result.exit_code == 1
    assert f"Error: {territory_copy}: programme.rule must be one of" in result.output
    assert territory_copy.read_bytes() == before


def test_split_school_tables_are_refused_rather_than_reordered(run, territory_copy):
    # tomlkit would gather the split tables of one array: the rest of the file would move.
    text = territory_copy.read_text(encoding="utf-8")
    last = text.index('[[schools]]\nuai = "0629004D"')
    territory_copy.write_text(
        text[:last] + '[[offers]]\ntitle = "T"\ndescription = "D"\n\n' + text[last:],
        encoding="utf-8",
    )
    load_territory(territory_copy)  # a valid file
    before = territory_copy.read_bytes()
    result = run(str(TITLED), "--write")
    assert result.exit_code == 1
    assert "cannot be rewritten without changing more than its [[schools]] tables" in result.output
    assert territory_copy.read_bytes() == before


def test_the_lillers_sample_gets_its_schools_after_its_comments(make_app, tmp_path):
    path = tmp_path / "territory.toml"
    path.write_bytes(SAMPLE.read_bytes())
    directory_file = tmp_path / "annuaire.csv"
    directory_file.write_text(
        HEADER + "0629001A;École A;Ecole;Public;62190;62516;Lillers;REP;OUVERT\n",
        encoding="utf-8",
    )
    runner = make_app(INTAKE_TERRITORY=str(path)).test_cli_runner()
    result = runner.invoke(args=["territory", "import-schools", str(directory_file), "--write"])
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    assert after.startswith(SAMPLE.read_text(encoding="utf-8"))
    school = load_territory(path).school("0629001A")
    assert (school.commune, school.priority) == ("Lillers", "REP")
