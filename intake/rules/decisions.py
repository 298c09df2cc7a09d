"""The vocabulary of decisions and agreements: codes stored (for statistics), French labels.

The codes are the contract's (section 3, "Decisions", and the agreement route). The staff
read `REASONS` and `SERVICES`, in the words of their trade; a family and a referrer read
`PUBLIC_REASONS` and `PUBLIC_SERVICES`, the same codes in plain words.
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

# Why a referral is declined or redirected, as the family and the referrer are told: plain
# words, no jargon ("service de droit commun"), each one a sentence about the child.
PUBLIC_REASONS: dict[str, str] = {
    "age": _l("L’enfant n’a pas l’âge des enfants que le programme accompagne."),
    "territory": _l(
        "Le programme aide les enfants de quelques quartiers et de quelques écoles, et l’enfant "
        "n’en fait pas partie."
    ),
    "mainstream_service": _l("Un autre service, ouvert à tous, peut mieux aider l’enfant."),
    "unreachable": _l("L’équipe n’a pas réussi à joindre la famille."),
    "family_declined": _l("La famille a préféré ne pas continuer."),
    "already_supported": _l("L’enfant est déjà aidé par un autre accompagnement."),
    "duplicate": _l("Une autre demande pour le même enfant est déjà suivie."),
    "other": _l("Une autre raison : l’équipe peut l’expliquer."),
}

# Where a redirected family is sent, as the family and the referrer are told: what the
# service is called and what it does, in a few plain words.
PUBLIC_SERVICES: dict[str, str] = {
    "clas": _l(
        "L’accompagnement à la scolarité (CLAS) : aide aux devoirs et activités après l’école"
    ),
    "reaap": _l("Le réseau des parents (REAAP) : rencontres et soutien pour les parents"),
    "pmi": _l(
        "La protection maternelle et infantile (PMI) : consultations et conseils pour les "
        "enfants de moins de 6 ans et leurs parents"
    ),
    "cmp": _l(
        "Le centre médico-psychologique (CMP ou CMPP) : des soignants (psychologues, "
        "médecins…) qui reçoivent l’enfant et sa famille"
    ),
    "social_service": _l(
        "Le service social du Département : des assistants sociaux qui aident la famille dans "
        "ses démarches"
    ),
    "mda": _l("La Maison des adolescents : écoute et conseils pour les jeunes et leurs parents"),
    "other": _l("Un autre service : l’équipe vous dit lequel et comment le joindre"),
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
