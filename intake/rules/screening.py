"""Screen a child against the territory's eligibility rules: pure functions, no Flask."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from intake.i18n import N_
from intake.rules.ages import years_and_months_on
from intake.territory.addresses import street_candidates
from intake.territory.model import Programme, Qpv, School, Street, Territory

# The school a form sends for "another school, or none": not a UAI, screened "to check".
OTHER_SCHOOL = "other"


class Eligibility(StrEnum):
    """The advice screening gives on a child or a referral."""

    ELIGIBLE = "eligible"
    TO_CHECK = "to_check"
    NOT_ELIGIBLE = "not_eligible"


class AgeStatus(StrEnum):
    """Where the child's age stands against the programme's range."""

    IN_RANGE = "in_range"
    TOO_YOUNG = "too_young"
    TOO_OLD = "too_old"
    UNKNOWN = "unknown"


class SchoolStatus(StrEnum):
    """Whether the child's school belongs to priority education."""

    PRIORITY = "priority"
    NOT_PRIORITY = "not_priority"
    UNKNOWN = "unknown"


class Residence(StrEnum):
    """Where the child lives relative to the territory and its priority neighbourhoods."""

    QPV = "qpv"
    OUTSIDE_QPV = "outside_qpv"
    OUTSIDE_TERRITORY = "outside_territory"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reason:
    """One sentence of the screening, kept as a template and its parameters for translation."""

    code: str
    template: str
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # A read-only copy, so a frozen Reason cannot be changed through its parameters.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def text(self) -> str:
        """The French sentence, the template filled with its parameters."""
        return self.template % self.params


