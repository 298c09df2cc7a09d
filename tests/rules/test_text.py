"""clean_text: what a typed value becomes before it is stored, in every form."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.forms import multi_line, single_line
from intake.models import Referral
from intake.rules.text import clean_text, display_name
from tests.support.app import PASSWORD, post_change
from tests.support.builders import child, make_orientation, make_referral

SINGLE_LINE = [
    # (typed, stored)
    ("  Léa Martin  ", "Léa Martin"),
    ("Léa\tMartin", "Léa Martin"),
    ("Léa\nMartin", "Léa Martin"),
    ("Léa\r\nMartin", "Léa Martin"),
    ("Léa\rMartin", "Léa Martin"),
    ("Léa\u2028Martin", "Léa Martin"),
    ("Léa\x0bMartin\x0c", "Léa Martin"),
    ("Lé\x00a\x07\x1b[31m", "Léa[31m"),
    ("Léa\x7f\x80\x9f", "Léa"),
    ("Léa\x85Martin", "Léa Martin"),
    # Bidirectional embeddings, overrides, isolates and marks: "‮nitraM" would read "Martin".
    ("\u202enitraM", "nitraM"),
    ("\u202aa\u202bb\u202cc\u202dd", "abcd"),
    ("\u2066a\u2067b\u2068c\u2069", "abc"),
    ("a\u200eb\u200fc\u061cd", "abcd"),
    # Invisible characters pasted from documents: zero-width space, word joiner, BOM, soft hyphen.
    ("\ufeffLé\u200ba Mar\u00adtin\u2060", "Léa Martin"),
    # Letters of every script stay, as do the joiners some of them need.
    ("محمد بن علي", "محمد بن علي"),
    ("王小明", "王小明"),
    ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
    ("नमस्ते", "नमस्ते"),
    ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ in Persian
    ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ in a family emoji
    ("Zoé O’Brien-Dupont (dit « Zozo »), 12 bis", "Zoé O’Brien-Dupont (dit « Zozo »), 12 bis"),
    ("Léa\u00a0Martin", "Léa\u00a0Martin"),  # a no-break space is a space, kept inside
    # NFC: an "e" followed by a combining acute accent becomes "é".
    ("Le\u0301a", "Léa"),
    ("Nguye\u0302\u0303n", "Nguyễn"),
    ("", ""),
    (" \t\n\u202e ", ""),
    ("\ud800Léa", "Léa"),  # a lone surrogate cannot be stored
]

MULTI_LINE = [
    ("Ligne 1\r\nLigne 2", "Ligne 1\nLigne 2"),
    ("Ligne 1\rLigne 2\nLigne 3", "Ligne 1\nLigne 2\nLigne 3"),
    ("Ligne 1\u2029Ligne 2", "Ligne 1\nLigne 2"),
    ("\n\n  Il pleure le matin.\n\n", "Il pleure le matin."),
    ("Paragraphe 1\r\n\r\nParagraphe 2", "Paragraphe 1\n\nParagraphe 2"),
    ("a\tb", "a b"),
    ("a\x00b\x1bc", "abc"),
    ("\u202eالطفل يتعب\u202c بسرعة", "الطفل يتعب بسرعة"),
    ("Il a dit : « je ne veux pas »\u200f.", "Il a dit : « je ne veux pas »."),
]


@pytest.mark.parametrize(("typed", "stored"), SINGLE_LINE, ids=[repr(t) for t, _ in SINGLE_LINE])
def test_single_line(typed, stored):
    assert clean_text(typed) == stored


@pytest.mark.parametrize(("typed", "stored"), MULTI_LINE, ids=[repr(t) for t, _ in MULTI_LINE])
def test_multi_line(typed, stored):
    assert clean_text(typed, multiline=True) == stored


@pytest.mark.parametrize("multiline", [False, True], ids=["single-line", "multi-line"])
def test_no_control_or_direction_character_survives(multiline):
    every = "".join(chr(c) for c in range(0x2100)) + "\u2028\u2029\u202a\u202e\u2066\u2069"
    cleaned = clean_text(every, multiline=multiline)
    allowed_controls = {"\n"} if multiline else set()
    assert {c for c in cleaned if unicodedata.category(c) == "Cc"} == allowed_controls
    assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not set(cleaned) & {"\u200e", "\u200f", "\u061c", "\u2028", "\u2029"}
    assert "\u200c" in cleaned and "\u200d" in cleaned
    assert cleaned == unicodedata.normalize("NFC", cleaned)


@pytest.mark.parametrize("multiline", [False, True], ids=["single-line", "multi-line"])
def test_the_shortcut_for_clean_text_changes_no_result(monkeypatch, multiline):
    """Text with nothing to drop or replace skips the loop over its characters: for every
    code point, alone between letters, and for the table's texts, the result is the loop's."""
    import intake.rules.text

    samples = [f"a{chr(code)}b" for code in range(0x110000)]
    samples += [typed for typed, _ in SINGLE_LINE + MULTI_LINE] + ["  Léa  ", "e\u0301", ""]
    quick = [clean_text(sample, multiline) for sample in samples]
    monkeypatch.setattr(intake.rules.text, "UNTOUCHED", re.compile("(?!)"))  # matches nothing
    assert [clean_text(sample, multiline) for sample in samples] == quick
    assert quick[ord("x")] == "axb" and quick[ord("\t")] == "a b"


def test_cleaning_twice_changes_nothing():
    for typed, _ in SINGLE_LINE + MULTI_LINE:
        for multiline in (False, True):
            once = clean_text(typed, multiline)
            assert clean_text(once, multiline) == once


def text_fields(form):
    """Every field of `form` that takes typed text, the children's included."""
    for field in form:
        if field.type == "FieldList":
            for entry in field:
                yield from text_fields(entry.form)
        elif field.type in ("StringField", "TextAreaField", "EmailField", "TelField"):
            yield field


