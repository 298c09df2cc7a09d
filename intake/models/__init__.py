"""Database models: referrals, their children, history, outbox and staff accounts.

One module a subject; every public name is re-exported here, so that `from intake.models
import Referral` does not depend on where a model lives.
"""

# Not sorted: imported in the order the models were declared in when they shared one module,
# so that `db.metadata.tables` keeps the order it always had.
# isort: off
from intake.models.types import UTCDateTime, utcnow
from intake.models.staff import Role, User, new_session_token
from intake.models.referral import (
    Child,
    ReferenceCounter,
    Referral,
    ReferralLanguage,
    Source,
    refresh_search_keys,
)
from intake.models.records import (
    Agreement,
    AgreementChild,
    Assignment,
    Correction,
    Note,
    StatusChange,
)
from intake.models.parcours import Action, Objective, Parcours, Review
from intake.models.duplicates import DuplicatePair, PairState
from intake.models.meetings import AgendaItem, Meeting
from intake.models.audit import ReadEvent, ReadReferral
from intake.models.outbox import OutboxMessage
# isort: on

__all__ = [
    "Action",
    "AgendaItem",
    "Agreement",
    "AgreementChild",
    "Assignment",
    "Child",
    "Correction",
    "DuplicatePair",
    "Meeting",
    "Note",
    "Objective",
    "OutboxMessage",
    "PairState",
    "Parcours",
    "ReadEvent",
    "ReadReferral",
    "ReferenceCounter",
    "Referral",
    "ReferralLanguage",
    "Review",
    "Role",
    "Source",
    "StatusChange",
    "UTCDateTime",
    "User",
    "new_session_token",
    "refresh_search_keys",
    "utcnow",
]
