"""No log line carries what a database error quotes of a family, nor anything a production run
was sent: PostgreSQL's DETAIL ("Failing row contains (…)", "Key (…)=(…)"), a quoted value,
CONTEXT and SQL parameters are scrubbed from messages and tracebacks, wherever they are logged,
while the line still says what failed (the exception's class, the constraint or column)."""

from __future__ import annotations

import io
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.logs import OneLineFormatter, PersonalDataFilter, scrub
from intake.models import Agreement
from tests.support.app import PASSWORD, TERRITORY, flask_cli, run_script
from tests.support.builders import get_referral, make_referral, make_user, orientation
from tests.support.builders import request_form as parent_form
from tests.support.production import production_environment, production_server
from tests.support.smtp import ALLOWED_SMTP, SmtpSink

NAME = "Mme Zoé Testnom"
# A comment over two lines, the second looking like the next part of SQLAlchemy's message.
COMMENT = "Rappeler Mme Testnom au 06 11 22 33 44\n[SQL: chez sa sœur, 9 rue Quetzalcoatl"
SECRETS = ("Testnom", "Zoé", "06 11 22 33 44", "Quetzalcoatl", "sœur")


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)


# --- A database error through the app's 500 path -------------------------------------------


def test_an_integrity_error_on_a_row_holding_a_name_logs_what_failed_not_the_row(
    make_app, capsys, caplog
):
    """An agreement written without its date, as a request would (a 500): on PostgreSQL the
    error's DETAIL quotes the whole row, name and comment included."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    reference = make_referral(app)

    @app.post("/boom")
    def boom():
        referral = get_referral(reference)
        referral.agreements.append(
            Agreement(guardian_name=NAME, given_on=None, method="phone", comment=COMMENT)
        )
        db.session.flush()  # NOT NULL given_on: IntegrityError

    with caplog.at_level(logging.INFO, logger="intake"):
        assert app.test_client().post("/boom").status_code == 500
    written = capsys.readouterr().err  # what the app's own handler wrote, as in production
    lines = [line for line in written.splitlines() if "internal error on POST boom" in line]
    assert len(lines) == 1, written
    line = lines[0]
    assert_clean(written)
    assert_clean(caplog.text)
    # What failed is still there: the class, the table and column, the statement.
    assert "IntegrityError" in line and "given_on" in line and "agreement" in line
    assert "INSERT INTO agreement" in line
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert "NotNullViolation" in line and "Failing row contains (…)" in line


# --- The filter on psycopg-like messages (what SQLite never writes) -----------------------


MESSAGES = {
    "not-null row": (
        '(psycopg.errors.NotNullViolation) null value in column "given_on" of relation '
        '"agreement" violates not-null constraint\n'
        "DETAIL:  Failing row contains (7, 3, Mme Zoé Testnom, null, phone, Rappeler Zoé).\n"
        "[SQL: INSERT INTO agreement (referral_id, guardian_name) VALUES (%(a)s, %(b)s)]\n"
        "[SQL parameters hidden due to hide_parameters=True]\n"
        "(Background on this error at: https://sqlalche.me/e/20/gkpj)",
        ['null value in column "given_on"', "DETAIL: Failing row contains (…).", "[SQL: INSERT"],
    ),
    "row over two lines": (
        f"DETAIL:  Failing row contains (7, {NAME}, null, Rappeler\nchez sa sœur (bis)).\n"
        "[SQL: INSERT INTO agreement …]",
        ["DETAIL: Failing row contains (…).", "[SQL: INSERT INTO agreement"],
    ),
    "unique key": (
        '(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "uq_x"\n'
        "DETAIL:  Key (guardian_name, given_on)=(Mme Zoé Testnom, 2026-12-01) already exists.",
        ['unique constraint "uq_x"', "Key (guardian_name, given_on)=(…) already exists."],
    ),
    "quoted value": (
        '(psycopg.errors.InvalidTextRepresentation) invalid input syntax for type date: "Zoé"\n'
        "CONTEXT:  unnamed portal parameter $1 = 'Mme Zoé Testnom'",
        ['invalid input syntax for type date: "…"', "CONTEXT: …"],
    ),
    "out of range": (
        'value "0611223344" is out of range for type integer',
        ['value "…" is out of range for type integer'],
    ),
    "parameters": (
        "[SQL: UPDATE referral SET guardian_phone=?]\n[parameters: ('06 11 22 33 44', 12)]",
        ["[SQL: UPDATE referral SET guardian_phone=?]", "[parameters: …]"],
    ),
    "without detail": ("NOT NULL constraint failed: agreement.given_on", ["agreement.given_on"]),
}


@pytest.mark.parametrize(("message", "kept"), MESSAGES.values(), ids=MESSAGES)
def test_scrub_keeps_what_failed_and_drops_every_value(message, kept):
    scrubbed = scrub(message)
    assert_clean(scrubbed)
    assert "0611223344" not in scrubbed and "2026-12-01" not in scrubbed
    for words in kept:
        assert words in scrubbed, (words, scrubbed)
    assert scrub(scrubbed) == scrubbed


class Diagnostic:
    """psycopg's `diag`: the parts of PostgreSQL's error, as the server sent them."""

    def __init__(self, primary: str, detail: str | None = None, context: str | None = None):
        self.message_primary = primary
        self.message_detail = detail
        self.context = context


class NotNullViolation(Exception):
    """A psycopg-like error: its message is PostgreSQL's, DETAIL included."""

    def __init__(self, primary: str, detail: str) -> None:
        super().__init__(f"{primary}\nDETAIL:  {detail}")
        self.diag = Diagnostic(primary, detail)


