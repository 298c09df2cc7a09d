"""Write ban-lillers.csv: a file in the BAN's format, its points around the real Lillers QPV.

Run `.venv/bin/python tests/data/make_ban_fixture.py` to write it again; a test checks that
the committed file is exactly what this script writes. Street names, numbers and positions
are invented for the tests; the positions are placed with shapely at known distances from the
real contour of QN06255M "Ville Centre" (ANCT, QPV 2024: see README.md in this folder).

NEAR points are about 4 to 6 m from the contour (0.00005° of longitude and latitude), on
either side: an address "just across" the boundary. FAR points are some 35 to 55 m inside,
or twice that outside.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import shapely
from shapely.geometry import shape

HERE = Path(__file__).parent
CONTOURS = HERE / "qpv-2024-lillers-bethune.geojson"
OUTPUT = HERE / "ban-lillers.csv"
CODE = "QN06255M"
LILLERS, BETHUNE = ("62516", "62190", "Lillers"), ("62119", "62400", "Béthune")
NEAR, FAR = 0.00005, 0.0005
# The official header (adresse.data.gouv.fr, "adresses-NN.csv"), in its order.
HEADER = (
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
    "type_position",
    "alias",
    "nom_ld",
    "libelle_acheminement",
    "nom_afnor",
    "source_position",
    "source_nom_voie",
    "certification_commune",
    "cad_parcelles",
)


def contour() -> shapely.Polygon:
    """The Lillers contour as published, which is not valid as a polygon (it crosses itself)."""
    data = json.loads(CONTOURS.read_text(encoding="utf-8"))
    feature = next(f for f in data["features"] if f["properties"]["code"] == CODE)
    return shape(feature["geometry"])


def rings(polygon) -> dict[str, shapely.LinearRing]:
    """Lines at a known distance inside and outside the contour."""
    valid = shapely.make_valid(polygon, method="structure", keep_collapsed=False)
    return {
        "far_in": valid.buffer(-FAR).exterior,
        "near_in": valid.buffer(-NEAR).exterior,
        "near_out": valid.buffer(NEAR).exterior,
        "far_out": valid.buffer(2 * FAR).exterior,
    }


# (street as spelled in the BAN, fantoir code, commune, [(numero, rep, ring, position)]).
# Positions are fractions of the ring's length, so streets keep apart along the contour.
def streets() -> list[tuple[str, str, tuple[str, str, str], list[tuple[int, str, str, float]]]]:
    """Every street of the fixture and where each of its addresses lies."""

    def row(numero: int, rep: str, ring: str, start: float, step: float = 0.002):
        return (numero, rep, ring, round(start + step * numero, 6))

    gare = [row(n, "", "near_in" if n % 2 else "near_out", 0.10) for n in range(1, 23)]
    gare += [
        row(5, "bis", "near_in", 0.1005),
        row(7, "ter", "near_in", 0.1005),
        row(9, "A", "near_in", 0.1005),
        row(10, "B", "near_out", 0.1005),
    ]

    def jaures_ring(n: int) -> str:
        # Odd 1–9 and 19–23, even 2–8 inside; the rest just outside: gaps on both sides.
        inside = n <= 9 or (n % 2 == 1 and 19 <= n <= 23)
        return "near_in" if inside else "near_out"

    jaures = [row(n, "", jaures_ring(n), 0.30) for n in range(1, 31)]
    # Even 2–8 inside, the rest outside, and 8 bis outside: 8 is ambiguous.
    moulin = [
        row(n, "", "near_in" if n in (2, 4, 6, 8) else "near_out", 0.55) for n in range(1, 13)
    ]
    moulin.append(row(8, "bis", "near_out", 0.5505))
    basse = [row(n, "", "near_in" if n == 7 else "near_out", 0.70) for n in range(1, 14, 2)]
    neuve = [row(n, "", "far_in", 0.02) for n in range(1, 25)]
    neuve += [row(12, "bis", "far_in", 0.0205), row(3, "ter", "far_in", 0.0205)]
    marche = [row(n, "", "far_in", 0.80) for n in range(1, 9)] + [row(99999, "", "far_in", 0.80)]
    vert = [row(n, "", "far_in", 0.90) for n in range(1, 11)] + [row(99999, "", "far_out", 0.90)]
    champs = [row(n, "", "far_out", 0.40) for n in range(1, 17)]
    return [
        ("Rue de la Gare", "0120", LILLERS, gare),
        ("Avenue Jean Jaurès", "0230", LILLERS, jaures),
        ("Rue du Moulin", "0340", LILLERS, moulin),
        ("Rue Basse", "0050", LILLERS, basse),
        # Two spellings of one street: they normalise to the same key.
        ("Rue Neuve", "0450", LILLERS, [a for a in neuve if a[0] != 4 and a[0] != 6]),
        ("rue neuve", "0450", LILLERS, [a for a in neuve if a[0] in (4, 6)]),
        ("Place du Marché", "0500", LILLERS, marche),
        ("Chemin Vert", "0610", LILLERS, vert),
        ("Rue des Champs", "0700", LILLERS, champs),
        # Another commune, its points inside the Lillers contour: the import must ignore them
        # (were they read, the Lillers "Rue de la Gare" would be inside on both sides).
        ("Rue de la Gare", "0080", BETHUNE, [row(n, "", "far_in", 0.15) for n in range(2, 23, 2)]),
        ("Rue des Champs", "0090", BETHUNE, [row(n, "", "far_in", 0.45) for n in range(1, 9)]),
    ]


def afnor(name: str) -> str:
    """The upper-case, unaccented form the BAN gives in nom_afnor."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).upper()


def fixture_text() -> str:
    """The whole CSV, checked point by point against the contour."""
    polygon = contour()
    valid = shapely.make_valid(polygon, method="structure", keep_collapsed=False)
    lines = rings(polygon)
    rows = []
    for street, fantoir, (insee, postcode, commune), addresses in streets():
        for numero, rep, ring, position in addresses:
            point = lines[ring].interpolate(position % 1, normalized=True)
            lon, lat = round(point.x, 6), round(point.y, 6)
            # Each point lies where its ring says, for the published and the repaired contour
            # alike, and clear of the contour by most of its distance even after rounding.
            expected = ring.endswith("_in")
            assert shapely.intersects_xy(polygon, lon, lat) == expected, (street, numero, rep)
            assert shapely.intersects_xy(valid, lon, lat) == expected, (street, numero, rep)
            assert valid.boundary.distance(shapely.Point(lon, lat)) > 0.8 * NEAR
            key = f"{insee}_{fantoir}_{numero:05d}" + (f"_{rep.lower()}" if rep else "")
            rows.append(
                {
                    "id": key,
                    "id_fantoir": f"{insee}_{fantoir}",
                    "numero": numero,
                    "rep": rep,
                    "nom_voie": street,
                    "code_postal": postcode,
                    "code_insee": insee,
                    "nom_commune": commune,
                    "lon": f"{lon:.6f}",
                    "lat": f"{lat:.6f}",
                    "type_position": "entrée",
                    "libelle_acheminement": afnor(commune),
                    "nom_afnor": afnor(street),
                    "source_position": "commune",
                    "source_nom_voie": "commune",
                    "certification_commune": "1",
                }
            )
    rows.sort(key=lambda r: r["id"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, delimiter=";", lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> None:
    OUTPUT.write_text(fixture_text(), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
