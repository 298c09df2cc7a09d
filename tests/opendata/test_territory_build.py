"""`flask territory build`: the Lillers territory from the official files, served from loopback.

The files are fixtures in the official formats: the BAN's columns (tests/data/ban-lillers.csv,
invented addresses around the real Lillers contour, gzipped as published), the ANCT's GeoJSON
with the real contours and the ANCT's property names, the school directory's export headers
with invented Lillers schools. The territory built is the shipped sample, which lists no street
and no school: after the build, typed addresses screen "qpv" exactly when their point lies in
the contour and the REP schools are offered by the form.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from intake.opendata.build import departement
from intake.rules.screening import Residence, residence_of
from intake.territory.reader import load_territory
from tests.support.opendata_server import closed_port_url, serving_files

DATA = Path(__file__).parents[1] / "data"
SAMPLE = Path(__file__).parents[2] / "instance" / "territory.sample.toml"
BAN_ROWS = (DATA / "ban-lillers.csv").read_bytes()
CODE, INSEE, POSTCODE = "QN06255M", "62516", "62190"
DIRECTORY_HEADER = (
    (DATA / "fr-en-annuaire-education.csv").read_text(encoding="utf-8").split("\n")[0]
)
# Invented schools of Lillers, in the directory's columns (every UAI here is fictional).
SCHOOLS = [
    ("0629101A", "Ecole primaire Les Hirondelles", "Ecole", "Public", "OUVERT", "REP"),
    ("0629102B", "Collège Les Peupliers", "Collège", "Public", "OUVERT", "REP"),
    ("0629103C", "Ecole maternelle du Parc", "Ecole", "Public", "OUVERT", ""),
    ("0629104D", "Ecole privée Saint-Joseph", "Ecole", "Privé", "OUVERT", ""),
    ("0629105E", "Lycée professionnel du Marais", "Lycée", "Public", "OUVERT", ""),
    ("0629106F", "Ecole des Acacias", "Ecole", "Public", "FERME", "REP"),
]


def directory(rows=SCHOOLS, insee: str = INSEE) -> bytes:
    """A directory export of `rows`, every other column empty, as data.education.gouv.fr
    writes it (';'-separated, its headers)."""
    header = DIRECTORY_HEADER.split(";")
    lines = [DIRECTORY_HEADER]
    for uai, name, kind, status, state, priority in rows:
        values = {
            "Identifiant_de_l_etablissement": uai,
            "Nom_etablissement": name,
            "Type_etablissement": kind,
            "Statut_public_prive": status,
            "Code_postal": POSTCODE,
            "Code_commune": insee,
            "Nom_commune": "Lillers",
            "etat": state,
            "Appartenance_Education_Prioritaire": priority,
        }
        lines.append(";".join(values.get(column, "") for column in header))
    return ("\n".join(lines) + "\n").encode()


def anct_contours() -> bytes:
    """The real contours with the ANCT's property names (`code_qp`, `lib_qp`, `insee_com`)."""
    data = json.loads((DATA / "qpv-2024-lillers-bethune.geojson").read_text(encoding="utf-8"))
    for feature in data["features"]:
        old = feature["properties"]
        feature["properties"] = {
            "code_qp": old["code"],
            "lib_qp": old["label"],
            "insee_com": old["insee"][0],
        }
    return json.dumps(data).encode()


CONTOURS = anct_contours()
FILES = {
    "/ban/adresses-62.csv.gz": gzip.compress(BAN_ROWS),
    "/anct/qpv2024.geojson": CONTOURS,
    "/annuaire/62516.csv": (DATA / "fr-en-annuaire-education-lillers.csv").read_bytes(),
}


def urls(server) -> dict[str, str]:
    return {
        "INTAKE_OPENDATA_BAN_URL": server.url("/ban/adresses-{departement}.csv.gz"),
        "INTAKE_OPENDATA_QPV_URL": server.url("/anct/qpv2024.geojson"),
        "INTAKE_OPENDATA_SCHOOLS_URL": server.url("/annuaire/{insee}.csv"),
    }


