"""Configuration: the contract's variables, production safety, territory checked at start-up."""

from __future__ import annotations

import pytest

from intake import create_app
from intake.config import ConfigurationError
from tests.support.app import BASE_CONFIG, TERRITORY


def test_production_refuses_the_development_key(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_INTAKE_TERRITORY", str(TERRITORY))
    with pytest.raises(ConfigurationError, match="FLASK_SECRET_KEY") as caught:
        create_app()
    assert "secrets.token_hex" in str(caught.value)


def test_production_starts_with_a_key_and_secures_cookies(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("FLASK_INTAKE_TERRITORY", str(TERRITORY))
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/confidentialite")
    assert "Strict-Transport-Security" in response.headers


def test_debug_accepts_the_development_key(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("FLASK_INTAKE_TERRITORY", str(TERRITORY))
    app = create_app()
    assert app.debug
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_environment_variables_are_read_with_the_flask_prefix(monkeypatch):
    monkeypatch.setenv("FLASK_INTAKE_NOTIFY", "a@x.example,b@x.example")
    monkeypatch.setenv("FLASK_INTAKE_BASE_URL", "https://pre.lillers.example")
    monkeypatch.setenv("FLASK_MAIL_PORT", "2525")
    app = create_app({"TESTING": True, "INTAKE_TERRITORY": str(TERRITORY)})
    assert app.config["INTAKE_NOTIFY"] == "a@x.example,b@x.example"
    assert app.config["INTAKE_BASE_URL"] == "https://pre.lillers.example"
    assert app.config["MAIL_PORT"] == 2525


def test_instance_config_is_read_under_the_environment(monkeypatch, tmp_path):
    from flask import Flask

    from intake.config import load_config

    (tmp_path / "config.py").write_text(
        'INTAKE_BASE_URL = "https://from-file.example"\nMAIL_PORT = 26\n'
    )
    monkeypatch.setenv("FLASK_MAIL_PORT", "2626")
    app = Flask("probe", instance_path=str(tmp_path), instance_relative_config=True)
    load_config(app, {"TESTING": True})
    assert app.config["INTAKE_BASE_URL"] == "https://from-file.example"
    assert app.config["MAIL_PORT"] == 2626  # the environment wins over the file


def test_default_territory_is_the_shipped_sample(monkeypatch):
    monkeypatch.delenv("FLASK_INTAKE_TERRITORY", raising=False)
    app = create_app({"TESTING": True})
    territory = app.extensions["territory"]
    assert territory.programme.organisation.startswith("CCAS de Lillers")
    assert [q.code for q in territory.qpvs] == ["QN06255M"]
    assert (territory.communes[0].postcodes, territory.communes[0].insee) == (("62190",), "62516")


def test_a_bad_territory_file_stops_the_app_naming_file_and_problem(tmp_path):
    bad = tmp_path / "territory.toml"
    bad.write_text(
        TERRITORY.read_text().replace('rule = "qpv_or_priority_school"', 'rule = "anything"')
    )
    with pytest.raises(SystemExit) as caught:
        create_app({**BASE_CONFIG, "INTAKE_TERRITORY": str(bad)})
    message = str(caught.value)
    assert str(bad) in message and "anything" in message


def test_a_missing_territory_file_stops_the_app(tmp_path):
    with pytest.raises(SystemExit, match="nowhere.toml"):
        create_app({**BASE_CONFIG, "INTAKE_TERRITORY": str(tmp_path / "nowhere.toml")})


def test_trusted_proxy_gives_the_visitors_address_to_throttling(make_app):
    app = make_app(
        INTAKE_TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, INTAKE_FORM_LIMIT="1 per minute"
    )
    client = app.test_client()
    first = {"X-Forwarded-For": "203.0.113.1"}
    assert client.post("/demande", data={}, headers=first).status_code == 200
    assert client.post("/demande", data={}, headers=first).status_code == 429
    # Another visitor behind the same proxy is counted on their own.
    assert (
        client.post("/demande", data={}, headers={"X-Forwarded-For": "203.0.113.2"}).status_code
        == 200
    )
