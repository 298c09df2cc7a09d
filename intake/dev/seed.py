"""`flask dev seed`: fill a database with fictional referrals, for demos and benchmarks.

Generation is pure (`generate` yields batches of plain dicts, from a `random.Random(seed)`
and a fixed `now`), so the same seed on the same day gives the same data and the tests can
read it without a database. Writing takes a chunk of referrals with their children,
history, agreements and notes per transaction (SQLAlchemy Core `executemany` on SQLite, COPY
on PostgreSQL), with primary keys assigned here so that children can name their referral
without a RETURNING per row; a second process generates the next chunk meanwhile.

Everything is invented: names from the lists below, phones in the mobile range, e-mails on
example.org (a domain reserved for examples, RFC 2606), and no e-mail is queued.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import random
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import click
import phonenumbers
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intake.duplicates.likeness import name_similarity
from intake.extensions import db
from intake.models import (
    Agreement,
    Assignment,
    Child,
    DuplicatePair,
    Note,
    PairState,
    ReferenceCounter,
    Referral,
    Role,
    StatusChange,
    User,
)
from intake.models.rows import bulk_insert
from intake.rules.ages import age_on, years_and_months_on
from intake.rules.clock import PARIS, local_date
from intake.rules.decisions import AGREEMENT_METHODS
from intake.rules.screening import Eligibility, best, screen
from intake.rules.search import normalise, order_key, referral_key
from intake.rules.vocabulary import DOMAINS, REFERRER_ROLES
from intake.rules.workflow import FINAL, Status
from intake.territory.model import Street, Territory

DEFAULT_SEED = 20260101
CHUNK_SIZE = 2000
# The share of open referrals that send again a child of a recent open one (another
# professional, or the parent after the school): what the duplicate check warns about.
DUPLICATE_SHARE = 0.04
RECENT_OPEN = 200
# How far back the received dates go.
SPAN_DAYS = 3 * 365
ADDRESS_POOL = 1500

# --- Names ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    # Long lists read better as text than as a column of quoted strings.
    return text.split()


FIRST_NAMES = _words(
    """
Adam Adèle Adrien Agathe Ahmed Aïcha Aïda Alba Alexandre Alexis Alice Aliya Alix Amandine
Ambre Amélie Amine Amir Anaïs Andréa Ange Angèle Anna Anouk Antoine Apolline Arthur Assia
Aurélien Ava Axel Aya Ayoub Baptiste Bastien Bilal Blanche Brahim Camille Capucine Céleste
Célia Charles Charlie Charlotte Chloé Clara Clément Cléo Clémence Colette Constance Corentin
Côme Damien Daniel David Diane Djibril Dylan Éden Éléonore Élias Élie Élisa Élise Ella
Elsa Émile Emma Emmanuel Enzo Éloïse Estelle Ethan Étienne Eva Évan Fanny Fatima Fatoumata
Félix Florian Gabin Gabriel Gaël Gaspard Grégoire Gustave Hamza Hanaé Hannah Héloïse Hugo
Ibrahim Ilyes Imran Inaya Inès Iris Isaac Ismaël Jade Jeanne Joachim Joseph Josué Jules
Julia Julien Juliette Justine Kaïs Karim Kelya Kenza Kylian Lalie Lana Laura Léa Léandre
Léna Léo Léon Léonie Liam Lilou Lily Lina Line Lisa Lison Livia Loan Loïc Lola Lou Louane
Louis Louisa Louise Luc Luca Lucas Lucie Lucien Lyna Lys Madeleine Maël Maëlle Maëlys
Mahé Maïa Maïwenn Malak Malo Manon Marceau Margaux Margot Marie Marin Marius Marwa Maryam
Mathéo Mathilde Mathis Matteo Maxence Maxime Maya Mayssa Médine Méline Mélissa Milan Mila
Mina Moïse Mohamed Morgane Moussa Nahia Naïm Naïs Nathan Nathanaël Néo Nina Noa Noah Noam
Noé Noémie Nolan Nora Norah Octave Olivia Omar Oscar Paul Pauline Perrine Pierre Quentin
Rafael Raphaël Rayan Romane Romain Rose Ruben Sacha Salomé Samuel Sara Sarah Selma Simon
Sofia Sohan Soline Sophia Soraya Tessa Théa Théo Thomas Tiago Timéo Titouan Tom Valentin
Victor Victoire Violette Wassim Yanis Yasmine Youssef Yacine Zélie Zoé Zakaria Zayn Ilan
Inaya Aylan Aliénor Océane Anatole Bérénice Gaëtan Hélène Irène Jérémy Joël Lænna Maëva
Naëlle Noélie Séverine Stéphane Sébastien Thaïs Wendy Yaël Zoë Ophélie Clotilde Éva Ophélia
Marie-Lou Jean-Baptiste Anne-Sophie Léo-Paul Marie-Ange
"""
)

GUARDIAN_FIRST_NAMES = _words(
    """
