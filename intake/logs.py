"""Logging: one line per event on stderr, at the level `INTAKE_LOG_LEVEL` says (INFO by default).

Without this, the app's logger inherits the root logger's WARNING under gunicorn and every
INFO line (logins, status changes, exports, purges, deliveries) is dropped. Lines carry ids,
references and codes only: the code that logs never passes names, addresses or free text.
"""

from __future__ import annotations

import logging
import re
import sys

from flask import Flask
from flask.logging import default_handler

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """Fold a record, traceback included, onto one line, so that each event is one line for
    whatever reads the log (journald, a log shipper, grep)."""

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line.strip())


class StderrHandler(logging.StreamHandler):
    """Write to whatever `sys.stderr` is at the time of the event, not at set-up (test
    runners and process managers swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler assigns it; the property decides
        pass


# The query string of a request line: "GET /triage/territoire?adresse=12+rue… HTTP/1.1".
_QUERY = re.compile(r"\?[^\s\"]*")


class QueryStringFilter(logging.Filter):
    """Drop the query string from the development server's request lines: `?adresse=` (the
    staff page that places an address) and `?q=` (a search by name) carry personal data,
    which the log never holds. Paths carry references and ids only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _QUERY.sub("?…", record.msg)
        return True


def log_level(value: str | int) -> int:
    """The numeric level of a name such as "INFO" or "debug", or of a number; ValueError else."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"INTAKE_LOG_LEVEL: unknown level {value!r} (DEBUG, INFO, WARNING, ERROR)")
    return level


def configure_logging(app: Flask) -> None:
    """Give the app's logger its level and a single one-line stderr handler.

    Called once per app; tests build many apps on the same named logger, so an earlier
    handler of ours (or Flask's default one) is replaced rather than added to.
    """
    logger = logging.getLogger(app.import_name)
    logger.setLevel(log_level(app.config["INTAKE_LOG_LEVEL"]))
    for handler in list(logger.handlers):
        if handler is default_handler or isinstance(handler, StderrHandler):
            logger.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logger.addHandler(handler)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, QueryStringFilter) for f in werkzeug.filters):
        werkzeug.addFilter(QueryStringFilter())
