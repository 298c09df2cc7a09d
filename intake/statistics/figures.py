"""The programme's figures for a period: the one aggregation the statistics page, the ANCT
workbook and `stats anct` all read (issue: "one query, two views").

`compute` counts (intake.statistics.counts) and puts labels and order on the counts
(`assemble`); `indicators` lists the ANCT survey's figures under the contract's fixed codes
("The ANCT workbook"), each with its definition in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import current_app

from intake.i18n import gettext
from intake.models.types import utcnow
from intake.rules.decisions import REASONS, SERVICES
from intake.rules.parcours import ACTION_MODES, EXIT_REASONS, SCHOOL_LEVELS, SEXES, action_kinds
from intake.rules.statistics import (
    AGE_BANDS,
    DURATION_BANDS,
    REFERRER_GROUPS,
    Period,
)
from intake.rules.vocabulary import (
    DOMAINS,
    ELIGIBILITY,
    OTHER_SCHOOL_LABEL,
    REFERRER_ROLES,
    SOURCES,
    status_label,
)
from intake.statistics.cache import cached_count
from intake.statistics.counts import DECISIONS, Counts
from intake.statistics.shapes import Breakdown, Delay, Figures, Indicator, Line, Month
from intake.territory.model import Territory


def compute(period: Period, today: date, now: datetime | None = None) -> Figures:
    """The figures of `period`, as they stand `today` (the Paris day of `now`)."""
    as_of = period.as_of(today)
    counts = cached_count(period, as_of, now or utcnow())
    return assemble(counts, period, as_of, current_app.extensions["territory"])


def _lines(counts: Mapping[str, int], labels: Mapping[str, object], keep_zero: bool) -> list[Line]:
    """Lines in the order of `labels` (zeros kept when `keep_zero`: a fixed list reads
    better whole), then codes `labels` lacks, largest first."""
    lines = [
        Line(code, str(label), counts.get(code, 0))
        for code, label in labels.items()
        if keep_zero or counts.get(code, 0)
    ]
    extra = sorted(
        ((code, value) for code, value in counts.items() if code not in labels and value),
        key=lambda item: (-item[1], item[0]),
    )
    return lines + [Line(code, code, value) for code, value in extra]


def _ranked(counts: Mapping[str, int], label_of: Mapping[str, str]) -> list[Line]:
    """Lines largest first (schools, QPV), each named from `label_of` or by its code."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], label_of.get(item[0], item[0])))
    return [Line(code, label_of.get(code, code), value) for code, value in ordered if value]


