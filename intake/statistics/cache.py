"""The period's counts kept between requests while the data stay the same.

A year's figures at 100,000 referrals read tens of thousands of rows; the page is read far
more often than the data change between two reads. Each process keeps the counts of the
last periods asked for with the stamp of the data they were counted from
(`counts.stamp`, read from indexes in one round trip) and counts again when the stamp
differs. Counts only: no name, no free text, nothing a purge must reach. An entry also
expires after TTL, so that a change the stamp would not see (a row edited by hand in the
database) shows within minutes.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime
from time import monotonic

from flask import current_app

from intake.rules.statistics import Period
from intake.statistics.counts import Counts, count, count_meetings, stamp

TTL = 600.0  # seconds
ENTRIES = 16

_lock = threading.Lock()


def _entries() -> dict:
    return current_app.extensions.setdefault("statistics_counts", {})


def forget() -> None:
    """Drop every kept count (the database was replaced under the app: tests)."""
    with _lock:
        _entries().clear()


def cached_count(period: Period, as_of: date, now: datetime) -> Counts:
    """`count(period, as_of)`, from this process's memory when the data have not changed
    since it was counted; the meetings held by `now` counted each time."""
    key = (period, as_of)
    current = stamp()
    entries = _entries()
    with _lock:
        kept = entries.get(key)
    if kept is not None and kept[0] == current and monotonic() - kept[1] < TTL:
        counts = kept[2]
    else:
        counts = count(period, as_of)
        with _lock:
            entries.pop(key, None)
            entries[key] = (current, monotonic(), counts)
            while len(entries) > ENTRIES:
                entries.pop(next(iter(entries)))
    # A copy: the meetings are counted on it, the kept counts stay as they were.
    counts = replace(counts)
    count_meetings(counts, period, now)
    return counts
