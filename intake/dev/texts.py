"""The seeder's text fragments: situations, actions tried, comments, notes, levels."""

from __future__ import annotations

from intake.rules.workflow import Status

SITUATION = [
    "{name}, {level}, rencontre des difficultés importantes en lecture depuis la rentrée.",
    "L'enseignante signale une grande fatigue le matin et des retards fréquents.",
    "{name} a du mal à rester concentré·e en classe et se décourage vite devant l'écrit.",
    "La famille est arrivée sur la commune il y a quelques mois et connaît peu les services "
    "de proximité.",
    "La maman élève seule ses enfants et travaille en horaires décalés.",
    "Le papa exprime son inquiétude face aux résultats scolaires et ne sait pas comment aider "
    "aux devoirs.",
    "Des tensions avec les camarades sont apparues pendant les récréations, avec quelques "
    "bagarres.",
    "{name} parle peu en classe ; un bilan orthophonique a été conseillé mais n'a pas encore "
    "eu lieu.",
    "Les absences se multiplient, souvent le lundi, sans justificatif.",
    "La famille est logée temporairement chez un proche, dans un appartement trop petit pour "
    "faire les devoirs au calme.",
    "{name} aime le dessin et le football, mais ne participe à aucune activité en dehors de "
    "l'école faute de moyens.",
    "Les parents sont disponibles et demandeurs d'un accompagnement, ils se disent dépassés.",
    "Un suivi médical a été interrompu après un changement de médecin traitant.",
    "{name} a des troubles du sommeil et passe beaucoup de temps sur les écrans le soir.",
    "La communication entre l'école et la famille est difficile, la maman maîtrisant peu le "
    "français écrit.",
    "Le grand frère est déjà suivi par la mission locale ; la famille connaît le programme par "
    "ce biais.",
    "En mathématiques, {name} a de bonnes bases mais bloque dès que la consigne est longue.",
    "Le comportement en classe s'est dégradé depuis la séparation des parents, au printemps.",
    "{name} est souvent seul·e à la sortie de l'école et rentre à pied sans adulte.",
    "La famille a sollicité une aide pour l'inscription à la cantine et au centre de loisirs.",
    "L'équipe pédagogique note des progrès à l'oral mais un écart qui se creuse à l'écrit.",
    "Un déménagement est envisagé, ce qui inquiète beaucoup {name}.",
    "Les rendez-vous proposés par l'école n'ont pas été honorés jusqu'à présent.",
    "{name} a besoin de lunettes mais la famille n'a pas pu faire les démarches.",
]

ACTIONS = [
    "Rencontre avec la famille à l'école en présence de l'enseignant·e.",
    "Mise en place d'un programme personnalisé de réussite éducative (PPRE).",
    "Aide personnalisée proposée le midi, suivie de façon irrégulière.",
    "Orientation vers le médecin scolaire, rendez-vous en attente.",
    "Information de la famille sur l'accompagnement à la scolarité du centre social.",
    "Échange avec l'assistante sociale de secteur, qui connaît la famille.",
    "Réunion de l'équipe éducative au trimestre dernier.",
    "Proposition d'un bilan orthophonique, non réalisé à ce jour.",
    "Entretiens réguliers avec la CPE et un aménagement de l'emploi du temps.",
    "Contact avec la PMI pour le plus jeune de la fratrie.",
]

COMMENTS = {
    Status.IN_REVIEW: [
        "Premier appel à la famille, rendez-vous fixé.",
        "Dossier complet, examen en cours.",
        "Prise de contact avec l'école pour compléter les informations.",
        "Famille rencontrée lors d'une permanence.",
        "",
    ],
    Status.EPS: [
        "Inscrite à l'ordre du jour de la prochaine équipe pluridisciplinaire.",
        "Situation présentée en EPS après l'entretien avec les parents.",
        "EPS du mois prochain, la référente de parcours prépare la présentation.",
    ],
    Status.ACCEPTED: [
        "Parcours validé en EPS, référente désignée.",
        "Accord des parents recueilli, premières actions en septembre.",
        "Parcours engagé : aide aux devoirs et soutien à la parentalité.",
    ],
    Status.CLOSED: [
        "Objectifs du parcours atteints, fin de l'accompagnement.",
        "Déménagement de la famille hors du territoire, relais passé.",
        "Fin de parcours en accord avec la famille, bilan positif.",
        "Passage au collège, relais avec l'équipe du collège.",
    ],
}

