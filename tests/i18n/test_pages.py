"""Every public page in English (`?lang=en`, or a browser asking for English) shows none of
the French catalogue's sentences; in French by default, none of their English."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import update

from intake.extensions import db
from intake.models import Referral, utcnow
from intake.tokens import make_status_token
from tests.i18n.catalogue import fragments, public_messages, texts, translations
from tests.support.builders import request_form
from tests.support.outbox import decide, submit

ENGLISH = {"lang": "en"}
ACCEPT_ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def visible(page: str) -> str:
    """The page's text and attributes as a reader gets them: tags' names dropped, entities
    read, whitespace made single spaces (a template wraps a sentence over lines)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"</?[a-zA-Z][a-zA-Z0-9]*", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def french_sentences() -> set[str]:
    """The catalogue's French pieces (12 characters or more) that English does not keep as
    they are: no English page may show one."""
    found = set()
    for entry in translations().values():
        english = " ".join(texts(entry.string or ""))
        for text in texts(entry.id):
            found.update(piece for piece in fragments(text) if piece not in english)
    return found


def english_sentences() -> set[str]:
    """The English of the public messages (12 characters or more), which French pages never
    show."""
    english = translations()
    found = set()
    for message in public_messages():
        entry = english.get(message.id if isinstance(message.id, str) else tuple(message.id))
        if entry is None:
            continue
        french = " ".join(texts(message.id))
        for text in texts(entry.string or ""):
            found.update(piece for piece in fragments(text) if piece not in french)
    return found


def status_link(app, reference: str) -> str:
    with app.app_context():
        return f"/suivi/{make_status_token(reference, 'family')}"


def pages(app, client, language_query: dict, headers: dict) -> dict[str, str]:
    """Each public page's HTML, asked for with `language_query` and `headers`."""

    def get(path: str, status: int = 200) -> str:
        response = client.get(path, query_string=language_query, headers=headers)
        assert response.status_code == status, path
        return response.get_data(as_text=True)

    def post(path: str, data: dict, status: int) -> tuple[str, object]:
        response = client.post(path, data=data, query_string=language_query, headers=headers)
        assert response.status_code == status, (path, response.get_data(as_text=True)[:2000])
        return response.get_data(as_text=True), response

    shown = {path: get(path) for path in ("/", "/orientation", "/demande")}
    shown |= {path: get(path) for path in ("/confidentialite", "/accessibilite")}
    shown["404"] = get("/pas-de-page-ici", 404)
    # A form with errors (each field's and the summary's), then warnings (a child outside the
    # programme's ages, an e-mail domain that looks misspelt) on the check button.
    shown["/demande (errors)"], _ = post("/demande", {"send": "1"}, 200)
    slips = request_form(
        guardian_email="sophie@gmial.com", **{"children-0-birth_date": "2000-01-01"}
    )
    shown["/orientation (warnings)"], _ = post("/demande", {**slips, "check": "1"}, 200)
    _, sent = post("/demande", request_form(guardian_email="sophie@gmial.com"), 303)
    shown["/confirmation"] = get(sent.headers["Location"])
    reference = submit(app)
    shown["/suivi"] = get(status_link(app, reference))
    decided = submit(app)
    decide(app, decided, "redirected", reason="territory", service="pmi", share_reason=True)
    shown["/suivi (decided)"] = get(status_link(app, decided))
    # Past its retention, the link says the file is gone.
    gone = submit(app)
    with app.app_context():
        db.session.execute(
            update(Referral).where(Referral.reference == gone).values(anonymised_at=utcnow())
        )
        db.session.commit()
    shown["/suivi (anonymised)"] = get(status_link(app, gone), 410)
    return shown


@pytest.mark.parametrize(
    "language_query, headers",
    [(ENGLISH, {}), ({}, ACCEPT_ENGLISH)],
    ids=["?lang=en", "Accept-Language"],
)
def test_every_public_page_in_english(app, client, language_query, headers):
    french = french_sentences()
    for name, page in pages(app, client, language_query, headers).items():
        assert '<html lang="en">' in page, name
        text = visible(page)
        left = sorted(sentence for sentence in french if sentence in text)
        assert not left, f"{name} still shows French: {left}"


def test_every_public_page_in_french_by_default(app, client):
    english = english_sentences()
    for name, page in pages(app, client, {}, {}).items():
        assert '<html lang="fr">' in page, name
        text = visible(page)
        shown = sorted(sentence for sentence in english if sentence in text)
        assert not shown, f"{name} shows English: {shown}"


def test_the_territory_words_follow_the_page_where_its_file_translates_them(app, client):
    """The landing page's offers, the contact's hours and a redirection's service in the
    page's language where the territory file gives them in English, as written otherwise."""
    english_home = visible(client.get("/", query_string=ENGLISH).get_data(as_text=True))
    assert "Individual support" in english_home
    assert "Accompagnement individualisé" not in english_home
    # Its description has no English in the file: shown as written, rather than nothing.
    assert "Un référent de parcours suit l'enfant" in english_home
    assert "Aide aux devoirs et ateliers" in english_home
    assert "Monday to Friday, 9 am to 12 noon and 1.30 pm to 5 pm" in english_home
    french_home = visible(client.get("/", query_string={"lang": "fr"}).get_data(as_text=True))
    assert "Accompagnement individualisé" in french_home
    assert "Individual support" not in french_home and "Monday" not in french_home

    decided = submit(app)
    decide(app, decided, "redirected", reason="territory", service="clas", share_reason=True)
    link = status_link(app, decided)
    english = visible(client.get(link, query_string=ENGLISH).get_data(as_text=True))
    assert "CLAS of the Peupliers social centre" in english
    assert "Monday, Tuesday, Thursday and Friday, 4.30 pm to 6 pm" in english
    french = visible(client.get(link, query_string={"lang": "fr"}).get_data(as_text=True))
    assert "CLAS du centre social des Peupliers" in french
    assert "Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h" in french
