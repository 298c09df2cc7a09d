"""The ANCT yearly survey in one workbook (contract, "The ANCT workbook"): a sheet for people
(each figure beside its definition, in the order a coordinator fills the survey in), a sheet
with every breakdown the staff page shows, and the `donnees` sheet (one indicator a row,
fixed codes) for software that gathers many programmes' files.

Written from the same Figures as the page (intake.statistics.figures): the two never
disagree. With `mask`, counts from 1 to 4 read "<5" in every sheet, for a file shared
outside the programme.
"""

from __future__ import annotations

from datetime import date

from intake.i18n import gettext
from intake.rules.statistics import masked
from intake.statistics.figures import SECTIONS, indicators
from intake.statistics.shapes import Figures
from intake.territory.model import Territory
from intake.triage.workbook import HEADER_STYLE, Column, Sheet, small_workbook

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(figures: Figures) -> str:
    """ "anct-2025-2026.xlsx" for a school year, "anct-2025.xlsx" for a calendar year."""
    period = figures.period
    if period.kind == "school_year":
        return f"anct-{period.start.year}-{period.end.year}.xlsx"
    if period.kind == "calendar_year":
        return f"anct-{period.start.year}.xlsx"
    return f"anct-{period.start:%Y-%m}-{period.end:%Y-%m}.xlsx"


def workbook(figures: Figures, territory: Territory, made_on: date, mask: bool = False) -> bytes:
    """The survey's workbook for `figures`, made on `made_on`."""
    g = gettext
    listed = indicators(figures)
    survey: list[tuple[list, int]] = [
        ([g("Enquête annuelle ANCT – Programme de réussite éducative")], HEADER_STYLE),
        ([territory.programme.name, territory.programme.organisation], 0),
        ([g("Période"), figures.period.label], 0),
        ([g("Du"), figures.period.start], 0),
        ([g("Au"), figures.period.end], 0),
        ([g("Établi le"), made_on], 0),
        (
            [
                g("Effectifs de 1 à 4 masqués (« <5 »)")
                if mask
                else g("Effectifs non masqués : document interne au programme")
            ],
            0,
        ),
    ]
    for section, title in SECTIONS.items():
        survey.append(([], 0))
        survey.append(([title], HEADER_STYLE))
        survey += [
            ([item.definition, masked(item.value, mask), item.code], 0)
            for item in listed
            if item.section == section
        ]
    detail: list[tuple[list, int]] = []
    for breakdown in (
        *figures.received,
        *figures.decisions,
        *figures.parcours,
        *figures.supported_by,
    ):
        detail.append(([breakdown.title], HEADER_STYLE))
        if breakdown.definition:
            detail.append(([breakdown.definition], 0))
        detail += [
            ([line.label, masked(line.value, mask), line.code], 0) for line in breakdown.lines
        ]
        detail.append(([g("Total"), masked(breakdown.total, mask), ""], 0))
        detail.append(([], 0))
    detail.append(([g("Reçues par mois")], HEADER_STYLE))
    detail.append(([g("Mois"), g("Orientations et demandes"), g("Enfants")], HEADER_STYLE))
    detail += [
        ([month.month, masked(month.referrals, mask), masked(month.children, mask)], 0)
        for month in figures.months
    ]
    detail.append(([], 0))
    detail.append(([g("Délais médians, en jours")], HEADER_STYLE))
    detail += [
        ([delay.label, delay.median, g("sur %(count)d enfants") % {"count": delay.count}], 0)
        for delay in figures.delays
    ]
    detail.append(([], 0))
    detail.append(
        (
            [
                g("Enfants dont une réunion de l’EPS de la période a décidé"),
                masked(figures.children_reviewed, mask),
            ],
            0,
        )
    )
    return small_workbook(
        [
            Sheet(
                g("Enquête"),
                [Column(g("Indicateur"), 90), Column(g("Valeur"), 14), Column(g("Code"), 24)],
                survey,
            ),
            Sheet(
                g("Détail"),
                [Column(g("Répartition"), 70), Column(g("Nombre"), 14), Column(g("Code"), 24)],
                detail,
            ),
            Sheet(
                "donnees",
                [Column("indicator", 24), Column("value", 12)],
                [([item.code, masked(item.value, mask)], 0) for item in listed],
            ),
        ]
    )
