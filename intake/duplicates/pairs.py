"""Suspected duplicates in the database: found when a referral is stored or its children are
corrected, decided by a coordinator, forgotten with a purged referral.

The rule itself (which names are one child) is `intake.duplicates`; this module only finds
the children to give it and keeps `DuplicatePair` and `Referral.duplicate_suspected` in step.

The flag is written with ORM-enabled bulk UPDATEs, never through a loaded referral: those do
not bump the referral's version (`version_id_col` only acts in a unit-of-work flush), so a
coordinator who has the *other* referral open can still save a change made on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import TableClause, and_, bindparam, column, delete, exists, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload

from intake.duplicates.likeness import THRESHOLD, Name, same_child, similarity
from intake.extensions import db
from intake.models import Child, DuplicatePair, PairState, Referral, User, utcnow
from intake.rules.retention import months_before
from intake.rules.workflow import FINAL

# Only the referrals received within this many months are compared: an older one still open
# is followed already, and the coordinator knows it.
WINDOW_MONTHS = 24

FINAL_CODES = tuple(status.value for status in FINAL)


class PairAlreadyDecided(Exception):
    """Someone answered this pair first (from either referral's page): nothing changed."""


@dataclass(frozen=True)
class Candidate:
    """A stored child born the same day as one of the checked referral's children."""

    child_id: int
    referral_id: int
    received_at: datetime
    birth_date: date
    name: Name


# The check's one query, built once with its parameters bound at each call: a submission
# pays for running it, not for building and compiling it again (which cost more than the
# indexed read itself at 100,000 referrals). Core columns: no ORM entities are loaded.
# Children born the same day that the check reads at most (a few dozen at 100,000
# referrals), and the earlier referrals one child is paired with at most: the newest ones.
# The coordinator who answers sees the others through them.
MAX_CANDIDATES = 200
MAX_PAIRS_PER_CHILD = 3


class CoveredReferral(TableClause):
    """The referral table as the check reads it: only the columns of revision 0007's index of
    (id, received_at, status), which SQLite is told to read (INDEXED BY). Its planner, without
    statistics, takes each candidate's referral from its table row instead: a wide row, a page
    of its own, out of the cache at 100,000 referrals (0.6 ms a check against 0.04 once the
    index is cached). PostgreSQL reads that index of its own accord (an index-only scan)."""

    inherit_cache = True


COVERING_INDEX = "ix_referral_id_received_status"


@compiles(CoveredReferral, "sqlite")
def _indexed_by(element: CoveredReferral, compiler, **kw) -> str:
    name = compiler.visit_table(element, **kw)
    # As a FROM only: a column is still written `referral.id`.
    return f"{name} INDEXED BY {COVERING_INDEX}" if kw.get("asfrom") else name


_child = Child.__table__
_referral = CoveredReferral(
    Referral.__tablename__,
    *(
        column(c.name, c.type)
        for c in Referral.__table__.c
        if c.name in ("id", "received_at", "status")
    ),
)
CANDIDATES = (
    select(
        _child.c.id,
        _child.c.referral_id,
        _referral.c.received_at,
        _child.c.birth_date,
        _child.c.first_name,
        _child.c.last_name,
    )
    .select_from(_child)
    .join(_referral, _child.c.referral_id == _referral.c.id)
    .where(_child.c.birth_date.in_(bindparam("days", expanding=True)))
    .where(_referral.c.id != bindparam("referral_id"))
    .where(_referral.c.status.not_in(FINAL_CODES))
    .where(_referral.c.received_at >= bindparam("since"))
    # Newest first and bounded: a child sent again and again (a benchmark's, a test's) would
    # otherwise make each submission read, pair and lock every earlier sending.
    .order_by(_referral.c.received_at.desc(), _referral.c.id.desc())
    .limit(MAX_CANDIDATES)
)


def candidates(referral: Referral, since: datetime) -> list[Candidate]:
    """The one query of the check: children born on one of `referral`'s children's birth
    days, in other referrals still open and received since `since` (an indexed read of
    `child.birth_date`, a few dozen rows at 100,000 referrals). Reads through the session's
    connection, where the caller has written the referral."""
    days = sorted({child.birth_date for child in referral.children})
    rows = db.session.connection().execute(
        CANDIDATES, {"days": days, "referral_id": referral.id, "since": since}
    )
    return [
        Candidate(row[0], row[1], row[2], row[3], Name.of(row[4], row[5])) for row in rows.all()
    ]


def lock_referrals(ids: Iterable[int]) -> list[int]:
    """Lock the rows of these referrals for this transaction, in the order of their ids, and
    return the ids in that order.

    Every writer of the flag takes its locks this way, in one order, so two of them never
    wait for each other (a deadlock); and one that had to wait reads the pairs again after
    the other committed (PostgreSQL's READ COMMITTED takes a new snapshot per statement), so
    it cannot write a flag from pairs it did not see. SQLite serialises writers anyway and
    has no FOR UPDATE: SQLAlchemy leaves it out there.
    """
    ordered = sorted(set(ids))
    if ordered:
        db.session.execute(
            select(Referral.id)
            .where(Referral.id.in_(ordered))
            .order_by(Referral.id)
            .with_for_update()
        )
    return ordered


def refresh_flags(ids: Iterable[int]) -> None:
    """Set `duplicate_suspected` of these referrals to whether a suspected pair names them."""
    ordered = lock_referrals(ids)
    if not ordered:
        return
    suspected = exists().where(
        DuplicatePair.state == PairState.SUSPECTED.value,
        or_(
            DuplicatePair.referral_id == Referral.id, DuplicatePair.other_referral_id == Referral.id
        ),
    )
    db.session.execute(
        update(Referral)
        .where(Referral.id.in_(ordered))
        .values(duplicate_suspected=suspected)
        .execution_options(synchronize_session="fetch")
    )


def known_pairs(mine: set[int], theirs: set[int]) -> set[frozenset[int]]:
    """The pairs already stored between these children, whatever their state and side: a
    dismissed or confirmed pair is never proposed again."""
    rows = db.session.execute(
        select(DuplicatePair.child_id, DuplicatePair.other_child_id).where(
            or_(
                and_(DuplicatePair.child_id.in_(mine), DuplicatePair.other_child_id.in_(theirs)),
                and_(DuplicatePair.child_id.in_(theirs), DuplicatePair.other_child_id.in_(mine)),
            )
        )
    )
    return {frozenset(row) for row in rows.all()}


def check_referral(referral: Referral, now: datetime | None = None) -> list[DuplicatePair]:
    """Compare `referral`'s (flushed) children with the children of the other open referrals
    of the last `WINDOW_MONTHS` months, store a suspected pair for each that looks like the
    same child, and flag both referrals (not committed).

    Siblings in `referral` are not compared with each other. The pair's `child_id` is the
    child of the referral received later, whichever side was checked.
    """
    now = now or utcnow()
    found = candidates(referral, months_before(now, WINDOW_MONTHS))
    matches = []
    for child in referral.children:
        name = Name.of(child.first_name, child.last_name)
        mine = []
        for other in found:  # newest first
            if other.birth_date == child.birth_date:
                score = similarity(name, other.name)
                if score >= THRESHOLD:
                    mine.append((child, other, score))
        matches += mine[:MAX_PAIRS_PER_CHILD]
    if not matches:
        return []
    known = known_pairs({child.id for child, _, _ in matches}, {o.child_id for _, o, _ in matches})
    matches = [m for m in matches if frozenset((m[0].id, m[1].child_id)) not in known]
    if not matches:
        return []
    # Locked before the pairs are written: their foreign keys would otherwise take share locks
    # on the referrals in another order than a coordinator's answer takes its locks.
    ids = lock_referrals({referral.id, *(other.referral_id for _, other, _ in matches)})
    pairs = []
    for child, other, score in matches:
        later = (referral.received_at, referral.id) >= (other.received_at, other.referral_id)
        mine = (referral.id, child.id)
        theirs = (other.referral_id, other.child_id)
        (referral_id, child_id), (other_referral_id, other_child_id) = (
            (mine, theirs) if later else (theirs, mine)
        )
        pair = DuplicatePair(
            referral_id=referral_id,
            child_id=child_id,
            other_referral_id=other_referral_id,
            other_child_id=other_child_id,
            score=score,
            state=PairState.SUSPECTED.value,
            found_at=now,
        )
        db.session.add(pair)
        pairs.append(pair)
    db.session.flush()
    db.session.execute(
        update(Referral)
        .where(Referral.id.in_(ids))
        .values(duplicate_suspected=True)
        .execution_options(synchronize_session="evaluate")
    )
    current_app.logger.info(
        "duplicates suspected reference=%s pair_ids=%s other_referral_ids=%s",
        referral.reference,
        ",".join(str(p.id) for p in pairs),
        ",".join(str(i) for i in ids if i != referral.id),
    )
    return pairs


def drop_stale_suspicions(referral: Referral) -> set[int]:
    """Delete the suspected pairs of `referral` that its corrected children no longer match
    (another birth date, another name), and return the other referrals they named. Decided
    pairs stay: a coordinator's answer is kept."""
    pairs = db.session.scalars(
        select(DuplicatePair)
        .where(DuplicatePair.state == PairState.SUSPECTED.value)
        .where(
            or_(
                DuplicatePair.referral_id == referral.id,
                DuplicatePair.other_referral_id == referral.id,
            )
        )
    ).all()
    others = set()
    for pair in pairs:
        a, b = pair.child, pair.other_child
        if a.birth_date == b.birth_date and same_child(
            a.first_name, a.last_name, b.first_name, b.last_name
        ):
            continue
        others.add(pair.other_referral_id if pair.referral_id == referral.id else pair.referral_id)
        db.session.delete(pair)
    return others


def recheck_referral(referral: Referral, now: datetime | None = None) -> list[DuplicatePair]:
    """The check again after a correction of `referral`'s children's names or birth dates:
    suspicions the correction disproves are withdrawn, new ones stored, answered pairs kept
    (not committed)."""
    others = drop_stale_suspicions(referral)
    db.session.flush()
    pairs = check_referral(referral, now)
    refresh_flags({referral.id, *others})
    return pairs


def safely(check, referral: Referral, now: datetime | None = None) -> list[DuplicatePair]:
    """Run `check` (a correction's recheck_referral) in a savepoint: whatever goes wrong in
    it (a lock that times out, a bug), its writes are undone, the error is logged, and the
    correction around it is stored all the same. A warning never blocks. (A submission has no
    savepoint: `create_referral` writes the referral again without the check instead.)"""
    try:
        with db.session.begin_nested():
            return check(referral, now)
    except Exception:
        current_app.logger.exception("duplicate check failed reference=%s", referral.reference)
        return []


def pairs_of(referral: Referral) -> list[DuplicatePair]:
    """The pairs naming `referral` on either side, oldest first."""
    return list(
        db.session.scalars(
            select(DuplicatePair)
            .where(
                or_(
                    DuplicatePair.referral_id == referral.id,
                    DuplicatePair.other_referral_id == referral.id,
                )
            )
            .order_by(DuplicatePair.id)
            # The page shows both children, both referrals and who answered: read at once.
            .options(
                selectinload(DuplicatePair.child),
                selectinload(DuplicatePair.other_child),
                selectinload(DuplicatePair.referral),
                selectinload(DuplicatePair.other_referral),
                selectinload(DuplicatePair.decided_by),
            )
        )
    )


def decide_pair(pair: DuplicatePair, referral: Referral, state: PairState, user: User) -> None:
    """Record a coordinator's answer to a suspected pair from `referral`'s page: the pair's
    state, who and when; `referral` touched (its activity, author and version); both
    referrals' flags refreshed (not committed). Raise PairAlreadyDecided, changing nothing,
    if it was answered meanwhile.

    The pair is taken first, by a conditional UPDATE: of two coordinators answering it at
    once from its two referrals' pages, the second waits for the first, then finds it
    answered. The referrals are locked next, in the order of their ids as every path does,
    and only then is `referral`'s own change flushed.
    """
    now = utcnow()
    taken = db.session.execute(
        update(DuplicatePair)
        .where(DuplicatePair.id == pair.id, DuplicatePair.state == PairState.SUSPECTED.value)
        .values(state=state.value, decided_at=now, decided_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise PairAlreadyDecided(pair.id)
    db.session.expire(pair)
    sides = lock_referrals({pair.referral_id, pair.other_referral_id})
    referral.touch(user, now)
    refresh_flags(sides)
    current_app.logger.info(
        "duplicate pair %s pair_id=%s reference=%s user_id=%s",
        state.value,
        pair.id,
        referral.reference,
        user.id,
    )


def forget_referrals(ids: Iterable[int]) -> None:
    """Delete the pairs naming these referrals (about to be deleted) and refresh the flag of
    the referrals on their other side (not committed). Explicit, because SQLite does not
    enforce the foreign keys' ON DELETE CASCADE here."""
    ids = set(ids)
    if not ids:
        return
    naming = or_(DuplicatePair.referral_id.in_(ids), DuplicatePair.other_referral_id.in_(ids))
    sides = db.session.execute(
        select(DuplicatePair.referral_id, DuplicatePair.other_referral_id).where(naming)
    ).all()
    others = {side for row in sides for side in row} - ids
    db.session.execute(
        delete(DuplicatePair).where(naming).execution_options(synchronize_session=False)
    )
    refresh_flags(others)
