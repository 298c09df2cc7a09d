"""`flask users reset-link`: a signed link, valid 24 hours and once, to choose a new password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.support.app import PASSWORD, login

NEW = "une toute nouvelle phrase"
EMAIL = "coord@testville.example"


def reset_link(app, email: str = EMAIL) -> str:
    """The path of the link the command prints (its host is INTAKE_BASE_URL)."""
    result = app.test_cli_runner().invoke(args=["users", "reset-link", email])
    assert result.exit_code == 0, result.output
    link = result.output.splitlines()[0]
    assert link.startswith(app.config["INTAKE_BASE_URL"].rstrip("/") + "/connexion/")
    assert "coord" not in link  # no e-mail in the URL
    return urlsplit(link).path


def choose(client, path: str, password: str = NEW, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def test_the_link_sets_a_new_password_once(app, client, users):
    path = reset_link(app)
    page = client.get(path)
    assert page.status_code == 200 and EMAIL in page.get_data(as_text=True)
    response = choose(client, path)
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"
    assert login(client, EMAIL, PASSWORD).status_code == 200  # the old one no longer works
    assert login(client, EMAIL, NEW).status_code == 303
    # Used: the link opens nothing any more, and cannot set another password.
    assert client.get(path).status_code == 404
    assert choose(client, path, "encore une autre phrase").status_code == 404
    assert login(app.test_client(), EMAIL, NEW).status_code == 303


def test_a_new_link_voids_nothing_but_a_used_one_voids_the_others(app, client, users):
    first, second = reset_link(app), reset_link(app)
    assert client.get(first).status_code == 200 and client.get(second).status_code == 200
    assert choose(client, second).status_code == 303
    assert client.get(first).status_code == 404


def test_the_link_expires_after_24_hours(app, client, users):
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        path = reset_link(app)
    with time_machine.travel(now + timedelta(hours=23, minutes=59), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(now + timedelta(hours=24, minutes=1), tick=False):
        assert client.get(path).status_code == 404
        assert choose(client, path).status_code == 404
    assert login(client, EMAIL, PASSWORD).status_code == 303


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t, lambda t: "1"],
    ids=["tampered", "prefixed", "garbage"],
)
def test_a_bad_token_is_404(app, client, users, mangle):
    path = reset_link(app)
    prefix, token = path.rsplit("/", 1)
    assert client.get(f"{prefix}/{mangle(token)}").status_code == 404


def test_a_deactivated_account_gets_no_link_and_its_links_stop(app, client, users):
    path = reset_link(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "deactivate", EMAIL]).exit_code == 0
    assert client.get(path).status_code == 404
    refused = runner.invoke(args=["users", "reset-link", EMAIL])
    assert refused.exit_code != 0 and "deactivated" in refused.output
    unknown = runner.invoke(args=["users", "reset-link", "nobody@testville.example"])
    assert unknown.exit_code != 0 and "no account" in unknown.output


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("court", "court", "de 10 à 200 caractères"),
        (NEW, NEW + "x", "Les deux mots de passe sont différents"),
        ("", "", "Choisissez un mot de passe"),
    ],
)
def test_a_refused_password_changes_nothing_and_keeps_the_link(
    app, client, users, password, confirm, message
):
    path = reset_link(app)
    response = choose(client, path, password, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert login(client, EMAIL, PASSWORD).status_code == 303
    assert app.test_client().get(path).status_code == 200


def test_choosing_a_password_ends_the_open_sessions(app, client, users):
    browser = app.test_client()
    assert login(browser, EMAIL).status_code == 303
    assert choose(client, reset_link(app)).status_code == 303
    assert browser.get("/triage/").status_code == 302


def test_the_form_needs_its_csrf_token(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    path = reset_link(app)
    refused = choose(client, path)
    assert refused.status_code in (400, 422)
    # The password is unchanged: the old one still opens a session (CSRF off for that login).
    assert login(make_app().test_client(), EMAIL, PASSWORD).status_code == 303