def assemble(counts: Counts, period: Period, as_of: date, territory: Territory) -> Figures:
    """Figures from raw counts: every code named, every list in its reading order."""
    g = gettext
    schools = {school.uai: school.name for school in territory.schools}
    schools["other"] = str(OTHER_SCHOOL_LABEL)
    qpvs = {qpv.code: f"{qpv.name} ({qpv.code})" for qpv in territory.qpvs}
    places = {
        **qpvs,
        "outside_qpv": g("Hors QPV, sur le territoire"),
        "outside_territory": g("Hors du territoire"),
        "unknown": g("Adresse non située"),
    }
    networks = {
        "REP+": "REP+",
        "REP": "REP",
        "none": g("Hors éducation prioritaire"),
        "unlisted": g("Établissement hors liste"),
    }
    received = [
        Breakdown("source", g("Orientations et demandes, par origine"), "referrals",
                  _lines(counts.source, SOURCES, True)),
        Breakdown("role", g("Orientations par fonction de la personne qui oriente"),
                  "referrals", _lines(counts.role, REFERRER_ROLES, False)),
        Breakdown("school", g("Enfants par établissement"), "children",
                  _ranked(counts.school, schools)),
        Breakdown("network", g("Enfants par réseau d’éducation prioritaire de l’établissement"),
                  "children", _lines(counts.network, networks, True)),
        Breakdown("qpv", g("Enfants par quartier prioritaire de résidence"), "children",
                  _ranked(counts.qpv, places)),
        Breakdown("eligibility", g("Enfants par résultat du pré-examen"), "children",
                  _lines(counts.eligibility, ELIGIBILITY, True)),
    ]  # fmt: skip
    outcomes = {status.value: status_label(status.value) for status in DECISIONS}
    decisions = [
        Breakdown("outcome", g("Décisions prises, par issue"), "decisions",
                  _lines(counts.outcome, outcomes, True),
                  definition=g("Une décision par enfant, datée du jour où elle a été prise.")),
        Breakdown("reason", g("Motifs des refus et réorientations"), "decisions",
                  _lines(counts.reason, REASONS, False)),
        Breakdown("service", g("Services vers lesquels les familles ont été réorientées"),
                  "decisions", _lines(counts.service, SERVICES, False)),
    ]  # fmt: skip
    delay_labels = {
        "first_action": g("De la réception à la première action"),
        "eps": g("De la réception au passage en EPS"),
        "decision": g("De la réception à la décision"),
    }
    delays = [
        Delay(code, label, *counts.delays.get(code, (None, 0)))
        for code, label in delay_labels.items()
    ]
    kinds = action_kinds((kind.code, kind.name) for kind in territory.action_kinds)
    bands = {code: label for code, label, _ in DURATION_BANDS}
    parcours = [
        Breakdown("exit_reason", g("Sorties par motif"), "exits",
                  _lines(counts.exit_reason, EXIT_REASONS, True)),
        Breakdown("duration", g("Durée des parcours terminés dans la période"), "exits",
                  _lines(counts.durations, bands, True),
                  definition=g("De l’entrée (décision) à la sortie.")),
        Breakdown("action_kind", g("Actions en cours dans la période, par type"), "actions",
                  _lines(counts.action_kind, kinds, False)),
        Breakdown("action_mode", g("Actions individuelles et collectives"), "actions",
                  _lines(counts.action_mode, ACTION_MODES, True)),
        Breakdown("objective_domain", g("Objectifs des parcours, par domaine"), "objectives",
                  _lines(counts.objective_domain, DOMAINS, False)),
    ]  # fmt: skip
    residence = {**qpvs, "outside": g("Hors QPV")}
    priority = {
        "rep_plus": "REP+",
        "rep": "REP",
        "none": g("Ni REP ni REP+"),
    }
    supported_by = [
        Breakdown("sex", g("Enfants accompagnés, par sexe"), "children",
                  _lines(counts.sex, SEXES, True)),
        Breakdown("age", g("Enfants accompagnés, par âge au premier jour de la période"),
                  "children", _lines(counts.age, AGE_BANDS, True)),
        Breakdown("level", g("Enfants accompagnés, par niveau scolaire"), "children",
                  _lines(counts.level, SCHOOL_LEVELS, True)),
        Breakdown("residence", g("Enfants accompagnés, par quartier prioritaire de résidence"),
                  "children", [*_ranked(_without(counts.residence, "outside"), qpvs),
                               Line("outside", residence["outside"],
                                    counts.residence.get("outside", 0))]),
        Breakdown("priority_network", g("Enfants accompagnés, par réseau de l’établissement"),
                  "children", _lines(counts.priority_network, priority, True)),
        Breakdown("referrer", g("Enfants accompagnés, selon qui les a orientés"), "children",
                  _lines(counts.referrer, REFERRER_GROUPS, True)),
        Breakdown("domain", g("Enfants accompagnés, par domaine de difficulté signalé"),
                  "children", _lines(counts.domain, DOMAINS, True),
                  definition=g("Un enfant compte dans chaque domaine signalé pour lui.")),
    ]  # fmt: skip
    return Figures(
        period=period,
        as_of=as_of,
        referrals_received=sum(counts.referrals_by_month.values()),
        children_referred=sum(counts.children_by_month.values()),
        months=[
            Month(
                month,
                counts.referrals_by_month.get(month.isoformat(), 0),
                counts.children_by_month.get(month.isoformat(), 0),
            )
            for month in period.months()
        ],
        received=received,
        decisions=decisions,
        delays=delays,
        supported=counts.supported,
        entries=counts.entries,
        exits=counts.exits,
        active=counts.active,
        duration_median=counts.duration_median,
        duration_mean=counts.duration_mean,
        parcours=parcours,
        supported_by=supported_by,
        eps_meetings=counts.eps_meetings,
        children_reviewed=counts.children_reviewed,
    )


def _without(counts: Mapping[str, int], code: str) -> dict[str, int]:
    return {key: value for key, value in counts.items() if key != code}