Sophie Nathalie Isabelle Sandrine Céline Stéphanie Virginie Aurélie Émilie Julie Fatima
Nadia Samira Karima Leïla Malika Aïssatou Mariam Hélène Valérie Christelle Delphine Laëtitia
Mélanie Caroline Jessica Audrey Élodie Amandine Hanane Souad Rachida Myriam Ludivine Coralie
Jérôme Frédéric Sébastien Nicolas Mickaël Cédric Stéphane Karim Mohamed Rachid Mamadou
Franck Thierry Laurent David Yannick Grégory Abdel Youssef Ousmane Julien Anthony
"""
)

LAST_NAMES = [
    *_words(
        """
    Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre
    Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont
    Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry
    Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin
    Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël
    Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet
    Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud Leclerc
    Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq Lacroix Fabre Dupuis
    Olivier Rodriguez Rivière Hubert Carpentier Moulin Louis Deschamps Huet Vasseur
    Benoît Lecomte Hamon Dubus Delattre Wattebled Dewailly Caudron Lefranc Delannoy Bouchez
    Vanhove Desmet Poulain Lebrun Prévost Bailly Hervé Lemaître Boucher Charpentier Cordier
    Diallo Traoré Camara Coulibaly Touré Keita Diop Ndiaye Sow Cissé Kone Haddad Benali
    Belkacem Benamar Mansouri Bouzid Chérif Amrani Hamidi Saïdi Brahimi Khelifi Bensaïd Yilmaz
    Kaya Öztürk Demir Pereira Ferreira Rodrigues Gonçalves Fernandes Lopes Alves Almeida Nunes
    Kowalski Nowak Wiśniewski Lewandowski Tran Pham Le Hoang Zhang Wang Chen Ly Mendy Gomis
    Boulanger Lesage Thuillier Delcourt Vandamme Lheureux Dequidt Béthune Lemaire Lecocq
    Hennebert Delbarre Duhamel Flament Lagache Lecerf Wallart Dhainaut Régnier Lejeune Thiébaut
    """
    ),
    "Da Costa",
    "Ben Ali",
    "Ben Ahmed",
    "Da Silva",
    "Dos Santos",
    "De Oliveira",
    "Le Gall",
    "Le Goff",
    "Le Roux",
    "Le Bihan",
    "De La Cruz",
    "Van Damme",
    "Van de Velde",
    "El Amrani",
    "El Idrissi",
    "Aït Ahmed",
    "N'Diaye",
    "Saint-Martin",
    "Martin-Leroy",
    "Dupont-Aignan",
    "Lefèvre-Pontalis",
    "Boulanger-Caron",
    "de Sousa",
    "du Pont",
]

# Streets for addresses outside the priority neighbourhoods (and every address when the
# territory lists no QPV street): common French street names, none meant to be a real address.
STREETS = [
    "rue Victor-Hugo",
    "rue de la Gare",
    "rue Pasteur",
    "rue de la République",
    "rue du Moulin",
    "rue des Écoles",
    "rue Jules-Ferry",
    "place de la Mairie",
    "rue Gambetta",
    "avenue de la Libération",
    "rue du 8-Mai-1945",
    "rue Voltaire",
    "rue des Lilas",
    "allée des Peupliers",
    "chemin des Prés",
    "rue Louis-Pasteur",
    "rue de l'Église",
    "rue Anatole-France",
    "impasse des Rosiers",
    "rue Émile-Zola",
    "résidence Les Érables",
    "rue du Général-de-Gaulle",
    "boulevard Carnot",
    "rue Henri-Barbusse",
    "cité des Mineurs",
]

# Places outside every territory the app ships with, for the addresses screening should find
# outside: real postcodes of other départements, fictional streets.
OUTSIDE = [("75011", "Paris"), ("59000", "Lille"), ("80000", "Amiens"), ("69003", "Lyon")]

OTHER_SCHOOLS = [
    "École privée Sainte-Marie",
    "Collège Saint-Joseph (privé)",
    "École d'une commune voisine",
    "Instruction en famille",
    "Institut médico-éducatif",
    "Non scolarisé, en attente d'affectation",
]

ORGANISATIONS = {
    "social_worker": ["Maison départementale des solidarités", "CCAS", "Service social CAF"],
    "pmi": ["Centre de PMI"],
    "youth_worker": ["Centre social", "Maison de quartier", "Service jeunesse de la ville"],
    "rased": ["RASED de la circonscription", "Centre d'information et d'orientation"],
    "other": ["Association de prévention", "Club de football", "Médiathèque municipale"],
}

# --- Text fragments -------------------------------------------------------------------------

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

# Status by age of the referral (days since received): recent ones are open, old ones final.
STATUS_WEIGHTS: list[tuple[int, dict[Status, int]]] = [
    (7, {Status.NEW: 70, Status.IN_REVIEW: 24, Status.WITHDRAWN: 3, Status.REDIRECTED: 3}),
    (
        30,
        {
            Status.NEW: 20,
            Status.IN_REVIEW: 40,
            Status.EPS: 20,
            Status.REDIRECTED: 7,
            Status.DECLINED: 7,
            Status.WITHDRAWN: 6,
        },
    ),
    (
        120,
        {
            Status.NEW: 3,
            Status.IN_REVIEW: 15,
            Status.EPS: 20,
            Status.ACCEPTED: 35,
            Status.REDIRECTED: 10,
            Status.DECLINED: 10,
            Status.WITHDRAWN: 7,
        },
    ),
    (
        365,
        {
            Status.IN_REVIEW: 2,
            Status.EPS: 3,
            Status.ACCEPTED: 40,
            Status.CLOSED: 25,
            Status.REDIRECTED: 12,
            Status.DECLINED: 11,
            Status.WITHDRAWN: 7,
        },
    ),
    (
        10**6,
        {
            Status.ACCEPTED: 8,
            Status.CLOSED: 55,
            Status.REDIRECTED: 15,
            Status.DECLINED: 14,
            Status.WITHDRAWN: 8,
        },
    ),
]
STATUS_TABLES = [
    (limit, list(weights), list(weights.values())) for limit, weights in STATUS_WEIGHTS
]

DECLINE_REASONS = {
    "mainstream_service": 30,
    "unreachable": 25,
    "family_declined": 20,
    "already_supported": 10,
    "duplicate": 8,
    "other": 7,
}
REDIRECT_SERVICES = {
    "clas": 30,
    "social_service": 20,
    "cmp": 15,
    "reaap": 12,
    "pmi": 8,
    "mda": 8,
    "other": 7,
}

# How the situation names a class level other than a plain class.
LEVEL_WORDS = {
    "none": "pas encore scolarisé·e",
    "TPS": "en toute petite section",
    "PS": "en petite section",
    "MS": "en moyenne section",
    "GS": "en grande section",
    "other": "au lycée",
}

# Class level by age in completed years on the day received (French school years).
LEVELS = ["none", "none", "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e"]
LEVELS += ["5e", "4e", "3e"]


# --- Generation -----------------------------------------------------------------------------


@dataclass
class Batch:
    """One chunk of generated rows, ready for executemany, and where the counters stand."""

    referrals: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    agreements: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    # Earlier referrals (of this batch or a previous one) that a pair flags once stored.
    flagged: list[int] = field(default_factory=list)
    # year -> last number handed out once this batch is stored
    counters: dict[int, int] = field(default_factory=dict)


@dataclass
class Start:
    """Where the database stands: the next primary key of each table and each year's last
    reference number, so that added rows continue them."""

    referral_id: int = 1
    child_id: int = 1
    status_change_id: int = 1
    agreement_id: int = 1
    note_id: int = 1
    assignment_id: int = 1
    duplicate_pair_id: int = 1
    last_numbers: dict[int, int] = field(default_factory=dict)


class _Places:
    """What addresses and schools are drawn from, read once from the territory."""

    def __init__(self, territory: Territory) -> None:
        self.qpv_streets: list[tuple[Street, str, str]] = []
        for qpv in territory.qpvs:
            commune = next(c for c in territory.communes if c.name == qpv.commune)
            for street in qpv.streets:
                self.qpv_streets.append((street, commune.postcodes[0], commune.name))
        self.communes = [(c.postcodes[0], c.name) for c in territory.communes]
        self.primary = [s.uai for s in territory.schools if not _is_secondary(s.name)]
        self.secondary = [s.uai for s in territory.schools if _is_secondary(s.name)]
        self.schools = [s.uai for s in territory.schools]
        self.school_names = [s.name for s in territory.schools] or ["École élémentaire"]


def _is_secondary(name: str) -> bool:
    return normalise(name).startswith(("college", "lycee"))


def _street_number(rng: random.Random, street: Street) -> int:
    """A house number inside the part of `street` that belongs to the neighbourhood."""
    low = street.from_ or 1
    high = street.to or low + 80
    number = rng.randint(low, high)
    wanted = {"odd": 1, "even": 0}.get(street.side or "")
    if wanted is not None and number % 2 != wanted:
        number = number + 1 if number < high else number - 1
    return max(number, 1)


def _address(rng: random.Random, places: _Places) -> tuple[str, str, str]:
    roll = rng.random()
    if roll < 0.06:
        postcode, city = rng.choice(OUTSIDE)
        return f"{rng.randint(1, 120)} {rng.choice(STREETS)}", postcode, city
    if places.qpv_streets and roll < 0.66:
        street, postcode, city = rng.choice(places.qpv_streets)
        address = f"{_street_number(rng, street)} {street.name}"
    else:
        postcode, city = rng.choice(places.communes)
        address = f"{rng.randint(1, 150)} {rng.choice(STREETS)}"
    if rng.random() < 0.1:
        address += f", bât. {rng.choice('ABCDE')}, appt {rng.randint(1, 60)}"
    return address, postcode, city


@functools.cache
def mobile_prefixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 06 blocks and all the 06 and 07 blocks that phonenumbers holds valid (not all of
    063x, 069x and 07 are)."""
    found = []
    for block in range(600, 800):
        number = phonenumbers.parse(f"+33{block}123456")
        if phonenumbers.is_valid_number(number):
            found.append(str(block))
    return tuple(b for b in found if b.startswith("6")), tuple(found)


