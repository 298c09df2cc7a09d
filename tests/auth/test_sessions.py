"""A staff session ends everywhere: logout, a new password or a deactivation refuse old cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import User
from tests.support.app import PASSWORD, login

NEW_PASSWORD = "a brand new passphrase"


def copy_session(app, source):
    """A second browser holding a copy of `source`'s session cookie (a copied or stolen one)."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def opens_the_queue(client) -> bool:
    response = client.get("/triage/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_cookie_works_until_logout_then_never(app, coordinator):
    copy = copy_session(app, coordinator)
    assert opens_the_queue(copy)  # the copy is as good as the original until then
    assert coordinator.post("/deconnexion").status_code == 303
    assert not opens_the_queue(coordinator)
    assert not opens_the_queue(copy)
    assert copy.get("/triage/").headers["Location"].startswith("/connexion")


def test_logout_ends_the_other_browsers_sessions_too(app, client, users):
    other = app.test_client()
    assert login(other, users["coordinator"]).status_code == 303
    assert login(client, users["coordinator"]).status_code == 303
    client.post("/deconnexion")
    assert not opens_the_queue(other)
    # Logging in again works and gives a fresh session.
    assert login(other, users["coordinator"]).status_code == 303
    assert opens_the_queue(other)


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["users", "set-password", "coord@testville.example"], f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"),
        (["users", "deactivate", "coord@testville.example"], None),
    ],
    ids=["new-password", "deactivated"],
)
def test_a_new_password_or_a_deactivation_ends_open_sessions(app, coordinator, args, stdin):
    copy = copy_session(app, coordinator)
    result = app.test_cli_runner().invoke(args=args, input=stdin)
    assert result.exit_code == 0, result.output
    assert not opens_the_queue(coordinator)
    assert not opens_the_queue(copy)


def test_set_password_replaces_the_old_one(app, users):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "set-password", "COORD@testville.example"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert login(client, users["coordinator"], PASSWORD).status_code == 200
    assert login(client, users["coordinator"], NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "set-password", "nobody@testville.example"],
            "long-enough-pw\n" * 2,
            "no account",
        ),
        (["users", "set-password", "coord@testville.example"], "short\nshort\n", "at least 10"),
        (
            ["users", "set-password", "coord@testville.example"],
            "long-enough-1\nlong-enough-2\n",
            "differ",
        ),
        (["users", "deactivate", "nobody@testville.example"], None, "no account"),
        (["users", "set-role", "nobody@testville.example", "viewer"], None, "no account"),
    ],
)
def test_account_commands_refuse_clearly_and_change_nothing(app, users, args, stdin, message):
    with app.app_context():
        before = {
            u.email: (u.password_hash, u.session_token, u.active, u.role)
            for u in db.session.scalars(select(User))
        }
    result = app.test_cli_runner().invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        db.session.expire_all()
        after = {
            u.email: (u.password_hash, u.session_token, u.active, u.role)
            for u in db.session.scalars(select(User))
        }
    assert after == before


def test_deactivated_account_cannot_log_in_and_list_shows_it(app, client, users):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "deactivate", users["viewer"]]).exit_code == 0
    assert login(client, users["viewer"]).status_code == 200
    listing = runner.invoke(args=["users", "list"]).output.splitlines()
    assert any(line.startswith(users["viewer"]) and "deactivated" in line for line in listing)
    assert any(line.startswith(users["coordinator"]) and "\tactive" in line for line in listing)
    assert PASSWORD not in "".join(listing)


def test_set_role_changes_what_an_account_may_do(app, client, users):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "set-role", users["viewer"], "coordinator"]).exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == users["viewer"]))
        assert user.role == "coordinator"


def test_a_session_id_from_before_tokens_is_refused(app, coordinator):
    # Sessions made before session tokens held the bare account id: they open nothing now.
    with coordinator.session_transaction() as session:
        session["_user_id"] = session["_user_id"].partition(":")[0]
    assert not opens_the_queue(coordinator)
