"""How a family is written to and reached: the languages it may be written in, and why its
contact details may not reach it ("contact incertain")."""

from __future__ import annotations

from enum import StrEnum

from intake.i18n import _l

# The languages the service writes in (the contract's `contact_language`), French first: the
# default and the source language.
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

# Each language named in itself on the public forms: whoever picks the language to be written
# in may not read the page's. Deliberately not translated (an autonym is the same in every page).
LANGUAGE_NAMES: dict[str, str] = {"fr": "Français", "en": "English"}

# What the staff pages (French) call each language.
LANGUAGE_LABELS: dict[str, str] = {"fr": _l("français"), "en": _l("anglais")}


def page_language(locale: str | None) -> str:
    """The service's language for a locale ("en_GB" → "en"), French for any other."""
    code = (locale or "").partition("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


class ContactDoubt(StrEnum):
    """Why a family may not be reachable by what it gave (`Referral.contact_doubt`)."""

    # Its only contact is an e-mail address whose domain looks misspelt (gmial.com).
    MISSPELT_DOMAIN = "misspelt_domain"
    # An e-mail to the family (its acknowledgement) was given up undelivered, or came back
    # undelivered after the server had accepted it (a bounce).
    MAIL_STOPPED = "mail_stopped"


DOUBT_LABELS: dict[str, str] = {
    ContactDoubt.MISSPELT_DOMAIN: _l(
        "seul contact : une adresse e-mail dont le domaine semble mal orthographié, sans téléphone"
    ),
    ContactDoubt.MAIL_STOPPED: _l("un e-mail à la famille n’a pas pu être remis"),
}


def doubt_at_submission(phone: str | None, email: str | None, misspelt: bool) -> str | None:
    """The doubt a referral is stored with: a misspelt e-mail domain matters only when no
    phone number can reach the family instead."""
    if phone or not email or not misspelt:
        return None
    return ContactDoubt.MISSPELT_DOMAIN.value


def doubt_label(code: str | None) -> str:
    """The coordination's words for a doubt code, "" for none."""
    return str(DOUBT_LABELS.get(code, code)) if code else ""