def test_every_text_field_is_cleaned(app):
    from intake.auth.forms import LoginForm
    from intake.public.forms import OrientationForm, RequestForm
    from intake.triage.forms import NoteForm, StatusForm

    with app.test_request_context():
        for form_class in (OrientationForm, RequestForm, LoginForm, StatusForm, NoteForm):
            for field in text_fields(form_class(formdata=None)):
                if field.name == "website":
                    continue  # the honeypot: whatever a robot puts there only needs to be seen
                expected = multi_line if field.type == "TextAreaField" else single_line
                assert expected in field.filters, f"{form_class.__name__}.{field.name}"


def test_staff_notes_and_comments_are_stored_clean(app, coordinator):
    reference = make_orientation(app)
    typed = " \u202eAppel\u202c à la mère\r\nRDV mardi\x07 "
    note = post_change(coordinator, reference, "notes", text=typed)
    status = post_change(coordinator, reference, status="in_review", comment=typed)
    assert note.status_code == status.status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert [n.text for n in referral.notes] == ["Appel à la mère\nRDV mardi"]
        assert referral.history[-1].comment == "Appel à la mère\nRDV mardi"


def test_the_login_email_is_cleaned(client, users):
    response = client.post(
        "/connexion", data={"email": "\u200f coord@testville.example\t", "password": PASSWORD}
    )
    assert response.status_code == 303


DISPLAYED = [
    # (typed, shown): a part typed all in lower case gets its capital, nothing else changes.
    ("yanis boukhari", "Yanis Boukhari"),
    ("le bihan", "Le Bihan"),
    ("n'diaye", "N'Diaye"),
    ("n’diaye", "N’Diaye"),
    ("jean-paul", "Jean-Paul"),
    ("marie  claire", "Marie  Claire"),
    ("élodie", "Élodie"),
    ("ève-marie d'orléans", "Ève-Marie D'Orléans"),
    # What its writer capitalised is kept as typed: a choice, or a name's own spelling.
    ("McDonald", "McDonald"),
    ("DUPONT", "DUPONT"),
    ("jean DUPONT", "Jean DUPONT"),
    ("van DER berg", "Van DER Berg"),
    ("Yanis", "Yanis"),
    ("inès b.", "Inès B."),
    # Scripts without case, digits, empty values: as they are.
    ("محمد بن علي", "محمد بن علي"),
    ("王小明", "王小明"),
    ("2e prénom", "2e Prénom"),
    ("", ""),
    (None, ""),
    ("-", "-"),
]


@pytest.mark.parametrize(("typed", "shown"), DISPLAYED, ids=[repr(t) for t, _ in DISPLAYED])
def test_display_name(typed, shown):
    assert display_name(typed) == shown
    # Shown twice is shown once: a template may apply it to what Python already did.
    assert display_name(shown) == shown


def test_staff_pages_show_names_with_capitals_and_keep_them_as_typed(app, coordinator):
    reference = make_referral(
        app, children=[child("yanis", "boukhari")], guardian_name="samira n'diaye"
    )
    queue = coordinator.get("/triage/").get_data(as_text=True)
    assert "Yanis Boukhari" in queue and "yanis boukhari" not in queue
    detail = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "Yanis Boukhari" in detail and "Samira N'Diaye" in detail.replace("&#39;", "'")
    fiche = coordinator.get(f"/triage/{reference}/fiche").get_data(as_text=True)
    assert "Yanis B." in fiche and "yanis" not in fiche
    # The data held, as it was typed: the family's data page shows it so.
    data = coordinator.get(f"/triage/{reference}/donnees").get_data(as_text=True)
    assert "yanis" in data and "boukhari" in data
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert (referral.children[0].first_name, referral.guardian_name) == (
            "yanis",
            "samira n'diaye",
        )
