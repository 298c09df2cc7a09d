"""`flask stats anct`: the ANCT survey's workbook written to a file, from the same figures as
the staff page."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from intake.rules.clock import today
from intake.rules.statistics import PeriodError, period_for
from intake.statistics.anct import workbook
from intake.statistics.figures import compute

stats_cli = AppGroup("stats", help="The programme's figures.")


@stats_cli.command("anct")
@click.option("--year", type=int, required=True, help="School year from 1 September YEAR.")
@click.option("--calendar", is_flag=True, help="The calendar year YEAR instead.")
@click.option("--mask-small", is_flag=True, help="Write counts from 1 to 4 as <5.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The .xlsx file to write.",
)
def anct_command(year: int, calendar: bool, mask_small: bool, out: Path) -> None:
    """Write the ANCT yearly survey's workbook for a school or calendar year."""
    day = today()
    try:
        period = period_for(year, calendar, day)
    except PeriodError as error:
        raise click.BadParameter(str(error), param_hint="--year") from error
    figures = compute(period, day)
    content = workbook(figures, current_app.extensions["territory"], day, mask=mask_small)
    try:
        out.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"{out}: {error.strerror}") from error
    click.echo(
        f"Wrote {out}: {period.start} to {period.end}, {figures.referrals_received} "
        f"referrals received, {figures.supported} children supported"
        + (", counts from 1 to 4 masked." if mask_small else ".")
    )