def _mobile(rng: random.Random) -> str:
    # Mostly 06, as most mobiles still are; stored in E.164, as the forms store them.
    sixes, every = mobile_prefixes()
    block = rng.choice(sixes if rng.random() < 0.8 else every)
    return f"+33{block}{rng.randrange(10**6):06d}"


def _text(
    rng: random.Random, fragments: list[str], orders: list[list[int]], low: int, high: int, **names
) -> str:
    """Sentences drawn from `fragments` until the text is between `low` and `high` long, in
    one of the shuffled `orders` (shuffling for each text would cost more than the rest)."""
    target = rng.randint(low, high)
    order = rng.choice(orders)
    out: list[str] = []
    length = 0
    index = 0
    while length < target:
        sentence = fragments[order[index % len(order)]]
        if "{" in sentence:
            sentence = sentence.format(**names)
        index += 1
        if length + len(sentence) + 1 > high:
            if length >= low:
                break
            sentence = sentence[: high - length - 1]
        out.append(sentence)
        length += len(sentence) + 1
    return " ".join(out)


def _times(
    rng: random.Random, start: datetime, end: datetime, count: int, gap_days: float
) -> list[datetime]:
    """`count` increasing moments after `start`, about `gap_days` apart, none after `end`."""
    gaps = [rng.uniform(0.2, 2 * gap_days) for _ in range(count)]
    available = (end - start).total_seconds() / 86400 * 0.95
    total = sum(gaps)
    if total > available:
        gaps = [gap * available / total for gap in gaps]
    moments, moment = [], start
    for gap in gaps:
        moment = moment + timedelta(days=gap)
        moments.append(moment)
    return moments


