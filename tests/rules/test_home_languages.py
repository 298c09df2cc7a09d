"""The languages spoken at home, read from what a family typed (intake.rules.home_languages)."""

from __future__ import annotations

import pytest

from intake.rules.home_languages import NAMES, SPOKEN, home_language_codes


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        (None, ()),
        ("", ()),
        ("  - ", ()),
        ("français", ("fr",)),
        ("FRANCAIS", ("fr",)),
        ("Français (un peu)", ("fr",)),
        ("arabe et un peu de français", ("ar", "fr")),
        ("Arabe marocain / Darija", ("ar",)),
        ("Tamil", ("ta",)),
        ("kabyle", ("ber",)),
        ("Tamazight, arabe", ("ber", "ar")),
        ("créole haïtien, anglais", ("ht", "en")),
        ("créole", ("cpf",)),
        ("wolof ou bambara", ("wo", "bm")),
        ("Roumain + romani", ("ro", "rom")),
        ("portugais du Brésil", ("pt",)),
        ("turc; kurde; zazaki", ("tr", "ku", "other")),
        ("klingon", ("other",)),
        ("klingon, elfique", ("other",)),
        ("français, français", ("fr",)),
        ("LSF", ("fsl",)),
        ("langue des signes", ("fsl",)),
        ("Dari", ("fa",)),
        ("Mostly Arabic and some English", ("ar", "en")),
        # A word that only contains a language's name is not that language.
        ("arabesque", ("other",)),
        ('=HYPERLINK("x")', ("other",)),
    ],
)
def test_home_language_codes(typed, codes):
    assert home_language_codes(typed) == codes


def test_every_name_reads_as_its_own_code():
    for code, (_, names) in SPOKEN.items():
        for name in names:
            assert home_language_codes(name) == (code,), name


def test_no_name_is_claimed_twice():
    claimed = [name for _, names in SPOKEN.values() for name in names]
    assert len(claimed) == len(NAMES) == len(set(claimed))
