"""Logging: one line per event on stderr, at the level `INTAKE_LOG_LEVEL` says (INFO by default).

Without this, the app's logger inherits the root logger's WARNING under gunicorn and every
INFO line (logins, status changes, exports, purges, deliveries) is dropped. Lines carry ids,
references and codes only: the code that logs never passes names, addresses or free text, and
what a database error quotes of a row (PostgreSQL's DETAIL, a key, a value, parameters) is
scrubbed from every line and traceback before any handler writes it (`PersonalDataFilter`).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback

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


# --- Database errors without the data they quote --------------------------------------------
#
# SQLAlchemy's hide_parameters keeps the statement's parameters out of its error messages, but
# PostgreSQL's own message comes through whole in psycopg's: a NOT NULL violation's DETAIL
# quotes the entire row ("Failing row contains (…, Mme X, null, phone, …)"), a unique one the
# key ("Key (email)=(x@y.fr) already exists."), a bad value the value itself ('invalid input
# syntax for type integer: "…"'), and CONTEXT the parameter. What stays says what failed: the
# exception's class, the constraint, column and table, the statement with its placeholders.

HIDDEN = "…"

# A DETAIL or CONTEXT section runs, over as many lines as the quoted values hold, up to the
# next part of the message: another section, SQLAlchemy's statement, the link it appends,
# or the next exception of a traceback.
_SECTION = re.compile(
    r"\b(DETAIL|CONTEXT):[ \t]*(.*?)"
    r"(?=\n(?:HINT:|CONTEXT:|DETAIL:|\[SQL|\[parameters|\(Background on this error)"
    r"|\n[ \t]*\n(?:The above exception|During handling)|\Z)",
    re.DOTALL,
)
_KEY = re.compile(
    r"Key \(([^)\n]*)\)=\(.*?\)(?= already exists| is not present| is still)", re.DOTALL
)
# Outside a DETAIL section (already rewritten), to the end of its line.
_FAILING_ROW = re.compile(r"Failing row contains \((?!…\)\.)[^\n]*")
# A value PostgreSQL quotes in the first line: 'invalid input syntax for type date: "…"',
# 'date/time field value out of range: "…"', 'value "…" is out of range for type integer'.
# Not on a traceback's indented lines of source code.
_QUOTED_VALUE = re.compile(
    r'^(?![ \t])(.*?(?:: |\bvalue ))"[^\n]*"(?=[ \t]*$| is out of range)', re.MULTILINE
)
# SQLAlchemy's parameters, shown by an engine without hide_parameters.
_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
# What a message must hold for any of the above to apply: most lines skip the work.
_MARKERS = ("DETAIL:", "CONTEXT:", "Key (", "Failing row", '"', "[parameters: ")


def _safe_detail(detail: str) -> str:
    """What a DETAIL may keep: the key's columns, or that a row failed; never a value."""
    if detail.startswith("Key ("):
        return _KEY.sub(lambda m: f"Key ({m.group(1)})=({HIDDEN})", detail)
    if detail.startswith("Failing row contains"):
        return f"Failing row contains ({HIDDEN})."
    return HIDDEN


def _quoted_values(exception: BaseException) -> list[tuple[str, str]]:
    """What a psycopg error quotes, read from its diagnostics, each with what replaces it:
    its DETAIL, its CONTEXT and a value its first line quotes. Replaced as found, they go
    even when a value spans lines or looks like the next part of a message."""
    diag = getattr(exception, "diag", None)
    if diag is None:
        return []
    quoted = []
    if detail := getattr(diag, "message_detail", None):
        quoted.append((detail, _safe_detail(detail)))
    if context := getattr(diag, "context", None):
        quoted.append((context, HIDDEN))
    primary = getattr(diag, "message_primary", None) or ""
    if found := re.search(r'(?:: |\bvalue )("(.+)")', primary, re.DOTALL):
        # With its quotes: a value as short as "1" must not take every 1 of the traceback.
        quoted.append((found.group(1), f'"{HIDDEN}"'))
    return [(text, safe) for text, safe in quoted if isinstance(text, str)]


def _chain(exception: BaseException | None) -> list[BaseException]:
    """An exception, its causes and contexts, each once: what a traceback prints."""
    seen: list[BaseException] = []
    while exception is not None and exception not in seen:
        seen.append(exception)
        exception = exception.__cause__ or exception.__context__
    return seen


def _section(match: re.Match) -> str:
    name, content = match.group(1), match.group(2)
    return f"{name}: {_safe_detail(content) if name == 'DETAIL' else HIDDEN}"


