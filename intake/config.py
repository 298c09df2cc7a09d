"""Configuration: defaults, then `instance/config.py`, then `FLASK_*` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused in production below

START_REFUSED = (
    "FLASK_SECRET_KEY is not set: refusing to start in production with the development key. "
    "Generate one and export it, for example:\n"
    "  export FLASK_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\"\n"
    "(or set SECRET_KEY in instance/config.py: on a developer's machine, `make run` writes one)."
)

# Where links point when INTAKE_BASE_URL is not given: `make run`'s development server.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"

BASE_URL_MISSING = (
    "FLASK_INTAKE_BASE_URL is not set: the links this command writes (e-mails, reset links) "
    f"would point at {DEVELOPMENT_BASE_URL}, a development server nobody else can open. "
    "Set it to the site's public address in this command's environment, as in the web "
    "server's (export FLASK_INTAKE_BASE_URL=https://pre.example.fr): cron and a new shell do "
    "not inherit a service's environment. On a developer's machine, INTAKE_BASE_URL in "
    "instance/config.py will do."
)


# Where `territory build` (intake/opendata/build.py) downloads the official files, unless
# FLASK_INTAKE_OPENDATA_*_URL say otherwise. The Base Adresse Nationale's file of a département:
BAN_URL = "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-{departement}.csv.gz"
# The ANCT's "Quartiers prioritaires de la politique de la ville (QPV)" on data.gouv.fr: the
# stable address of its GeoJSON resource (WGS84), QPV 2024, codes in `code_qp`.
QPV_URL = "https://www.data.gouv.fr/fr/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"
# The school directory's export, filtered on one commune, `;`-separated with its field names.
SCHOOLS_URL = (
    "https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/fr-en-annuaire-education"
    "/exports/csv?where=code_commune%3D%22{insee}%22&delimiter=%3B"
)

# A Redis that takes connections but never answers would otherwise hold limited requests for
# redis-py's default timeouts (5 s a try in redis-py 8, none in older ones) before the fallback.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


class ConfigurationError(SystemExit):
    """The app cannot start safely with this configuration: exit with the message alone."""


def defaults(app: Flask) -> dict:
    """Return the default settings, some of which depend on the instance folder."""
    instance = Path(app.instance_path)
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'intake.sqlite3'}",
        # hide_parameters: a database error's message must not carry what a family typed
        # into the logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": "pre-ne-pas-repondre@localhost",
        # Flask-Mail would follow FLASK_DEBUG and print the raw SMTP exchange, bodies included.
        "MAIL_DEBUG": False,
        "INTAKE_TERRITORY": str(instance / "territory.sample.toml"),
        "INTAKE_NOTIFY": "",
        # Where `territory build` keeps what it downloaded, to ask next time for a newer file only.
        "INTAKE_OPENDATA_CACHE": str(instance / "opendata"),
        "INTAKE_OPENDATA_BAN_URL": BAN_URL,
        "INTAKE_OPENDATA_QPV_URL": QPV_URL,
        "INTAKE_OPENDATA_SCHOOLS_URL": SCHOOLS_URL,
        # A download's socket timeout (s), its tries, and the first wait between them (s),
        # doubled at each retry.
        "INTAKE_OPENDATA_TIMEOUT": 30,
        "INTAKE_OPENDATA_ATTEMPTS": 4,
        "INTAKE_OPENDATA_BACKOFF": 2,
        "INTAKE_PAGE_SIZE": 25,
        # How many reverse proxies stand before the app: their X-Forwarded-For/-Proto are
        # trusted so throttling sees the visitor's address, not the proxy's.
        "INTAKE_TRUSTED_PROXIES": 0,
        # Delivery retries: the n-th failure waits BASE * 2**(n-1) seconds, at most MAX.
        "INTAKE_OUTBOX_RETRY_BASE": 60,
        "INTAKE_OUTBOX_RETRY_MAX": 6 * 3600,
        "INTAKE_OUTBOX_POLL_SECONDS": 5,
        # After this many temporary failures a message stops and is shown to the coordination.
        "INTAKE_OUTBOX_MAX_ATTEMPTS": 10,
        # How long a worker holds the messages it claimed before another may take them: a
        # worker killed mid-batch leaves them due again once it has passed. Far longer than
        # a batch takes, so a live worker's messages are never sent twice.
        "INTAKE_OUTBOX_LEASE": 300,
        # Flask-Mail sets no socket timeout: a silent server would hang the worker.
        "INTAKE_SMTP_TIMEOUT": 30,
        # Werkzeug's hashing method; the tests lower its cost, production keeps scrypt.
        "INTAKE_PASSWORD_METHOD": "scrypt",
        "INTAKE_LOGIN_LIMIT": "5 per minute;30 per hour",
        # Generous: a whole school may post from one address, and resizing the form posts too.
        "INTAKE_FORM_LIMIT": "60 per hour",
        # Logged to stderr, one line per event: INFO shows logins, changes and deliveries.
        "INTAKE_LOG_LEVEL": "INFO",
        # How long the read log (who displayed or exported which referral) is kept: the CNIL
        # recommends six months to a year for access traces; `retention purge` deletes older.
        "INTAKE_READ_LOG_MONTHS": 12,
        "BABEL_DEFAULT_LOCALE": "fr",
        # The catalogues' .po files are committed here, their compiled .mo made at install
        # (`make`'s catalogue target, or the tests' session start): never committed.
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(app.root_path) / "translations"),
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        # memory:// counts per process: with several gunicorn workers, give them one Redis
        # (FLASK_RATELIMIT_STORAGE_URI=redis://…) or each lets the whole limit through.
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # If that Redis stops answering, each worker counts in its own memory until it answers
        # again, rather than every limited page answering 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A staff session ends after 8 idle hours (the cookie is renewed on each request).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,  # a parent may take a while to write the situation
        # Flask-WTF's HTTPS check demands a Referer naming this site, which every page's
        # `Referrer-Policy: no-referrer` (and privacy tools, some school proxies) withholds:
        # every staff POST would fail. The token is still checked on every POST, and
        # `refuse_cross_site_requests` (intake/__init__.py) replaces the Referer check.
        "WTF_CSRF_SSL_STRICT": False,
        "MAX_CONTENT_LENGTH": 256 * 1024,
    }


def load_config(app: Flask, test_config: dict | None = None) -> None:
    """Fill `app.config` in the contract's order and check it is safe to run."""
    app.config.from_mapping(defaults(app))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    # Left out of the defaults to know whether it was given: a production command that
    # writes links says so (`base_url_warning`) rather than silently mail people a link to
    # 127.0.0.1, as a digest run from cron without the service's environment once did.
    app.config["INTAKE_BASE_URL_GIVEN"] = "INTAKE_BASE_URL" in app.config
    app.config.setdefault("INTAKE_BASE_URL", DEVELOPMENT_BASE_URL)
    check_base_url(app.config["INTAKE_BASE_URL"])
    months = app.config["INTAKE_READ_LOG_MONTHS"]
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ConfigurationError(
            f"FLASK_INTAKE_READ_LOG_MONTHS must be a whole number of months, 1 or more: {months!r}"
        )
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("redis"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_TIMEOUTS))
    production = not app.debug and not app.testing
    if production and app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise ConfigurationError(START_REFUSED)
    # Browsers drop Secure cookies over plain http, so only production insists on them.
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["INTAKE_PRODUCTION"] = production


def check_base_url(value: Any) -> None:
    """Refuse an INTAKE_BASE_URL that cannot start a link: it must be an absolute http(s)
    address, without query or fragment (paths are appended to it)."""
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # an unclosed IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            "FLASK_INTAKE_BASE_URL must be the site's address, such as https://pre.example.fr "
            f"or https://example.fr/pre: {value!r}"
        )


def base_url_warning(config: Mapping[str, Any]) -> str | None:
    """What a production command that writes links says when it would write them on the
    development default (see BASE_URL_MISSING); None in development and tests, or when set.

    A warning, not a refusal: the contract makes that address the default, and a worker that
    refused to start would leave every e-mail undelivered, which is worse than a wrong link."""
    if config.get("INTAKE_PRODUCTION") and not config.get("INTAKE_BASE_URL_GIVEN"):
        return f"Warning: {BASE_URL_MISSING}"
    return None
