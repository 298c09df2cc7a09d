"""Write this machine's `instance/config.py` once: a random secret key, the development
database and the development server's address for links, so that
`.venv/bin/flask --app wsgi …` works in any shell of a developer's machine.

`make` runs it after its first install (`python -m intake.dev.instance_config [FOLDER]`,
FOLDER being the app's instance folder unless given). A file already there is never touched:
it may hold the developer's own settings, and a new key would end their sessions.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from intake import instance_folder
from intake.config import DEVELOPMENT_BASE_URL

CONFIG_NAME = "config.py"

TEMPLATE = """\
# This machine's development settings: written once by `make` (python -m
# intake.dev.instance_config) for this machine only; never committed (instance/* is in
# .gitignore) and never rewritten: edit it, or delete it for a new key.
# The app reads it over the defaults of intake/config.py, under the FLASK_* environment
# variables. Production does not use this key: it sets FLASK_SECRET_KEY (and
# FLASK_SQLALCHEMY_DATABASE_URI) in its environment instead.
SECRET_KEY = {key}
SQLALCHEMY_DATABASE_URI = {database}
# Links in e-mails and `users reset-link` point here: `make run`'s server. Without it, a
# command that writes links refuses to run outside debug mode (production sets
# FLASK_INTAKE_BASE_URL, the site's public address).
INTAKE_BASE_URL = {base_url}
"""


def write_instance_config(folder: str | os.PathLike) -> Path | None:
    """Write `folder`/config.py, readable by its owner only, unless it exists; return its
    path when it was written."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    # As Python string literals: json's are, whatever characters the folder's path holds.
    text = TEMPLATE.format(
        key=json.dumps(secrets.token_hex(32)),
        database=json.dumps(f"sqlite:///{folder / 'intake.sqlite3'}", ensure_ascii=False),
        base_url=json.dumps(DEVELOPMENT_BASE_URL),
    )
    try:
        # O_EXCL: a file written meanwhile by another `make` is left as it is, too.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    # The umask may have taken more than the others' bits: the owner must read and edit it.
    path.chmod(0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the config of the folder given, or of the app's instance folder."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("usage: python -m intake.dev.instance_config [INSTANCE_FOLDER]", file=sys.stderr)
        return 2
    written = write_instance_config(args[0] if args else instance_folder())
    if written is not None:
        print(f"Wrote {written}: this machine's secret key and development database.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
