"""Logs that show up: INFO in production, one line per event, nothing personal, one 500 line."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from sqlalchemy.exc import IntegrityError

from intake import create_app
from intake.config import ConfigurationError
from intake.extensions import db
from intake.logs import OneLineFormatter
from intake.models import User
from tests.support.app import BASE_CONFIG, PASSWORD, TERRITORY, run_script
from tests.support.builders import orientation

# Runs in a child process: the app exactly as `wsgi.py` builds it from the environment, with
# no TESTING and no DEBUG, so the log configuration is production's.
PRODUCTION_SCRIPT = f"""
import re
from wsgi import app
from intake.extensions import db
from tests.support.builders import make_user, orientation, post_referral

make_user(app, "coord@testville.example")
client = app.test_client()
base = "https://pre.testville.example"
post_referral(client, base + "/orientation", orientation())
response = client.post(
    base + "/connexion", data={{"email": "coord@testville.example", "password": {PASSWORD!r}}}
)
assert response.status_code == 303, response.status_code
with app.app_context():
    from intake.models import Referral
    reference, version = db.session.execute(db.select(Referral.reference, Referral.version)).one()
response = client.post(
    base + f"/triage/{{reference}}/status",
    data={{"status": "in_review", "comment": "appel", "version": version}},
)
assert response.status_code == 303, response.status_code
# Read to the end, as a server does: the export is streamed and logs once it is sent.
exported = client.get(base + "/triage/export.csv?q=Martin")
assert exported.status_code == 200 and exported.get_data()
assert client.post(base + "/deconnexion").status_code == 303
"""


def run_production(database_url: str, **env: str) -> subprocess.CompletedProcess:
    return run_script(
        PRODUCTION_SCRIPT,
        FLASK_SECRET_KEY="a-production-secret",
        FLASK_INTAKE_TERRITORY=str(TERRITORY),
        FLASK_SQLALCHEMY_DATABASE_URI=database_url,
        # The test client cannot read the token from a page in this script as simply as a
        # browser; CSRF over HTTPS is tested end to end elsewhere.
        FLASK_WTF_CSRF_ENABLED="false",
        FLASK_MAIL_PORT="9",
        FLASK_INTAKE_PASSWORD_METHOD="pbkdf2:sha256:1000",
        **env,
    )


def test_production_logs_every_event_on_one_line_without_personal_data(database_url):
    result = run_production(database_url)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for event in (
        "INFO intake: referral stored reference=PRE-",
        "INFO intake: login user_id=1",
        "INFO intake: status changed reference=PRE-",
        "INFO intake: export user_id=1 status=- eligibility=- agreement=- source=- school=-"
        " urgent=- assigned=- duplicate=- search=yes rows=",
        "INFO intake: logout user_id=1",
    ):
        assert sum(event in line for line in lines) == 1, (event, result.stderr)
    values = orientation()
    for personal in (
        "coord@testville.example",
        "Martin",
        values["guardian_name"],
        values["address"],
        values["referrer_email"],
        "appel",
    ):
        assert personal not in result.stderr


def test_the_log_level_comes_from_the_environment(database_url):
    result = run_production(database_url, FLASK_INTAKE_LOG_LEVEL="WARNING")
    assert result.returncode == 0, result.stderr
    assert " INFO " not in result.stderr


def test_an_unknown_log_level_stops_the_app_with_its_name(monkeypatch):
    with pytest.raises(ConfigurationError, match="INTAKE_LOG_LEVEL"):
        create_app({**BASE_CONFIG, "INTAKE_LOG_LEVEL": "CHATTY"})


def test_a_traceback_is_folded_onto_one_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "intake", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    line = OneLineFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line
    assert line.startswith("ERROR failed here | Traceback") and "RuntimeError: boom" in line


def test_a_500_after_a_failed_flush_rolls_back_and_logs_once(make_app, users, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        db.session.add(User(email=users["coordinator"], password_hash="x"))
        db.session.flush()  # a duplicate e-mail: IntegrityError, the session needs a rollback

    client = app.test_client()
    client.post("/connexion", data={"email": users["coordinator"], "password": PASSWORD})
    with caplog.at_level(logging.INFO, logger="intake"):
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage() == "internal error on GET boom"
    assert errors[0].exc_info[0] is IntegrityError
    # The page could still tell who was logged in: the session works again.
    assert client.get("/triage/").status_code == 200


MIGRATE_THEN_LOG = """
from flask_migrate import upgrade
from wsgi import app

with app.app_context():
    upgrade()  # alembic's logging configuration, applied inside this process
    app.logger.info("probe after migrations")
"""


def test_migrations_in_the_same_process_do_not_make_the_log_double(tmp_path):
    # Tests and benchmarks migrate in-process; a handler alembic.ini put on the root logger
    # printed every line of the app's logger a second time.
    result = run_script(
        MIGRATE_THEN_LOG,
        FLASK_DEBUG="1",
        FLASK_INTAKE_TERRITORY=str(TERRITORY),
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("probe after migrations") == 1, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr  # alembic still says what it does


def test_the_development_server_logs_no_query_string(app, caplog):
    """`flask run` logs each request line: the query string, where `?adresse=` and `?q=` carry
    an address or a name, is dropped; the path and the status stay."""
    from werkzeug._internal import _log

    request = "GET /triage/territoire?adresse=12+rue+Neuve%2C+62190 HTTP/1.1"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _log("info", '127.0.0.1 - - [06/Dec/2026 22:40:00] "%s" %s %s', request, "200", "-")
        _log("info", "GET /triage/?q=Martin HTTP/1.1 200")
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert lines == [
        '127.0.0.1 - - [06/Dec/2026 22:40:00] "GET /triage/territoire?… HTTP/1.1" 200 -',
        "GET /triage/?… HTTP/1.1 200",
    ]
