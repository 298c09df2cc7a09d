"""Referral versions: every change bumps it, a stale one is refused, even between two sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.models import Referral, User
from intake.signals import status_changed
from intake.triage.operations import (
    StaleVersion,
    add_note,
    change_status,
    check_version,
)
from tests.support.builders import post_referral


@pytest.fixture
def stored(client, users):
    return post_referral(client)


def load(reference: str) -> Referral:
    return db.session.scalar(select(Referral).where(Referral.reference == reference))


def coordinator() -> User:
    return db.session.scalar(select(User).where(User.role == "coordinator"))


def test_each_change_bumps_the_version_and_names_its_author(app, stored):
    with app.app_context():
        referral = load(stored)
        # A change may flush more than once (an autoflush on the way): the version only grows.
        assert referral.version == 1
        change_status(referral, "in_review", "", coordinator())
        db.session.commit()
        after_status = referral.version
        assert after_status > 1 and referral.updated_by.role == "coordinator"
        add_note(referral, "Appel à la famille.", coordinator())
        db.session.commit()
        assert referral.version > after_status


@pytest.mark.parametrize("submitted", [None, "", "0", "2", "x", "１", "9" * 40, 2])
def test_a_missing_or_stale_version_is_refused(app, stored, submitted):
    with app.app_context():
        referral = load(stored)
        with pytest.raises(StaleVersion):
            check_version(referral, submitted)
        check_version(referral, "1")
        check_version(referral, 1)


def test_a_change_flushed_on_a_version_another_session_moved_is_refused(app, stored):
    with app.app_context():
        first = load(stored)
        with Session(db.engine) as other:
            second = other.scalar(select(Referral).where(Referral.reference == stored))
            second.urgent = True
            other.commit()
        first.city = "Autreville"
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()
        assert load(stored).city != "Autreville" and load(stored).urgent


def test_a_status_change_is_signalled_with_its_record(app, stored):
    seen = []

    def receiver(sender, referral, change, **_):
        seen.append((referral.reference, change.from_status, change.to_status))

    with app.app_context(), status_changed.connected_to(receiver):
        change_status(load(stored), "in_review", "", coordinator())
    assert seen == [(stored, "new", "in_review")]
