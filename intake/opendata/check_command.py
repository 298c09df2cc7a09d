"""`flask territory check`: validate the territory file and show what its rules will do."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from intake.opendata.check import address_report, territory_report
from intake.rules.clock import today
from intake.territory.reader import TerritoryError, load_territory


@click.command("check")
@with_appcontext
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...")
def check(addresses: tuple[str, ...]) -> None:
    """Validate the territory file; show its QPVs and schools, and where each ADDRESS lies.

    An ADDRESS is written as on a form, its postcode included: "12 rue Neuve, 62190".
    """
    path = current_app.config["INTAKE_TERRITORY"]
    try:
        # The file as it is now on disk: an edit since the app started is what is checked.
        territory = load_territory(path)
    except TerritoryError as error:
        raise click.ClickException(str(error)) from None
    for line in territory_report(territory, today()):
        click.echo(line)
    for address in addresses:
        click.echo()
        for line in address_report(address, territory):
            click.echo(line)