class _Generator:
    def __init__(
        self,
        territory: Territory,
        seed: int,
        now: datetime,
        user_ids: Sequence[int],
    ) -> None:
        self.territory = territory
        self.seed = seed
        self.now = now
        self.user_ids = list(user_ids)
        self.places = _Places(territory)
        # Reproducible on purpose: fictional data, nothing secret is drawn from it.
        self.rng = random.Random(seed)  # noqa: S311
        self.methods = list(AGREEMENT_METHODS)
        self.domains = list(DOMAINS)
        self.roles = list(REFERRER_ROLES)
        # Screening reads only these; the same child at the same address the same day is
        # rare, but the school and place verdicts repeat, and the cache costs nothing.
        self._screenings: dict[tuple, Any] = {}
        self.orders = {
            name: [self.rng.sample(range(len(fragments)), len(fragments)) for _ in range(64)]
            for name, fragments in (("situation", SITUATION), ("actions", ACTIONS))
        }
        # Families of a territory live in a few thousand buildings: drawing addresses from
        # such a pool is realistic, and lets the screening cache below serve most children.
        self.addresses = [_address(self.rng, self.places) for _ in range(ADDRESS_POOL)]

    def slug(self, name: str) -> str:
        """A name as an e-mail address spells it: no accents, no spaces."""
        return normalise(name).replace(" ", "-")

    def search_key(self, row: dict[str, Any], children: list[dict[str, Any]]) -> str:
        """`intake.search.referral_key` of the referral's row and its children's."""
        return referral_key(
            SimpleNamespace(**row, children=[SimpleNamespace(**child) for child in children])
        )

    def user(self) -> int | None:
        return self.rng.choice(self.user_ids) if self.user_ids and self.rng.random() < 0.9 else None

    def sent_again(
        self,
        row: dict[str, Any],
        children: list[dict[str, Any]],
        status: Status,
        recent: deque,
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Now and then, make this open referral a second sending of a recent open one: its
        first child is the other's, born the same day, its names written another way (case,
        accents, order), by the same family at the same address. Returns the earlier
        referral's row and child when it does."""
        rng = self.rng
        if status in FINAL or not recent or rng.random() >= DUPLICATE_SHARE:
            return None
        earlier_row, earlier_child = rng.choice(recent)
        first, last = earlier_child["first_name"], earlier_child["last_name"]
        spelling = rng.randrange(3)
        if spelling == 0:
            first, last = normalise(first).title(), last.upper()
        elif spelling == 1:
            first, last = last.upper(), first  # the two fields swapped
        else:
            first, last = normalise(first), normalise(last)  # all lower case, no accents
        day = local_date(row["received_at"])
        child = children[0]
        child.update(
            first_name=first,
            last_name=last,
            birth_date=earlier_child["birth_date"],
            school=earlier_child["school"],
            school_other=earlier_child["school_other"],
            class_level=earlier_child["class_level"],
        )
        for name in ("guardian_name", "address", "postcode", "city"):
            row[name] = earlier_row[name]
        child["eligibility"], child["screening"] = self.screening(
            child["birth_date"], child["school"], row["address"], row["postcode"], day
        )
        row["eligibility"] = best(c["eligibility"] for c in children).value
        return earlier_row, earlier_child

    def received_dates(self, count: int) -> list[datetime]:
        """Sorted receipt moments over the last three years, busier lately, in office hours."""
        rng = self.rng
        today = local_date(self.now)
        moments = []
        for _ in range(count):
            # A programme's queue is alive: a sixth of the referrals came in the last month.
            days = rng.uniform(0, 30) if rng.random() < 0.16 else rng.uniform(0, SPAN_DAYS)
            day = today - timedelta(days=int(days))
            hour = rng.choice((8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 16, 17, 18, 20, 22))
            local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=PARIS)
            moment = local.astimezone(UTC)
            if moment >= self.now:
                moment = self.now - timedelta(minutes=rng.randint(1, 600))
            moments.append(moment)
        moments.sort()
        return moments

    def statuses(self, received: list[datetime]) -> list[Status]:
        rng = self.rng
        chosen = []
        for moment in received:
            age = (self.now - moment).days
            _, names, weights = next(t for t in STATUS_TABLES if age <= t[0])
            chosen.append(rng.choices(names, weights)[0])
        # A demo (and the tests) want every status on screen: a status the draw missed goes
        # to the newest referral for an open one, the oldest for a final one, taking it from
        # a status present more than once.
        if len(received) >= len(Status):
            for status in Status:
                if status in chosen:
                    continue
                order = range(len(chosen))
                if status in (Status.NEW, Status.IN_REVIEW, Status.EPS):
                    order = reversed(order)
                for index in order:
                    if chosen.count(chosen[index]) > 1:
                        chosen[index] = status
                        break
        return chosen

    def screening(self, birth_date: date, school: str, address: str, postcode: str, day: date):
        """The real screening of a child, cached: its result depends on the birth date and
        the day only through the age on that day, in years (and months below the programme's
        minimum age), so children of the same age at the same address and school share one
        call."""
        years, months = years_and_months_on(birth_date, day)
        age = (years, months) if years < self.territory.programme.min_age else years
        key = (age, school, address, postcode)
        found = self._screenings.get(key)
        if found is None:
            result = screen(
                birth_date=birth_date,
                school=school,
                address=address,
                postcode=postcode,
                territory=self.territory,
                today=day,
            )
            found = (result.eligibility.value, result.to_dict())
            self._screenings[key] = found
        return found

    def children(self, count: int, family: str, day: date, address: str, postcode: str):
        rng = self.rng
        programme = self.territory.programme
        rows = []
        for position in range(count):
            if rng.random() < 0.9:
                years = rng.uniform(programme.min_age, programme.max_age + 0.99)
            else:
                years = rng.choice((rng.uniform(0.3, programme.min_age), rng.uniform(17, 19)))
            birth_date = day - timedelta(days=int(years * 365.25))
            age = age_on(birth_date, day)
            level = LEVELS[age] if age < len(LEVELS) else "other"
            pool = self.places.secondary if age >= 11 else self.places.primary
            pool = pool or self.places.schools
            if level == "other":
                # Past the collège: a lycée, which no territory file lists.
                school, school_other = "other", "Lycée professionnel Jean-Monnet"
            elif pool and rng.random() < 0.82:
                school, school_other = rng.choice(pool), None
            else:
                school, school_other = "other", rng.choice(OTHER_SCHOOLS)
            last_name = family if rng.random() < 0.92 else rng.choice(LAST_NAMES)
            eligibility, screening = self.screening(birth_date, school, address, postcode, day)
            rows.append(
                {
                    "position": position,
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": last_name,
                    "birth_date": birth_date,
                    "school": school,
                    "school_other": school_other,
                    "class_level": level,
                    "eligibility": eligibility,
                    "screening": screening,
                }
            )
        return rows

    def referral(self, received_at: datetime, status: Status, year: int, number: int) -> dict:
        rng = self.rng
        reference = f"PRE-{year}-{number:05d}"
        source = "professional" if rng.random() < 0.65 else "parent"
        family = rng.choice(LAST_NAMES)
        guardian_last = family if rng.random() < 0.85 else rng.choice(LAST_NAMES)
        guardian_first = rng.choice(GUARDIAN_FIRST_NAMES)
        address, postcode, city = rng.choice(self.addresses)
        day = local_date(received_at)
        count = rng.choices((1, 2, 3), (75, 20, 5))[0]
        children = self.children(count, family, day, address, postcode)
        first = children[0]
        phone = _mobile(rng) if rng.random() < 0.92 else None
        email = None
        if phone is None or rng.random() < 0.6:
            email = f"{self.slug(guardian_first)}.{self.slug(guardian_last)}"
            email += f"{rng.randint(1, 99)}@example.org"
        row: dict[str, Any] = {
            "reference": reference,
            "year": year,
            "number": number,
            "source": source,
            "received_at": received_at,
            "status": status.value,
            "eligibility": best(c["eligibility"] for c in children).value,
            "urgent": source == "professional" and rng.random() < 0.04,
            "fingerprint": hashlib.sha256(
                f"intake.seed:{self.seed}:{reference}:{rng.random()}".encode()
            ).hexdigest(),
            "version": 1,
            "guardian_name": f"{guardian_first} {guardian_last}",
            "guardian_phone": phone,
            "guardian_email": email,
            "address": address,
            "postcode": postcode,
            "city": city,
            "domains": sorted(rng.sample(self.domains, rng.randint(1, 4))),
            "situation": _text(
                rng,
                SITUATION,
                self.orders["situation"],
                300,
                1200,
                name=first["first_name"],
                level=LEVEL_WORDS.get(first["class_level"], f"en {first['class_level']}"),
            ),
            "referrer_name": None,
            "referrer_organisation": None,
            "referrer_role": None,
            "referrer_email": None,
            "referrer_phone": None,
            "actions_tried": None,
            "family_informed": False,
            "consent": False,
            "heard_from": None,
        }
        if source == "professional":
            role = rng.choice(self.roles)
            first_name, last_name = rng.choice(GUARDIAN_FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first_name} {last_name}"
            if role in ORGANISATIONS:
                organisation = f"{rng.choice(ORGANISATIONS[role])} de {city}"
            else:
                organisation = rng.choice(self.places.school_names)
            row.update(
                referrer_name=name,
                referrer_organisation=organisation,
                referrer_role=role,
                referrer_email=f"{self.slug(first_name)}.{self.slug(last_name)}@example.org",
                referrer_phone=_mobile(rng) if rng.random() < 0.7 else None,
                actions_tried=_text(rng, ACTIONS, self.orders["actions"], 80, 600),
                family_informed=rng.random() < 0.9,
            )
        else:
            row.update(consent=True, heard_from=rng.choice(HEARD_FROM) or None)
        return {**row, "children": children}

    def path(self, status: Status, eligibility: str) -> list[dict[str, Any]]:
        """The steps after `new` that lead to `status`, each with its comment and codes."""
        rng = self.rng
        open_path = {
            Status.NEW: [],
            Status.IN_REVIEW: [Status.IN_REVIEW],
            Status.EPS: [Status.IN_REVIEW, Status.EPS],
            Status.ACCEPTED: [Status.IN_REVIEW, Status.EPS, Status.ACCEPTED],
            Status.CLOSED: [Status.IN_REVIEW, Status.EPS, Status.ACCEPTED, Status.CLOSED],
        }
        if status in open_path:
            targets = open_path[status]
        else:
            prefix = rng.choices(
                ([], [Status.IN_REVIEW], [Status.IN_REVIEW, Status.EPS]), (25, 55, 20)
            )[0]
            targets = [*prefix, status]
        steps = [self.step(target, eligibility) for target in targets]
        # Now and then a decision is undone: declined as unreachable, then the family called.
        if steps and steps[0]["to_status"] == Status.IN_REVIEW and rng.random() < 0.03:
            steps[0]["comment"] = rng.choice(REOPEN_COMMENTS)
            steps.insert(0, self.step(Status.DECLINED, eligibility, reason="unreachable"))
        return steps

    def step(self, target: Status, eligibility: str, reason: str | None = None) -> dict:
        rng = self.rng
        step: dict[str, Any] = {
            "to_status": target,
            "comment": "",
            "reason": None,
            "service": None,
            "withdrawn_by": None,
            "share_reason": False,
        }
        if target is Status.DECLINED:
            if reason is None:
                if eligibility == Eligibility.NOT_ELIGIBLE and rng.random() < 0.7:
                    reason = rng.choice(("age", "territory"))
                else:
                    reason = rng.choices(list(DECLINE_REASONS), list(DECLINE_REASONS.values()))[0]
            step.update(
                reason=reason, comment=DECLINED_COMMENTS[reason], share_reason=rng.random() < 0.6
            )
        elif target is Status.REDIRECTED:
            service = rng.choices(list(REDIRECT_SERVICES), list(REDIRECT_SERVICES.values()))[0]
            reason = "mainstream_service" if rng.random() < 0.8 else rng.choice(("age", "other"))
            comment = REDIRECTED_COMMENTS[service]
            if reason == "other":
                comment += " La situation dépasse le cadre du programme."
            step.update(
                reason=reason, service=service, comment=comment, share_reason=rng.random() < 0.7
            )
        elif target is Status.WITHDRAWN:
            by = "family" if rng.random() < 0.7 else "referrer"
            step.update(withdrawn_by=by, comment=WITHDRAWN_COMMENTS[by])
        else:
            step["comment"] = rng.choice(COMMENTS[target])
        return step


