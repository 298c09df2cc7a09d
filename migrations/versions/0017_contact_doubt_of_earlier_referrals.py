"""contact doubt of the referrals received before it was kept: each looked at as a referral
sent today would be, and as the outbox has judged it since

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:00:00

Revision 0016 left the referrals it found without a doubt ("not looked at"): a family whose
only contact is a misspelt address, or whose acknowledgement was given up, would stay
unflagged until someone corrected its file. This revision judges them once, as the service
does now (`intake.referrals.fields.contact_doubt` at submission, then the worker on a stopped
or delivered message to the family's address), leaving alone any referral already flagged,
anonymised, or written to nowhere.

Data only: downgrading leaves the doubts where they are (a doubt is the coordination's
information, and 0016's downgrade drops the column anyway). The referral's version and last
activity are not changed: this is no one's edit.
"""

import sqlalchemy as sa
from alembic import op

from intake.referrals.fields import contact_doubt

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

MAIL_STOPPED = "mail_stopped"

referral = sa.table(
    "referral",
    sa.column("id", sa.Integer),
    sa.column("guardian_phone", sa.String),
    sa.column("guardian_email", sa.String),
    sa.column("contact_doubt", sa.String),
    sa.column("anonymised_at", sa.DateTime),
)
outbox = sa.table(
    "outbox_message",
    sa.column("referral_id", sa.Integer),
    sa.column("recipients", sa.JSON),
    sa.column("sent_at", sa.DateTime),
    sa.column("stopped_at", sa.DateTime),
)


def upgrade():
    connection = op.get_bind()
    unflagged = (
        sa.select(referral.c.id, referral.c.guardian_phone, referral.c.guardian_email)
        .where(
            referral.c.contact_doubt.is_(None),
            referral.c.anonymised_at.is_(None),
            referral.c.guardian_email.is_not(None),
            referral.c.guardian_email != "",
        )
        .order_by(referral.c.id)
    )
    doubts: dict[int, str] = {}
    emails: dict[int, str] = {}
    for row in connection.execute(unflagged):
        emails[row.id] = row.guardian_email.strip().lower()
        # A phone reaches the family whatever its address: the address is read (a fuzzy
        # match against known domains) only for those that gave none.
        if not row.guardian_phone and (doubt := contact_doubt(None, row.guardian_email)):
            doubts[row.id] = doubt

    # The messages to each family's address, in the order they ended: the last word wins, as
    # the worker's flag and its lifting would have left it (a stop after the last delivery).
    ended = sa.func.coalesce(outbox.c.sent_at, outbox.c.stopped_at)
    messages = (
        sa.select(outbox.c.referral_id, outbox.c.recipients, outbox.c.sent_at, ended)
        .where(
            outbox.c.referral_id.is_not(None),
            sa.or_(outbox.c.sent_at.is_not(None), outbox.c.stopped_at.is_not(None)),
        )
        .order_by(ended)
    )
    stopped_last: dict[int, bool] = {}
    for referral_id, recipients, sent_at, _ in connection.execute(messages):
        address = emails.get(referral_id)
        if address and address in {str(to).strip().lower() for to in recipients or ()}:
            stopped_last[referral_id] = sent_at is None
    for referral_id, stopped in stopped_last.items():
        if stopped:
            doubts.setdefault(referral_id, MAIL_STOPPED)

    for referral_id, doubt in doubts.items():
        connection.execute(
            referral.update()
            .where(referral.c.id == referral_id, referral.c.contact_doubt.is_(None))
            .values(contact_doubt=doubt)
        )


def downgrade():
    pass
