"""Whether two children born the same day look like one child: the duplicate warning's rule.

Pure: names in, a score out; no Flask, no database. The caller has already required the same
birth date, so the rule only has to tell a child written two ways ("Inès Benali", "BENALI
Ines", "Ines Ben Ali") from another child born that day, above all a twin: same family name,
another first name ("Léa" and "Léo", "Louis" and "Louise").

How the score is built:

- Each name is normalised as the queue's search normalises it (`intake.rules.search.normalise`):
  lower case, no accents, hyphens and apostrophes to spaces.
- First name with first name, family name with family name; and also crossed, since people
  swap the two fields. The better of the two alignments counts.
- Two names compare by the best of: fuzz.ratio (typos), the same with spaces removed ("Ben
  Ali" = "Benali"), token_sort_ratio (words in another order) and token_set_ratio (one name
  is part of the other: "Marie" for "Marie-Lou", "Martin" for "Martin-Leroy").
- The first name is what tells siblings apart, so it counts in full; a slip in the family
  name costs half as much (`FAMILY_NAME_WEIGHT`): two families' children born the same day
  with the same first name and nearly the same family name are far rarer than a mistyped
  family name. The score is the lower of the two.
- A first name that is the other one plus "e" is the feminine form of it, another name
  (Louis / Louise, Martin / Martine, Simon / Simone): never the same child, although only one
  letter differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from intake.rules.search import normalise

# Chosen from the table of tests/duplicates/test_duplicates.py, whose scores fall in two groups:
# - one child written two ways scores 90 or more: accents, case, hyphens, swapped fields,
#   "Ben Ali"/"Benali", "Marie" for "Marie-Lou" all score 100; a letter more in the family
#   name ("Martins") 96; "St Martin" for "Saint-Martin" 93; two letters swapped in a long
#   first name ("Christohpe") 90;
# - another child scores 89 or less: the twins' names "Alexandra"/"Alexandre",
#   "Élise"/"Élie" 89, "Luca"/"Lucas" 89, "Noa"/"Noah" and "Léna"/"Léa" 86, "Mathys"/"Mathis"
#   83, "Léo"/"Léa" 67; another family name: "Leroux"/"Leroy" 86, "Bernard"/"Benali" 81.
# 90 is the line between the two groups. One letter of a short first name moves the score by
# 11 to 33 points: such pairs are as likely a brother or sister born the same day (and the
# same referral's siblings are never compared) as a typo, and a warning that is usually wrong
# teaches people to dismiss warnings. "Leroy" and "Leroux" are two family names, not a slip.
THRESHOLD = 90

# How much a family name's dissimilarity counts against the score, compared with a first
# name's: 100 - (100 - similarity) * weight.
FAMILY_NAME_WEIGHT = 0.5


@dataclass(frozen=True)
class Name:
    """A child's names, normalised once (a submission compares each with dozens of others)."""

    first: str
    last: str

    @classmethod
    def of(cls, first_name: str, last_name: str) -> Name:
        return cls(normalise(first_name or ""), normalise(last_name or ""))


def part_similarity(a: str, b: str) -> float:
    """How alike two normalised names are, 0–100, by the best of the ways people vary them."""
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    compact_a, compact_b = a.replace(" ", ""), b.replace(" ", "")
    return max(
        fuzz.ratio(a, b),
        fuzz.ratio(compact_a, compact_b),
        fuzz.token_sort_ratio(a, b),
        fuzz.token_set_ratio(a, b),
    )


def feminine_form(a: str, b: str) -> bool:
    """Whether one first name is the other with a final "e": Louis and Louise are twins'
    names, not a typo."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    return a + "e" == b or b + "e" == a


def aligned_score(first_a: str, last_a: str, first_b: str, last_b: str) -> float:
    """The score of one alignment: first name with first name, family with family."""
    if feminine_form(first_a, first_b):
        return 0.0
    first = part_similarity(first_a, first_b)
    last = 100 - (100 - part_similarity(last_a, last_b)) * FAMILY_NAME_WEIGHT
    return min(first, last)


def similarity(a: Name, b: Name) -> int:
    """`name_similarity` of two normalised names."""
    straight = aligned_score(a.first, a.last, b.first, b.last)
    if straight >= 100:
        return 100
    # One of the two wrote the family name in the first name's field.
    crossed = aligned_score(a.first, a.last, b.last, b.first)
    return round(max(straight, crossed))


def name_similarity(first_a: str, last_a: str, first_b: str, last_b: str) -> int:
    """How likely two children born the same day are one child, from their names, 0–100."""
    return similarity(Name.of(first_a, last_a), Name.of(first_b, last_b))


def same_child(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Whether two children born the same day should be shown to a coordinator as one."""
    return name_similarity(first_a, last_a, first_b, last_b) >= THRESHOLD
