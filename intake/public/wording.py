"""Sentences the public pages build from what was sent: no names, only counts and years."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import ngettext


def years_in_words(years: Sequence[int]) -> str:
    """ "en 2015", "en 2015 et en 2018", "en 2012, en 2015 et en 2018": each year once, in order."""
    phrases = [_("en %(year)d", year=year) for year in sorted(set(years))]
    if len(phrases) <= 1:
        return "".join(phrases)
    return _("%(first)s et %(last)s", first=", ".join(phrases[:-1]), last=phrases[-1])


def children_in_words(years: Sequence[int], source: str) -> str | None:
    """What the request was about, to be checked by whoever sent it; None when not known."""
    if not years:
        return None
    when = years_in_words(years)
    if source == "professional":
        return ngettext(
            "Votre orientation concerne %(num)d enfant, né %(years)s.",
            "Votre orientation concerne %(num)d enfants, nés %(years)s.",
            len(years),
            years=when,
        )
    return ngettext(
        "Votre demande concerne %(num)d enfant, né %(years)s.",
        "Votre demande concerne %(num)d enfants, nés %(years)s.",
        len(years),
        years=when,
    )