@pytest.fixture
def territory(tmp_path) -> Path:
    """A copy of the shipped sample: Lillers, its QPV without streets, no school."""
    folder = tmp_path / "territory"
    folder.mkdir()
    path = folder / "territory.toml"
    path.write_bytes(SAMPLE.read_bytes())
    return path


@pytest.fixture
def build(make_app, territory, tmp_path):
    """Run `flask territory build` against the given URLs, cached under tmp_path."""

    def invoke(*args: str | Path, **config):
        app = make_app(
            INTAKE_TERRITORY=str(territory),
            INTAKE_OPENDATA_CACHE=str(tmp_path / "cache"),
            INTAKE_OPENDATA_BACKOFF=0,
            INTAKE_OPENDATA_ATTEMPTS=3,
            INTAKE_OPENDATA_TIMEOUT=5,
            **config,
        )
        command = ["territory", "build", "--commune", INSEE, *map(str, args)]
        return app.test_cli_runner().invoke(args=command)

    return invoke


def rows() -> list[dict[str, str]]:
    return list(csv.DictReader(BAN_ROWS.decode().splitlines(), delimiter=";"))


def is_inside(row: dict[str, str]) -> bool:
    features = json.loads(CONTOURS)["features"]
    contour = shape(next(f for f in features if f["properties"]["code_qp"] == CODE)["geometry"])
    return bool(shapely.intersects_xy(contour, float(row["lon"]), float(row["lat"])))


def typed(row: dict[str, str]) -> str:
    """The address as a family might type it: lower case, no accents, "r." for "rue"."""
    street = unicodedata.normalize("NFKD", row["nom_voie"].lower())
    street = re.sub(r"^rue ", "r. ", "".join(c for c in street if not unicodedata.combining(c)))
    return f"{row['numero']}{row['rep'].lower() if len(row['rep']) == 1 else ''} {street}"


@pytest.mark.parametrize(
    ("insee", "expected"), [("62516", "62"), ("2A004", "2A"), ("97411", "974"), ("75056", "75")]
)
def test_departement(insee, expected):
    assert departement(insee) == expected


def test_the_lillers_directory_fixture_is_what_the_rows_above_give():
    assert FILES["/annuaire/62516.csv"] == directory()


def test_the_sample_screens_on_day_one_after_one_command(build, territory, make_app):
    with serving_files(FILES) as server:
        result = build("--write", **urls(server))
    assert result.exit_code == 0, result.stderr + result.output
    # One line per file downloaded (stderr is not a terminal here).
    downloads = [line for line in result.stderr.splitlines() if " downloaded " in line]
    assert [line.split(":")[0] for line in downloads] == ["BAN 62", "QPV contours", "schools 62516"]
    assert f"Wrote {territory}." in result.output

    written = load_territory(territory)
    [qpv] = written.qpvs
    assert qpv.code == CODE and len(qpv.streets) == 8
    checked = 0
    for row in rows():
        if row["code_insee"] != INSEE or row["numero"] == "99999":
            continue
        if (row["nom_voie"], row["numero"]) == ("Rue du Moulin", "8"):
            continue  # points on both sides: left to a person, listed in the summary
        expected = (Residence.QPV, CODE) if is_inside(row) else (Residence.OUTSIDE_QPV, None)
        assert residence_of(typed(row), POSTCODE, written) == expected, typed(row)
        checked += 1
    assert checked > 100

    # The open écoles and collèges, public and private, with their network; the lycée and the
    # closed school are left out.
    assert [(s.uai, s.priority) for s in written.schools] == [
        ("0629102B", "REP"),
        ("0629103C", ""),
        ("0629101A", "REP"),
        ("0629104D", ""),
    ]
    # The sources, each with its URL, date and checksum, and the day of the build.
    sources = written.sources
    assert [f.kind for f in sources.files] == ["ban", "qpv", "schools"]
    assert sources.files[0].url.endswith("/ban/adresses-62.csv.gz")
    assert sources.files[0].name == "adresses-62.csv.gz"
    assert str(sources.files[0].date) == "2026-11-28"  # the server's Last-Modified

    # The form offers the REP schools to a teacher.
    app = make_app(INTAKE_TERRITORY=str(territory))
    page = app.test_client().get("/orientation").get_data(as_text=True)
    assert 'value="0629101A"' in page and "Ecole primaire Les Hirondelles" in page
    assert 'value="0629102B"' in page