def generate(
    count: int,
    *,
    territory: Territory,
    now: datetime,
    seed: int = DEFAULT_SEED,
    start: Start | None = None,
    user_ids: Sequence[int] = (),
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Batch]:
    """Yield `count` fictional referrals in batches of `chunk_size`, with their children,
    history, agreements and notes as plain dicts keyed by column name.

    The same arguments give the same rows. `start` says where the tables' ids and the
    yearly reference numbers stand; `user_ids` are coordinators to sign history and notes.
    """
    if count < 1:
        raise ValueError("count must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start = start or Start()
    gen = _Generator(territory, seed, now, user_ids)
    rng = gen.rng
    received = gen.received_dates(count)
    statuses = gen.statuses(received)
    last_numbers = dict(start.last_numbers)
    ids = {
        "referral": start.referral_id,
        "child": start.child_id,
        "status_change": start.status_change_id,
        "agreement": start.agreement_id,
        "note": start.note_id,
        "assignment": start.assignment_id,
        "duplicate_pair": start.duplicate_pair_id,
    }

    def next_id(table: str) -> int:
        ids[table] += 1
        return ids[table] - 1

    # The latest open referrals, with their first child: the ones a later referral may send
    # again. Kept across batches, so the rows do not depend on the chunk size.
    recent: deque[tuple[dict[str, Any], dict[str, Any]]] = deque(maxlen=RECENT_OPEN)
    for offset in range(0, count, chunk_size):
        batch = Batch()
        for received_at, status in zip(
            received[offset : offset + chunk_size],
            statuses[offset : offset + chunk_size],
            strict=True,
        ):
            year = local_date(received_at).year
            number = last_numbers.get(year, 0) + 1
            last_numbers[year] = number
            row = gen.referral(received_at, status, year, number)
            children = row.pop("children")
            referral_id = next_id("referral")
            row["id"] = referral_id
            earlier = gen.sent_again(row, children, status, recent)
            for child in children:
                batch.children.append({"id": next_id("child"), "referral_id": referral_id, **child})
            if earlier is not None:
                # What the duplicate check did when this one was stored: a pair still waiting
                # for a coordinator, and both referrals flagged.
                earlier_row, earlier_child = earlier
                row["duplicate_suspected"] = True
                batch.flagged.append(earlier_row["id"])
                batch.pairs.append(
                    {
                        "id": next_id("duplicate_pair"),
                        "referral_id": referral_id,
                        "child_id": batch.children[-len(children)]["id"],
                        "other_referral_id": earlier_row["id"],
                        "other_child_id": earlier_child["id"],
                        "score": name_similarity(
                            children[0]["first_name"],
                            children[0]["last_name"],
                            earlier_child["first_name"],
                            earlier_child["last_name"],
                        ),
                        "state": PairState.SUSPECTED.value,
                        "found_at": received_at,
                    }
                )
            elif status not in FINAL:
                # Open referrals are what a later one may be a second sending of.
                recent.append((row, batch.children[-len(children)]))

            steps = gen.path(status, row["eligibility"])
            gap = rng.uniform(3, 40)
            moments = _times(rng, received_at, now, len(steps) + 1, gap)
            history = [
                {
                    "at": received_at,
                    "user_id": None,
                    "from_status": None,
                    "to_status": Status.NEW.value,
                    "comment": "",
                    "reason": None,
                    "service": None,
                    "withdrawn_by": None,
                    "share_reason": False,
                }
            ]
            previous = Status.NEW
            step_user = None
            for step, moment in zip(steps, moments, strict=False):
                step_user = gen.user()
                history.append(
                    {
                        **step,
                        "to_status": step["to_status"].value,
                        "at": moment,
                        "user_id": step_user,
                        "from_status": previous.value,
                    }
                )
                previous = step["to_status"]
            last_activity = history[-1]["at"]

            agreement = _agreement(gen, row, status, history, moments[-1])
            if agreement is not None:
                agreement["id"] = next_id("agreement")
                agreement["referral_id"] = referral_id
                batch.agreements.append(agreement)
                last_activity = max(
                    last_activity,
                    agreement["recorded_at"],
                    agreement["withdrawn_at"] or agreement["recorded_at"],
                )

            if status is not Status.NEW or rng.random() < 0.1:
                # Notes come with the work: before a final decision, up to now on open ones.
                end = history[-1]["at"] if status in FINAL else moments[-1]
                for _ in range(rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]):
                    at = received_at + (end - received_at) * rng.random()
                    batch.notes.append(
                        {
                            "id": next_id("note"),
                            "referral_id": referral_id,
                            "at": at,
                            "user_id": gen.user(),
                            "text": rng.choice(NOTES),
                        }
                    )
                    last_activity = max(last_activity, at)

            for change in history:
                change["id"] = next_id("status_change")
                change["referral_id"] = referral_id
            batch.history.extend(history)

            # Once someone has looked at a referral, it mostly has a référent, named then.
            row.setdefault("duplicate_suspected", False)
            row["assigned_to_id"] = None
            if status is not Status.NEW and gen.user_ids and rng.random() < 0.85:
                row["assigned_to_id"] = rng.choice(gen.user_ids)
                batch.assignments.append(
                    {
                        "id": next_id("assignment"),
                        "referral_id": referral_id,
                        "at": history[1]["at"],
                        "user_id": history[1]["user_id"],
                        "assigned_to_id": row["assigned_to_id"],
                    }
                )
            row["last_activity_at"] = last_activity
            row["updated_by_id"] = step_user
            row["search_key"] = gen.search_key(row, children)
            batch.referrals.append(row)
        batch.counters = {year: last_numbers[year] for year in {r["year"] for r in batch.referrals}}
        yield batch


