"""`flask territory …`: build the territory file from open data, and see what it will do."""

from __future__ import annotations

from flask.cli import AppGroup

from intake.opendata.addresses_command import import_addresses_command
from intake.opendata.build_command import build
from intake.opendata.check_command import check
from intake.opendata.schools_command import import_schools

# Each command lives in a module of its own that knows nothing of the group: the group is
# put together here, so that no command module imports this one back.
territory_cli = AppGroup("territory", help="Build and check the territory file.")
territory_cli.add_command(import_addresses_command)
territory_cli.add_command(check)
territory_cli.add_command(import_schools)
territory_cli.add_command(build)
