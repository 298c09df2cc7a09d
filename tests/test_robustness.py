"""Whatever a visitor or a client sends, the answer is never a 500 and nothing stored changes."""

from __future__ import annotations

import pytest
from forms_data import child_fields, orientation
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Referral


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/triage/", {"page": "99999999999999999999999"}),
        ("/triage/", {"page": "-3"}),
        ("/triage/", {"q": "a\x00b"}),
        ("/triage/", {"q": "x" * 10_000}),
        ("/triage/", {"status": "\x00"}),
        ("/triage/export.csv", {"q": "%_\\"}),
        ("/triage/PRE-2026-%00", {}),
    ],
    ids=[
        "huge-page",
        "negative-page",
        "nul-in-search",
        "long-search",
        "nul-status",
        "wildcards",
        "nul-ref",
    ],
)
def test_odd_queries_to_the_queue(coordinator, path, query):
    response = coordinator.get(path, query_string=query)
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(orientation(guardian_name="Sophie\x00Martin"), id="nul-in-text"),
        pytest.param(orientation(**child_fields(0, birth_date="0001-01-01")), id="year-one"),
        pytest.param(orientation(**child_fields(0, birth_date="2016-02-30")), id="30-february"),
        pytest.param({**orientation(), "children-7-first_name": "Zoé"}, id="sparse-child-index"),
        pytest.param({**orientation(), "remove_child-x": "1"}, id="bad-remove"),
        pytest.param({**orientation(), "remove_child-9": "1"}, id="remove-missing-child"),
        pytest.param(
            {"children-0-first_name": ["a", "b"], "domains": "school"}, id="repeated-fields"
        ),
        pytest.param(
            {**orientation(), **{f"children-{i}-first_name": "X" for i in range(50)}},
            id="fifty-children",
        ),
    ],
)
def test_odd_form_posts(app, client, data):
    response = client.post("/orientation", data=data)
    assert response.status_code in (200, 303, 400)
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Referral))
        if stored:
            referral = db.session.scalar(select(Referral))
            assert len(referral.children) <= 4
            assert "\x00" not in referral.guardian_name


def test_nul_in_login_is_refused_not_crashed(client, users):
    response = client.post(
        "/connexion", data={"email": "coord@testville.example\x00", "password": "x"}
    )
    assert response.status_code in (200, 400)


def test_oversized_post_is_refused_cleanly(client):
    response = client.post("/demande", data={"situation": "x" * 400_000})
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def test_nul_in_a_repeated_value_or_a_key_is_refused(client):
    assert client.post("/demande", data={"domains": ["school", "health\x00"]}).status_code == 400
    assert client.post("/demande", data={"situ\x00ation": "x"}).status_code == 400