def _agreement(
    gen: _Generator, row: dict, status: Status, history: list[dict], latest: datetime
) -> dict | None:
    """The parents' agreement: always before `accepted`, sometimes earlier in the process,
    now and then withdrawn along with the referral."""
    rng = gen.rng
    reached = [change["to_status"] for change in history]
    if Status.ACCEPTED.value in reached:
        index = reached.index(Status.ACCEPTED.value)
        before, after = history[index - 1]["at"], history[index]["at"]
    elif rng.random() < {Status.EPS: 0.5, Status.IN_REVIEW: 0.15}.get(status, 0):
        before, after = history[-1]["at"], latest
    elif status is Status.WITHDRAWN and Status.EPS.value in reached and rng.random() < 0.5:
        index = reached.index(Status.EPS.value)
        before, after = history[index]["at"], history[index + 1]["at"]
    else:
        return None
    recorded_at = before + (after - before) * rng.uniform(0.2, 0.9)
    withdrawn = status is Status.WITHDRAWN and history[-1]["withdrawn_by"] == "family"
    withdrawn_at = history[-1]["at"] if withdrawn else None
    return {
        "guardian_name": row["guardian_name"],
        # Often signed a day or two before the coordination records it, never before the
        # referral came in.
        "given_on": max(
            local_date(recorded_at) - timedelta(days=rng.choice((0, 0, 0, 1, 2))),
            local_date(row["received_at"]),
        ),
        "method": rng.choice(gen.methods),
        "comment": rng.choice(AGREEMENT_COMMENTS),
        "recorded_at": recorded_at,
        "recorded_by_id": gen.user(),
        "withdrawn_on": local_date(withdrawn_at) if withdrawn_at else None,
        "withdrawn_at": withdrawn_at,
        "withdrawn_by_id": gen.user() if withdrawn_at else None,
    }


