"""The staff account's own page: how it hears of new referrals ("Mes alertes").

Its own blueprint under /triage/, so viewers reach it too: it concerns only themselves.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField
from wtforms.validators import AnyOf, DataRequired

from intake.auth.operations import set_alerts
from intake.extensions import db
from intake.forms import BaseForm
from intake.forms.fields import options
from intake.rules.decisions import ALERTS

bp = Blueprint("account", __name__)


class AlertsForm(BaseForm):
    """How the logged-in account hears of new referrals."""

    alerts = RadioField(
        _l("Être prévenu·e des nouvelles orientations"),
        choices=options(ALERTS.items()),
        # Checked by AnyOf, whose message is ours: WTForms' own would be in English.
        validate_choice=False,
        validators=[
            DataRequired(_l("Choisissez comment être prévenu·e.")),
            AnyOf(list(ALERTS), message=_l("Choisissez une des propositions.")),
        ],
    )


@bp.before_request
@login_required
def require_login() -> None:
    """Anonymous visitors go to /connexion, as everywhere under /triage/."""


@bp.route("/compte", methods=["GET", "POST"])
def alerts():
    """Each staff account, viewers too, chooses how it hears of new referrals."""
    if request.method == "POST":
        # Read as sent: an empty POST is refused rather than keeping the old choice silently.
        form = AlertsForm()
    else:
        form = AlertsForm(data={"alerts": current_user.alerts})
    if form.validate_on_submit():
        set_alerts(current_user, form.alerts.data)
        db.session.commit()
        flash(gettext("Vos alertes sont enregistrées."), "success")
        return redirect(url_for("account.alerts"), 303)
    code = 422 if form.errors else 200
    return render_template("triage/account.html", form=form), code
