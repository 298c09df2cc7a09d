"""The duplicate warning on a referral's page, and a coordinator's answer to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user

from intake.duplicates.pairs import PairAlreadyDecided, decide_pair, pairs_of
from intake.extensions import db
from intake.i18n import N_
from intake.models import Child, DuplicatePair, PairState, Referral, User
from intake.triage.access import coordinator_required, get_referral
from intake.triage.blueprint import bp
from intake.triage.detail_page import render_detail
from intake.triage.forms import VersionedForm
from intake.triage.operations import check_version


class DuplicateDecisionForm(VersionedForm):
    """ "Même enfant" or "Enfants différents": the button says which; the form carries the
    CSRF token and the version of the referral the page showed."""


@dataclass(frozen=True)
class DuplicateWarning:
    """A pair as one referral's page shows it: its own child, and the other referral's."""

    id: int
    state: str
    score: int
    child: Child
    other_child: Child
    other: Referral
    decided_at: datetime | None
    decided_by: User | None


@dataclass(frozen=True)
class DuplicateWarnings:
    """What `templates/triage/_duplicates.html` shows: the pairs and the form of the buttons."""

    pairs: list[DuplicateWarning]
    form: DuplicateDecisionForm

    @property
    def suspected(self) -> list[DuplicateWarning]:
        return [pair for pair in self.pairs if pair.state == PairState.SUSPECTED]


@bp.app_template_global()
def duplicate_warnings(referral: Referral) -> DuplicateWarnings:
    """The pairs naming `referral`, seen from its side, for its detail page."""
    warnings = []
    for pair in pairs_of(referral):
        mine = pair.referral_id == referral.id
        warnings.append(
            DuplicateWarning(
                id=pair.id,
                state=pair.state,
                score=pair.score,
                child=pair.child if mine else pair.other_child,
                other_child=pair.other_child if mine else pair.child,
                other=pair.other_referral if mine else pair.referral,
                decided_at=pair.decided_at,
                decided_by=pair.decided_by,
            )
        )
    form = DuplicateDecisionForm(formdata=None)
    form.version.data = str(referral.version)
    return DuplicateWarnings(pairs=warnings, form=form)


DECIDED = {
    PairState.CONFIRMED: N_("Même enfant : les deux dossiers sont liés."),
    PairState.DISMISSED: N_("Enfants différents : ce rapprochement ne sera plus proposé."),
}


def decide(reference: str, pair_id: int, state: PairState):
    """Answer a suspected pair from the page of one of its referrals (the one touched)."""
    referral = get_referral(reference)
    # A number past the database's integers would be an error there, not a missing row.
    pair = db.session.get(DuplicatePair, pair_id) if pair_id < 2**31 else None
    if pair is None or referral.id not in (pair.referral_id, pair.other_referral_id):
        abort(404)
    form = DuplicateDecisionForm()
    # A stale version answers 409 through the blueprint's StaleVersion handler.
    check_version(referral, form.version.data)
    if not form.validate_on_submit():
        abort(400)
    try:
        decide_pair(pair, referral, state, current_user)
    except PairAlreadyDecided:
        db.session.rollback()
        current_app.logger.info(
            "duplicate pair already decided pair_id=%s reference=%s user_id=%s",
            pair_id,
            reference,
            current_user.id,
        )
        flash(gettext("Ce doublon possible a déjà été examiné : rien n’a changé."), "info")
        return render_detail(get_referral(reference), 409)
    db.session.commit()
    flash(gettext(DECIDED[state]), "success")
    return redirect(url_for("triage.detail", reference=reference) + "#duplicates", 303)


@bp.post("/<reference>/duplicates/<int:pair_id>/confirm")
@coordinator_required
def confirm_duplicate(reference: str, pair_id: int):
    """ "Même enfant": the two referrals are linked, and one may be declined as `duplicate`."""
    return decide(reference, pair_id, PairState.CONFIRMED)


@bp.post("/<reference>/duplicates/<int:pair_id>/dismiss")
@coordinator_required
def dismiss_duplicate(reference: str, pair_id: int):
    """ "Enfants différents": the pair is kept as dismissed and never proposed again."""
    return decide(reference, pair_id, PairState.DISMISSED)