# The survey's sections, in the order a coordinator fills them in.
SECTIONS = {
    "activity": "Activité de l’année",
    "profile": "Profil des enfants accompagnés",
    "referral": "Orientation",
    "exits": "Sorties et durées",
    "eps": "Équipe pluridisciplinaire de soutien",
}


def indicators(figures: Figures) -> list[Indicator]:
    """The ANCT survey's figures under the contract's fixed codes, in the contract's order,
    each with its section and its definition in words (French: the survey's language)."""
    supported = "parmi les enfants accompagnés dans la période, chacun une fois"
    by = figures.breakdown

    def rows(
        section: str, key: str, codes: dict[str, str], what: str, among: str = supported
    ) -> list[Indicator]:
        return [
            Indicator(code, by(key).value(value_code), section, f"{what} : {label} ({among})")
            for code, (value_code, label) in codes.items()
        ]

    activity = [
        Indicator("referrals_received", figures.referrals_received, "activity",
                  "Orientations et demandes reçues dans la période"),
        Indicator("children_referred", figures.children_referred, "activity",
                  "Enfants nommés dans les orientations et demandes reçues dans la période"),
        Indicator("children_supported", figures.supported, "activity",
                  "Enfants accompagnés : en parcours à un moment de la période"),
        Indicator("entries", figures.entries, "activity",
                  "Entrées : parcours ouverts dans la période (date de la décision)"),
        Indicator("exits", figures.exits, "activity",
                  "Sorties : parcours terminés dans la période"),
        Indicator("active_on_last_day", figures.active, "activity",
                  f"Enfants en parcours le {figures.as_of:%d/%m/%Y}, dernier jour de la période "
                  "(ou jour du calcul si elle n’est pas finie), sortis ce jour-là exclus"),
    ]  # fmt: skip
    profile = [
        *rows("profile", "sex", {"sex_f": ("F", "filles"), "sex_m": ("M", "garçons"),
                                  "sex_not_stated": ("", "sexe non renseigné")}, "Sexe"),
        *rows("profile", "age", {f"age_{code}": (code, str(label))
                                 for code, label in AGE_BANDS.items()},
              "Âge au premier jour de la période"),
        *rows("profile", "level", {f"level_{code}": (code, str(SCHOOL_LEVELS[code]))
                                   for code in ("maternelle", "elementaire", "college",
                                                "lycee", "none")}, "Niveau scolaire"),
        Indicator("qpv_resident", figures.supported - by("residence").value("outside"), "profile",
                  f"Résidant dans un quartier prioritaire (QPV) ({supported})"),
        Indicator("outside_qpv", by("residence").value("outside"), "profile",
                  f"Résidant hors QPV ou adresse non située ({supported})"),
        *rows("profile", "priority_network", {"rep_plus": ("rep_plus", "REP+"),
                                              "rep": ("rep", "REP"),
                                              "no_priority_network": ("none", "ni REP ni REP+")},
              "Établissement scolaire"),
    ]  # fmt: skip
    referral = rows(
        "referral",
        "referrer",
        {
            "referred_by_school": ("school", "Éducation nationale"),
            "referred_by_social": ("social", "action sociale, jeunesse"),
            "referred_by_health": ("health", "santé (PMI)"),
            "referred_by_family": ("family", "demande de la famille"),
            "referred_by_other": ("other", "autre"),
        },
        "Orienté par",
    )
    exits = [
        *rows("exits", "exit_reason", {f"exit_{code}": (code, str(label))
                                       for code, label in EXIT_REASONS.items()},
              "Motif de sortie", among="sorties de la période"),
        Indicator("duration_median_days", figures.duration_median, "exits",
                  "Durée médiane des parcours terminés dans la période, en jours "
                  "(de l’entrée à la sortie)"),
        Indicator("duration_mean_days", figures.duration_mean, "exits",
                  "Durée moyenne des parcours terminés dans la période, en jours"),
    ]  # fmt: skip
    eps = [
        Indicator("eps_meetings", figures.eps_meetings, "eps",
                  "Réunions de l’équipe pluridisciplinaire de soutien tenues dans la période"),
    ]  # fmt: skip
    return [*activity, *profile, *referral, *exits, *eps]
