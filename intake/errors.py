"""The error page: HTTP errors in French rather than Werkzeug's English."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext
from werkzeug.exceptions import HTTPException


def error_page(error: HTTPException):
    """The French page and status of an HTTP error (blueprints' own handlers fall back to it)."""
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
