"""The read log: who displayed or exported which referrals, and when.

A child's file holds the most sensitive data a town keeps; the CNIL expects access to it to
be traceable. Every display of a referral's detail or fiche, of a meeting's agenda, and every
export writes one ReadEvent naming the references it showed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .extensions import db
from .models import ReadEvent, ReadReferral, User, utcnow


class ReadKind:
    """What kind of read a ReadEvent records."""

    DETAIL = "detail"
    FICHE = "fiche"
    AGENDA = "agenda"
    EXPORT_CSV = "export.csv"
    EXPORT_XLSX = "export.xlsx"


def record_read(user: User | int, kind: str, references: Iterable[str], **details: Any) -> None:
    """Log that `user` read `references` now (`details`: what else says what was read, such
    as an export's filters) and commit it: a read is logged even when nothing else is
    written."""
    user_id = user if isinstance(user, int) else user.id
    event = ReadEvent(at=utcnow(), user_id=user_id, kind=kind, details=details)
    event.referrals = [ReadReferral(reference=reference) for reference in dict.fromkeys(references)]
    db.session.add(event)
    db.session.commit()