@dataclass(frozen=True)
class Screening:
    """The screening of one child: the advice, each criterion and the reasons in words."""

    eligibility: Eligibility
    age: AgeStatus
    school: SchoolStatus
    residence: Residence
    qpv_code: str | None
    reasons: tuple[Reason, ...]
    # The school as the territory listed it that day: its UAI and network ("REP+", "REP", or
    # "" outside priority education); both None when the school was not in the list.
    school_uai: str | None = None
    school_network: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, for storing with the referral."""
        return {
            "eligibility": self.eligibility.value,
            "age": self.age.value,
            "school": self.school.value,
            "residence": self.residence.value,
            "qpv_code": self.qpv_code,
            "school_uai": self.school_uai,
            "school_network": self.school_network,
            "reasons": [
                {
                    "code": r.code,
                    "template": r.template,
                    "params": dict(r.params),
                    "text": r.text,
                }
                for r in self.reasons
            ],
        }


# --- Combining advice -----------------------------------------------------------------------

_RANK = {Eligibility.NOT_ELIGIBLE: 0, Eligibility.TO_CHECK: 1, Eligibility.ELIGIBLE: 2}


def best(values: Iterable[Eligibility | str]) -> Eligibility:
    """The most favourable value (eligible > to_check > not_eligible); to_check when empty."""
    found = [Eligibility(v) for v in values]
    return max(found, key=_RANK.__getitem__) if found else Eligibility.TO_CHECK


def worst(values: Iterable[Eligibility | str]) -> Eligibility:
    """The least favourable value (not_eligible < to_check < eligible); to_check when empty."""
    found = [Eligibility(v) for v in values]
    return min(found, key=_RANK.__getitem__) if found else Eligibility.TO_CHECK


# --- Age ------------------------------------------------------------------------------------


def _age_in_words(years: int, months: int, *, with_months: bool) -> str:
    """French words for an age: "1 an", "2 ans", "1 an et 11 mois", "5 mois"."""
    if years == 0:
        return f"{months} mois" if months else "moins d'un mois"
    words = f"{years} an" if years == 1 else f"{years} ans"
    if with_months and months:
        words += f" et {months} mois"
    return words


AGE_MISSING = N_("Âge : date de naissance non renseignée, à vérifier.")
AGE_AFTER_RECEIPT = N_("Âge : date de naissance postérieure à la date de réception, à vérifier.")
AGE_IN_RANGE = N_(
    "Âge : %(age)s à la date de réception, dans la tranche du programme "
    "(%(min_age)s à %(max_age)s ans)."
)
AGE_TOO_YOUNG = N_(
    "Âge : l'enfant a %(age)s à la date de réception, en dessous de la tranche du programme "
    "(%(min_age)s à %(max_age)s ans)."
)
AGE_TOO_OLD = N_(
    "Âge : l'enfant a %(age)s à la date de réception, au-delà de la tranche du programme "
    "(%(min_age)s à %(max_age)s ans)."
)


def _as_date(value: date) -> date:
    # Comparing a datetime with a date raises TypeError; callers may hold either.
    return value.date() if isinstance(value, datetime) else value


def _screen_age(
    birth_date: date | None, today: date, programme: Programme
) -> tuple[AgeStatus, Reason]:
    if birth_date is None:
        return AgeStatus.UNKNOWN, Reason("age_missing", AGE_MISSING)
    birth_date, today = _as_date(birth_date), _as_date(today)
    if birth_date > today:
        return AgeStatus.UNKNOWN, Reason("age_after_receipt", AGE_AFTER_RECEIPT)
    years, months = years_and_months_on(birth_date, today)
    bounds = {"min_age": programme.min_age, "max_age": programme.max_age}
    if years < programme.min_age:
        # Months matter for a toddler a few weeks short of the minimum age.
        age = _age_in_words(years, months, with_months=True)
        return AgeStatus.TOO_YOUNG, Reason("age_too_young", AGE_TOO_YOUNG, {"age": age, **bounds})
    age = _age_in_words(years, months, with_months=False)
    if years > programme.max_age:
        return AgeStatus.TOO_OLD, Reason("age_too_old", AGE_TOO_OLD, {"age": age, **bounds})
    return AgeStatus.IN_RANGE, Reason("age_in_range", AGE_IN_RANGE, {"age": age, **bounds})


def age_status(birth_date: date | None, today: date, programme: Programme) -> AgeStatus:
    """Where a child's age stands on `today` against the programme's range (the screening rule)."""
    return _screen_age(birth_date, today, programme)[0]


# --- School ---------------------------------------------------------------------------------

SCHOOL_PRIORITY = N_("Établissement : %(school)s, en %(network)s (éducation prioritaire).")
SCHOOL_NOT_PRIORITY = N_("Établissement : %(school)s, hors éducation prioritaire.")
SCHOOL_MISSING = N_("Établissement : non renseigné, à vérifier.")
SCHOOL_OTHER = N_("Établissement : autre établissement, hors de la liste du programme, à vérifier.")
SCHOOL_NOT_LISTED = N_("Établissement : code %(uai)s absent de la liste du programme, à vérifier.")


def _screen_school(
    school: str | None, territory: Territory
) -> tuple[SchoolStatus, Reason, School | None]:
    uai = (school or "").strip()
    if not uai:
        return SchoolStatus.UNKNOWN, Reason("school_missing", SCHOOL_MISSING), None
    if uai.casefold() == OTHER_SCHOOL:
        return SchoolStatus.UNKNOWN, Reason("school_other", SCHOOL_OTHER), None
    found = territory.school(uai)
    if found is None:
        reason = Reason("school_not_listed", SCHOOL_NOT_LISTED, {"uai": uai})
        return SchoolStatus.UNKNOWN, reason, None
    if found.is_priority:
        params = {"school": found.name, "network": found.priority}
        return SchoolStatus.PRIORITY, Reason("school_priority", SCHOOL_PRIORITY, params), found
    params = {"school": found.name}
    reason = Reason("school_not_priority", SCHOOL_NOT_PRIORITY, params)
    return SchoolStatus.NOT_PRIORITY, reason, found


# --- Residence ------------------------------------------------------------------------------


RESIDENCE_QPV = N_("Domicile : adresse dans le quartier prioritaire %(qpv)s (%(code)s).")
RESIDENCE_OUTSIDE_QPV = N_(
    "Domicile : code postal %(postcode)s à %(commune)s, "
    "hors des rues des quartiers prioritaires connues."
)
RESIDENCE_OUTSIDE_TERRITORY = N_(
    "Domicile : code postal %(postcode)s hors du territoire du programme."
)
RESIDENCE_NO_POSTCODE = N_("Domicile : code postal non renseigné, à vérifier.")
RESIDENCE_BAD_POSTCODE = N_("Domicile : code postal « %(postcode)s » illisible, à vérifier.")
RESIDENCE_NO_STREET = N_("Domicile : adresse impossible à situer, à vérifier.")
RESIDENCE_UNLISTED = N_(
    "Domicile : les rues du quartier prioritaire %(qpv)s (%(code)s) ne sont pas encore "
    "renseignées, à vérifier."
)
RESIDENCE_NO_NUMBER = N_(
    "Domicile : numéro absent, alors que seule une partie de « %(street)s » est en quartier "
    "prioritaire, à vérifier."
)


@dataclass(frozen=True)
class _Location:
    residence: Residence
    qpv: Qpv | None  # the neighbourhood the address lies in, only when residence is QPV
    reason: Reason
    # The territory file's entry that decided: the street (and its neighbourhood) that placed
    # the address or could not place it without a number, or a neighbourhood with no streets.
    entry_qpv: Qpv | None = None
    street: Street | None = None


@dataclass(frozen=True)
class ResidenceDecision:
    """Where an address lies and the territory file's entry that decided it (see `decide`)."""

    residence: Residence
    reason: Reason
    qpv: Qpv | None
    street: Street | None