def test_without_write_nothing_is_written_and_the_change_is_shown(build, territory):
    before = territory.read_bytes()
    with serving_files(FILES) as server:
        result = build(**urls(server))
    assert result.exit_code == 0, result.stderr
    assert f"{CODE} Ville Centre (Lillers, INSEE {INSEE})" in result.output
    assert '+  { name = "Rue Neuve" },' in result.output
    assert '+uai = "0629101A"' in result.output
    assert "+[sources]" in result.output
    assert result.output.rstrip().endswith(f"run again with --write to rewrite {territory}.")
    assert territory.read_bytes() == before


def test_a_second_build_asks_for_newer_files_only_and_changes_nothing(build, territory):
    with serving_files(FILES) as server:
        assert build("--write", **urls(server)).exit_code == 0
        after_first = territory.read_bytes()
        first = len(server.log)
        again = build("--write", **urls(server))
        second = server.log[first:]
    assert again.exit_code == 0, again.stderr
    assert f"No change to {territory}." in again.output
    assert territory.read_bytes() == after_first
    assert all(r.status == 304 and "If-None-Match" in r.headers for r in second)
    assert all(r.sent == 0 for r in second)
    assert "unchanged since 2026-11-28" in again.stderr


def test_files_given_are_not_downloaded(build, territory, tmp_path):
    ban = tmp_path / "adresses-62.csv"
    ban.write_bytes(BAN_ROWS)
    with serving_files(FILES) as server:
        result = build("--ban", ban, "--write", **urls(server))
        asked = [r.path for r in server.log]
    assert result.exit_code == 0, result.stderr
    assert asked == ["/anct/qpv2024.geojson", "/annuaire/62516.csv"]
    [ban_source, *_] = load_territory(territory).sources.files
    assert (ban_source.name, ban_source.url) == ("adresses-62.csv", "")


def bethune_rows() -> bytes:
    """The BAN fixture and a few invented Béthune addresses inside its QPV's real contour."""
    features = json.loads(CONTOURS)["features"]
    contour = shape(
        next(f for f in features if f["properties"]["code_qp"] == BETHUNE_QPV)["geometry"]
    )
    point = contour.representative_point()
    header = BAN_ROWS.decode().split("\n")[0].split(";")
    lines = [BAN_ROWS.decode().rstrip("\n")]
    for number in (1, 3, 5):
        row = {
            "id": f"62119_9990_{number:05}",
            "numero": str(number),
            "nom_voie": "Rue des Essais",
            "code_postal": "62400",
            "code_insee": "62119",
            "nom_commune": "Béthune",
            "lon": f"{point.x:.6f}",
            "lat": f"{point.y + number * 1e-6:.6f}",
        }
        lines.append(";".join(row.get(column, "") for column in header))
    return ("\n".join(lines) + "\n").encode()


BETHUNE_QPV = "QN06208M"


def test_a_commune_not_yet_in_the_file_is_added_with_its_qpv(build, territory, make_app):
    """Béthune: its name and postcode from the BAN, its neighbourhood found by its contour."""
    bethune = {
        "/annuaire/62119.csv": directory(
            rows=[SCHOOLS[0][:1] + ("Ecole Béthune",) + SCHOOLS[0][2:]], insee="62119"
        )
    }
    ban = {"/ban/adresses-62.csv.gz": gzip.compress(bethune_rows())}
    with serving_files({**FILES, **bethune, **ban}) as server:
        app = make_app(
            INTAKE_TERRITORY=str(territory),
            INTAKE_OPENDATA_CACHE=str(territory.parent / "cache"),
            **urls(server),
        )
        result = app.test_cli_runner().invoke(
            args=["territory", "build", "--commune", "62119", "--write"]
        )
    assert result.exit_code == 0, result.stderr + result.output
    written = load_territory(territory)
    assert [(c.name, c.insee, c.postcodes) for c in written.communes] == [
        ("Lillers", "62516", ("62190",)),
        ("Béthune", "62119", ("62400",)),
    ]
    qpvs = {q.code: q for q in written.qpvs}
    assert qpvs["QN06208M"].name == "Quartier Du Mont Liébaut"
    assert qpvs["QN06208M"].commune == "Béthune"
    assert [s.name for s in qpvs["QN06208M"].streets] == ["Rue des Essais"]
    # Lillers, not asked for, is left as it was: its QPV still without streets.
    assert qpvs[CODE].streets == ()
    assert "Communes added: Béthune (62119)." in result.output


