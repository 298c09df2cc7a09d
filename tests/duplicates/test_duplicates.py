"""The duplicate warning's pure rule: which names of two children born the same day are one
child. The table is what `intake.duplicates.THRESHOLD` was chosen from."""

from __future__ import annotations

import pytest

from intake.duplicates.likeness import THRESHOLD, name_similarity, same_child

# (first, last) of each child, whether they are one child, and why.
PAIRS = [
    # One child written two ways.
    (("Inès", "Benali"), ("Ines", "BENALI"), True, "accents-and-case"),
    (("Inès", "Benali"), ("BENALI", "Ines"), True, "fields-swapped"),
    (("Ines", "Ben Ali"), ("Inès", "Benali"), True, "family-name-spaced"),
    (("Lucas", "Martin"), ("Martin", "Lucas"), True, "order-of-names"),
    (("Lucas", "Martin"), ("Lucas", "Martins"), True, "family-name-typo"),
    (("Jean-Pierre", "Durand"), ("Jean Pierre", "Durand"), True, "hyphen-or-space"),
    (("Sarah", "N'Diaye"), ("sarah", "NDIAYE"), True, "apostrophe"),
    (("Chloé", "Lefèvre"), ("CHLOE", "LEFEVRE"), True, "capitals-without-accents"),
    (("Zoé", "Da Silva"), ("Zoe", "Dasilva"), True, "particle-joined"),
    (("Marie-Lou", "Dupont"), ("Marie", "Dupont"), True, "usual-part-of-a-compound-name"),
    (("Hugo", "Martin"), ("Hugo", "Martin-Leroy"), True, "one-parent-s-name-of-two"),
    (("Yanis", "Saint-Martin"), ("Yanis", "St Martin"), True, "saint-abbreviated"),
    (("Christophe", "Moreau"), ("Christohpe", "Moreau"), True, "letters-swapped-long-name"),
    # Another child born the same day.
    (("Inès", "Bernard"), ("Inès", "Benali"), False, "another-family"),
    (("Hugo", "Martin"), ("Hugo", "Bernard"), False, "same-first-name-only"),
    (("Emma", "Martin"), ("Jade", "Martin"), False, "siblings"),
    (("Léa", "Dupont"), ("Léo", "Dupont"), False, "twins-one-letter-apart"),
    (("Louis", "Garcia"), ("Louise", "Garcia"), False, "twins-masculine-feminine"),
    (("Simon", "Caron"), ("Simone", "Caron"), False, "twins-masculine-feminine-2"),
    (("Alexandre", "Roux"), ("Alexandra", "Roux"), False, "twins-alexandre-alexandra"),
    (("Élie", "Morel"), ("Élise", "Morel"), False, "twins-elie-elise"),
    (("Jules", "Petit"), ("Julie", "Petit"), False, "twins-jules-julie"),
    (("Noah", "Petit"), ("Noa", "Petit"), False, "noah-noa-two-names"),
    (("Léna", "Petit"), ("Léa", "Petit"), False, "lena-lea-two-names"),
    (("Lucas", "Bernard"), ("Luca", "Bernard"), False, "lucas-luca-two-names"),
    (("Mathis", "Faure"), ("Mathys", "Faure"), False, "mathis-mathys-two-names"),
    (("Emma", "Leroy"), ("Emma", "Leroux"), False, "leroy-leroux-two-families"),
    (("Adam", "Benali"), ("Adam", "Bensaïd"), False, "benali-bensaid-two-families"),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [pytest.param(a, b, expected, id=why) for a, b, expected, why in PAIRS],
)
def test_same_child_table(a, b, expected):
    assert same_child(*a, *b) is expected
    # The rule is symmetric: the order in which the two referrals came in changes nothing.
    assert same_child(*b, *a) is expected
    assert (name_similarity(*a, *b) >= THRESHOLD) is expected


def test_identical_names_score_100_and_empty_names_never_match():
    assert name_similarity("Léa", "Martin", "Léa", "Martin") == 100
    assert name_similarity("", "", "", "") == 0
    assert not same_child("", "Martin", "", "Martin")


def test_the_spaced_and_joined_family_names_score_alike():
    # "Ben Ali" and "Benali" are one name to the rule, whichever side writes it which way.
    assert name_similarity("Ines", "Ben Ali", "Ines", "Benali") == 100
    assert name_similarity("Ines", "Benali", "Ines", "Ben-Ali") == 100
