"""What the figures count, read from the database: a few GROUP BY queries over coded, indexed
columns (never the screening's JSON), returning plain counts keyed by codes.

The counts are JSON-able on purpose (`Counts`): the page, the workbook and the command turn
the same counts into Figures (intake.statistics.figures), which puts labels and order on
them. Nothing here reads a name or a free text: the one list read whole is each supported
child's coded attributes, and the referral's domains of difficulty (codes).

Every count includes anonymised referrals: retention erases what identifies a family and
keeps the codes and dates the yearly figures are made of (intake.rules.retention).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, case, cast, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from intake.extensions import db
from intake.models import (
    Action,
    AgendaItem,
    Child,
    Meeting,
    Objective,
    Parcours,
    Referral,
    StatusChange,
)
from intake.rules.clock import local_date, moment_at
from intake.rules.statistics import (
    Period,
    age_thresholds,
    duration_band,
    mean_days,
    median_days,
    referrer_group,
)
from intake.rules.vocabulary import DOMAINS
from intake.rules.workflow import Status

# The statuses a decision on a child moves it to (contract, "Decisions").
DECISIONS = (Status.ACCEPTED, Status.REDIRECTED, Status.DECLINED, Status.WITHDRAWN)

# The domains of difficulty a form may tick (the referral stores their codes as a JSON list).
DOMAIN_CODES = tuple(DOMAINS)


@dataclass
class Counts:
    """The raw figures of a period, by code: what Figures are assembled from."""

    referrals_by_month: dict[str, int] = field(default_factory=dict)
    children_by_month: dict[str, int] = field(default_factory=dict)
    source: dict[str, int] = field(default_factory=dict)
    role: dict[str, int] = field(default_factory=dict)
    school: dict[str, int] = field(default_factory=dict)
    network: dict[str, int] = field(default_factory=dict)
    qpv: dict[str, int] = field(default_factory=dict)
    eligibility: dict[str, int] = field(default_factory=dict)
    outcome: dict[str, int] = field(default_factory=dict)
    reason: dict[str, int] = field(default_factory=dict)
    service: dict[str, int] = field(default_factory=dict)
    # Each step's median of days and how many children reached it.
    delays: dict[str, tuple[float | None, int]] = field(default_factory=dict)
    supported: int = 0
    entries: int = 0
    exits: int = 0
    active: int = 0
    exit_reason: dict[str, int] = field(default_factory=dict)
    # The exits' durations in days: by band, their median and mean.
    durations: dict[str, int] = field(default_factory=dict)
    duration_median: float | None = None
    duration_mean: float | None = None
    action_kind: dict[str, int] = field(default_factory=dict)
    action_mode: dict[str, int] = field(default_factory=dict)
    objective_domain: dict[str, int] = field(default_factory=dict)
    sex: dict[str, int] = field(default_factory=dict)
    age: dict[str, int] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)
    residence: dict[str, int] = field(default_factory=dict)
    priority_network: dict[str, int] = field(default_factory=dict)
    referrer: dict[str, int] = field(default_factory=dict)
    domain: dict[str, int] = field(default_factory=dict)
    eps_meetings: int = 0
    children_reviewed: int = 0


def _between(column: Any, start: datetime, stop: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < stop)


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first moment and the moment after its last, Paris time (timestamps are
    stored in UTC)."""
    return moment_at(period.start), moment_at(period.end + timedelta(days=1))


def count(period: Period, as_of: date) -> Counts:
    """Every raw figure of `period` but its meetings (`count_meetings`): "active" on the day
    `as_of`. These change only when the data do."""
    counts = Counts()
    start, stop = bounds(period)
    _received(counts, start, stop)
    _decisions(counts, start, stop)
    _delays(counts, start, stop)
    _parcours(counts, period, as_of)
    _supported(counts, period)
    _actions(counts, period)
    return counts


