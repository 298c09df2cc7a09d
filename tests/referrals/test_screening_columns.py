"""What each child's screening saw, kept in columns: the residence, the QPV matched, the
school's UAI and network as the territory listed them, and the territory's build date; set at
submission, by a correction, by the seeder, and carried over from the JSON by migration 0011."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from intake.extensions import db
from intake.models import Child, Referral
from intake.territory.model import SourceFile, Sources
from tests.support.builders import child, correction_data, make_orientation, make_referral

COLUMNS = (
    "screening_residence",
    "screening_qpv",
    "screening_uai",
    "screening_network",
    "screening_territory_date",
)
BUILT = Sources(
    built_on=date(2026, 11, 30),
    files=(SourceFile("ban", "adresses-62.csv.gz", "", date(2026, 11, 28), "0" * 64),),
)


def columns(app, reference: str) -> list[tuple]:
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        return [tuple(getattr(c, name) for name in COLUMNS) for c in referral.children]


@pytest.mark.parametrize(
    ("school", "address", "postcode", "expected"),
    [
        ("0629001A", "3 rue des Tilleuls", "62999", ("qpv", "QN06299X", "0629001A", "REP+")),
        ("0629003C", "14 rue de la Paix", "62999", ("outside_qpv", None, "0629003C", "")),
        ("other", "1 rue de Paris", "75001", ("outside_territory", None, None, None)),
        ("0629002B", "3 rue des Tilleuls", "6299", ("unknown", None, "0629002B", "REP")),
    ],
    ids=["qpv-rep-plus", "outside-qpv-not-priority", "outside-territory-other", "unknown-rep"],
)
def test_a_submission_keeps_what_screening_saw(app, school, address, postcode, expected):
    app.extensions["territory"] = dataclasses.replace(app.extensions["territory"], sources=BUILT)
    reference = make_referral(
        app, children=[child(school=school)], address=address, postcode=postcode
    )
    assert columns(app, reference) == [(*expected, date(2026, 11, 30))]


def test_a_territory_without_sources_leaves_the_build_date_empty(app):
    assert app.extensions["territory"].sources is None
    reference = make_referral(app)
    [row] = columns(app, reference)
    assert row == ("qpv", "QN06299X", "0629001A", "REP+", None)


def test_a_correction_of_the_school_screens_the_columns_again(app, coordinator):
    reference = make_orientation(app)
    assert columns(app, reference)[0][2:4] == ("0629001A", "REP+")
    response = coordinator.post(
        f"/triage/{reference}/correction", data=correction_data(**{"children-0-school": "0629003C"})
    )
    assert response.status_code == 303
    assert columns(app, reference)[0][:4] == ("qpv", "QN06299X", "0629003C", "")


def test_revision_0011_fills_the_columns_from_the_stored_screening(make_app):
    """Children stored before the revision get the residence and QPV their JSON holds and the
    network their reasons name; a school the territory did not list keeps none."""
    from flask_migrate import downgrade, upgrade

    app = make_app()
    listed = make_referral(app, children=[child(), child("Tom", school="0629003C")])
    other = make_referral(
        app, children=[child(school="other")], address="1 rue de Paris", postcode="75001"
    )
    with app.app_context():
        downgrade(revision="0010")
        stored = db.session.execute(text("SELECT school, screening FROM child ORDER BY id")).all()
        assert len(stored) == 3
        assert all("screening_qpv" not in json.dumps(s) for _, s in stored)
        # The read's transaction ends first: on PostgreSQL it would hold the table the
        # migration alters.
        db.session.remove()
        upgrade()
        db.session.remove()
    assert columns(app, listed) == [
        ("qpv", "QN06299X", "0629001A", "REP+", None),
        ("qpv", "QN06299X", "0629003C", "", None),
    ]
    assert columns(app, other) == [("outside_territory", None, None, None, None)]


def test_the_seeder_keeps_the_columns_as_screening_gives_them(app):
    """`dev seed` stores children with the same columns a submission would."""
    from intake.dev.drawer import Drawer  # imported where the command imports it: lazily

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    drawer = Drawer(app.extensions["territory"], seed=3, now=now, user_ids=[])
    rows = drawer.children(2, "Martin", date(2026, 3, 2), "3 rue des Tilleuls", "62999")
    for row in rows:
        assert row["screening_residence"] == "qpv" and row["screening_qpv"] == "QN06299X"
        assert row["screening"]["school_uai"] == row["screening_uai"]
    assert {c.name for c in Child.__table__.columns} >= set(COLUMNS)
