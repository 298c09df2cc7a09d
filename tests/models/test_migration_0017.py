"""Migration 0017: the referrals received before "contact incertain" was kept are judged once,
as a referral sent today and the worker since would have judged them."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, update

from intake.extensions import db
from intake.models import OutboxMessage, Referral, utcnow
from intake.rules.reach import ContactDoubt
from tests.support.builders import make_referral

STOPPED = ContactDoubt.MAIL_STOPPED.value
MISSPELT = ContactDoubt.MISSPELT_DOMAIN.value


def message(referral_id: int, to: str, *, sent: datetime | None = None, stopped=None):
    return OutboxMessage(
        kind="acknowledgement",
        referral_id=referral_id,
        recipients=[to],
        sent_at=sent,
        stopped_at=stopped,
    )


def test_earlier_referrals_are_judged_once_as_today(app):
    def referral(**fields) -> str:
        return make_referral(app, check_duplicates=False, **fields)

    misspelt_only = referral(guardian_phone="", guardian_email="sara@gmial.com")
    misspelt_with_phone = referral(guardian_email="sara@gmial.com")
    stopped = referral(guardian_email="nadia@example.org")
    stopped_then_sent = referral(guardian_email="leo@example.org")
    sent_then_stopped = referral(guardian_email="ines@example.org")
    stopped_to_referrer = referral(guardian_email="tom@example.org")
    already_flagged = referral(guardian_email="ok@example.org")
    anonymised = referral(guardian_phone="", guardian_email="anon@gmial.com")
    with app.app_context():
        ids = dict(db.session.execute(select(Referral.reference, Referral.id)).all())
        db.session.execute(delete(OutboxMessage))
        # As 0016 found them: nothing judged, but the one a coordinator's edit had flagged.
        db.session.execute(update(Referral).values(contact_doubt=None))
        db.session.execute(
            update(Referral)
            .where(Referral.id == ids[already_flagged])
            .values(contact_doubt=STOPPED)
        )
        db.session.execute(
            update(Referral).where(Referral.id == ids[anonymised]).values(anonymised_at=utcnow())
        )
        now = utcnow()
        before, after = now - timedelta(days=2), now - timedelta(days=1)
        db.session.add_all(
            [
                message(ids[stopped], "Nadia@Example.org ", stopped=before),
                message(ids[stopped_then_sent], "leo@example.org", stopped=before),
                message(ids[stopped_then_sent], "leo@example.org", sent=after),
                message(ids[sent_then_stopped], "ines@example.org", sent=before),
                message(ids[sent_then_stopped], "ines@example.org", stopped=after),
                message(ids[stopped_to_referrer], "prof@school.example", stopped=before),
                message(ids[anonymised], "anon@gmial.com", stopped=before),
            ]
        )
        versions = dict(db.session.execute(select(Referral.id, Referral.version)).all())
        db.session.commit()
        downgrade(revision="0016")
        db.session.remove()
        upgrade()
        db.session.remove()
        doubts = dict(db.session.execute(select(Referral.id, Referral.contact_doubt)).all())
        assert dict(db.session.execute(select(Referral.id, Referral.version)).all()) == versions
    assert {reference: doubts[ids[reference]] for reference in ids} == {
        misspelt_only: MISSPELT,
        misspelt_with_phone: None,
        stopped: STOPPED,
        stopped_then_sent: None,
        sent_then_stopped: STOPPED,
        stopped_to_referrer: None,
        already_flagged: STOPPED,
        anonymised: None,
    }
