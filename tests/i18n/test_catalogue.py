"""The English catalogue: every message a family or a referrer may read has its translation,
with the same variables; `make i18n` extracts every template (none left out unparsed)."""

from __future__ import annotations

import pytest

from tests.i18n.catalogue import (
    PLACEHOLDER,
    PUBLIC_SOURCES,
    ROOT,
    extracted,
    key,
    public_messages,
    texts,
    translations,
)


def test_every_public_message_has_an_english_translation():
    english = translations()
    missing = []
    for message in public_messages():
        entry = english.get(key(message))
        if entry is None or entry.fuzzy or not all(texts(entry.string or "")):
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
            missing.append(f"{message.id!r} ({where})")
    assert not missing, (
        f"{len(missing)} public messages without an English translation: run `make i18n` and "
        "fill them in intake/translations/en/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_translations_use_the_variables_of_their_message():
    wrong = []
    for entry in translations().values():
        expected = {name for text in texts(entry.id) for name in PLACEHOLDER.findall(text)}
        for text in texts(entry.string or ""):
            if text and not set(PLACEHOLDER.findall(text)) <= expected:
                wrong.append(f"{entry.id!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_public_sources_exist():
    # A renamed folder would otherwise silently leave its messages unchecked.
    for source in PUBLIC_SOURCES:
        assert (ROOT / source).exists(), source
    assert len(public_messages()) > 300


@pytest.mark.parametrize(
    "template", ["templates/_forms.html", "templates/public/request.html", "templates/email/"]
)
def test_every_template_is_extracted(template):
    # A template the extractor cannot parse (a `{% do %}` without its extension) was once
    # skipped without a word: its messages were never offered to a translator.
    assert any(
        path.startswith(template) for message in extracted() for path, _ in message.locations
    )
