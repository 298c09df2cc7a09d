"""Mes alertes (/triage/compte): each staff account, viewers too, chooses its alerts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import User
from tests.support.app import login


def alerts_of(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.alerts).where(User.email == email))


def checked(html: str) -> list[str]:
    """The values of the checked radio buttons."""
    return re.findall(r'type="radio" name="alerts" value="(\w+)"[^>]*\bchecked', html)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/triage/compte")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
    assert client.post("/triage/compte", data={"alerts": "none"}).status_code == 302


def test_the_page_shows_the_current_choice_as_a_labelled_radio_group(app, coordinator):
    html = coordinator.get("/triage/compte").get_data(as_text=True)
    assert "<legend>Être prévenu·e des nouvelles orientations</legend>" in html
    for value, label in [
        ("each", "À chaque orientation"),
        ("daily", "Un récapitulatif quotidien"),
        ("none", "Aucun"),
    ]:
        assert f'<label for="alerts-{value}">{label}</label>' in html
    assert checked(html) == ["each"]
    # Reachable from the staff navigation.
    assert 'href="/triage/compte"' in coordinator.get("/triage/").get_data(as_text=True)


@pytest.mark.parametrize("account", ["coordinator", "viewer"])
def test_each_account_sets_its_own_choice(app, users, client, account):
    assert login(client, users[account]).status_code == 303
    response = client.post("/triage/compte", data={"alerts": "daily"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/triage/compte")
    page = client.get("/triage/compte").get_data(as_text=True)
    assert "Vos alertes sont enregistrées." in page
    assert checked(page) == ["daily"]
    assert alerts_of(app, users[account]) == "daily"
    # The other account is untouched.
    other = users["viewer" if account == "coordinator" else "coordinator"]
    assert alerts_of(app, other) == ("none" if account == "coordinator" else "each")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({}, "Choisissez comment être prévenu·e.", id="nothing-chosen"),
        pytest.param({"alerts": "hourly"}, "Choisissez une des propositions.", id="unknown"),
        pytest.param({"alerts": ["x", "none"]}, "Choisissez une des propositions.", id="two"),
    ],
)
def test_a_bad_choice_is_refused_in_french_and_changes_nothing(
    app, users, coordinator, data, message
):
    response = coordinator.post("/triage/compte", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-describedby="alerts-error"' in html
    assert alerts_of(app, users["coordinator"]) == "each"


def test_the_form_needs_its_csrf_token(make_app):
    from tests.support.app import PASSWORD
    from tests.support.builders import make_user
    from tests.support.pages import csrf_token

    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app, "coord@testville.example")
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    client.post(
        "/connexion",
        data={"email": "coord@testville.example", "password": PASSWORD, "csrf_token": token},
    )
    assert client.post("/triage/compte", data={"alerts": "none"}).status_code == 400
    assert alerts_of(app, "coord@testville.example") == "each"
    token = csrf_token(client, "/triage/compte")
    response = client.post("/triage/compte", data={"alerts": "none", "csrf_token": token})
    assert response.status_code == 303
    assert alerts_of(app, "coord@testville.example") == "none"
