"""Log in and out of the staff pages."""

from __future__ import annotations

import unicodedata

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from intake.auth.forms import LoginForm, NewPasswordForm
from intake.auth.operations import authenticate, set_new_password, user_for_reset
from intake.errors import error_page
from intake.extensions import db, limiter
from intake.throttling import retry_delay

bp = Blueprint("auth", __name__)

# Longer than any link of ours; a Location header that long may be refused by a proxy.
NEXT_MAX = 2000


def is_local_path(target: str) -> bool:
    r"""Whether `target` is a path on this site that is safe to put in a Location header.

    One leading slash, not two (`//evil.example` is another site), no backslash (browsers
    read `/\evil.example` as `//evil.example`), and no whitespace or control character:
    browsers drop tabs and newlines from URLs (`/\t/evil.example` becomes
    `//evil.example`), and a CR or LF cannot go in a header at all.
    """
    return (
        len(target) <= NEXT_MAX
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(char.isspace() or unicodedata.category(char)[0] == "C" for char in target)
    )


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else the queue (no open redirect)."""
    if target and is_local_path(target):
        return target
    return url_for("triage.queue")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INTAKE_LOGIN_LIMIT"], methods=["POST"])
def login():
    """Show the login form; on success go to `next` if it stays on this site."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
            login_user(user)
            current_app.logger.info("login user_id=%s", user.id)
            return redirect(safe_next(request.args.get("next")), 303)
        current_app.logger.info("failed login")
        form.password.errors.append(_("Adresse e-mail ou mot de passe incorrect."))
    return render_template("auth/login.html", form=form)


@bp.route("/connexion/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INTAKE_LOGIN_LIMIT"], methods=["POST"])
def reset_password(token: str):
    """Choose a new password through a link from `flask users reset-link`: signed, valid
    one day and once (the new password voids it), for an active account only."""
    user = user_for_reset(token)
    if user is None:
        abort(404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_new_password(user, form.password.data)
        db.session.commit()
        current_app.logger.info("password reset user_id=%s", user.id)
        logout_user()
        flash(_("Votre mot de passe est enregistré. Connectez-vous avec lui."), "success")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/new_password.html", form=form, email=user.email), (
        422 if form.errors else 200
    )


@bp.errorhandler(TooManyRequests)
def throttled(error: TooManyRequests):
    """Too many attempts (INTAKE_LOGIN_LIMIT): the login form again with the e-mail typed,
    never the password, and when to retry."""
    if request.endpoint != "auth.login":
        return error_page(error)
    return render_template("auth/login.html", form=LoginForm(), retry_delay=retry_delay()), 429


@bp.post("/deconnexion")
def logout():
    """End the session (POST only, so a link on another site cannot log anyone out).

    The account's session token changes too, so a copy of the cookie taken earlier (another
    browser, a shared computer, a stolen cookie) is refused from now on.
    """
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
        current_app.logger.info("logout user_id=%s", current_user.id)
    logout_user()
    flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("auth.login"), 303)
