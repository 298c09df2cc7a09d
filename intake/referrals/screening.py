"""A child of a referral screened against the territory, as on the day the referral came."""

from __future__ import annotations

from typing import Any

from intake.models import Child, Referral
from intake.rules.clock import local_date
from intake.rules.screening import Screening, screen
from intake.territory.model import Territory


def screen_child(child: Child, referral: Referral, territory: Territory) -> Screening:
    """Screen `child` of `referral` as on the day it was received, in Paris: at submission,
    and again when a correction changes what screening reads."""
    return screen(
        birth_date=child.birth_date,
        school=child.school,
        address=referral.address,
        postcode=referral.postcode,
        territory=territory,
        today=local_date(referral.received_at),
    )


def screening_columns(result: Screening, territory: Territory) -> dict[str, Any]:
    """A child's columns that keep a screening: the advice and its words, and beside them what
    it saw that day (the QPV matched, the school's UAI and network, the territory's build
    date), which the programme's yearly figures count from rather than from the words."""
    return {
        "eligibility": result.eligibility.value,
        "screening": result.to_dict(),
        "screening_residence": result.residence.value,
        "screening_qpv": result.qpv_code,
        "screening_uai": result.school_uai,
        "screening_network": result.school_network,
        "screening_territory_date": territory.sources.built_on if territory.sources else None,
    }


def apply_screening(child: Child, result: Screening, territory: Territory) -> None:
    """Store a screening on `child` (see `screening_columns`)."""
    for name, value in screening_columns(result, territory).items():
        setattr(child, name, value)
