"""The contract's codes and the French words people read for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import phonenumbers

from intake.i18n import _l, gettext
from intake.rules.clock import local_datetime

# Re-exported: the templates read decisions' labels as vocab.REASONS…
from intake.rules.decisions import AGREEMENT_METHODS, REASONS, SERVICES, WITHDRAWN_BY  # noqa: F401
from intake.rules.mail import kind_label, reason_label

# Re-exported: the templates read the family's languages and contact doubts as vocab.…
from intake.rules.reach import DOUBT_LABELS, LANGUAGE_LABELS, doubt_label  # noqa: F401
from intake.rules.workflow import LABELS, PUBLIC_LABELS, Status

DOMAINS: dict[str, str] = {
    "school": _l("Scolarité, apprentissages"),
    "language": _l("Langage"),
    "behaviour": _l("Comportement"),
    "health": _l("Santé"),
    "family": _l("Vie familiale, parentalité"),
    "social": _l("Situation sociale"),
    "culture_sport": _l("Loisirs, culture, sport"),
    "mobility": _l("Déplacements, mobilité"),
    "attendance": _l("Absences, assiduité"),
}

REFERRER_ROLES: dict[str, str] = {
    "teacher": _l("Enseignant·e"),
    "head_teacher": _l("Directeur·rice d’école ou chef·fe d’établissement"),
    "cpe": _l("Conseiller·ère principal·e d’éducation (CPE)"),
    "school_nurse_doctor": _l("Infirmier·ère ou médecin scolaire"),
    "school_social_worker": _l("Assistant·e social·e scolaire"),
    "rased": _l("RASED, psychologue de l’Éducation nationale"),
    "social_worker": _l("Travailleur·euse social·e"),
    "pmi": _l("Protection maternelle et infantile (PMI)"),
    "youth_worker": _l("Animateur·rice, éducateur·rice jeunesse"),
    "other": _l("Autre"),
}

CLASS_LEVELS: dict[str, str] = {
    "none": _l("Non scolarisé"),
    "TPS": _l("Toute petite section"),
    "PS": _l("Petite section"),
    "MS": _l("Moyenne section"),
    "GS": _l("Grande section"),
    "CP": _l("CP"),
    "CE1": _l("CE1"),
    "CE2": _l("CE2"),
    "CM1": _l("CM1"),
    "CM2": _l("CM2"),
    "6e": _l("6e"),
    "5e": _l("5e"),
    "4e": _l("4e"),
    "3e": _l("3e"),
    "other": _l("Autre"),
}

SOURCES: dict[str, str] = {
    "professional": _l("Orientation par un·e professionnel·le"),
    "parent": _l("Demande d’un parent"),
}

# What the school lists show for OTHER_SCHOOL (intake.rules.screening). Short enough to show
# whole in the closed list on a 360 px phone (tests/browser/test_browser.py).
OTHER_SCHOOL_LABEL = _l("Autre, ou non scolarisé")

ELIGIBILITY: dict[str, str] = {
    "eligible": _l("Éligible"),
    "to_check": _l("À vérifier"),
    "not_eligible": _l("Non éligible"),
}

ROLES: dict[str, str] = {
    "coordinator": _l("Coordination"),
    "viewer": _l("Lecture seule"),
}

# Where screening places an address (intake.rules.screening.Residence), as the territory
# page says it.
RESIDENCES: dict[str, str] = {
    "qpv": _l("En quartier prioritaire (QPV)"),
    "outside_qpv": _l("Hors QPV"),
    "outside_territory": _l("Hors du territoire"),
    "unknown": _l("À vérifier"),
}

# The open data a territory is built from (intake.territory.model.SOURCE_KINDS).
SOURCE_FILES: dict[str, str] = {
    "ban": _l("Base Adresse Nationale"),
    "qpv": _l("Contours des QPV 2024 (ANCT)"),
    "schools": _l("Annuaire de l’éducation (Éducation nationale)"),
}

# What a read log entry was (intake.triage.audit.ReadKind), as "Consulté par" says it.
READ_KINDS: dict[str, str] = {
    "detail": _l("dossier"),
    "fiche": _l("fiche de liaison"),
    "agenda": _l("ordre du jour de l’EPS"),
    "export.csv": _l("export CSV"),
    "export.xlsx": _l("export tableur"),
    "donnees": _l("données de la famille (RGPD)"),
    "donnees.json": _l("données de la famille, fichier JSON (RGPD)"),
}


def status_label(code: str) -> str:
    """The coordinator's word for a status."""
    return gettext(LABELS[Status(code)])


def status_labels() -> dict[str, str]:
    """Every status's label, translated once: for a page that shows one on each row."""
    return {status.value: gettext(text) for status, text in LABELS.items()}


def public_status_label(code: str) -> str:
    """What the family or the referrer reads about a status on the status page."""
    return gettext(PUBLIC_LABELS[Status(code)])


def mail_kind_label(kind: str) -> str:
    """What the coordination calls a kind of e-mail (accusé de réception…)."""
    return gettext(kind_label(kind))


def mail_stop_label(last_error: str | None) -> str:
    """Why a stopped e-mail stopped, in plain words, from its `last_error`."""
    return gettext(reason_label(last_error))


def label(table: dict[str, str], code: str | None) -> str:
    """The label of `code` in `table`, or the code itself if it is not there."""
    if code is None:
        return ""
    return str(table.get(code, code))


def labels(table: dict[str, str]) -> dict[str, str]:
    """Every label of `table`, translated once: for a page that shows one on each row."""
    return {code: str(text) for code, text in table.items()}


def format_phone(number: str | None) -> str:
    """Show a stored E.164 number the French way (06 12 34 56 78)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def format_date(value: date | datetime | None) -> str:
    """A date as French readers write it (27/11/2026), in Paris time for timestamps."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_datetime(value)
    return value.strftime("%d/%m/%Y")


def datetime_formatter() -> Callable[[datetime | None], str]:
    """`format_datetime` with its words translated once: for a page that shows a timestamp
    on each row."""
    pattern = gettext("%(date)s à %(time)s")

    def format_one(value: datetime | None) -> str:
        if value is None:
            return ""
        local = local_datetime(value)
        return pattern % {"date": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M")}

    return format_one


def format_datetime(value: datetime | None) -> str:
    """A timestamp in Paris time (27/11/2026 à 14:05)."""
    return datetime_formatter()(value)
