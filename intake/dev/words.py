"""The seeder's lists of people and places: names, streets, schools, organisations."""

from __future__ import annotations


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

# What families of the programme's neighbourhoods say they speak at home, as people type it.
HOME_LANGUAGES = [
    "arabe",
    "arabe, français",
    "turc",
    "roumain",
    "portugais",
    "anglais",
    "tamoul",
    "berbère (kabyle)",
    "ukrainien",
    "russe",
    "pachto",
    "lingala, français",
    "albanais",
    "polonais",
]
