"""`make`'s instance/config.py: a random key and the development database, written once; the
app starts in production with it, and still refuses to without it."""

from __future__ import annotations

import os
import re
import stat

import pytest
from flask import Config

from intake import INSTANCE_PATH_VARIABLE, create_app
from intake.config import START_REFUSED, ConfigurationError, base_url_warning
from intake.dev.instance_config import main, write_instance_config
from tests.support.app import TERRITORY


def settings(folder) -> Config:
    """The settings of `folder`/config.py, read as the app reads them."""
    config = Config(str(folder))
    config.from_pyfile("config.py")
    return config


def test_it_writes_a_random_key_and_the_database_for_its_owner_only(tmp_path):
    folder = tmp_path / "instance"  # made if missing
    path = write_instance_config(folder)
    assert path == folder / "config.py"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = settings(folder)
    assert re.fullmatch(r"[0-9a-f]{64}", written["SECRET_KEY"])
    assert written["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'intake.sqlite3'}"
    # Links point at `make run`'s server: without it, `outbox send` or `users reset-link`
    # would refuse to run outside debug mode.
    assert written["INTAKE_BASE_URL"] == "http://127.0.0.1:5000"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# This machine's development settings: written once by `make`")
    assert "it sets FLASK_SECRET_KEY" in text
    # Another machine, another key.
    write_instance_config(tmp_path / "other")
    assert settings(tmp_path / "other")["SECRET_KEY"] != written["SECRET_KEY"]


def test_a_second_run_leaves_the_file_byte_for_byte(tmp_path, monkeypatch, capsys):
    # Without an argument it writes the app's instance folder, as `make` runs it.
    monkeypatch.setenv(INSTANCE_PATH_VARIABLE, str(tmp_path))
    assert main([]) == 0
    path = tmp_path / "config.py"
    assert capsys.readouterr().out == (
        f"Wrote {path}: this machine's secret key and development database.\n"
    )
    path.write_text(path.read_text() + 'MAIL_SERVER = "smtp.example.org"\n')  # the developer's
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    assert main([]) == 0
    assert capsys.readouterr().out == ""
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)


def test_production_starts_with_it_and_refuses_without_it(tmp_path, monkeypatch):
    for name in [name for name in os.environ if name.startswith("FLASK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FLASK_INTAKE_TERRITORY", str(TERRITORY))
    folder = tmp_path / "written"
    write_instance_config(folder)
    app = create_app(instance_path=folder)
    assert app.config["INTAKE_PRODUCTION"] and not app.debug
    assert app.config["SECRET_KEY"] == settings(folder)["SECRET_KEY"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'intake.sqlite3'}"
    # Commands that write links run without a warning, on make run's address.
    assert base_url_warning(app.config) is None

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigurationError) as refused:
        create_app(instance_path=empty)
    assert str(refused.value) == START_REFUSED


def test_the_environment_still_wins_over_it(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_SECRET_KEY", "the-production-key")
    monkeypatch.setenv("FLASK_INTAKE_TERRITORY", str(TERRITORY))
    write_instance_config(tmp_path)
    assert create_app(instance_path=tmp_path).config["SECRET_KEY"] == "the-production-key"
