"""intake.triage.listing: a queue row's words, worked out once per page, are the ones the
template wrote for each row (links, timestamps, waits in words, labels)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from flask_babel import ngettext
from sqlalchemy import event, select

from intake.extensions import db
from intake.models import Referral, User
from intake.rules.vocabulary import format_datetime
from intake.triage.listing import InWords, detail_url, queue_rows, referent_of
from intake.triage.page import Listed
from tests.support.builders import make_orientation

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "reference", ["PRE-2026-00012", "PRE-2026-12345", "a b/é?#%", "REFERENCEPLACEHOLDER"]
)
def test_the_detail_link_is_what_url_for_writes(app, reference):
    with app.test_request_context():
        assert detail_url()(reference) == url_for("triage.detail", reference=reference)


def test_waits_in_words_are_ngettext_of_each_number_and_none_for_zero(app):
    with app.test_request_context():
        words = InWords("il y a %(num)d jour", "il y a %(num)d jours", "aujourd’hui")
        for days in (1, 2, 1, 31, 2):
            assert words(days) == ngettext("il y a %(num)d jour", "il y a %(num)d jours", days)
        assert words(0) == "aujourd’hui"
        assert set(words.words) == {0, 1, 2, 31}  # each number worded once
        # With a word for one day: "hier", as people say it, not "il y a 1 jour".
        words = InWords("il y a %(num)d jour", "il y a %(num)d jours", "aujourd’hui", "hier")
        assert (words(0), words(1), words(2)) == ("aujourd’hui", "hier", "il y a 2 jours")


def referral(**fields):
    """What a queue row reads of a referral (page.Listed)."""
    values = {
        "id": 7,
        "reference": "PRE-2026-00007",
        "urgent": False,
        "status": "new",
        "received_at": NOW - timedelta(days=3, hours=2),
        "last_activity_at": NOW - timedelta(hours=1),
        "source": "parent",
        "eligibility": "to_check",
        "children": (("Léa", "Martin"), ("Noé", "Martin")),
        "assigned_to_id": None,
        **fields,
    }
    return Listed(**values)


def test_a_row_says_what_the_queue_shows(app):
    with app.test_request_context():
        late = referral(
            id=8,
            urgent=True,
            status="in_review",
            received_at=NOW - timedelta(days=20),
            last_activity_at=NOW - timedelta(days=20),
            source="professional",
            eligibility="eligible",
            assigned_to_id=3,
        )
        fresh, old = queue_rows(
            [referral(), late], NOW, 14, undelivered={8}, referents={3: "coord@pre.example"}
        )
        received = format_datetime(NOW - timedelta(days=3, hours=2))
    assert (fresh.reference, fresh.url) == ("PRE-2026-00007", "/triage/PRE-2026-00007")
    assert fresh.received == received and "à" in received
    assert (fresh.waited, fresh.last_action) == ("reçue il y a 3 jours", "aujourd’hui")
    assert fresh.children == "Léa Martin, Noé Martin"
    assert (fresh.source, fresh.eligibility, fresh.eligibility_label) == (
        "Demande d’un parent",
        "to_check",
        "À vérifier",
    )
    assert (fresh.status, fresh.referent) == ("Nouvelle", None)
    assert not (fresh.urgent or fresh.overdue or fresh.stalled or fresh.undelivered)
    # Not new any more: no longer overdue, but stalled for want of an action.
    assert old.urgent and old.stalled and old.undelivered and not old.overdue
    assert (old.waited, old.last_action) == ("reçue il y a 20 jours", "il y a 20 jours")
    assert old.referent == "coord@pre.example"
    assert old.source == "Orientation par un·e professionnel·le"


def test_a_new_referral_waiting_too_long_is_overdue(app):
    with app.test_request_context():
        (row,) = queue_rows(
            [referral(received_at=NOW - timedelta(days=15), last_activity_at=NOW)],
            NOW,
            remind_after_days=14,
            undelivered=set(),
            referents={},
        )
    assert row.overdue and not row.stalled
    assert row.waited == "reçue il y a 15 jours"


def test_a_referent_named_after_the_accounts_were_read_is_read_from_the_database(app, users):
    with app.app_context():
        user = db.session.scalars(select(User).order_by(User.id)).first()
        assert referent_of(user.id, {}) == user.email
        assert referent_of(user.id, {user.id: "as read"}) == "as read"
        assert referent_of(None, {}) is None


def test_the_queue_lists_referents_without_reading_them_again(app, coordinator, users):
    """The page's accounts (its `assigned` filter) give the référents' e-mails: no query of
    its own, and the relationship is never loaded (raiseload)."""
    client, email = coordinator, users["coordinator"]
    make_orientation(app)
    with app.app_context():
        me = db.session.scalars(select(User).where(User.email == email)).one()
        referral = db.session.scalars(select(Referral)).one()
        referral.assigned_to_id = me.id
        db.session.commit()
    statements = []
    with app.app_context():
        listen = event.listens_for(db.engine, "before_cursor_execute")
        listen(lambda conn, cursor, sql, *rest: statements.append(sql))
        page = client.get("/triage/").get_data(as_text=True)
    assert f'class="referent">{email}</td>' in page
    users_read = [sql for sql in statements if 'FROM "user"' in sql or "FROM user" in sql]
    assert len(users_read) == 2  # the login's, and the accounts of the `assigned` filter