FAILURES = [
    (
        "unreachable",
        {"INTAKE_OPENDATA_BAN_URL": closed_port_url("/adresses-{departement}.csv.gz")},
        {},
        "BAN 62: could not reach 127.0.0.1",
        "--ban FILE",
    ),
    (
        "truncated-gzip",
        {},
        {"/ban/adresses-62.csv.gz": gzip.compress(BAN_ROWS)[:-200]},
        "BAN 62: the downloaded file is a damaged gzip",
        "--ban FILE",
    ),
    (
        "schools-not-found",
        {"INTAKE_OPENDATA_SCHOOLS_URL": "/nowhere/{insee}.csv"},
        {},
        "schools 62516",
        "--schools FILE",
    ),
    (
        "not-a-ban-file",
        {},
        {"/ban/adresses-62.csv.gz": gzip.compress(b"a,b,c\n1,2,3\n")},
        "not a BAN CSV file",
        "nothing written",
    ),
    (
        "contours-without-the-qpv",
        {},
        {
            "/anct/qpv2024.geojson": json.dumps(
                {"type": "FeatureCollection", "features": []}
            ).encode()
        },
        "no contour for QPV QN06255M",
        "Nothing written",
    ),
]


@pytest.mark.parametrize(
    ("config", "files", "says", "way_round"),
    [f[1:] for f in FAILURES],
    ids=[f[0] for f in FAILURES],
)
def test_a_failure_says_why_in_one_line_and_leaves_the_file(
    build, territory, config, files, says, way_round
):
    before = territory.read_bytes()
    with serving_files({**FILES, **files}) as server:
        settings = {**urls(server), **config}
        if settings["INTAKE_OPENDATA_SCHOOLS_URL"].startswith("/"):
            settings["INTAKE_OPENDATA_SCHOOLS_URL"] = server.url(
                config["INTAKE_OPENDATA_SCHOOLS_URL"]
            )
        result = build("--write", **settings)
    assert result.exit_code == 1
    [message] = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert says in message and way_round in message
    assert territory.read_bytes() == before


@pytest.mark.parametrize(
    "misbehaviour",
    [
        {"fail_first": {"/ban/adresses-62.csv.gz": [500]}},
        {"drop_after": {"/ban/adresses-62.csv.gz": 1000}},
    ],
    ids=["500-then-200", "dropped-mid-file"],
)
def test_a_transient_failure_is_retried_and_the_build_goes_on(build, territory, misbehaviour):
    with serving_files(FILES, **misbehaviour) as server:
        result = build("--write", **urls(server))
        ban_requests = server.requests("/ban/adresses-62.csv.gz")
    assert result.exit_code == 0, result.stderr
    assert len(ban_requests) == 2
    assert "retrying" in result.stderr or "resuming" in result.stderr
    assert len(load_territory(territory).qpvs[0].streets) == 8


def test_a_bad_insee_code_is_refused_before_any_download(build, territory):
    with serving_files(FILES) as server:
        app_result = build("--commune", "625160", **urls(server))
        assert server.log == []
    assert app_result.exit_code == 1
    assert "--commune 625160: not an INSEE commune code" in app_result.stderr


def test_the_written_file_keeps_its_comments_and_reads_as_toml(build, territory):
    with serving_files(FILES) as server:
        assert build("--write", **urls(server)).exit_code == 0
    text = territory.read_text(encoding="utf-8")
    assert text.startswith(SAMPLE.read_text(encoding="utf-8").split("[programme]")[0])
    assert tomllib.loads(text)["sources"]["built_on"]
