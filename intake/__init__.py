"""The PRE referral intake service: `create_app()` builds the Flask application."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from flask import Flask, abort, current_app, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import translation
from intake.config import ConfigurationError, load_config
from intake.errors import error_page
from intake.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from intake.forms import AsciiMap, Request
from intake.logs import configure_logging
from intake.rules.search import not_search_index
from intake.territory.reader import TerritoryError, load_territory

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class IntakeFlask(Flask):
    """Flask, with a request that refuses unreadable form bodies and `<int:…>` addresses in
    ASCII digits only (see `intake.forms`), and logging an unhandled error once, by endpoint
    rather than by path (a status link's path is a secret, a search may hold a name)."""

    request_class = Request
    url_map_class = AsciiMap

    def log_exception(self, exc_info) -> None:
        self.logger.error(
            "internal error on %s %s", request.method, request.endpoint, exc_info=exc_info
        )


# Names another instance folder than Flask's `instance/` beside the package: the tests point
# it at an empty folder of their own, so that a developer's instance/config.py (which `make`
# writes, with a key and a database) changes nothing they build or start.
INSTANCE_PATH_VARIABLE = "INTAKE_INSTANCE_PATH"


def instance_folder(path: str | os.PathLike | None = None) -> str:
    """The folder the app reads `config.py` from (and keeps its default database and
    territory in): `path`, else $INTAKE_INSTANCE_PATH, else Flask's `instance/` beside the
    package."""
    chosen = path or os.environ.get(INSTANCE_PATH_VARIABLE)
    if chosen:
        return os.path.abspath(chosen)
    return Flask(__name__).instance_path


def create_app(
    test_config: dict | None = None, instance_path: str | os.PathLike | None = None
) -> Flask:
    """Build the application: configuration, territory, extensions, blueprints, commands.

    `instance_path` is the instance folder (see `instance_folder`)."""
    app = IntakeFlask(
        __name__,
        instance_path=instance_folder(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    try:
        configure_logging(app)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    if proxies := int(app.config["INTAKE_TRUSTED_PROXIES"]):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    os.makedirs(app.instance_path, exist_ok=True)
    register_territory(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_error_pages(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


def register_territory(app: Flask) -> None:
    """Load the territory file once; a bad file stops the app with the file and the problem."""
    path = app.config["INTAKE_TERRITORY"]
    try:
        app.extensions["territory"] = load_territory(path)
    except TerritoryError as error:
        raise SystemExit(f"Territory file rejected: {error}") from None


def register_extensions(app: Flask) -> None:
    """Bind the extension objects of `extensions.py` to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), include_object=not_search_index)
    mail.init_app(app)
    csrf.init_app(app)
    translation.init_locale(app, babel)
    translation.init_code()
    translation.init_templates(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"

    from intake import models, notifications

    notifications.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str) -> models.User | None:
        # "<id>:<token>": a cookie made before a logout, a new password or a deactivation
        # carries an old token and opens nothing.
        user_id, _, token = session_id.partition(":")
        if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19 and token):
            return None
        user = db.session.get(models.User, int(user_id))
        if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
            return None
        return user


def register_blueprints(app: Flask) -> None:
    """Mount the public, staff and auth blueprints."""
    from intake.auth.views import bp as auth_bp
    from intake.public.views import bp as public_bp
    from intake.triage.account import bp as account_bp
    from intake.triage.blueprint import bp as triage_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    # Imported for their routes, which they add to the triage blueprint before it is registered
    # (in any order: no two modules' rules share an address, so none can shadow another). A
    # child's page and its parcours (intake.parcours.views) add theirs to it too, and so do a
    # family's data on request (intake.rgpd.views), the statistics page (intake.statistics.views)
    # and the ANCT workbook (anct_views).
    from intake.parcours import views as parcours_views  # noqa: F401
    from intake.rgpd import views as rgpd_views  # noqa: F401
    from intake.statistics import anct_views  # noqa: F401
    from intake.statistics import views as statistics_views  # noqa: F401
    from intake.triage import (  # noqa: F401
        correction_views,
        detail_views,
        duplicate_views,
        queue_views,
        territory_views,
    )

    app.register_blueprint(triage_bp, url_prefix="/triage")
    app.register_blueprint(account_bp, url_prefix="/triage")
    # Registered after the triage blueprint: /triage/reunions/… must be found before
    # /triage/<reference> would take "reunions" for a reference.
    from intake.meetings.fiche_views import bp as fiche_bp
    from intake.meetings.views import bp as meetings_bp

    app.register_blueprint(meetings_bp, url_prefix="/triage/reunions")
    app.register_blueprint(fiche_bp, url_prefix="/triage")


def register_commands(app: Flask) -> None:
    """Add the `users`, `outbox`, `retention`, `audit`, `territory`, `stats` and `dev` command
    groups to `flask`."""
    from intake.auth.commands import users_cli
    from intake.dev.commands import dev_cli
    from intake.notifications.commands import outbox_cli
    from intake.opendata.commands import territory_cli
    from intake.statistics.commands import stats_cli
    from intake.triage.commands import audit_cli, retention_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(territory_cli)
    app.cli.add_command(dev_cli)
    app.cli.add_command(stats_cli)


def register_error_pages(app: Flask) -> None:
    """Answer HTTP errors with a page in French rather than Werkzeug's English one."""

    app.register_error_handler(HTTPException, error_page)

    @app.errorhandler(500)
    def server_error(error):
        # Flask has logged the error already (IntakeFlask.log_exception); the visitor gets no
        # details. Roll back first: after a failed flush the session refuses every query,
        # and this very page needs one to know who is logged in.
        db.session.rollback()
        return render_template(
            "errors/error.html", title=gettext("Erreur interne"), error=None
        ), 500


def refuse_nul_characters() -> None:
    """Answer 400 to a NUL character anywhere in the request: nobody types one, and
    PostgreSQL refuses them in text, which would otherwise surface as a 500."""
    fields = [*request.args.lists(), *request.form.lists()]
    texts = [request.path, *(key for key, _ in fields), *(v for _, vs in fields for v in vs)]
    if any("\x00" in text for text in texts):
        abort(400)


# What a browser says in `Sec-Fetch-Site` when the page that sent the request belongs to
# another origin: a subdomain (same-site) is no more trusted than another site.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def is_cross_site(sec_fetch_site: str | None, origin: str | None, own_origin: str) -> bool:
    """Whether a request's `Sec-Fetch-Site` or `Origin` header says another site sent it.

    Browsers send `Sec-Fetch-Site` whatever the referrer policy. Under this site's
    `Referrer-Policy: no-referrer` they send `Origin: null` with a form, so `null` proves
    nothing either way; a real origin must be this site's own `scheme://host[:port]`.
    Without either header (old browsers, scripts) the request is not judged here: the
    CSRF token still has to be right.
    """
    if sec_fetch_site and sec_fetch_site.strip().lower() in FOREIGN_FETCH_SITES:
        return True
    if not origin or origin.strip() == "null":
        return False
    return origin.strip().lower() != own_origin.lower()


def refuse_cross_site_requests() -> None:
    """Answer 400 to a state-changing request that another site's page sent.

    This replaces Flask-WTF's HTTPS Referer check (WTF_CSRF_SSL_STRICT, off): the site
    keeps `Referrer-Policy: no-referrer`, so its own forms arrive without a Referer.
    """
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return
    # After ProxyFix, so behind a TLS proxy the scheme is the visitor's https.
    own_origin = f"{request.scheme}://{request.host}"
    if is_cross_site(
        request.headers.get("Sec-Fetch-Site"), request.headers.get("Origin"), own_origin
    ):
        # The endpoint only: the path of some pages carries a token or a reference.
        current_app.logger.info("cross-site request refused endpoint=%s", request.endpoint)
        abort(400)


def register_security_headers(app: Flask) -> None:
    """Send a strict CSP and the usual hardening headers with every response."""

    app.before_request(refuse_nul_characters)
    app.before_request(refuse_cross_site_requests)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # The status link carries a token in its path. `same-origin` would still send it as
        # the Referer of the page's own stylesheet, into the web server's access log; and
        # privacy tools and some school proxies strip Referer anyway. So no Referer at all,
        # and CSRF does without one (WTF_CSRF_SSL_STRICT off, refuse_cross_site_requests).
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static":
            # Children's files must not linger in browser or proxy caches.
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["INTAKE_PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_template_helpers(app: Flask) -> None:
    """Expose the territory and display helpers to every template."""
    from intake.rules import vocabulary
    from intake.rules.text import display_name

    app.jinja_env.add_extension("jinja2.ext.do")
    # Names as typed, shown with a capital on each part ("yanis boukhari" → "Yanis Boukhari").
    app.jinja_env.filters["display_name"] = display_name

    @app.context_processor
    def inject_territory():
        return {"territory": app.extensions["territory"], "vocab": vocabulary}
