"""Migration 0018: the languages spoken at home, as codes, for the referrals received before
it, read from their words as the model's event reads every new one."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral, ReferralLanguage
from tests.support.builders import make_referral


def test_earlier_referrals_get_their_codes(app):
    words = {
        make_referral(app, check_duplicates=False, home_languages=typed): typed
        for typed in ("Tamoul et anglais", "zazaki", "", "créole haïtien")
    }
    with app.app_context():
        downgrade(revision="0017")
        db.session.remove()
        upgrade()
        db.session.remove()
        codes = dict(
            db.session.execute(select(Referral.reference, Referral.home_language_codes)).all()
        )
        rows = db.session.execute(
            select(Referral.reference, ReferralLanguage.code)
            .join(Referral)
            .order_by(Referral.reference, ReferralLanguage.code)
        ).all()
    assert {words[reference]: code for reference, code in codes.items()} == {
        "Tamoul et anglais": "ta en",
        "zazaki": "other",
        "": "",
        "créole haïtien": "ht",
    }
    # The filter's rows, a code each.
    assert sorted((words[reference], code) for reference, code in rows) == [
        ("Tamoul et anglais", "en"),
        ("Tamoul et anglais", "ta"),
        ("créole haïtien", "ht"),
        ("zazaki", "other"),
    ]
