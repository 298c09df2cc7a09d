"""`flask territory build`: download the official files and build the territory from them."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from intake.opendata.addresses_command import summary as streets_summary
from intake.opendata.ban import BanError
from intake.opendata.build import (
    Build,
    BuildError,
    Downloader,
    Given,
    build_territory,
    check_codes,
    obtain,
)
from intake.opendata.contours import ContoursError
from intake.opendata.schools import DirectoryError
from intake.opendata.schools import summary as schools_summary
from intake.opendata.schools import warnings as schools_warnings
from intake.opendata.territory_file import write_text
from intake.rules.clock import today
from intake.territory.reader import TerritoryError, load_territory

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def report(build: Build) -> list[str]:
    """What was read and what changes, before the diff."""
    lines = []
    if build.added_communes:
        lines.append(f"Communes added: {', '.join(build.added_communes)}.")
    if build.added_qpvs:
        lines.append(
            f"QPV added (their contour holds addresses of the commune): "
            f"{'; '.join(build.added_qpvs)}."
        )
    for shared in build.shared_qpvs:
        lines.append(
            f"Note: QPV {shared} covers several communes; its streets are listed for the "
            "commune of its [[qpv]] table only."
        )
    names = ", ".join(build.ban_names)
    if build.qpvs:
        # The import's own summary, its first line naming the BAN files read.
        lines += streets_summary(build.streets(), Path(names))
    else:
        lines.append(
            f"{names}: {build.extract.rows:,} rows read; no QPV contour holds an address of "
            "these communes, so no street to list."
        )
    lines.append("")
    return lines


@click.command("build")
@with_appcontext
@click.option(
    "--commune",
    "communes",
    multiple=True,
    required=True,
    metavar="INSEE",
    help="The INSEE code of a commune of the programme (repeat for several): 62516.",
)
@click.option("--ban", type=FILE, help="The département's BAN file already downloaded.")
@click.option("--contours", type=FILE, help="The QPV 2024 contours (GeoJSON) already downloaded.")
@click.option(
    "--schools",
    type=FILE,
    help="The school directory export (fr-en-annuaire-education, ';'-separated) already "
    "downloaded, covering every commune given.",
)
@click.option(
    "--write", is_flag=True, help="Rewrite the territory file; without it, show the change."
)
def build(
    communes: tuple[str, ...],
    ban: Path | None,
    contours: Path | None,
    schools: Path | None,
    write: bool,
) -> None:
    """Build the communes, QPV streets and schools of the territory file from open data.

    Downloads the Base Adresse Nationale's file of each commune's département, the ANCT's QPV
    2024 contours and the commune's schools from the Éducation nationale's directory (cached
    under instance/opendata/), or reads the files given with --ban, --contours, --schools.
    Prints a summary and the change; writes the territory file only with --write.
    """
    config = current_app.config
    path = Path(config["INTAKE_TERRITORY"])
    downloader = Downloader(
        cache=Path(config["INTAKE_OPENDATA_CACHE"]),
        urls={
            "ban": config["INTAKE_OPENDATA_BAN_URL"],
            "qpv": config["INTAKE_OPENDATA_QPV_URL"],
            "schools": config["INTAKE_OPENDATA_SCHOOLS_URL"],
        },
        progress=sys.stderr,
        timeout=float(config["INTAKE_OPENDATA_TIMEOUT"]),
        attempts=int(config["INTAKE_OPENDATA_ATTEMPTS"]),
        backoff=float(config["INTAKE_OPENDATA_BACKOFF"]),
    )
    try:
        codes = check_codes(communes)
        load_territory(path)  # a broken file stops here, before any download
        files = obtain(codes, Given(ban, contours, schools), downloader)
        result = build_territory(path, codes, *files, today=today())
    except (BuildError, TerritoryError) as exc:
        raise click.ClickException(str(exc)) from None
    except (BanError, ContoursError, DirectoryError) as exc:
        raise click.ClickException(f"{exc} — nothing written") from None

    for line in report(result):
        click.echo(line)
    if result.reading is not None and result.territory is not None:
        territory = result.territory
        for line in schools_summary(result.reading, result.schools, territory):
            click.echo(line)
        for line in schools_warnings(result.reading, result.schools, territory):
            click.echo(line, err=True)
    click.echo()
    diff = result.diff
    click.echo(diff if diff else f"No change to {path}.", nl=not diff)
    if not write:
        click.echo(f"Nothing written: run again with --write to rewrite {path}.")
        return
    if not diff:
        return
    try:
        write_text(path, result.after)
    except (TerritoryError, OSError) as exc:
        raise click.ClickException(f"{exc} — nothing written") from None
    click.echo(
        f"Wrote {path}. Restart the app for the forms and screening to use it; check it with "
        "`flask --app wsgi territory check` and on the page /triage/territoire."
    )
