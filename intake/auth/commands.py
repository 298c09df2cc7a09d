"""`flask users …`: manage staff accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select

from intake.auth.operations import (
    AccountError,
    change_password,
    create_user,
    deactivate,
    existing_user,
    reset_token,
    set_role,
)
from intake.config import base_url_warning
from intake.extensions import db
from intake.models import Role, User
from intake.notifications.render import public_url

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.COORDINATOR.value,
    show_default=True,
    help="coordinator changes referrals; viewer only reads.",
)
def create(email: str, role: str) -> None:
    """Create a staff account; the password is asked twice (read from stdin when piped)."""
    password = read_password()
    user = run(create_user, email, password, role)
    click.echo(f"Created {user.role} account {user.email}.")


@users_cli.command("list")
def list_command() -> None:
    """List the staff accounts: e-mail, role, active or not, last login."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "deactivated"
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
        click.echo(f"{user.email}\t{user.role}\t{state}\tlast login {last}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([role.value for role in Role]))
def set_role_command(email: str, role: str) -> None:
    """Change what an account may do."""
    user = run(set_role, email, role)
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Close an account: no more logins, and its open sessions end at once."""
    user = run(deactivate, email)
    click.echo(f"Deactivated {user.email}; its sessions are ended.")


@users_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Give an account a new password (asked twice, or two lines of stdin); its sessions end."""
    password = read_password()
    user = run(change_password, email, password)
    click.echo(f"New password set for {user.email}; its other sessions are ended.")


@users_cli.command("reset-link")
@click.argument("email")
def reset_link_command(email: str) -> None:
    """Print a link where the account's owner chooses a new password: valid 24 hours, once."""
    if warning := base_url_warning(current_app.config):
        click.echo(warning, err=True)
    user = run(existing_user, email)
    if not user.active:
        raise click.ClickException(f"{user.email} is deactivated: reactivate it first")
    # The link's path comes from the route; its host from INTAKE_BASE_URL, as in e-mails.
    with current_app.test_request_context():
        path = url_for("auth.reset_password", token=reset_token(user))
    click.echo(public_url(current_app.config, path))
    click.echo("Valid for 24 hours and once; give it to its owner only, never by a shared channel.")


def run(operation, *args) -> User:
    """Apply an account operation and commit, or exit with its message and change nothing."""
    try:
        user = operation(*args)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return user


def read_password() -> str:
    """Ask for the password twice: hidden at a terminal, two lines of stdin otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    # getpass would open /dev/tty behind a pipe; the contract wants stdin read as it is.
    first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    if first != second:
        raise click.ClickException("the two passwords differ")
    return first