def database_error() -> IntegrityError:
    """SQLAlchemy's error around a psycopg one, raised from it as a flush raises it, and
    shown with its parameters (an engine without hide_parameters)."""
    primary = 'null value in column "given_on" of relation "agreement" violates not-null constraint'
    # The row as PostgreSQL quotes it: the comment's lines, one of them like SQLAlchemy's next.
    detail = f"Failing row contains (7, 3, {NAME}, null, phone, {COMMENT})."
    try:
        try:
            raise NotNullViolation(primary, detail)
        except NotNullViolation as orig:
            raise IntegrityError(
                "INSERT INTO agreement (guardian_name, comment) VALUES (%(name)s, %(comment)s)",
                {"name": NAME, "comment": COMMENT},
                orig,
            ) from orig
    except IntegrityError as error:
        return error


def formatted(logger_name: str, handler: logging.Handler, stream: io.StringIO, **kwargs) -> str:
    """Log a database error on `logger_name`, with its traceback and as an argument."""
    error = database_error()
    logging.getLogger(logger_name).error("write failed: %s", error, exc_info=error, **kwargs)
    handler.flush()
    return stream.getvalue()


@contextmanager
def handler_on(logger_name: str) -> Iterator[tuple[logging.Handler, io.StringIO]]:
    """A one-line handler on `logger_name` for the block, as gunicorn or a log configuration
    would have put there before the app was built."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield handler, stream
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("handler_logger", "logger_name"),
    [
        pytest.param("intake", "intake", id="the-app-logger"),
        pytest.param("gunicorn.error", "gunicorn.error", id="gunicorn-error-log"),
        # sqlalchemy.pool's records reach only the root's handlers, under gunicorn as here.
        pytest.param("", "sqlalchemy.pool.impl.QueuePool", id="root-handler-from-sqlalchemy"),
        pytest.param("", "some.library", id="root-handler-from-any-logger"),
    ],
)
def test_every_log_a_database_error_can_reach_is_scrubbed(make_app, handler_logger, logger_name):
    with handler_on(handler_logger) as (handler, stream):
        make_app()  # configure_logging finds the handlers already there, as under gunicorn
        text = formatted(logger_name, handler, stream)
    assert text.count("\n") == 1, text  # one line, traceback folded
    assert_clean(text)
    assert "[parameters: …]" in text
    assert "sqlalchemy.exc.IntegrityError" in text and "NotNullViolation" in text
    assert 'null value in column "given_on" of relation "agreement"' in text


def test_the_filter_is_installed_once_whatever_the_apps_built(make_app):
    make_app()
    make_app()
    for name in ("", "intake", "sqlalchemy", "gunicorn.error", "werkzeug"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, PersonalDataFilter) for f in filters) == 1, name


UNCAUGHT = """
from wsgi import app

class NotNullViolation(Exception):
    pass

