"""Keyset pagination: the queue's orders and the cursors its page links carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, tuple_

from intake.models import Referral

if TYPE_CHECKING:
    from intake.triage.page import Listed

# A row id that the databases can compare with an integer column (a longer one is an error
# there, not a row that is missing).
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Sort:
    """One order of the queue: the columns of its key, most significant first, and whether
    the list reads them from the largest (newest first) or from the smallest. Each key ends
    in the id, so no two rows tie, and is an index's columns (or their end, after a filter's
    column), so that a page is one range of that index read in order."""

    columns: tuple
    descending: bool

    def forwards(self) -> tuple:
        """ORDER BY for the list as shown, and for the next (older) pages."""
        return tuple(c.desc() if self.descending else c.asc() for c in self.columns)

    def backwards(self) -> tuple:
        """ORDER BY for the rows before a cursor, read nearest first."""
        return tuple(c.asc() if self.descending else c.desc() for c in self.columns)


SORTS: dict[str, Sort] = {
    # ix_referral_queue (received_at, id), and each filter's index ending in it.
    "received": Sort((Referral.received_at, Referral.id), descending=True),
    # ix_referral_urgent_queue (urgent, received_at, id): urgent first, each part newest first.
    "urgency": Sort((Referral.urgent, Referral.received_at, Referral.id), descending=True),
    # ix_referral_activity_queue (last_activity_at, id): the longest untouched first.
    "waiting": Sort((Referral.last_activity_at, Referral.id), descending=False),
}


@dataclass(frozen=True)
class Cursor:
    """A row's place in the queue's order, carried by the page links as
    `<microseconds since 1970>.<id>` (the time is received_at, or last_activity_at when the
    queue is sorted by waiting), followed by `.1` or `.0` when sorted by urgency: a page
    starts from the row last seen, so the database reads one page from an index wherever it
    is in the list, instead of skipping rows."""

    at: datetime
    id: int
    # Only in the urgency order, whose key starts with it.
    urgent: bool | None = None

    def __str__(self) -> str:
        text = f"{(self.at - EPOCH) // MICROSECOND}.{self.id}"
        return text if self.urgent is None else f"{text}.{int(self.urgent)}"

    @property
    def received_at(self) -> datetime:
        """The time of the default order's key (received_at)."""
        return self.at

    @classmethod
    def parse(cls, text: str | None, sort: str = "received") -> Cursor | None:
        """The cursor a link of the queue sorted by `sort` carried, or None for anything else
        (a hand-edited URL, a link of another order)."""
        parts = (text or "").split(".")
        urgent = None
        if sort == "urgency":
            if len(parts) != 3 or parts[2] not in ("0", "1"):
                return None
            urgent = parts.pop() == "1"
        if len(parts) != 2 or not all(CURSOR_PART.fullmatch(part) for part in parts):
            return None
        if int(parts[1]) > MAX_ID:
            # No row has it; PostgreSQL would refuse it in a comparison with an integer column.
            return None
        try:
            return cls(EPOCH + int(parts[0]) * MICROSECOND, int(parts[1]), urgent)
        except (OverflowError, ValueError):
            return None

    @classmethod
    def of(cls, referral: Referral | Listed, sort: str = "received") -> Cursor:
        """Where `referral` stands in the order `sort`."""
        if sort == "waiting":
            return cls(referral.last_activity_at, referral.id)
        if sort == "urgency":
            return cls(referral.received_at, referral.id, bool(referral.urgent))
        return cls(referral.received_at, referral.id)

    def key(self) -> tuple:
        """The values of the order's columns (SORTS) at this row."""
        return (self.at, self.id) if self.urgent is None else (self.urgent, self.at, self.id)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Microseconds up to the year 9999 take 18 digits; row ids stay within that too.
CURSOR_PART = re.compile(r"[0-9]{1,18}")
NEWEST_FIRST = SORTS["received"].forwards()


def after(cursor: Cursor, sort: Sort = SORTS["received"]) -> ColumnElement[bool]:
    """Rows that come after `cursor` in the list as `sort` shows it. A row-value comparison,
    `(received_at, id) < (:at, :id)`: both databases read it as one range of the index ending
    in the sort's columns, starting at the cursor, whatever the depth of the page."""
    key = tuple_(*sort.columns)
    return key < cursor.key() if sort.descending else key > cursor.key()


def before(cursor: Cursor, sort: Sort = SORTS["received"]) -> ColumnElement[bool]:
    """Rows that come before `cursor` in the list as `sort` shows it."""
    key = tuple_(*sort.columns)
    return key > cursor.key() if sort.descending else key < cursor.key()
