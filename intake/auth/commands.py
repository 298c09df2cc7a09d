"""`flask users …`: manage staff accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Role
from .operations import AccountError, create_user

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
    try:
        user = create_user(email, password, role)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email}.")


def read_password() -> str:
    """Ask for the password twice: hidden at a terminal, two lines of stdin otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    # getpass would open /dev/tty behind a pipe; the contract wants stdin read as it is.
    first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    if first != second:
        raise click.ClickException("the two passwords differ")
    return first
