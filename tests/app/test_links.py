"""Every link the app writes outside a request starts with INTAKE_BASE_URL: each kind of
e-mail and `users reset-link`. A digest once pointed at http://127.0.0.1:5000, the development
default, because the command ran without the service's environment (cron); in production a
command that writes links now refuses to run on that default."""

from __future__ import annotations

import email
import re
from email import policy
from urllib.parse import urlsplit

import pytest

from intake import create_app
from intake.config import BASE_URL_MISSING, ConfigurationError, base_url_warning
from tests.support.app import BASE_CONFIG, release
from tests.support.builders import make_user
from tests.support.outbox import EVERY_KIND, outbox, queue_every_kind

BASE_URL = "https://pre.example.fr/app"
URL = re.compile(r"https?://[^\s\"'<>]+")


def test_every_link_of_every_kind_of_message_starts_with_the_base_url(app, smtp):
    app.config["INTAKE_BASE_URL"] = BASE_URL
    queue_every_kind(app, backlog=3)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and ", failed 0," in result.output, result.output

    assert {row["kind"] for row in outbox(app)} == EVERY_KIND
    client = app.test_client()
    for envelope in smtp.envelopes:
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        for content in (
            message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content(),
        ):
            urls = URL.findall(content)
            assert urls, message["Subject"]
            for url in urls:
                assert url.startswith(BASE_URL + "/"), (message["Subject"], url)
                # What follows the base is a page of the app (a login first for the staff's).
                path = url.removeprefix(BASE_URL)
                assert client.get(path).status_code in (200, 302), url
            assert "127.0.0.1" not in content and "localhost" not in content
    assert len(smtp.envelopes) == len(outbox(app))


def test_reset_link_is_printed_on_the_base_url(app, users):
    app.config["INTAKE_BASE_URL"] = BASE_URL + "/"  # a trailing slash changes nothing
    result = app.test_cli_runner().invoke(args=["users", "reset-link", users["coordinator"]])
    assert result.exit_code == 0, result.output
    link = result.output.splitlines()[0]
    assert link.startswith(f"{BASE_URL}/connexion/nouveau-mot-de-passe/")
    assert "127.0.0.1" not in result.output and "localhost" not in result.output
    page = app.test_client().get(urlsplit(link).path.removeprefix("/app"))
    assert page.status_code == 200


@pytest.fixture
def production_without_base_url(database_url, monkeypatch):
    """The app as a production command builds it from an environment that lacks
    FLASK_INTAKE_BASE_URL, as cron's or a new shell's does."""
    monkeypatch.delenv("FLASK_INTAKE_BASE_URL", raising=False)
    config = {key: value for key, value in BASE_CONFIG.items() if key != "INTAKE_BASE_URL"}
    app = create_app({**config, "TESTING": False, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["INTAKE_PRODUCTION"]
    yield app
    release(app)


@pytest.mark.parametrize(
    "command",
    [
        ("outbox", "digest"),
        ("outbox", "send"),
        ("users", "reset-link", "daily@testville.example"),
    ],
    ids=" ".join,
)
def test_production_commands_that_write_links_warn_of_the_development_default(
    production_without_base_url, command
):
    """The contract's default stands (a worker that refused to start would deliver nothing),
    but a production command that writes links says in one line that they would point at
    the development server, and how to set the address."""
    app = production_without_base_url
    make_user(app, "daily@testville.example", alerts="daily")
    result = app.test_cli_runner().invoke(args=list(command))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == f"Warning: {BASE_URL_MISSING}"
    assert "cron" in BASE_URL_MISSING and "FLASK_INTAKE_BASE_URL" in BASE_URL_MISSING


def test_the_worker_warns_too_and_a_set_address_silences_the_warning(
    production_without_base_url,
):
    app = production_without_base_url
    assert base_url_warning(app.config) == f"Warning: {BASE_URL_MISSING}"
    given = dict(app.config, INTAKE_BASE_URL_GIVEN=True)
    assert base_url_warning(given) is None


@pytest.mark.parametrize(
    "value",
    ["pre.example.fr", "ftp://pre.example.fr", "https://", "https://pre.example.fr/?x=1", ""],
)
def test_an_address_links_cannot_start_with_stops_the_app(value):
    with pytest.raises(ConfigurationError, match="FLASK_INTAKE_BASE_URL must be"):
        create_app({**BASE_CONFIG, "INTAKE_BASE_URL": value})