REOPEN_COMMENTS = [
    "Famille finalement jointe par l'école, le dossier est rouvert.",
    "Décision prise trop vite : la maman a rappelé, réexamen.",
]

DECLINED_COMMENTS = {
    "age": "Enfant hors de la tranche d'âge du programme.",
    "territory": "Famille domiciliée hors du territoire, école hors réseau.",
    "mainstream_service": "Le droit commun répond déjà aux besoins repérés.",
    "unreachable": "Trois appels et un courrier sans réponse.",
    "family_declined": "La famille ne souhaite pas d'accompagnement pour le moment.",
    "already_supported": "Enfant déjà suivi par un autre dispositif.",
    "duplicate": "Même situation déjà orientée par l'école.",
    "other": "Situation relevant d'une mesure de protection de l'enfance en cours.",
}

REDIRECTED_COMMENTS = {
    "clas": "Orientée vers l'accompagnement à la scolarité du centre social.",
    "reaap": "Orientée vers les ateliers parents du REAAP.",
    "pmi": "Orientée vers la PMI pour le suivi du plus jeune.",
    "cmp": "Orientée vers le CMP, délai d'attente expliqué à la famille.",
    "social_service": "Orientée vers l'assistante sociale de secteur.",
    "mda": "Orientée vers la Maison des adolescents.",
    "other": "Orientée vers l'association de médiation familiale.",
}

WITHDRAWN_COMMENTS = {
    "family": "La famille a retiré sa demande par téléphone.",
    "referrer": "L'orienteur a retiré la demande : la situation s'est améliorée.",
}

NOTES = [
    "Appel à la maman, qui rappellera en fin de semaine.",
    "Certificat de scolarité reçu.",
    "Message laissé sur le répondeur.",
    "Rendez-vous fixé à la permanence de mardi.",
    "Échange avec l'enseignante : progrès en lecture ce trimestre.",
    "Dossier CAF en cours, l'assistante sociale suit.",
    "La famille demande un interprète pour le prochain entretien.",
    "Bilan orthophonique programmé dans deux mois.",
    "Inscription à l'atelier théâtre du mercredi confirmée.",
    "Point avec la référente de parcours : assiduité en nette amélioration.",
]

HEARD_FROM = [
    "",
    "",
    "L'école",
    "Une voisine",
    "Le centre social",
    "Le site de la mairie",
    "La PMI",
]

AGREEMENT_COMMENTS = ["", "", "Signé lors de l'entretien.", "Accord donné pour les deux enfants."]

# How the situation names a class level other than a plain class.
LEVEL_WORDS = {
    "none": "pas encore scolarisé·e",
    "TPS": "en toute petite section",
    "PS": "en petite section",
    "MS": "en moyenne section",
    "GS": "en grande section",
    "other": "au lycée",
}

# A parcours' objectives, by the referral's domain of difficulty (the contract's `domains`).
OBJECTIVES = {
    "school": [
        "Consolider la lecture et la compréhension des consignes.",
        "Reprendre confiance face aux apprentissages, en lien avec l'enseignante.",
        "Mettre en place une méthode pour les devoirs à la maison.",
    ],
    "language": [
        "Enrichir le vocabulaire et oser prendre la parole en classe.",
        "Réaliser le bilan orthophonique et suivre ses recommandations.",
    ],
    "behaviour": [
        "Apaiser les relations avec les camarades pendant les temps collectifs.",
        "Trouver des moyens d'exprimer sa colère sans se mettre en danger.",
    ],
    "health": [
        "Reprendre le suivi médical interrompu.",
        "Retrouver un rythme de sommeil régulier, limiter les écrans le soir.",
        "Obtenir les lunettes prescrites et les porter en classe.",
    ],
    "family": [
        "Soutenir les parents dans le suivi de la scolarité.",
        "Renouer le dialogue entre la famille et l'école.",
    ],
    "social": [
        "Ouvrir les droits de la famille (CAF, cantine, centre de loisirs).",
        "Accompagner la famille dans ses démarches de logement.",
    ],
    "culture_sport": [
        "Pratiquer une activité sportive ou culturelle régulière hors de l'école.",
        "Découvrir les équipements du quartier : médiathèque, centre social.",
    ],
    "mobility": [
        "Se rendre seul·e à l'école en sécurité.",
        "Accéder aux activités hors du quartier avec les transports en commun.",
    ],
    "attendance": [
        "Retrouver une assiduité régulière, sans absence injustifiée.",
        "Arriver à l'heure le matin grâce à une routine construite avec la famille.",
    ],
}

