"""`flask territory …`: build the territory file from open data, and see what it will do."""

from __future__ import annotations

from flask.cli import AppGroup

territory_cli = AppGroup("territory", help="Build and check the territory file.")

# Each command lives in a module of its own and registers itself on `territory_cli`; they are
# imported here, below the group they need.
from intake.opendata import addresses_command, check_command, schools_command  # noqa: E402, F401
