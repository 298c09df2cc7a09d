"""The PRE referral intake service: `create_app()` builds the Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, abort, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from .forms import Request
from .territory import TerritoryError, load_territory

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


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, territory, extensions, blueprints, commands."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = Request
    load_config(app, test_config)
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
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"

    from . import models

    @login_manager.user_loader
    def load_user(user_id: str) -> models.User | None:
        if not user_id.isdigit():
            return None
        return db.session.get(models.User, int(user_id))


def register_blueprints(app: Flask) -> None:
    """Mount the public, staff and auth blueprints."""
    from .auth.views import bp as auth_bp
    from .public.views import bp as public_bp
    from .triage.views import bp as triage_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(triage_bp, url_prefix="/triage")


def register_commands(app: Flask) -> None:
    """Add the `users`, `outbox` and `retention` command groups to `flask`."""
    from .auth.commands import users_cli
    from .notifications.commands import outbox_cli
    from .triage.commands import retention_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)


def register_error_pages(app: Flask) -> None:
    """Answer HTTP errors with a page in French rather than Werkzeug's English one."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {
            400: gettext("Requête incorrecte"),
            403: gettext("Accès refusé"),
            404: gettext("Page introuvable"),
            405: gettext("Méthode non autorisée"),
            413: gettext("Envoi trop volumineux"),
            429: gettext("Trop de tentatives"),
        }
        title = titles.get(error.code or 500, gettext("Erreur"))
        return render_template("errors/error.html", title=title, error=error), error.code

    @app.errorhandler(500)
    def server_error(error):  # the details go to the log, never to the visitor
        logging.getLogger(__name__).error("internal error", exc_info=error)
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


def register_security_headers(app: Flask) -> None:
    """Send a strict CSP and the usual hardening headers with every response."""

    app.before_request(refuse_nul_characters)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # The status link carries a token in its path: never leak it to another site.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static":
            # Children's files must not linger in browser or proxy caches.
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["INTAKE_PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_template_helpers(app: Flask) -> None:
    """Expose the territory and display helpers to every template."""
    from . import vocabulary

    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject_territory():
        return {"territory": app.extensions["territory"], "vocab": vocabulary}
