"""`flask territory import-schools`: the [[schools]] tables from the national school directory."""

from __future__ import annotations

from pathlib import Path

import click
import tomlkit
from flask import current_app
from flask.cli import with_appcontext

from intake.opendata.schools import (
    DirectoryError,
    commune_table,
    insee_code,
    is_insee_code,
    open_directory,
    replace_schools,
    summary,
    territory_schools,
    undeclared,
    warnings,
)
from intake.opendata.territory_file import check_text, read_document, unified_diff, write_text
from intake.territory.reader import TerritoryError, load_territory


@click.command("import-schools")
@with_appcontext
@click.argument("directory_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--commune",
    "extra",
    multiple=True,
    metavar="INSEE",
    help="Also keep the schools of this commune (repeat for several); it must be one of the "
    "territory file's [[communes]], with this insee code.",
)
@click.option("--write", is_flag=True, help="Replace the [[schools]] tables of the territory file.")
def import_schools(directory_file: str, extra: tuple[str, ...], write: bool) -> None:
    """Import the open écoles and collèges of the territory's communes from DIRECTORY_FILE.

    DIRECTORY_FILE is the export of the "Annuaire de l'éducation" (data.education.gouv.fr,
    fr-en-annuaire-education), ';'-separated. Prints a summary and the change to the territory
    file; writes it only with --write.
    """
    path = current_app.config["INTAKE_TERRITORY"]
    try:
        # The file as it is now on disk, not as the app loaded it when it started.
        territory = load_territory(path)
        before = Path(path).read_text(encoding="utf-8-sig")
        document = read_document(path)
    except TerritoryError as error:
        raise click.ClickException(str(error)) from None
    if tomlkit.dumps(document) != before:
        # tomlkit rewrites a few layouts (tables of one array split around others): then the
        # promise to keep everything else byte for byte could not be kept.
        raise click.ClickException(
            f"{path}: cannot be rewritten without changing more than its [[schools]] tables "
            "(are they split around other tables? put them together) — nothing written"
        )

    wanted = [insee_code(code) for code in extra]
    for code in wanted:
        if not is_insee_code(code):
            raise click.ClickException(
                f"--commune {code}: not an INSEE commune code (5 characters, like 62516)"
            )
    # Without its code a commune's schools cannot be found, and the import would drop the ones
    # listed by hand: refused rather than half done.
    if without := [c.name for c in territory.communes if not c.insee]:
        raise click.ClickException(
            f"{path}: no insee code for {', '.join(without)}: the directory names communes by "
            'their INSEE code; add it to their [[communes]] tables (insee = "62516"), then run '
            "this again. Nothing written."
        )
    codes = {c.insee for c in territory.communes} | set(wanted)

    try:
        reading = open_directory(directory_file, codes)
    except DirectoryError as error:
        raise click.ClickException(str(error)) from None

    # A school's commune must be a declared commune (the file would not load otherwise), and
    # declaring one is the coordinator's decision: the programme then screens its residents as
    # living in the territory. So an undeclared --commune stops here, saying what to add.
    if missing := undeclared(wanted, territory):
        tables = "\n\n".join(commune_table(code, reading) for code in missing)
        raise click.ClickException(
            f"commune {', '.join(missing)} given with --commune is not in {path}: every school's "
            "commune must be one of its [[communes]] (and the programme then counts its "
            "residents as living in the territory). If that is intended, add:\n\n"
            f"{tables}\n\nthen run this again. Nothing written."
        )

    schools = territory_schools(reading, territory)
    for line in summary(reading, schools, territory):
        click.echo(line)
    for line in warnings(reading, schools, territory):
        click.echo(line, err=True)
    if not schools:
        raise click.ClickException(
            f"no open école or collège of communes {', '.join(sorted(codes))} in "
            f"{directory_file}: is it the school directory export of these communes? "
            "Nothing written."
        )

    try:
        replace_schools(document, schools, str(path))
        after = tomlkit.dumps(document)
        # Checked before showing anything, so that a dry run already says what --write would.
        check_text(path, after)
    except TerritoryError as error:
        raise click.ClickException(f"{error} — nothing written") from None

    click.echo()
    diff = unified_diff(path, before, after)
    if not diff:
        click.echo(f"{path}: its [[schools]] tables are already these; nothing to write.")
        return
    click.echo(diff, nl=False)
    click.echo()
    if not write:
        click.echo(f"Nothing written: run again with --write to replace the schools of {path}.")
        return
    try:
        write_text(path, after)
    except (TerritoryError, OSError) as error:
        raise click.ClickException(f"{error} — nothing written") from None
    click.echo(
        f"Wrote {len(schools)} schools to {path}. Restart the app for the forms and screening "
        "to use them."
    )
