"""A child of a referral screened against the territory, as on the day the referral came."""

from __future__ import annotations

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
