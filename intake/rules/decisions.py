"""The vocabulary of decisions and agreements: codes stored (for statistics), French labels.

The codes are the contract's (section 3, "Decisions", and the agreement route).
"""

from __future__ import annotations

from intake.i18n import _l

# Why a referral is declined or redirected.
REASONS: dict[str, str] = {
    "age": _l("Âge hors de la tranche du programme"),
    "territory": _l("Domicile et établissement hors du territoire du programme"),
    "mainstream_service": _l("Besoins mieux couverts par un service de droit commun"),
    "unreachable": _l("Famille injoignable"),
    "family_declined": _l("La famille n’a pas souhaité donner suite"),
    "already_supported": _l("Enfant déjà accompagné"),
    "duplicate": _l("Doublon d’une autre orientation"),
    "other": _l("Autre raison"),
}

# Where a redirected family is sent.
SERVICES: dict[str, str] = {
    "clas": _l("Contrat local d’accompagnement à la scolarité (CLAS)"),
    "reaap": _l("Réseau d’écoute, d’appui et d’accompagnement des parents (REAAP)"),
    "pmi": _l("Protection maternelle et infantile (PMI)"),
    "cmp": _l("Centre médico-psychologique (CMP, CMPP)"),
    "social_service": _l("Service social départemental"),
    "mda": _l("Maison des adolescents"),
    "other": _l("Autre service"),
}

# Who withdrew a referral.
WITHDRAWN_BY: dict[str, str] = {
    "family": _l("La famille"),
    "referrer": _l("La personne qui a orienté"),
}

# How a legal representative gave their agreement.
AGREEMENT_METHODS: dict[str, str] = {
    "signed_form": _l("Formulaire signé"),
    "in_person": _l("En personne"),
    "phone": _l("Par téléphone"),
    "email": _l("Par e-mail"),
}

# How a staff account hears of new referrals.
ALERTS: dict[str, str] = {
    "each": _l("À chaque orientation"),
    "daily": _l("Un récapitulatif quotidien"),
    "none": _l("Aucun"),
}
