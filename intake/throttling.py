"""When a visitor refused by throttling may try again, rounded so as never to be too early."""

from __future__ import annotations

import math
import time
from datetime import timedelta

from babel.dates import TIMEDELTA_UNITS
from flask_babel import format_timedelta

from intake.extensions import limiter

# A wait is told in the largest unit of which it makes at least two: 80 minutes are "dans
# 80 minutes", not "dans 1 heure" (Babel's rounding: too early) nor "dans 2 heures".
THRESHOLD = 2
# Never in seconds: by the time the page is read, they would be wrong.
UNITS = [seconds for _, seconds in TIMEDELTA_UNITS if seconds >= 60]
# How Babel tells a wait: with the threshold above, so it names the unit retry_wait rounded to
# instead of rounding again, and from the minute up.
WORDING = {"threshold": THRESHOLD, "granularity": "minute", "add_direction": True}


def retry_wait(seconds: float) -> timedelta:
    """The wait of `seconds` rounded up to the unit it will be told in (one minute at least)."""
    for unit in UNITS:
        if seconds >= THRESHOLD * unit or unit == 60:
            return timedelta(seconds=max(1, math.ceil(seconds / unit)) * unit)
    raise AssertionError("UNITS ends with the minute")  # pragma: no cover


def retry_delay() -> str:
    """'dans 12 minutes': when the limit this request broke lets it through again."""
    broken = limiter.current_limit
    # Whole seconds, as in the Retry-After header: Flask-Limiter's reset time already carries
    # a second of margin, which would otherwise turn "1 minute" into "2 minutes".
    seconds = int(broken.reset_at - time.time()) if broken is not None else 60
    return format_timedelta(retry_wait(seconds), **WORDING)
