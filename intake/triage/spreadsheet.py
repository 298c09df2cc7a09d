"""The export for office software (`/triage/export.xlsx`), and cells that cannot run.

One row per child, with its referral's columns, in French words and Paris time: what a
coordinator pastes into the programme's yearly report. No name, address or free text: the
yearly report counts, it does not identify.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from flask_babel import gettext
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from intake.models import Child, Referral, StatusChange
from intake.rules.ages import age_on
from intake.rules.clock import local_datetime
from intake.rules.decisions import REASONS, SERVICES
from intake.rules.vocabulary import (
    DOMAINS,
    ELIGIBILITY,
    OTHER_SCHOOL_LABEL,
    REFERRER_ROLES,
    SOURCES,
    label,
    status_label,
)
from intake.territory.model import Territory
from intake.triage.cursors import NEWEST_FIRST
from intake.triage.exports import in_batches
from intake.triage.filters import QueueFilters, filtered

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
    "Âge à la réception",
    "Classe",
    "École",
    "Réseau d’éducation prioritaire",
    "Éligibilité de l’enfant (avis)",
    "Domaines",
    "Fonction de l’orienteur",
    "Décision",
    "Motif",
    "Service vers lequel orienter",
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
    that brought each to its current status: only the exported columns."""
    decision = aliased(StatusChange)
    latest = (
        select(StatusChange.id)
        .where(StatusChange.referral_id == Referral.id, StatusChange.to_status == Referral.status)
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
        Child.birth_date,
        Child.class_level,
        Child.school,
        Child.school_other,
        Child.eligibility.label("child_eligibility"),
        Referral.domains,
        Referral.referrer_role,
        decision.reason,
        decision.service,
        Referral.last_activity_at,
    )
    query = (
        select(*columns)
        .select_from(Referral)
        .join(Child, Child.referral_id == Referral.id)
        .outerjoin(decision, decision.id == latest)
    )
    return filtered(query, filters).order_by(*NEWEST_FIRST, Child.position)


def local(moment: datetime) -> datetime:
    """A UTC timestamp as the programme's clock read it: spreadsheets know no time zones."""
    return local_datetime(moment).replace(tzinfo=None)


def row_values(row: Any, territory: Territory) -> list[Any]:
    """One spreadsheet line: labels rather than codes, local times."""
    received = local(row.received_at)
    school = territory.school(row.school) if row.school else None
    return [
        row.reference,
        received,
        label(SOURCES, row.source),
        status_label(row.status),
        gettext("oui") if row.urgent else gettext("non"),
        label(ELIGIBILITY, row.eligibility),
        row.position + 1,
        age_on(row.birth_date, received.date()) if row.birth_date <= received.date() else "",
        row.class_level,
        school.name if school else (row.school_other or str(OTHER_SCHOOL_LABEL)),
        school.priority if school else "",
        label(ELIGIBILITY, row.child_eligibility),
        ", ".join(label(DOMAINS, code) for code in row.domains or []),
        label(REFERRER_ROLES, row.referrer_role),
        status_label(row.status) if row.status in DECIDED else "",
        label(REASONS, row.reason),
        label(SERVICES, row.service),
        local(row.last_activity_at),
    ]


def write_workbook(rows: Iterable[Any], territory: Territory, out: IO[bytes]) -> int:
    """Write the rows to `out` as an .xlsx workbook, in openpyxl's write-only mode (each row
    goes to disk as it is appended, so memory does not grow with the export). Returns how many
    rows were written."""
    # Imported here: openpyxl (and the numpy it brings) costs an eighth of a second at every
    # worker's and command's start, for the one route that writes a workbook.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Orientations"))
    sheet.append(HEADERS)
    count = 0
    for row in rows:
        sheet.append(list(cells(sheet, row_values(row, territory))))
        count += 1
    workbook.save(out)
    return count


def cells(sheet: Any, values: list[Any]) -> Iterator[Any]:
    """Cells for `values`: text always stored as text, never read as a formula, and times
    shown the French way."""
    from openpyxl.cell import WriteOnlyCell  # see write_workbook

    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # openpyxl would store "=…" as a formula; typed as a string, no spreadsheet runs it.
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = "DD/MM/YYYY HH:MM"
        yield cell


def stream_rows(filters: QueueFilters) -> Iterator[Any]:
    """The export's rows, read from the database a batch at a time."""
    for batch in in_batches(rows_query(filters)):
        yield from batch