raise NotNullViolation(
    'null value in column "given_on" of relation "agreement" violates not-null constraint\\n'
    "DETAIL:  Failing row contains (7, 3, Mme Zoé Testnom, null, phone, 06 11 22 33 44)."
)
"""


def test_a_command_that_dies_on_a_database_error_prints_it_scrubbed(tmp_path):
    """No logger sees an exception a command does not catch: Python prints it, to the
    journal or cron's mail."""
    result = run_script(
        UNCAUGHT,
        FLASK_DEBUG="1",
        FLASK_INTAKE_TERRITORY=str(TERRITORY),
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 1
    assert_clean(result.stderr)
    assert "Traceback (most recent call last)" in result.stderr
    assert 'NotNullViolation: null value in column "given_on"' in result.stderr
    assert "DETAIL: Failing row contains (…)." in result.stderr


# --- A production run: nothing it was sent reaches its log ----------------------------------

# What the two referrals of the run hold: none of it may reach a log line.
FAMILY = {
    "guardian_name": "Ermengarde Vandermolen",
    "guardian_phone": "06 98 76 54 32",
    "guardian_email": "ermengarde.vdm@famille.example",
    "address": "17 allée des Quetzals",
    "children-0-first_name": "Ysoline",
    "children-0-last_name": "Vandermolen",
    "situation": "Ysoline pleure chaque matin devant l’école.",
}
PARENT = {
    "guardian_name": "Barthélemy Oxenford",
    "guardian_phone": "07 55 44 33 11",
    "guardian_email": "b.oxenford@famille.example",
    "address": "4 impasse des Ombellifères",
    "children-0-first_name": "Quirin",
    "children-0-last_name": "Oxenford",
    "situation": "Quirin ne dort plus depuis le déménagement.",
    "heard_from": "Le docteur Wolfhart",
}
REFERRER = {
    "referrer_name": "Hortense Brizard",
    "referrer_email": "h.brizard@ecole.example",
    "referrer_phone": "03 21 98 76 12",
    "actions_tried": "Entretiens avec Mme Brizard chaque semaine.",
}
STAFF_TEXT = {
    "note": "Note : la tante Gwendoline appelle lundi.",
    "agreement": "Cunégonde Vandermolen",
    "agreement comment": "Signé chez la voisine Philibertine.",
    "status comment": "Appel à Mme Vandermolen, rue des Quetzals.",
}


def seeded_values() -> list[str]:
    """Every name, phone (as typed and as digits), e-mail, street and free text sent."""
    values = [*FAMILY.values(), *PARENT.values(), *REFERRER.values(), *STAFF_TEXT.values()]
    for phone in (FAMILY["guardian_phone"], PARENT["guardian_phone"], REFERRER["referrer_phone"]):
        digits = phone.replace(" ", "")
        values += [digits, digits[1:]]  # 0698765432, and +33 698765432's national part
    for street in (FAMILY["address"], PARENT["address"]):
        values.append(street.split(" ", 1)[1])  # without the number
    words = {"Vandermolen", "Oxenford", "Ysoline", "Quirin", "Quetzals", "Ombellifères"}
    return [*values, *words]


class Browser:
    """A browser on the production server: cookies kept, redirects not followed, every POST
    with the token of the page it comes from."""

    def __init__(self, server) -> None:
        self.server = server
        self.opener = urllib.request.build_opener(
            NoRedirect,
            urllib.request.HTTPSHandler(context=server.ssl_context()),
            urllib.request.HTTPCookieProcessor(),
        )

    def open(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        body = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        # S310: the address is our own server's https one.
        request = urllib.request.Request(self.server.url(path), data=body, method=method)  # noqa: S310
        request.add_header("Sec-Fetch-Site", "same-origin")
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def get(self, path: str) -> str:
        status, body, _ = self.open("GET", path)
        assert status == 200, (path, status)
        return body

    def post(self, page: str, path: str, data: dict) -> tuple[int, dict]:
        html = self.get(page)
        token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', html).group(1)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', html)
        fields = {"csrf_token": token, **({"version": version.group(1)} if version else {})}
        status, _, headers = self.open("POST", path, {**fields, **data})
        return status, headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_production_run_logs_no_name_phone_street_or_text_it_was_sent(
    make_app, database_url, tmp_path
):
    app = make_app()
    make_user(app, "coord@testville.example")
    sink = SmtpSink()
    sink.start()
    overrides = {"FLASK_INTAKE_NOTIFY": "coordination@testville.example"}
    try:
        with production_server(database_url, tmp_path, overrides) as server:
            browser = Browser(server)
            sent = orientation(**FAMILY, **REFERRER)
            assert browser.post("/orientation", "/orientation", sent)[0] == 303
            assert browser.post("/demande", "/demande", parent_form(**PARENT))[0] == 303
            status, _ = browser.post(
                "/connexion",
                "/connexion",
                {"email": "coord@testville.example", "password": PASSWORD},
            )
            assert status == 303
            queue = browser.get("/triage/?q=Vandermolen")
            reference = re.search(r"PRE-\d{4}-\d{5}", queue).group(0)
            detail = f"/triage/{reference}"
            changes = [
                ("status", {"status": "in_review", "comment": STAFF_TEXT["status comment"]}),
                ("notes", {"text": STAFF_TEXT["note"]}),
                (
                    "agreement",
                    {
                        "guardian_name": STAFF_TEXT["agreement"],
                        "given_on": "2026-12-01",
                        "method": "in_person",
                        "comment": STAFF_TEXT["agreement comment"],
                    },
                ),
            ]
            for action, data in changes:
                assert browser.post(detail, f"{detail}/{action}", data)[0] == 303, action
            assert reference in browser.get("/triage/export.csv?q=Vandermolen")
            assert browser.post("/triage/", "/deconnexion", {})[0] == 303
            server_log = server.log()
            environment = production_environment(
                database_url, server.base_url, {**overrides, "FLASK_MAIL_PORT": str(sink.port)}
            )
        # The worker, as production runs it, delivers what the run queued.
        worker = flask_cli("outbox", "send", env=environment)
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))
    assert worker.returncode == 0 and worker.stdout.startswith("sent 5,"), worker
    log = server_log + worker.stderr
    # The log says what happened, by reference and id…
    for event in ("referral stored reference=PRE-", "login user_id=", "status changed", "export"):
        assert event in log, (event, log)
    # …and nothing of what people typed.
    for value in seeded_values():
        assert value not in log, (value, log)
