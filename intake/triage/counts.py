"""The queue's capped counts: the page's total, the status tabs', and the window they read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Row, func, select

from intake.extensions import db
from intake.models import Referral
from intake.rules.workflow import Status
from intake.triage.cursors import NEWEST_FIRST
from intake.triage.filters import QueueFilters, filtered
from intake.triage.search_walk import newest_matches

# Counting every match on every page would read the whole table each time; past this many,
# the page says "more than" instead. Without a filter (or with a status only), each status
# is counted from its own index, entries only: cheap enough to count far.
COUNT_LIMIT = 1000
# Under any other filter or a search, every match counted is a row read and checked (its
# agreement, its children's school, its search key): past this many, "more than" as well.
# At 100,000 referrals counting them up to 1,000 cost more than the rest of the page.
FILTERED_COUNT_LIMIT = 100


def other_filters(filters: QueueFilters) -> QueueFilters:
    """`filters` without their status and sort: what the status tabs count under."""
    return replace(filters, status="", sort=QueueFilters.sort)


def count_limit(filters: QueueFilters) -> int:
    """How far the page and the tabs of `filters` count their matches."""
    return COUNT_LIMIT if other_filters(filters) == QueueFilters() else FILTERED_COUNT_LIMIT


def capped_count(filters: QueueFilters) -> int:
    """How many referrals `filters` select, counted up to count_limit(filters) + 1 only."""
    limit = count_limit(filters)
    # The order does not change a count: a search is counted from its index's order too.
    found = newest_matches(replace(filters, sort=QueueFilters.sort), limit + 1)
    if found is not None:
        return len(found)
    return db.session.scalar(select(capped_count_of(filters))) or 0


def capped_count_of(filters: QueueFilters):
    """capped_count as a scalar subquery, to ask several in one statement."""
    limit = count_limit(filters)
    counted = filtered(select(Referral.id), filters).limit(limit + 1).subquery()
    return select(func.count()).select_from(counted).scalar_subquery()


@dataclass(frozen=True)
class TabCounts:
    """The status tabs' counts: for "" (every status) and each status, how many referrals
    the other filters select, each capped as the page's own total is (count_limit), so that
    a tab and the list under it say the same. None for a status that was not counted: its
    tab shows no number (see status_counts). `newest`: the newest matches of the other
    filters (id and status, newest first) when they were read, for the first page."""

    counts: dict[str, int | None]
    newest: Sequence[Row] | None = None

    def items(self):
        return self.counts.items()

    def __iter__(self):
        return iter(self.counts)

    def __getitem__(self, code: str) -> int | None:
        return self.counts[code]

    @property
    def complete(self) -> bool:
        """Whether every tab has its count."""
        return None not in self.counts.values()

    def total_of(self, status: str) -> int | None:
        """The page's own capped count when its tab holds it, so that the matches are not
        counted again; None when the page must count them (and give them back: `counted`)."""
        return self.counts[status]

    def counted(self, status: str, total: int) -> TabCounts:
        """These counts with the page's own capped `total` on its tab."""
        return replace(self, counts={**self.counts, status: total})


def status_counts(filters: QueueFilters) -> TabCounts:
    """The status tabs' counts, each the capped count of the other filters and its status (what
    its list says when chosen), read from a bounded number of index entries whatever the
    size of the table.

    With no other filter, each status is counted up to COUNT_LIMIT + 1 from the index of
    status then received date. Under other filters, a status has no index of its own with them
    (counting "new" among the eligible would read every eligible row), so the newest
    FILTERED_COUNT_LIMIT + 1 matches are read as the page reads them: when there are no more,
    they are counted by status, exactly. When there are more, "Toutes" says "100+" and no
    status is counted here: its share of the newest matches says nothing of its count (the
    newest are mostly "new"; the closed ones lie further back), and "27+" on a tab whose list
    said 63 was that share. The chosen tab then shows the page's own count (queue view,
    `counted`); counting every status apart cost 2 to 8 times the page at 100,000 referrals.

    The first page is taken from the newest matches too (queue_page's `newest`): a search is
    run once, not twice."""
    codes = ["", *(s.value for s in Status)]
    others = other_filters(filters)
    if others == QueueFilters():
        counts = select(*(capped_count_of(replace(others, status=code)) for code in codes))
        return TabCounts(dict(zip(codes, db.session.execute(counts).one(), strict=True)))
    columns = (Referral.id, Referral.status)
    newest = newest_matches(others, FILTERED_COUNT_LIMIT + 1, columns)
    if newest is None:
        window = filtered(select(*columns), others).order_by(*NEWEST_FIRST)
        newest = db.session.execute(window.limit(FILTERED_COUNT_LIMIT + 1)).all()
    if len(newest) > FILTERED_COUNT_LIMIT:
        return TabCounts({"": len(newest), **dict.fromkeys(codes[1:])}, newest)
    found = Counter(row.status for row in newest)
    return TabCounts({code: found.get(code, 0) for code in codes} | {"": len(newest)}, newest)


# Here rather than with the page: it reads the window status_counts counted, and the limits
# above are read in this module only, so that a change of them (a test's) reaches every use.
def first_page_ids(filters: QueueFilters, size: int, newest: Sequence[Row] | None) -> list | None:
    """The ids of the first page and the one after it (up to `size` + 1), from `newest`, the
    newest matches of the filters but their status, newest first: when the page is in that
    order and they are enough to say which rows it holds. None otherwise."""
    if newest is None or filters.sort != QueueFilters.sort:
        return None
    ids = [row.id for row in newest if not filters.status or row.status == filters.status]
    # Past the window there may be more matches of this status, newer than none of these.
    complete = len(newest) <= FILTERED_COUNT_LIMIT
    return ids[: size + 1] if complete or len(ids) > size else None
