"""The export for office software (`/triage/export.xlsx`), and cells that cannot run.

One row per child, with its referral's columns, in French words and Paris time: what a
coordinator pastes into the programme's yearly report. No name, address or free text (the
languages spoken at home are read as known languages' names, intake.rules.home_languages): the
yearly report counts, it does not identify.

Streamed as it is written (`intake.triage.workbook`): the first bytes leave at once, then a
chunk per batch of rows read, so neither the wait nor the worker's memory grows with the
export. The sheet's header row is frozen, each column has a width and an autofilter covers
the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from intake.models import Child, Parcours, Referral, StatusChange
from intake.rules.ages import age_on
from intake.rules.clock import local_datetime
from intake.rules.decisions import REASONS, SERVICES
from intake.rules.home_languages import LABELS as SPOKEN_LABELS
from intake.rules.parcours import EXIT_REASONS, SCHOOL_LEVELS, SEXES
from intake.rules.reach import DOUBT_LABELS, LANGUAGE_LABELS
from intake.rules.vocabulary import (
    DOMAINS,
    ELIGIBILITY,
    OTHER_SCHOOL_LABEL,
    REFERRER_ROLES,
    SOURCES,
    labels,
    status_labels,
)
from intake.territory.model import Territory
from intake.triage.cursors import NEWEST_FIRST
from intake.triage.filters import QueueFilters, filtered
from intake.triage.workbook import Column, stream_workbook

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, shifts it): such text is written so that it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The statuses that are a decision taken on the referral, shown in the "Décision" column.
DECIDED = frozenset({"accepted", "declined", "redirected", "withdrawn", "closed"})

HEADERS = (
    "Référence",
    "Reçue le",
    "Origine",
    "Statut",
    "Urgent",
    "Éligibilité de la demande (avis)",
    "Enfant",
    "Statut de l’enfant",
    "Sexe",
    "Âge à la réception",
    "Classe",
    "Niveau scolaire",
    "École",
    "Réseau d’éducation prioritaire",
    "Quartier prioritaire (QPV)",
    "Éligibilité de l’enfant (avis)",
    "Domaines",
    "Fonction de l’orienteur",
    "Décision",
    "Motif",
    "Service vers lequel orienter",
    "Entrée en parcours",
    "Sortie du parcours",
    "Motif de sortie",
    # Issue 27. Before the last activity, which every row has: a reader that trims a row's
    # empty cells at its end (openpyxl's read-only mode) still reads every column.
    "Langue pour écrire à la famille",
    "Langues parlées à la maison",
    "Interprète utile",
    "Contact incertain",
    "Dernière activité",
)


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe so that it
    shows as typed (the OWASP advice for CSV); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows_query(filters: QueueFilters) -> Select:
    """The referrals `filters` select, a row per child, with the structured part of the change
    that brought the child to its current status and its parcours' dates: only the exported
    columns."""
    decision = aliased(StatusChange)
    latest = (
        select(StatusChange.id)
        .where(StatusChange.child_id == Child.id, StatusChange.to_status == Child.status)
        .order_by(StatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    columns = (
        Referral.reference,
        Referral.received_at,
        Referral.source,
        Referral.status,
        Referral.urgent,
        Referral.eligibility,
        Child.position,
        Child.status.label("child_status"),
        Child.sex,
        Child.birth_date,
        Child.class_level,
        Child.school_level,
        Child.school,
        Child.school_other,
        Child.screening_qpv,
        Child.eligibility.label("child_eligibility"),
        Referral.domains,
        Referral.referrer_role,
        decision.reason,
        decision.service,
        Parcours.entered_on,
        Parcours.ended_on,
        Parcours.exit_reason,
        Referral.last_activity_at,
        Referral.contact_language,
        Referral.home_language_codes,
        Referral.interpreter,
        Referral.contact_doubt,
    )
    query = (
        select(*columns)
        .select_from(Referral)
        .join(Child, Child.referral_id == Referral.id)
        .outerjoin(decision, decision.id == latest)
        .outerjoin(Parcours, Parcours.child_id == Child.id)
    )
    return filtered(query, filters).order_by(*NEWEST_FIRST, Child.position)


def local(moment: datetime) -> datetime:
    """A UTC timestamp as the programme's clock read it: spreadsheets know no time zones."""
    return local_datetime(moment).replace(tzinfo=None)


# Widths in characters, where no word list says how long a column's values are: a reference,
# a date and time the French way, "oui", a child's rank, an age, a class, a network.
FIXED_WIDTHS = {
    "Référence": 14,
    "Reçue le": 16,
    "Urgent": 3,
    "Enfant": 2,
    "Âge à la réception": 3,
    "Classe": 6,
    "Quartier prioritaire (QPV)": 10,
    "Entrée en parcours": 10,
    "Sortie du parcours": 10,
    "Réseau d’éducation prioritaire": 4,
    "Dernière activité": 16,
    "Interprète utile": 3,
    # Two languages, as most answers name ("arabe, français").
    "Langues parlées à la maison": 18,
}
# A column's width stops here: longer labels (a role, a reason, the domains) show their
# beginning, as a spreadsheet shows any long text.
MAX_WIDTH = 45
# The filter's arrow covers the end of a header: room for it.
FILTER_BUTTON = 2


