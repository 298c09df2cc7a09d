"""A meeting, or an item of its agenda, by its id from the address, or 404."""

from __future__ import annotations

from flask import abort

from intake.extensions import db
from intake.models import AgendaItem, Meeting

# A number past the database's integers would be an error there, not a missing row.
MAX_ID = 2**31 - 1


def get_meeting(meeting_id: int) -> Meeting:
    """The meeting with this id, or 404."""
    meeting = db.session.get(Meeting, meeting_id) if meeting_id <= MAX_ID else None
    if meeting is None:
        abort(404)
    return meeting


def get_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """The item of this meeting's agenda with this id, or 404."""
    item = db.session.get(AgendaItem, item_id) if item_id <= MAX_ID else None
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return item
