"""Public pages: landing, privacy notice, status link, health, security headers."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from intake.models import Source
from intake.tokens import make_token
from tests.support.app import post_change
from tests.support.builders import make_referral

ROOT = Path(__file__).parents[2]
# A family's words about their child: the status page repeats none of them ("lire").
SITUATION = "Léa a du mal à lire et se fatigue vite en classe."


def test_landing_page_presents_the_programme_from_the_territory(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Programme de Réussite Éducative de Testville" in html
    assert "de 2 à 16 ans" in html
    assert "quartier prioritaire" in html and "REP" in html
    assert 'href="/orientation"' in html and 'href="/demande"' in html
    assert "03 21 00 00 00" in html and "pre@testville.example" in html


def test_landing_page_lists_the_offers(app, client):
    html = client.get("/").get_data(as_text=True)
    for offer in app.extensions["territory"].offers:
        assert offer.title in html


def test_privacy_notice_covers_what_the_rgpd_requires(client):
    html = client.get("/confidentialite").get_data(as_text=True)
    for heading in (
        "Qui est responsable",
        "Pourquoi ces données",
        "Sur quelle base",
        "Qui peut les lire",
        "Combien de temps",
        "Vos droits",
    ):
        assert heading in html, heading
    assert "CCAS de Testville" in html  # the controller, from the territory file
    assert "24 mois" in html  # retention_months
    assert "CNIL" in html
    assert "pre@testville.example" in html  # the contact


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


def reference_and_token(app, source: Source = Source.PROFESSIONAL) -> tuple[str, str]:
    """A stored referral of `source` (its situation saying the child reads badly, which its
    status page must not repeat) and the token of its status page."""
    reference = make_referral(app, source, situation=SITUATION)
    with app.app_context():
        return reference, make_token("status", reference)


def test_status_page_shows_reference_date_and_public_label_only(app, client):
    reference, token = reference_and_token(app)
    response = client.get(f"/suivi/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert reference in html
    assert "Reçue, en attente d’examen" in html
    assert re.search(r"\d{2}/\d{2}/\d{4}", html)
    main = html.split("<main", 1)[1].split("</main>")[0]
    for personal in ("Léa", "Martin", "Tilleuls", "Paul Durand", "lire", "Éligible"):
        assert personal not in main, personal


def test_status_page_follows_the_status(app, client, users):
    reference, token = reference_and_token(app, Source.PARENT)
    client.post(
        "/connexion", data={"email": users["coordinator"], "password": "correct horse battery"}
    )
    assert post_change(client, reference, status="in_review").status_code == 303
    client.post("/deconnexion")
    assert "En cours d’examen par la coordination" in client.get(f"/suivi/{token}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "kind", ["tampered", "garbage", "other-salt", "other-key", "expired", "unknown"]
)
def test_bad_status_tokens_answer_404(app, client, monkeypatch, kind):
    reference, token = reference_and_token(app)
    with app.app_context():
        if kind == "tampered":
            token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        elif kind == "garbage":
            token = "not-a-token"
        elif kind == "other-salt":
            token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="another-purpose").dumps(
                reference
            )
        elif kind == "other-key":
            token = URLSafeTimedSerializer("another-key", salt="intake.referral-status").dumps(
                reference
            )
        elif kind == "expired":
            real_time = time.time
            monkeypatch.setattr(time, "time", lambda: real_time() - 366 * 24 * 3600)
            token = make_token("status", reference)
            monkeypatch.setattr(time, "time", real_time)
        elif kind == "unknown":
            token = make_token("status", "PRE-1999-00001")
    response = client.get(f"/suivi/{token}")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_confirmation_without_a_submission_goes_home(client):
    response = client.get("/confirmation")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_security_headers(client):
    response = client.get("/orientation")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        if template.parent.name == "email":
            continue  # e-mail clients ignore stylesheets; the CSP is for the site
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert " style=" not in text and "<style" not in text, template


def test_unknown_page_and_method_answer_in_french(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert client.delete("/orientation").status_code == 405


def test_forms_are_throttled_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, INTAKE_FORM_LIMIT="2 per minute")
    client = app.test_client()
    codes = [client.post("/demande", data={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/demande").status_code == 200  # reading is never throttled


def test_user_facing_text_is_extractable_for_translation(tmp_path):
    """pybabel finds the strings of the templates, the forms and the pure modules (N_)."""
    import subprocess
    import sys

    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    catalogue = pot.read_text()
    for msgid in (
        "Ajouter un enfant",  # a template
        "Indiquez le prénom de l’enfant.",  # a form (lazy_gettext)
        "Domicile : adresse dans le quartier prioritaire %(qpv)s (%(code)s).",  # screening
        "Passage impossible de « %(current)s » à « %(target)s ».",  # workflow
        "Bonjour,",  # an e-mail
    ):
        assert f'msgid "{msgid}"' in catalogue, msgid


def test_pages_are_not_cached_but_static_files_are(client):
    assert client.get("/").headers["Cache-Control"] == "no-store"
    with client.get("/static/style.css") as response:  # closes the file it streams
        assert "no-store" not in response.headers.get("Cache-Control", "")
