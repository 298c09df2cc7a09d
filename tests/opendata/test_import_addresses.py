"""`flask territory import-addresses`: QPV streets from the BAN and the real Lillers contour.

The BAN fixture (tests/data/ban-lillers.csv, written by tests/data/make_ban_fixture.py) puts
invented addresses inside, outside and just across the real contour of QN06255M. Whether a
point is inside is asked of shapely here, on the contour as published, independently of the
importer; screening then has to agree with it for every address a family could type.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from intake.opendata.ban import read_addresses
from intake.rules.screening import Residence, residence_of
from intake.territory.reader import load_territory

DATA = Path(__file__).parents[1] / "data"
BAN = DATA / "ban-lillers.csv"
CONTOURS = DATA / "qpv-2024-lillers-bethune.geojson"
LILLERS = DATA / "lillers.toml"
CODE, INSEE, POSTCODE = "QN06255M", "62516", "62190"

# What the fixture must give, written out by hand from the script's layout.
EXPECTED_STREETS = [
    {"name": "Avenue Jean Jaurès", "to": 9},
    {"name": "Avenue Jean Jaurès", "from": 19, "to": 23, "side": "odd"},
    {"name": "Chemin Vert", "from": 1, "to": 10},
    {"name": "Place du Marché"},
    {"name": "Rue Basse", "from": 7, "to": 7, "side": "odd"},
    {"name": "Rue de la Gare", "side": "odd"},
    {"name": "Rue du Moulin", "to": 6, "side": "even"},
    {"name": "Rue Neuve"},
]


def ban_rows(path: Path = BAN) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text, delimiter=";"))


def contour():
    """The Lillers contour exactly as published, read with shapely alone."""
    features = json.loads(CONTOURS.read_text(encoding="utf-8"))["features"]
    return shape(next(f for f in features if f["properties"]["code"] == CODE)["geometry"])


def is_inside(row: dict[str, str]) -> bool:
    return bool(shapely.intersects_xy(contour(), float(row["lon"]), float(row["lat"])))


def typed_by_a_family(row: dict[str, str]) -> str:
    """How a family might write the address: lower case, no accents, "r." for "rue"…"""
    street = unicodedata.normalize("NFKD", row["nom_voie"].lower())
    street = "".join(c for c in street if not unicodedata.combining(c))
    street = re.sub(r"^rue ", "r. ", street)
    street = re.sub(r"^avenue ", "av ", street)
    street = re.sub(r"^place ", "pl. ", street)
    rep = row["rep"].lower()
    # A letter is glued to the number ("9a"), a word is not ("5 bis").
    number = row["numero"] + (rep if len(rep) == 1 else f" {rep}" if rep else "")
    return f"{number} {street}"


@pytest.fixture
def territory(tmp_path) -> Path:
    """A copy of the Lillers test territory, the file the import rewrites."""
    # A folder of its own, to see that no temporary file is left beside it.
    folder = tmp_path / "territory"
    folder.mkdir()
    path = folder / "territory.toml"
    path.write_bytes(LILLERS.read_bytes())
    return path


@pytest.fixture
def run(make_app, territory):
    """Run `flask territory import-addresses` on an app whose territory is `territory`."""

    def invoke(*args: str | Path, territory_path: Path = territory):
        app = make_app(INTAKE_TERRITORY=str(territory_path))
        command = ["territory", "import-addresses", *map(str, args)]
        return app.test_cli_runner().invoke(args=command)

    return invoke


def gzipped(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


def written_streets(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["qpv"][0]["streets"]


def test_the_fixture_is_what_its_script_writes():
    spec = importlib.util.spec_from_file_location("make_ban_fixture", DATA / "make_ban_fixture.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.fixture_text() == BAN.read_text(encoding="utf-8")
    # And it holds what the tests below rely on: both sides of the line, another commune.
    rows = ban_rows()
    lillers = [r for r in rows if r["code_insee"] == INSEE]
    assert {is_inside(r) for r in lillers} == {True, False}
    assert any(r["code_insee"] != INSEE and is_inside(r) for r in rows)
    assert {r["rep"] for r in lillers} >= {"bis", "ter", "A"}


def test_without_write_it_shows_the_summary_and_diff_and_writes_nothing(run, territory):
    before = territory.read_bytes()
    result = run(BAN, "--contours", CONTOURS)
    assert result.exit_code == 0, result.output
    lillers = [r for r in ban_rows() if r["code_insee"] == INSEE]
    inside = sum(is_inside(r) for r in lillers)
    assert f"{CODE} Ville Centre (Lillers, INSEE {INSEE})" in result.output
    assert f"addresses: {inside} inside, {len(lillers) - inside} outside" in result.output
    assert "streets whole: 2\n" in result.output
    assert "streets in ranges: 5 (6 entries)\n" in result.output
    assert "Rue du Moulin 8" in result.output
    assert f"--- {territory} (current)\n+++ {territory} (imported)\n" in result.output
    assert '+  { name = "Rue de la Gare", side = "odd" },\n' in result.output
    assert result.output.rstrip().endswith(
        "Nothing written: run again with --write to rewrite the streets of QN06255M."
    )
    assert territory.read_bytes() == before


@pytest.mark.parametrize("compressed", [False, True], ids=["csv", "csv.gz"])
def test_after_write_screening_says_qpv_exactly_where_the_point_is_inside(
    run, territory, tmp_path, compressed
):
    ban = gzipped(BAN, tmp_path / "adresses-62.csv.gz") if compressed else BAN
    result = run(ban, "--contours", CONTOURS, "--write")
    assert result.exit_code == 0, result.output
    assert written_streets(territory) == EXPECTED_STREETS
    written = load_territory(territory)

    ambiguous = {("Rue du Moulin", "8")}
    checked = 0
    for row in ban_rows():
        if row["code_insee"] != INSEE or row["numero"] == "99999":
            continue
        if (row["nom_voie"], row["numero"]) in ambiguous:
            continue
        expected = (Residence.QPV, CODE) if is_inside(row) else (Residence.OUTSIDE_QPV, None)
        address = typed_by_a_family(row)
        assert residence_of(address, POSTCODE, written) == expected, (address, row["id"])
        checked += 1
    assert checked > 100

    # An ambiguous number is left out of the ranges, whichever of its points one lives at.
    assert residence_of("8 bis rue du moulin", POSTCODE, written)[0] is Residence.OUTSIDE_QPV
    # Without a number: a whole street places it, a limited one leaves it to check.
    assert residence_of("place du marche", POSTCODE, written) == (Residence.QPV, CODE)
    assert residence_of("chemin vert", POSTCODE, written)[0] is Residence.UNKNOWN


def test_write_keeps_the_file_as_it_was_outside_the_streets_arrays(run, territory):
    before = territory.read_text(encoding="utf-8")
    assert run(BAN, "--contours", CONTOURS, "--write").exit_code == 0
    after = territory.read_text(encoding="utf-8")
    assert after != before
    streets = re.compile(r"^streets = \[\n.*?^\]\n", re.MULTILINE | re.DOTALL)
    assert len(streets.findall(before)) == len(streets.findall(after)) == 1
    assert streets.sub("", after) == streets.sub("", before)
    # Comments above, inside other tables and after the [[qpv]] table are all still there.
    assert "# TO DO by the coordination" in after
    assert '# priority = "REP"    # "REP", "REP+" or "" (none)' in after


def test_a_second_write_changes_nothing(run, territory):
    assert run(BAN, "--contours", CONTOURS, "--write").exit_code == 0
    once = territory.read_bytes()
    result = run(BAN, "--contours", CONTOURS, "--write")
    assert result.exit_code == 0, result.output
    assert f"No change to {territory}." in result.output
    assert territory.read_bytes() == once


def test_columns_are_found_by_name(run, territory, tmp_path):
    # Columns in another order, an extra one, optional ones gone: the same streets.
    rows = ban_rows()
    header = ["lat", "nom_voie", "extra", "code_insee", "rep", "lon", "numero"]
    shuffled = tmp_path / "shuffled.csv"
    with shuffled.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header, delimiter=";", extrasaction="ignore", restval="x")
        writer.writeheader()
        writer.writerows(rows)
    result = run(shuffled, "--contours", CONTOURS, "--write")
    assert result.exit_code == 0, result.output
    assert written_streets(territory) == EXPECTED_STREETS


@pytest.mark.parametrize("prop", ["code_qp", "code_quartier"])
def test_the_anct_code_properties_are_read(run, territory, tmp_path, prop):
    data = json.loads(CONTOURS.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"] = {prop: feature["properties"]["code"]}
    contours = tmp_path / "contours.geojson"
    contours.write_text(json.dumps(data), encoding="utf-8")
    assert run(BAN, "--contours", contours, "--write").exit_code == 0
    assert written_streets(territory) == EXPECTED_STREETS


def test_communes_are_kept_apart(run, territory):
    # Béthune joins the territory with its own QPV: its rows are now read, and its "Rue de la
    # Gare" has even numbers inside the Lillers contour. They must not reach Lillers' QPV.
    text = territory.read_text(encoding="utf-8")
    text = text.replace(
        "# QPV 2024 of Lillers",
        '[[communes]]\nname = "Béthune"\ninsee = "62119"\npostcodes = ["62400"]\n\n'
        "# QPV 2024 of Lillers",
    )
    text += (
        '\n[[qpv]]\ncode = "QN06208M"\nname = "Quartier Du Mont Liébaut"\n'
        'commune = "Béthune"\nstreets = []\n'
    )
    territory.write_text(text, encoding="utf-8")
    result = run(BAN, "--contours", CONTOURS, "--write")
    assert result.exit_code == 0, result.output
    assert "QN06208M Quartier Du Mont Liébaut (Béthune, INSEE 62119)" in result.output
    assert "warning: no address inside this contour" in result.output
    document = tomllib.loads(territory.read_text(encoding="utf-8"))
    assert document["qpv"][0]["streets"] == EXPECTED_STREETS
    assert document["qpv"][1]["streets"] == []


# --- Errors: a clear message, and the territory file untouched --------------------------------


def without_column(tmp_path: Path, column: str) -> Path:
    rows = ban_rows()
    header = [name for name in rows[0] if name != column]
    path = tmp_path / f"without-{column}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header, delimiter=";", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def only_bethune_contour(tmp_path: Path) -> Path:
    data = json.loads(CONTOURS.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["code"] != CODE]
    path = tmp_path / "bethune.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def comma_separated(tmp_path: Path) -> Path:
    path = tmp_path / "comma.csv"
    path.write_text(BAN.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")
    return path


def other_departement(tmp_path: Path) -> Path:
    path = tmp_path / "adresses-59.csv"
    lines = BAN.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(lines[:1] + [line for line in lines if ";62119;" in line]), encoding="utf-8"
    )
    return path


def binary(tmp_path: Path) -> Path:
    path = tmp_path / "adresses-62.csv"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def truncated_gzip(tmp_path: Path) -> Path:
    path = tmp_path / "adresses-62.csv.gz"
    path.write_bytes(gzip.compress(BAN.read_bytes())[:400])
    return path


def not_a_collection(tmp_path: Path) -> Path:
    path = tmp_path / "point.geojson"
    path.write_text('{"type": "Point", "coordinates": [2.47, 50.56]}', encoding="utf-8")
    return path


def lambert_93(tmp_path: Path) -> Path:
    data = json.loads(CONTOURS.read_text(encoding="utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    path = tmp_path / "l93.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


ERRORS = [
    pytest.param(
        lambda tmp: (without_column(tmp, "lon"), CONTOURS),
        "missing column lon in the header row",
        id="missing-required-column",
    ),
    pytest.param(
        lambda tmp: (without_column(tmp, "code_insee"), CONTOURS),
        "missing column code_insee",
        id="missing-insee-column",
    ),
    pytest.param(
        lambda tmp: (BAN, only_bethune_contour(tmp)),
        "no contour for QPV code QN06255M (looked in properties code_qp, code_quartier, code)",
        id="qpv-code-absent-from-contours",
    ),
    pytest.param(
        lambda tmp: (CONTOURS, CONTOURS),
        "not a BAN CSV file: its first line names none of the columns numero, nom_voie",
        id="geojson-given-as-ban",
    ),
    pytest.param(
        lambda tmp: (comma_separated(tmp), CONTOURS),
        "this one looks `,`-separated",
        id="comma-separated",
    ),
    pytest.param(lambda tmp: (binary(tmp), CONTOURS), "not UTF-8 text", id="binary-ban"),
    pytest.param(
        lambda tmp: (truncated_gzip(tmp), CONTOURS), "damaged gzip file", id="truncated-gzip"
    ),
    pytest.param(
        lambda tmp: (other_departement(tmp), CONTOURS),
        "no address of Lillers (INSEE 62516): is it the BAN file of the commune's département?",
        id="ban-of-another-departement",
    ),
    pytest.param(
        lambda tmp: (BAN, BAN), "not a GeoJSON file (it is not JSON)", id="csv-given-as-contours"
    ),
    pytest.param(
        lambda tmp: (BAN, not_a_collection(tmp)),
        "not a GeoJSON FeatureCollection",
        id="geojson-not-a-collection",
    ),
    pytest.param(
        lambda tmp: (BAN, lambert_93(tmp)),
        "expected WGS84 longitude/latitude (EPSG:4326)",
        id="contours-in-lambert-93",
    ),
]


@pytest.mark.parametrize(("files", "message"), ERRORS)
@pytest.mark.parametrize("write", [False, True], ids=["dry-run", "write"])
def test_a_bad_file_is_a_clear_error_and_the_territory_is_untouched(
    run, territory, tmp_path, files, message, write
):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    ban, contours = files(inputs)
    before = territory.read_bytes()
    result = run(ban, "--contours", contours, *(["--write"] if write else []))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert territory.read_bytes() == before
    assert [p.name for p in territory.parent.iterdir()] == ["territory.toml"]


def test_a_commune_without_insee_code_is_a_clear_error(run, territory):
    text = territory.read_text(encoding="utf-8")
    territory.write_text(re.sub(r'^insee = "62516".*\n', "", text, flags=re.M), encoding="utf-8")
    before = territory.read_bytes()
    result = run(BAN, "--contours", CONTOURS, "--write")
    assert result.exit_code == 1, result.output
    assert "commune Lillers (of QPV QN06255M) has no INSEE code" in result.output
    assert territory.read_bytes() == before


def test_the_ban_reader_keeps_only_the_communes_asked_for():
    extract = read_addresses(BAN, {"62119"})
    assert extract.rows == len(ban_rows())
    assert {a.insee for a in extract.addresses} == {"62119"}
    assert len(extract.addresses) == sum(r["code_insee"] == "62119" for r in ban_rows())
    # A lieu-dit's 99999 is no house number; a suffix is kept apart from its number.
    lillers = read_addresses(BAN, {INSEE}).addresses
    assert {a.number for a in lillers if a.street == "Place du Marché"} >= {None, 1}
    assert ("Rue de la Gare", 9, "A") in {(a.street, a.number, a.suffix) for a in lillers}