# Local partners, by kind of action: the people a PRE works with.
PARTNERS = {
    "tutoring": ["Centre social Les Tilleuls", "Association Coup de pouce", "AFEV", "Médiathèque"],
    "speech_therapy": ["Cabinet d'orthophonie du centre", "CMPP", "Orthophoniste libérale"],
    "psychological": ["CMP enfants", "Psychologue du PRE", "Maison des adolescents", "CMPP"],
    "culture_sport": [
        "Club de football municipal",
        "École de musique",
        "Compagnie de théâtre Les Tréteaux",
        "Maison des jeunes",
        "Club de judo",
    ],
    "parenting": ["REAAP", "Centre social Les Tilleuls", "Maison des familles"],
    "rights": ["CCAS", "Service social départemental", "Point d'accès au droit", "CAF"],
    "other": ["Centre social Les Tilleuls", "Association de médiation familiale", "Mairie"],
}

# What "other" and some of the listed kinds were, in a few words.
ACTION_DETAILS = {
    "tutoring": ["", "", "Aide aux devoirs deux soirs par semaine.", "Atelier lecture."],
    "speech_therapy": ["", "Bilan puis séances hebdomadaires."],
    "psychological": ["", "Entretiens mensuels."],
    "culture_sport": ["", "Football le mercredi.", "Atelier théâtre.", "Éveil musical."],
    "parenting": ["", "Groupe de parole des parents.", "Entretiens avec la famille."],
    "rights": ["", "Dossier CAF.", "Inscription à la cantine et au centre de loisirs."],
    "other": [
        "Séjour de vacances avec le centre de loisirs.",
        "Accompagnement vers le bilan ophtalmologique.",
        "Médiation avec le collège.",
    ],
}

REVIEW_SUMMARIES = [
    "Progrès en lecture, à poursuivre ; l'aide aux devoirs est suivie régulièrement.",
    "Assiduité en nette amélioration ; la famille est présente aux rendez-vous.",
    "Le bilan orthophonique a eu lieu, les séances commencent le mois prochain.",
    "Situation stable ; la famille souhaite poursuivre l'accompagnement.",
    "Difficultés persistantes en classe : une rencontre avec l'équipe pédagogique est prévue.",
    "Bonne participation à l'activité sportive, plus à l'aise avec les camarades.",
    "Les démarches auprès de la CAF ont abouti ; l'objectif social est atteint.",
    "Objectifs revus avec la famille et l'enfant, nouvelles actions proposées.",
]

# What the coordination writes when a parcours ends, by exit reason.
EXIT_COMMENTS = {
    "goals_met": [
        "",
        "Objectifs du parcours atteints, fin de l'accompagnement.",
        "Fin de parcours en accord avec la famille, bilan positif.",
    ],
    "moved_away": ["Déménagement de la famille hors du territoire, relais passé."],
    "age_limit": ["", "Fin de parcours à la limite d'âge du programme."],
    "family_ended": ["La famille ne souhaite pas poursuivre l'accompagnement."],
    "handed_over": ["", "Relais pris, synthèse transmise avec l'accord de la famille."],
    "other": [
        "Placement de l'enfant, relais avec l'aide sociale à l'enfance.",
        "Famille injoignable depuis plusieurs mois.",
        "Scolarisation dans un établissement hors du territoire.",
    ],
}
# A handover to a service the contract lists as `other` names it.
HANDOVER_OTHER = "Relais pris par l'association de médiation familiale."

# Référents de parcours outside the coordination.
OUTSIDE_REFERENTS = [
    "Centre social Les Tilleuls",
    "Service social départemental",
    "Collège Jean-Jaurès",
    "Maison des familles",
]