# --- Writing --------------------------------------------------------------------------------


class SeedRefused(Exception):
    """The database already holds referrals and `--force` was not given."""


TABLES = (
    ("referral_id", Referral),
    ("child_id", Child),
    ("status_change_id", StatusChange),
    ("agreement_id", Agreement),
    ("note_id", Note),
    ("assignment_id", Assignment),
    ("duplicate_pair_id", DuplicatePair),
)


def read_start(connection) -> Start:
    """Where the tables' ids and the yearly numbers stand in the database."""
    start = Start()
    for attribute, model in TABLES:
        highest = connection.scalar(select(func.max(model.id)))
        setattr(start, attribute, (highest or 0) + 1)
    by_year = select(Referral.year, func.max(Referral.number)).group_by(Referral.year)
    numbers = {year: last for year, last in connection.execute(by_year)}
    for year, last in connection.execute(
        select(ReferenceCounter.year, ReferenceCounter.last_number)
    ):
        # The counter is the truth for real submissions; the referrals' own numbers guard
        # against a counter someone reset by hand.
        numbers[year] = max(last, numbers.get(year, 0))
    start.last_numbers = numbers
    return start


SEARCH_TRIGGER = "referral_search_insert"


def _store(connection, batch: Batch) -> None:
    postgresql = connection.dialect.name == "postgresql"
    trigger = None
    if not postgresql:
        # SQLite's FTS5 index of the search keys is filled by a trigger, a row at a time: five
        # times slower than one INSERT … SELECT for the chunk. The trigger is dropped and
        # created again from its own stored text inside this transaction, so no other writer
        # can come in between and a failure leaves it as it was.
        trigger = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": SEARCH_TRIGGER},
        )
        if trigger:
            connection.execute(text(f"DROP TRIGGER {SEARCH_TRIGGER}"))
    bulk_insert(connection, Referral.__table__, batch.referrals)
    if trigger:
        connection.execute(
            text(
                # order_key() is SQL of our own, with no value in it.
                f"INSERT INTO referral_search(rowid, search_key) "  # noqa: S608
                f"SELECT {order_key('referral')}, search_key FROM referral "
                f"WHERE id BETWEEN :first AND :last"
            ),
            {"first": batch.referrals[0]["id"], "last": batch.referrals[-1]["id"]},
        )
        connection.execute(text(trigger))
    for rows, model in (
        (batch.children, Child),
        (batch.history, StatusChange),
        (batch.agreements, Agreement),
        (batch.notes, Note),
        (batch.assignments, Assignment),
        (batch.pairs, DuplicatePair),
    ):
        bulk_insert(connection, model.__table__, rows)
    if batch.flagged:
        connection.execute(
            update(Referral).where(Referral.id.in_(batch.flagged)).values(duplicate_suspected=True)
        )
    upsert = pg_insert if postgresql else sqlite_insert
    rows = [{"year": year, "last_number": last} for year, last in batch.counters.items()]
    statement = upsert(ReferenceCounter.__table__).values(rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["year"], set_={"last_number": statement.excluded.last_number}
        )
    )
    if postgresql:
        # Ids were given explicitly, which leaves the sequences behind: move them past the
        # rows written, or the next real submission would collide with a seeded id.
        for _, model in TABLES:
            table = model.__tablename__
            # The table names are the models' own, never input.
            statement = (
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
            connection.execute(text(statement))


def seed_database(
    count: int,
    *,
    territory: Territory,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    now: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress=None,
) -> int:
    """Add `count` fictional referrals to the app's database, a chunk per transaction;
    refuse (SeedRefused, nothing written) a database that holds referrals unless `force`.
    Returns the number of referrals written. `progress(done, total)` follows each chunk."""
    # The start of today: the same seed gives the same data all day long.
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    engine = db.engine
    with engine.connect() as connection:
        if not force and connection.scalar(select(Referral.id).limit(1)) is not None:
            raise SeedRefused
        start = read_start(connection)
        users = select(User.id).where(User.role == Role.COORDINATOR.value, User.active)
        user_ids = list(connection.scalars(users.order_by(User.id)))
    options = {
        "territory": territory,
        "now": now,
        "seed": seed,
        "start": start,
        "user_ids": user_ids,
        "chunk_size": chunk_size,
    }
    done = 0
    for batch in _batches(count, options):
        with engine.begin() as connection:
            _store(connection, batch)
        done += len(batch.referrals)
        if progress is not None:
            progress(done, count)
    refresh_statistics(engine)
    return done


def refresh_statistics(engine) -> None:
    """Do at once what the database would do some time after a bulk load.

    On PostgreSQL, what autovacuum does: gather the planner's statistics and mark the pages
    all-visible. Until then the planner guesses (an anti-join over the whole table for
    "agreement missing"), and a freshly seeded database is measured on plans a live one
    would never use. On SQLite, merge the FTS5 search index, which each chunk left as a
    segment of its own, into one, as FTS5 advises after a bulk load (a search reads every
    segment: 5–11 % of a search page at 100,000). SQLite gathers no statistics unless
    asked, in production too, so none are gathered."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            connection.execute(text(OPTIMIZE_SEARCH))
        return
    # VACUUM cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


OPTIMIZE_SEARCH = "INSERT INTO referral_search(referral_search) VALUES ('optimize')"


def _batches(count: int, options: dict[str, Any]) -> Iterator[Batch]:
    """`generate(count, **options)`, run in a second process when there is more than one
    chunk: generating a chunk costs about as much as storing it, so the next chunk is
    generated while this one is written (the process is dropped if writing fails)."""
    if count <= options["chunk_size"]:
        yield from generate(count, **options)
        return
    # spawn, not fork: a forked child would share the parent's database connections.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=2)
    process = context.Process(target=_produce, args=(queue, count, options), daemon=True)
    process.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if process.is_alive():
            process.terminate()
        process.join()


def _produce(queue, count: int, options: dict[str, Any]) -> None:
    """The second process of `_batches`: every batch, then None, or the error it met."""
    try:
        for batch in generate(count, **options):
            queue.put(batch)
    except Exception as error:  # handed to the parent, which raises it
        queue.put(error)
    else:
        queue.put(None)


dev_cli = AppGroup("dev", help="Development helpers: fictional data for demos and benchmarks.")


@dev_cli.command("seed")
@click.option(
    "--count", type=click.IntRange(min=1), required=True, help="How many referrals to add."
)
@click.option("--force", is_flag=True, help="Add to a database that already holds referrals.")
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed: the same seed gives the same referrals (on the same day).",
)
def seed_command(count: int, force: bool, seed_value: int) -> None:
    """Fill the database with COUNT fictional referrals: children, history, agreements, notes.

    No e-mail is queued; every name is invented and every address is on example.org.
    """
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        click.echo(f"{done}/{total} referrals written ({elapsed:.1f} s)")

    try:
        written = seed_database(
            count,
            territory=current_app.extensions["territory"],
            seed=seed_value,
            force=force,
            progress=progress,
        )
    except SeedRefused:
        raise click.ClickException(
            "The database already holds referrals: nothing written. "
            "Use --force to add fictional ones to them."
        ) from None
    elapsed = time.perf_counter() - started
    click.echo(f"Added {written} fictional referrals in {elapsed:.1f} s (seed {seed_value}).")