def count_meetings(counts: Counts, period: Period, now: datetime) -> None:
    """The EPS meetings held in the period by `now` (one held an hour ago counts): these
    change with the time of day, not only with the data."""
    start, stop = bounds(period)
    _meetings(counts, start, min(stop, now))


def stamp() -> tuple:
    """What changes whenever a figure may: the newest referral, the latest activity (every
    change of a referral or of what hangs from it touches it), the latest anonymisation,
    the newest row of each table the figures count. Read from indexes and primary keys in
    one round trip."""
    newest = [
        select(func.max(table.id)).scalar_subquery()
        for table in (StatusChange, Parcours, Action, Objective, AgendaItem)
    ]
    return tuple(
        db.session.execute(
            select(
                select(func.max(Referral.id)).scalar_subquery(),
                select(func.max(Referral.last_activity_at)).scalar_subquery(),
                # Its condition names the partial index of the anonymised (revision 0014).
                select(func.max(Referral.anonymised_at))
                .where(Referral.anonymised_at.is_not(None))
                .scalar_subquery(),
                *newest,
            )
        ).one()
    )


def _month_bucket(column: Any, start: datetime, stop: datetime) -> Any:
    """The month (its first day, ISO) a timestamp falls in, as a CASE on Paris month
    boundaries: the same on SQLite and PostgreSQL, and no time-zone function in SQL."""
    day, whens = start.date(), []
    while moment_at(day) < stop:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        whens.append((column < moment_at(following), day.isoformat()))
        day = following
    return case(*whens, else_=None)


def _received(counts: Counts, start: datetime, stop: datetime) -> None:
    in_period = _between(Referral.received_at, start, stop)
    month = _month_bucket(Referral.received_at, start, stop)
    rows = db.session.execute(
        select(month, Referral.source, Referral.referrer_role, func.count())
        .where(in_period)
        .group_by(month, Referral.source, Referral.referrer_role)
    )
    by_month, source, role = Counter(), Counter(), Counter()
    for bucket, source_code, role_code, number in rows:
        by_month[bucket] += number
        source[source_code] += number
        if source_code == "professional":
            role[role_code or "other"] += number
    counts.referrals_by_month = dict(by_month)
    counts.source, counts.role = dict(source), dict(role)

    rows = db.session.execute(
        select(
            month,
            Child.school,
            Child.screening_network,
            Child.screening_qpv,
            Child.screening_residence,
            Child.eligibility,
            func.count(),
        )
        .join(Child, Child.referral_id == Referral.id)
        .where(in_period)
        .group_by(
            month,
            Child.school,
            Child.screening_network,
            Child.screening_qpv,
            Child.screening_residence,
            Child.eligibility,
        )
    )
    by_month, school, network, qpv, eligibility = (Counter() for _ in range(5))
    for bucket, school_code, network_code, qpv_code, residence, eligible, number in rows:
        by_month[bucket] += number
        school[school_code or "other"] += number
        network[_network(network_code)] += number
        qpv[qpv_code or residence or "unknown"] += number
        eligibility[eligible] += number
    counts.children_by_month = dict(by_month)
    counts.school, counts.network = dict(school), dict(network)
    counts.qpv, counts.eligibility = dict(qpv), dict(eligibility)


def _network(code: str | None) -> str:
    """A school's network as counted: "REP+", "REP", "none" (listed, outside priority
    education) or "unlisted" (a school the territory does not list)."""
    if code is None:
        return "unlisted"
    return code or "none"


def _decisions(counts: Counts, start: datetime, stop: datetime) -> None:
    rows = db.session.execute(
        select(StatusChange.to_status, StatusChange.reason, StatusChange.service, func.count())
        .where(
            StatusChange.to_status.in_([status.value for status in DECISIONS]),
            StatusChange.child_id.is_not(None),
            _between(StatusChange.at, start, stop),
        )
        .group_by(StatusChange.to_status, StatusChange.reason, StatusChange.service)
    )
    outcome, reason, service = Counter(), Counter(), Counter()
    for status, reason_code, service_code, number in rows:
        outcome[status] += number
        if status in (Status.DECLINED, Status.REDIRECTED) and reason_code:
            reason[reason_code] += number
        if status == Status.REDIRECTED and service_code:
            service[service_code] += number
    counts.outcome, counts.reason, counts.service = dict(outcome), dict(reason), dict(service)


