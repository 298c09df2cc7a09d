"""The shapes the figures come in: what the page, the workbook and the command all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from intake.rules.statistics import Period


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: a code (a contract code, a QPV code, a UAI, a month), what
    people read for it, and its count."""

    code: str
    label: str
    value: int


@dataclass(frozen=True)
class Breakdown:
    """A count split by one thing (source, QPV, exit reason…), its lines in the order the
    page and the workbook show them. `unit` says what is counted ("referrals", "children",
    "decisions", "actions", "objectives", "exits"). Each is drawn as horizontal bars, one a
    line (the months, which are no breakdown, as columns)."""

    key: str
    title: str
    unit: str
    lines: list[Line]
    # A sentence under the title saying exactly what is counted.
    definition: str = ""

    @property
    def total(self) -> int:
        return sum(line.value for line in self.lines)

    def value(self, code: str) -> int:
        return next((line.value for line in self.lines if line.code == code), 0)


@dataclass(frozen=True)
class Month:
    """What was received in one month of the period."""

    month: date
    referrals: int
    children: int


@dataclass(frozen=True)
class Delay:
    """The median number of days from a referral's receipt to a step, for each child of the
    period's referrals that reached it (`count` of them)."""

    code: str
    label: str
    median: float | None
    count: int


@dataclass(frozen=True)
class Indicator:
    """One figure of the ANCT survey: its fixed code (the `donnees` sheet), its value, the
    section of the survey it belongs to, and its definition in words."""

    code: str
    value: int | float | None
    section: str
    definition: str


@dataclass
class Figures:
    """Everything the statistics page, the ANCT workbook and the command show for a period.

    Received (referrals received in the period, and their children): `referrals_received`,
    `children_referred`, `months`, and the breakdowns of `received`. Decisions (taken in
    the period, one per child): `decisions` and `delays`. Parcours: `supported` (in parcours
    at some point of the period), `entries`, `exits`, `active` (on `as_of`), the breakdowns
    of `parcours`, and of `supported_by` (the children supported, each once). EPS:
    `eps_meetings` held in the period and `children_reviewed` (decided by one of them).
    """

    period: Period
    as_of: date
    referrals_received: int = 0
    children_referred: int = 0
    months: list[Month] = field(default_factory=list)
    received: list[Breakdown] = field(default_factory=list)
    decisions: list[Breakdown] = field(default_factory=list)
    delays: list[Delay] = field(default_factory=list)
    supported: int = 0
    entries: int = 0
    exits: int = 0
    active: int = 0
    duration_median: float | None = None
    duration_mean: float | None = None
    parcours: list[Breakdown] = field(default_factory=list)
    supported_by: list[Breakdown] = field(default_factory=list)
    eps_meetings: int = 0
    children_reviewed: int = 0

    def breakdown(self, key: str) -> Breakdown:
        """The breakdown named `key`, wherever it sits."""
        for breakdown in (*self.received, *self.decisions, *self.parcours, *self.supported_by):
            if breakdown.key == key:
                return breakdown
        raise KeyError(key)