def _locate(address: str | None, postcode: str | None, territory: Territory) -> _Location:
    """Place an address against the territory's communes and priority neighbourhoods."""
    code = re.sub(r"\s+", "", postcode or "")
    if not code:
        return _Location(
            Residence.UNKNOWN, None, Reason("residence_no_postcode", RESIDENCE_NO_POSTCODE)
        )
    if not re.fullmatch(r"\d{5}", code):
        reason = Reason("residence_bad_postcode", RESIDENCE_BAD_POSTCODE, {"postcode": code})
        return _Location(Residence.UNKNOWN, None, reason)
    communes = territory.communes_for_postcode(code)
    if not communes:
        reason = Reason(
            "residence_outside_territory", RESIDENCE_OUTSIDE_TERRITORY, {"postcode": code}
        )
        return _Location(Residence.OUTSIDE_TERRITORY, None, reason)
    candidates = [parsed for _, parsed in street_candidates(address or "")]
    if not candidates:
        return _Location(
            Residence.UNKNOWN, None, Reason("residence_no_street", RESIDENCE_NO_STREET)
        )
    names = {c.name for c in communes}
    undecided: tuple[Qpv, Street] | None = None
    for parsed in candidates:
        for qpv in territory.qpvs:
            if qpv.commune not in names:
                continue
            for street in qpv.streets:
                if street.key != parsed.street_key:
                    continue
                # Any entry that accepts the number places the address, even if another refuses.
                verdict = street.accepts(parsed.number)
                if verdict:
                    params = {"qpv": qpv.name, "code": qpv.code}
                    reason = Reason("residence_qpv", RESIDENCE_QPV, params)
                    return _Location(Residence.QPV, qpv, reason, qpv, street)
                if verdict is None and undecided is None:
                    undecided = (qpv, street)
    if undecided is not None:
        qpv, street = undecided
        reason = Reason("residence_no_number", RESIDENCE_NO_NUMBER, {"street": street.name})
        return _Location(Residence.UNKNOWN, None, reason, qpv, street)
    # A neighbourhood whose streets are not listed yet (the shipped Lillers sample) cannot rule
    # an address out: that is missing information, so "to check", never "no".
    unlisted = next((q for q in territory.qpvs if q.commune in names and not q.streets), None)
    if unlisted is not None:
        params = {"qpv": unlisted.name, "code": unlisted.code}
        return _Location(
            Residence.UNKNOWN,
            None,
            Reason("residence_streets_unlisted", RESIDENCE_UNLISTED, params),
            unlisted,
        )
    params = {"postcode": code, "commune": " ou ".join(c.name for c in communes)}
    reason = Reason("residence_outside_qpv", RESIDENCE_OUTSIDE_QPV, params)
    return _Location(Residence.OUTSIDE_QPV, None, reason)


def residence_of(
    address: str | None, postcode: str | None, territory: Territory
) -> tuple[Residence, str | None]:
    """Where an address lies, with the QPV code when it is in a priority neighbourhood."""
    location = _locate(address, postcode, territory)
    return location.residence, location.qpv.code if location.qpv else None


def decide(address: str | None, postcode: str | None, territory: Territory) -> ResidenceDecision:
    """Where an address lies, with the neighbourhood and street entry of the file that decided.

    For `flask territory check`: the same decision as screening, from the same `_locate`.
    """
    location = _locate(address, postcode, territory)
    return ResidenceDecision(
        location.residence, location.reason, location.entry_qpv, location.street
    )


# --- Rules ----------------------------------------------------------------------------------

_OUTSIDE = (Residence.OUTSIDE_QPV, Residence.OUTSIDE_TERRITORY)


def _qpv_or_priority_school(residence: Residence, school: SchoolStatus) -> Eligibility:
    if residence is Residence.QPV or school is SchoolStatus.PRIORITY:
        return Eligibility.ELIGIBLE
    if residence in _OUTSIDE and school is SchoolStatus.NOT_PRIORITY:
        return Eligibility.NOT_ELIGIBLE
    return Eligibility.TO_CHECK


def _qpv_and_priority_school(residence: Residence, school: SchoolStatus) -> Eligibility:
    if residence is Residence.QPV and school is SchoolStatus.PRIORITY:
        return Eligibility.ELIGIBLE
    if residence in _OUTSIDE or school is SchoolStatus.NOT_PRIORITY:
        return Eligibility.NOT_ELIGIBLE
    return Eligibility.TO_CHECK


_PLACE_RULES = {
    "qpv_or_priority_school": _qpv_or_priority_school,
    "qpv_and_priority_school": _qpv_and_priority_school,
}

_AGE_ADVICE = {
    AgeStatus.IN_RANGE: Eligibility.ELIGIBLE,
    AgeStatus.TOO_YOUNG: Eligibility.NOT_ELIGIBLE,
    AgeStatus.TOO_OLD: Eligibility.NOT_ELIGIBLE,
    AgeStatus.UNKNOWN: Eligibility.TO_CHECK,
}


def screen(
    *,
    birth_date: date | None,
    school: str | None,
    address: str | None,
    postcode: str | None,
    territory: Territory,
    today: date,
) -> Screening:
    """Screen one child on the day the referral was received; advice only, a person decides."""
    age, age_reason = _screen_age(birth_date, today, territory.programme)
    school_status, school_reason, listed = _screen_school(school, territory)
    location = _locate(address, postcode, territory)
    place = _PLACE_RULES[territory.programme.rule](location.residence, school_status)
    return Screening(
        eligibility=worst([_AGE_ADVICE[age], place]),
        age=age,
        school=school_status,
        residence=location.residence,
        qpv_code=location.qpv.code if location.qpv else None,
        reasons=(age_reason, location.reason, school_reason),
        school_uai=listed.uai if listed else None,
        school_network=listed.priority if listed else None,
    )