def scrub(text: str, exceptions: tuple[BaseException, ...] | list[BaseException] = ()) -> str:
    """`text` without what a database error quotes of a row, a key, a value or parameters."""
    for exception in exceptions:
        for quoted, safe in _quoted_values(exception):
            text = text.replace(quoted, safe)
    if not any(marker in text for marker in _MARKERS):
        return text
    text = _SECTION.sub(_section, text)
    text = _KEY.sub(lambda m: f"Key ({m.group(1)})=({HIDDEN})", text)
    text = _FAILING_ROW.sub(f"Failing row contains ({HIDDEN}).", text)
    text = _QUOTED_VALUE.sub(lambda m: f'{m.group(1)}"{HIDDEN}"', text)
    return _PARAMETERS.sub(f"[parameters: {HIDDEN}]", text)


class PersonalDataFilter(logging.Filter):
    """Scrub a record's message and traceback of what database errors quote (see `scrub`).

    The traceback is written here, once, into `exc_text`, which every formatter prints
    rather than formatting `exc_info` again. Installed on loggers (records logged there) and
    on handlers (records that reach them from any logger below, such as sqlalchemy.pool's).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "personal_data_scrubbed", False):
            return True
        record.personal_data_scrubbed = True
        exceptions: list[BaseException] = []
        if record.exc_info and record.exc_info[1] is not None:
            exceptions = _chain(record.exc_info[1])
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in (record.msg, *args):
            if isinstance(arg, BaseException):
                exceptions.extend(_chain(arg))
        message = record.getMessage()
        scrubbed = scrub(message, exceptions)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, exceptions)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, exceptions)
        return True


def log_level(value: str | int) -> int:
    """The numeric level of a name such as "INFO" or "debug", or of a number; ValueError else."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"INTAKE_LOG_LEVEL: unknown level {value!r} (DEBUG, INFO, WARNING, ERROR)")
    return level


def scrubbing_excepthook(kind: type[BaseException], error: BaseException, trace) -> None:
    """Print an uncaught exception as Python does, but scrubbed: a command's traceback (`flask
    outbox work` under systemd, `outbox digest` under cron) ends up in a log too."""
    text = "".join(traceback.format_exception(kind, error, trace))
    sys.stderr.write(scrub(text, _chain(error)))


# Where a database error can be logged from outside the app's logger: the root logger (and
# so every library's logger that has no handler of its own), SQLAlchemy's (its pool logs the
# errors of resetting or closing a connection), gunicorn's error log (an error that escapes
# the app, such as one in the middle of a streamed export) and Werkzeug's development server.
SCRUBBED_LOGGERS = ("", "sqlalchemy", "gunicorn.error", "werkzeug")

PERSONAL_DATA_FILTER = PersonalDataFilter()


def install_filter(target: logging.Logger | logging.Handler, new: logging.Filter) -> None:
    """Add `new` to a logger or handler, unless it has a filter of that class already (every
    app a process builds configures the same loggers)."""
    if not any(isinstance(f, type(new)) for f in target.filters):
        target.addFilter(new)


def scrub_every_log(app_logger: logging.Logger) -> None:
    """Install the PersonalDataFilter wherever a database error can reach a log line.

    A logger's filters see only the records logged on that logger itself; a handler's, every
    record it writes, whichever logger below sent it. So both: on each logger named above and
    on each handler they have now (gunicorn's are made before the app is loaded), and on the
    last-resort handler that writes a warning when no handler exists at all. A traceback
    that no logger catches (a command's) is printed scrubbed too (`scrubbing_excepthook`).
    """
    loggers = [app_logger, *(logging.getLogger(name) for name in SCRUBBED_LOGGERS)]
    for logger in loggers:
        install_filter(logger, PERSONAL_DATA_FILTER)
        for handler in logger.handlers:
            install_filter(handler, PERSONAL_DATA_FILTER)
    if logging.lastResort is not None:
        install_filter(logging.lastResort, PERSONAL_DATA_FILTER)
    # Only over Python's own: a debugger's or a test runner's hook is theirs to keep.
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = scrubbing_excepthook


def configure_logging(app: Flask) -> None:
    """Give the app's logger its level and a single one-line stderr handler, and keep what
    database errors quote out of every log (`scrub_every_log`).

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
    install_filter(logging.getLogger("werkzeug"), QueryStringFilter())
    scrub_every_log(logger)