class utc_hour(FunctionElement):  # noqa: N801 - an SQL function's name
    """The whole hours from 1970 to a UTC timestamp, in SQL: what a Paris day is read from
    (its offset is whole hours), as a number rather than a timestamp to parse in Python."""

    type = Integer()
    inherit_cache = True


@compiles(utc_hour)
def _utc_hour(element: utc_hour, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(floor(extract(epoch from {moment}) / 3600) AS INTEGER)"


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler: Any, **kw: Any) -> str:
    # The column holds "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; strftime reads it as UTC.
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 3600)"


def _delays(counts: Counts, start: datetime, stop: datetime) -> None:
    """Days from receipt to each child's first step out of `new`, first EPS, first decision,
    for the children of the period's referrals: Paris days (rules.clock.days_between), read
    from each moment's hour."""
    decided = StatusChange.to_status.in_([status.value for status in DECISIONS])
    rows = db.session.execute(
        # The earliest of each step first, then its hour: one conversion a child, not a row.
        select(
            utc_hour(Referral.received_at),
            utc_hour(func.min(case((StatusChange.from_status.is_not(None), StatusChange.at)))),
            utc_hour(func.min(case((StatusChange.to_status == Status.EPS.value, StatusChange.at)))),
            utc_hour(func.min(case((decided, StatusChange.at)))),
        )
        .join(StatusChange, StatusChange.referral_id == Referral.id)
        .where(_between(Referral.received_at, start, stop), StatusChange.child_id.is_not(None))
        .group_by(StatusChange.child_id, Referral.received_at)
    )
    days: dict[int, int] = {}

    def day(hour: int) -> int:
        # A year holds a few thousand distinct hours, for tens of thousands of moments.
        if hour not in days:
            days[hour] = local_date(datetime.fromtimestamp(hour * 3600, UTC)).toordinal()
        return days[hour]

    delays: dict[str, list[int]] = {"first_action": [], "eps": [], "decision": []}
    for received, *steps in rows:
        for key, hour in zip(delays, steps, strict=True):
            if hour is not None:
                delays[key].append(max(day(hour) - day(received), 0))
    # Summed up once, here: the kept counts hold three figures a step, not every child's.
    counts.delays = {key: (median_days(days), len(days)) for key, days in delays.items()}


def _supported_in(period: Period) -> ColumnElement[bool]:
    """In parcours at some point of the period."""
    return and_(
        Parcours.entered_on <= period.end,
        or_(Parcours.ended_on.is_(None), Parcours.ended_on >= period.start),
    )


def _parcours(counts: Counts, period: Period, as_of: date) -> None:
    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= period.start, column <= period.end)

    active = and_(
        Parcours.entered_on <= as_of, or_(Parcours.ended_on.is_(None), Parcours.ended_on > as_of)
    )
    row = db.session.execute(
        select(
            func.count(),
            func.count(case((within(Parcours.entered_on), 1))),
            func.count(case((within(Parcours.ended_on), 1))),
            func.count(case((active, 1))),
        ).where(_supported_in(period))
    ).one()
    counts.supported, counts.entries, counts.exits, counts.active = row
    rows = db.session.execute(
        select(Parcours.exit_reason, Parcours.entered_on, Parcours.ended_on).where(
            within(Parcours.ended_on)
        )
    )
    exit_reason: Counter[str] = Counter()
    durations = []
    for reason, entered_on, ended_on in rows:
        exit_reason[reason or "other"] += 1
        durations.append((ended_on - entered_on).days)
    counts.exit_reason = dict(exit_reason)
    counts.durations = dict(Counter(duration_band(days) for days in durations))
    counts.duration_median, counts.duration_mean = median_days(durations), mean_days(durations)


