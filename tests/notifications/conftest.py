"""The English catalogue for the e-mail tests: compiled from the committed English messages,
whichever files hold them (messages.po, and the `*.po.part` a branch adds before they are
folded into it), and lent to the app for one test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from intake.extensions import babel

ENGLISH = Path(__file__).resolve().parents[2] / "intake" / "translations" / "en" / "LC_MESSAGES"


def english_sources() -> list[Path]:
    """The files of English messages: messages.po first, whose translation wins."""
    return sorted(ENGLISH.glob("messages.po")) + sorted(ENGLISH.glob("*.po.part"))


@pytest.fixture(scope="session")
def english_catalogue(tmp_path_factory) -> Path:
    """A translations folder holding en/LC_MESSAGES/messages.mo made of every English file."""
    catalogue = Catalog(locale="en")
    for path in english_sources():
        with path.open("rb") as source:
            for message in read_po(source, locale="en"):
                if message.id and message.id not in catalogue:
                    catalogue[message.id] = message
    folder = tmp_path_factory.mktemp("translations")
    target = folder / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as out:
        write_mo(out, catalogue)
    return folder


def forget_catalogues(app) -> None:
    """Drop the catalogues Flask-Babel's domain keeps (one object for every app of the
    process): the next string looks its language's catalogue up again."""
    with app.app_context():
        domain = babel.domain_instance
    for cache in ("cache", "_by_locale"):
        getattr(domain, cache, {}).clear()


@pytest.fixture
def english(app, english_catalogue, monkeypatch) -> Iterator[None]:
    """The app translating into English with `english_catalogue`, for this test only."""
    monkeypatch.setattr(
        app.extensions["babel"], "translation_directories", [str(english_catalogue)]
    )
    forget_catalogues(app)
    yield
    monkeypatch.undo()
    forget_catalogues(app)