class Lines:
    """The spreadsheet's lines of `rows_query`'s rows: labels rather than codes, local
    times. Every label is translated once per export, and each school looked up once, so a
    line costs what formatting it costs (an export writes a hundred thousand of them)."""

    def __init__(self, territory: Territory) -> None:
        self.schools = {school.uai: school for school in territory.schools}
        self.sources = labels(SOURCES)
        self.statuses = status_labels()
        self.eligibility = labels(ELIGIBILITY)
        self.domains = labels(DOMAINS)
        self.roles = labels(REFERRER_ROLES)
        self.reasons = labels(REASONS)
        self.services = labels(SERVICES)
        self.sexes = labels(SEXES)
        self.levels = labels(SCHOOL_LEVELS)
        self.exits = labels(EXIT_REASONS)
        self.languages = labels(LANGUAGE_LABELS)
        self.spoken = labels(SPOKEN_LABELS)
        self.doubts = labels(DOUBT_LABELS)
        self.yes, self.no = gettext("oui"), gettext("non")
        self.other_school = str(OTHER_SCHOOL_LABEL)

    def values(self, row: Any) -> list[Any]:
        """One spreadsheet line, in HEADERS' order."""
        received = local(row.received_at)
        received_on = received.date()
        school = self.schools.get(row.school.strip().upper()) if row.school else None
        return [
            row.reference,
            received,
            named(self.sources, row.source),
            named(self.statuses, row.status),
            self.yes if row.urgent else self.no,
            named(self.eligibility, row.eligibility),
            row.position + 1,
            named(self.statuses, row.child_status),
            named(self.sexes, row.sex),
            age_on(row.birth_date, received_on) if row.birth_date <= received_on else "",
            row.class_level,
            named(self.levels, row.school_level),
            school.name if school else (row.school_other or self.other_school),
            school.priority if school else "",
            row.screening_qpv or "",
            named(self.eligibility, row.child_eligibility),
            ", ".join(named(self.domains, code) for code in row.domains or []),
            named(self.roles, row.referrer_role),
            named(self.statuses, row.child_status) if row.child_status in DECIDED else "",
            named(self.reasons, row.reason),
            named(self.services, row.service),
            row.entered_on or "",
            row.ended_on or "",
            named(self.exits, row.exit_reason),
            named(self.languages, row.contact_language),
            ", ".join(named(self.spoken, code) for code in row.home_language_codes.split()),
            self.yes if row.interpreter else self.no,
            named(self.doubts, row.contact_doubt),
            local(row.last_activity_at),
        ]

    def columns(self) -> list[Column]:
        """HEADERS with their widths: each column as wide as its header or its longest
        label (the territory's school names for the school), within MAX_WIDTH."""
        known = {
            "Origine": self.sources.values(),
            "Statut": self.statuses.values(),
            "Statut de l’enfant": self.statuses.values(),
            "Sexe": self.sexes.values(),
            "Niveau scolaire": self.levels.values(),
            "Motif de sortie": self.exits.values(),
            "Éligibilité de la demande (avis)": self.eligibility.values(),
            "École": [school.name for school in self.schools.values()] + [self.other_school],
            "Éligibilité de l’enfant (avis)": self.eligibility.values(),
            # Two domains, as most referrals name.
            "Domaines": [f"{a}, {b}" for a in self.domains.values() for b in self.domains.values()],
            "Fonction de l’orienteur": self.roles.values(),
            "Décision": self.statuses.values(),
            "Motif": self.reasons.values(),
            "Service vers lequel orienter": self.services.values(),
            "Langue pour écrire à la famille": self.languages.values(),
            "Contact incertain": self.doubts.values(),
        }
        columns = []
        for header in HEADERS:
            longest = FIXED_WIDTHS.get(header) or max(map(len, known[header]), default=10)
            width = min(MAX_WIDTH, max(longest, len(header) + FILTER_BUTTON))
            # A character of Calibri 11 is a little narrower than the width's unit: a margin.
            columns.append(Column(header, width + 1))
        return columns


def named(table: dict[str, str], code: str | None) -> str:
    """`code`'s label in `table` (translated already), the code itself if it has none, ""
    for no code: what `vocabulary.label` says, without translating again."""
    if code is None:
        return ""
    return table.get(code, code)


def workbook(batches: Iterable[Iterable[Any]], territory: Territory) -> Iterator[bytes]:
    """The .xlsx of `rows_query`'s rows, given a batch at a time, as chunks of bytes: its
    first bytes before any row is read, then a chunk per batch (`workbook.stream_workbook`).
    Memory does not grow with the rows."""
    lines = Lines(territory)
    sheets = ([lines.values(row) for row in batch] for batch in batches)
    return stream_workbook(gettext("Orientations"), lines.columns(), sheets)