def _supported(counts: Counts, period: Period) -> None:
    """The children supported in the period, each once (a child has one parcours), by what
    the survey breaks them down by, grouped in SQL: the age band by comparing birth dates
    (rules.statistics.age_thresholds), each domain of difficulty by a match in the referral's
    list of codes."""
    band = case(
        *((Child.birth_date <= last, code) for code, last in age_thresholds(period.start)),
        else_="2_5",
    )
    domains = cast(Referral.domains, String)
    keys = (
        Child.sex,
        band,
        Child.school_level,
        Child.screening_qpv,
        Child.screening_network,
        Referral.source,
        Referral.referrer_role,
    )
    rows = db.session.execute(
        select(
            *keys,
            func.count(),
            *(func.count(case((domains.like(f'%"{code}"%'), 1))) for code in DOMAIN_CODES),
        )
        .select_from(Parcours)
        .join(Child, Child.id == Parcours.child_id)
        .join(Referral, Referral.id == Parcours.referral_id)
        .where(_supported_in(period))
        .group_by(*keys)
    )
    sex, age, level, residence, network, referrer, domain = (Counter() for _ in range(7))
    for sex_code, age_code, level_code, qpv_code, network_code, source, role, number, *each in rows:
        sex[sex_code or ""] += number
        age[age_code] += number
        level[level_code or "other"] += number
        residence[qpv_code or "outside"] += number
        network[{"REP+": "rep_plus", "REP": "rep"}.get(network_code or "", "none")] += number
        referrer[referrer_group(source, role)] += number
        for code, children in zip(DOMAIN_CODES, each, strict=True):
            domain[code] += children
    counts.sex, counts.age, counts.level = dict(sex), dict(age), dict(level)
    counts.residence, counts.priority_network = dict(residence), dict(network)
    counts.referrer = dict(referrer)
    counts.domain = {code: number for code, number in domain.items() if number}

    rows = db.session.execute(
        select(Objective.domain, func.count())
        .join(Parcours, Parcours.id == Objective.parcours_id)
        .where(_supported_in(period))
        .group_by(Objective.domain)
    )
    counts.objective_domain = {code: number for code, number in rows}


def _actions(counts: Counts, period: Period) -> None:
    """The actions running at some point of the period, by kind and individual/collective."""
    rows = db.session.execute(
        select(Action.kind, Action.collective, func.count())
        .where(
            Action.started_on <= period.end,
            or_(Action.ended_on.is_(None), Action.ended_on >= period.start),
        )
        # In this order SQLite reads the covering index of the period's actions rather than
        # each action by its kind's index.
        .group_by(Action.collective, Action.kind)
    )
    kind, mode = Counter(), Counter()
    for kind_code, collective, number in rows:
        kind[kind_code] += number
        mode["collective" if collective else "individual"] += number
    counts.action_kind, counts.action_mode = dict(kind), dict(mode)


def _meetings(counts: Counts, start: datetime, stop: datetime) -> None:
    """EPS meetings held in the period (not those still to come), and the children one of
    them decided on."""
    held = _between(Meeting.starts_at, start, stop)
    counts.eps_meetings = (
        db.session.scalar(select(func.count()).select_from(Meeting).where(held)) or 0
    )
    # The agenda items of those meetings first (a few hundred a year at most), then their
    # decisions by the history's index on the item. As one statement, SQLite walked the
    # whole history checking each row against the items.
    items = db.session.scalars(
        select(AgendaItem.id).join(Meeting, Meeting.id == AgendaItem.meeting_id).where(held)
    ).all()
    counts.children_reviewed = (
        db.session.scalar(
            select(func.count(func.distinct(StatusChange.child_id))).where(
                StatusChange.agenda_item_id.in_(items)
            )
        )
        if items
        else 0
    ) or 0
