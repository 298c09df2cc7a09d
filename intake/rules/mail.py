"""What the coordination reads about e-mails: their kinds, and why one was given up."""

from __future__ import annotations

from enum import StrEnum

from intake.i18n import N_


class StopReason(StrEnum):
    """Why delivery of a message was given up; stored at the head of its `last_error`."""

    ADDRESS_REFUSED = "address_refused"
    ADDRESS_UNUSABLE = "address_unusable"
    MESSAGE_REFUSED = "message_refused"
    TOO_MANY_FAILURES = "too_many_failures"
    REFERRAL_GONE = "referral_gone"
    # Accepted by the mail server, then returned undelivered (intake.notifications.bounces).
    BOUNCED = "bounced"
    ERROR = "error"


# What the coordination reads on the referral, so it knows to phone the person instead.
REASON_LABELS: dict[StopReason, str] = {
    StopReason.ADDRESS_REFUSED: N_("adresse refusée par le serveur de messagerie"),
    StopReason.ADDRESS_UNUSABLE: N_("adresse impossible à utiliser"),
    StopReason.MESSAGE_REFUSED: N_("message refusé par le serveur de messagerie"),
    StopReason.TOO_MANY_FAILURES: N_("trop d’échecs temporaires"),
    StopReason.REFERRAL_GONE: N_("demande supprimée avant l’envoi"),
    StopReason.BOUNCED: N_("message revenu non distribué après son envoi"),
    StopReason.ERROR: N_("erreur de l’application lors de l’envoi"),
}

KIND_LABELS: dict[str, str] = {
    "acknowledgement": N_("accusé de réception"),
    "coordinator_alert": N_("alerte de la coordination"),
    "family_acknowledgement": N_("accusé de réception à la famille"),
    "decision_accepted": N_("avis de décision (parcours engagé)"),
    "decision_redirected": N_("avis de décision (orientée vers un autre service)"),
    "decision_declined": N_("avis de décision (non retenue)"),
    "decision_withdrawn": N_("avis de décision (retirée)"),
    "digest": N_("récapitulatif quotidien"),
}


def stop_reason(last_error: str | None) -> StopReason:
    """The reason a stopped message's `last_error` starts with (ERROR if it names none)."""
    code = (last_error or "").partition(":")[0]
    try:
        return StopReason(code)
    except ValueError:
        return StopReason.ERROR


def reason_label(last_error: str | None) -> str:
    """The French words (untranslated message id) for why a stopped message stopped."""
    return REASON_LABELS[stop_reason(last_error)]


def kind_label(kind: str) -> str:
    """The French name (untranslated message id) of a kind of message, or the kind itself."""
    return KIND_LABELS.get(kind, kind)
