"""Which language a page is in: public pages follow `?lang=`, then the `lang` cookie, then the
browser's `Accept-Language`, else French; staff pages are French whatever is asked. The
switch keeps the visitor where they are, and on a form everything typed."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Referral
from intake.tokens import make_status_token
from tests.support.builders import child_fields, request_form
from tests.support.outbox import submit

EN, FR = '<html lang="en">', '<html lang="fr">'


def language(response) -> str:
    page = response.get_data(as_text=True)
    assert (EN in page) != (FR in page)
    return "en" if EN in page else "fr"


def lang_cookie(response) -> str | None:
    """The `lang` cookie's whole Set-Cookie header, None when the response sets none."""
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang=")]
    assert len(found) <= 1
    return found[0] if found else None


def referrals(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Referral))


@pytest.mark.parametrize(
    "query, cookie, accept, expected",
    [
        (None, None, None, "fr"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "de-DE,de;q=0.9,en;q=0.5,fr;q=0.8", "fr"),
        (None, None, "de-DE", "fr"),
        (None, "en", "fr", "en"),
        (None, "de", "en", "en"),
        ("en", "fr", "fr", "en"),
        ("fr", "en", "en", "fr"),
        ("xx", None, "en", "en"),
        ("xx", "fr", "en", "fr"),
    ],
)
def test_the_language_of_a_public_page(client, query, cookie, accept, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    response = client.get(
        "/demande",
        query_string={"lang": query} if query else {},
        headers={"Accept-Language": accept} if accept else {},
    )
    assert response.status_code == 200
    assert language(response) == expected
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_lang_in_the_address_keeps_the_choice_in_a_cookie(app, client):
    response = client.get("/", query_string={"lang": "en"})
    header = lang_cookie(response)
    assert header is not None
    assert header.startswith("lang=en;")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    # Not Secure here (tests run over http); production's is (below).
    assert "Secure" not in header
    # The next page, without ?lang=, stays in English, even if the browser prefers French.
    assert language(client.get("/confidentialite", headers={"Accept-Language": "fr"})) == "en"
    # A choice already kept is not set again; another one replaces it.
    assert lang_cookie(client.get("/", query_string={"lang": "en"})) is None
    assert lang_cookie(client.get("/", query_string={"lang": "fr"})).startswith("lang=fr;")
    assert language(client.get("/")) == "fr"


def test_no_cookie_without_a_choice(client):
    assert lang_cookie(client.get("/", headers={"Accept-Language": "en"})) is None
    assert lang_cookie(client.get("/", query_string={"lang": "de"})) is None


def test_the_cookie_is_secure_in_production(app, client):
    app.config["INTAKE_PRODUCTION"] = True
    assert "Secure" in lang_cookie(client.get("/", query_string={"lang": "en"}))


def test_staff_pages_stay_french(client, coordinator):
    client.set_cookie("lang", "en")
    english = {"Accept-Language": "en"}
    for path in ("/triage/", "/triage/reunions/", "/triage/statistiques", "/triage/pas-ici"):
        response = client.get(path, query_string={"lang": "en"}, headers=english)
        assert response.status_code in (200, 404), path
        assert language(response) == "fr", path
        assert lang_cookie(response) is None
        assert 'hreflang="en"' not in response.get_data(as_text=True)


def test_the_login_page_stays_french(client):
    client.set_cookie("lang", "en")
    response = client.get(
        "/connexion", query_string={"lang": "en"}, headers={"Accept-Language": "en"}
    )
    assert language(response) == "fr"
    assert lang_cookie(response) is None


def test_a_public_error_page_follows_the_visitor(client):
    response = client.get("/nulle-part", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert language(response) == "en"
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/confidentialite", "/accessibilite", "/nulle-part"])
def test_a_page_links_to_itself_in_the_other_language(client, path):
    page = client.get(path, query_string={"lang": "en"}).get_data(as_text=True)
    assert f'<a href="{path}?lang=fr" lang="fr" hreflang="fr">Français</a>' in page
    # (The cookie now says English: a French page is asked for by name.)
    page = client.get(path, query_string={"lang": "fr"}).get_data(as_text=True)
    assert f'<a href="{path}?lang=en" lang="en" hreflang="en">English</a>' in page


@pytest.mark.parametrize(
    "path, link",
    [
        ("//evil.example", "/evil.example?lang=en"),
        ("/\\evil.example", "/%5Cevil.example?lang=en"),
        ('/"><script>', "/%22%3E%3Cscript%3E?lang=en"),
        ("/é?x=1&lang=xx", "/%C3%A9?x=1&amp;lang=en"),
    ],
)
def test_the_switch_link_stays_on_this_site(client, path, link):
    path, _, query = path.partition("?")
    # The path as the server received it (the test client would read "//host" as a host);
    # WSGI gives it as bytes read as Latin-1.
    wsgi_path = path.encode().decode("latin-1")
    page = client.get("/", query_string=query, environ_overrides={"PATH_INFO": wsgi_path})
    page = page.get_data(as_text=True)
    assert f'<a href="{link}" lang="en" hreflang="en">English</a>' in page


def test_the_status_page_switch_keeps_its_link(app, client):
    reference = submit(app)
    with app.app_context():
        path = f"/suivi/{make_status_token(reference, 'family')}"
    page = client.get(path).get_data(as_text=True)
    assert f'<a href="{path}?lang=en" lang="en" hreflang="en">English</a>' in page
    switched = client.get(f"{path}?lang=en")
    assert switched.status_code == 200 and language(switched) == "en"


def test_the_confirmation_switch_keeps_the_reference(app, client):
    sent = client.post("/demande", data=request_form())
    assert sent.status_code == 303
    french = client.get("/confirmation").get_data(as_text=True)
    reference = re.search(r"PRE-\d{4}-\d{5}", french).group(0)
    assert 'href="/confirmation?lang=en"' in french
    english = client.get("/confirmation", query_string={"lang": "en"})
    assert language(english) == "en"
    assert reference in english.get_data(as_text=True)
    assert "Request sent" in english.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/demande", "/orientation"])
def test_the_form_switch_keeps_what_was_typed_and_stores_nothing(app, client, path):
    # Half filled: two children, the second one's name only, no address yet.
    typed = {
        **child_fields(0, first_name="Zéphyrine", last_name="Quenouille", birth_date=""),
        **child_fields(1, first_name="Anatole", last_name="", birth_date="", school=""),
        "children-0-birth_date-day": "4",
        "children-0-birth_date-month": "5",
        "children-0-birth_date-year": "2016",
        "guardian_name": "Sophie Quenouille",
        "situation": "Elle a du mal à lire & à écrire.",
        "domains": ["school"],
        "lang": "en",
    }
    response = client.post(path, data=typed)
    assert response.status_code == 200
    assert language(response) == "en"
    page = response.get_data(as_text=True)
    for value in ("Zéphyrine", "Quenouille", "Anatole", "Sophie Quenouille", "2016"):
        assert f'value="{value}"' in page, value
    assert "Elle a du mal à lire &amp; à écrire." in page
    assert re.search(
        r'name="domains"[^>]*value="school"[^>]*checked|checked[^>]*value="school"', page
    )
    # Nothing checked, nothing stored: no error, and the button to go back to French.
    assert "error-summary" not in page and "aria-invalid" not in page
    assert '<button type="submit" name="lang" value="fr" lang="fr"' in page
    assert referrals(app) == 0
    assert lang_cookie(response).startswith("lang=en;")
    # And back: the same answers, in French.
    back = client.post(path, data={**typed, "lang": "fr"})
    assert language(back) == "fr"
    assert 'value="Anatole"' in back.get_data(as_text=True)
    assert referrals(app) == 0


def test_the_form_switch_is_after_the_default_button(client):
    # Enter in a field presses the form's first submit button: it must still send.
    page = client.get("/demande").get_data(as_text=True)
    form = page.split('<form method="post"', 1)[1]
    buttons = re.findall(r"<button[^>]*>", form)
    assert 'class="default-button"' in buttons[0]
    assert 'name="lang"' in buttons[1]


def test_a_form_sent_in_english_says_its_errors_in_english(client):
    response = client.post(
        "/demande", data=request_form(guardian_name=""), query_string={"lang": "en"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the name of the parent or legal guardian." in page
    assert "Indiquez" not in page


def test_each_app_reads_its_own_catalogue(app, client, make_app, tmp_path):
    # One extension object serves every app of the process: an English catalogue loaded for
    # one app must not be served to another that reads other files.
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = Catalog(locale="en")
    catalogue.add("Prénom", "Given name (other catalogue)")
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalogue)
    other = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))
    for _ in range(2):
        theirs = other.test_client().get("/demande?lang=en").get_data(as_text=True)
        ours = client.get("/demande?lang=en").get_data(as_text=True)
        assert "Given name (other catalogue)" in theirs and "First name" not in theirs
        assert "First name" in ours and "other catalogue" not in ours


def test_force_locale_switches_the_catalogue_within_a_page(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Prénom") == "First name"
        with force_locale("fr"):
            assert gettext("Prénom") == "Prénom"
        assert gettext("Prénom") == "First name"
