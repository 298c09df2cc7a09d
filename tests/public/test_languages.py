"""Issue 27 on the forms: the family's languages asked, stored and shown; the folded places
for more children; the blank form that Back after a send lands on; "contact incertain"."""

from __future__ import annotations

import csv
import io
import re
import smtplib

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source, utcnow
from intake.notifications.render import render_message
from intake.notifications.worker import deliver_due, record_failure
from intake.rules.reach import ContactDoubt
from tests.support.app import SAMPLE_TERRITORY, TERRITORY, TEST_DATABASE_URL
from tests.support.builders import (
    child_fields,
    get_referral,
    make_referral,
    orientation,
    post_referral,
    request_form,
)


def stored(app, reference: str) -> Referral:
    with app.app_context():
        referral = get_referral(reference)
        db.session.expunge(referral)
        return referral


# --- The fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/demande", "Langue pour vous écrire"),
        ("/orientation", "Langue dans laquelle écrire à la famille"),
    ],
)
def test_both_forms_ask_the_family_languages(client, path, label):
    """Each form asks the language to write in (the page's checked), the languages spoken at
    home and whether an interpreter would help; the language is named in itself."""
    page = client.get(path).get_data(as_text=True)
    assert f"<legend>{label}</legend>" in page
    assert 'name="contact_language" value="fr" id="contact_language-0" checked' in page
    assert 'name="contact_language" value="en" id="contact_language-1">' in page
    assert '<label for="contact_language-1" lang="en">English</label>' in page
    assert "Langue(s) parlée(s) à la maison" in page and 'name="home_languages"' in page
    assert 'name="interpreter"' in page and "Un·e interprète serait utile" in page


@pytest.mark.parametrize("path", ["/demande", "/orientation"])
def test_languages_are_stored_as_sent(app, client, path):
    """What was chosen is stored; the page's language (French here) as `sent_language`."""
    form = request_form if path == "/demande" else orientation
    data = form(
        contact_language="en",
        home_languages="arabe, turc",
        interpreter="y",
        situation=f"Langues ({path}).",
    )
    referral = stored(app, post_referral(client, path, data))
    assert referral.contact_language == "en"
    assert referral.home_languages == "arabe, turc"
    assert referral.interpreter is True
    assert referral.sent_language == "fr"


def test_languages_not_posted_take_the_page_language(app, client):
    """A client posting only the contract's required fields: French, nothing at home, no
    interpreter, and never a NULL in the NOT NULL columns."""
    referral = stored(app, post_referral(client, "/demande"))
    assert (referral.contact_language, referral.home_languages, referral.interpreter) == (
        "fr",
        "",
        False,
    )


def test_the_page_language_is_the_default_and_is_stored(app, client):
    """Both defaults follow the page's locale (Flask-Babel's get_locale): an English page
    checks English and stores it as the language the referral was sent from."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    page = client.get("/demande").get_data(as_text=True)
    assert 'name="contact_language" value="en" id="contact_language-1" checked' in page
    referral = stored(app, post_referral(client, "/demande"))
    assert (referral.contact_language, referral.sent_language) == ("en", "en")


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact_language", "de"), ("contact_language", "EN"), ("home_languages", "a" * 201)],
)
def test_bad_language_values_are_errors_not_500(app, client, field, value):
    response = client.post("/demande", data=request_form(**{field: value}))
    assert response.status_code == 200
    assert "error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Referral.id)) is None


# --- Children folded, not posted back and forth -------------------------------------------


def test_the_form_carries_four_children_three_folded(client):
    """Children 2 to 4 are in the page, each behind "Ajouter un enfant" (a native details):
    no page load to add one. Their fields are not required while left empty."""
    page = client.get("/demande").get_data(as_text=True)
    assert page.count('<details class="child-more">') == 3
    assert page.count("Ajouter un enfant</summary>") == 3
    for index in range(4):
        assert f'id="children-{index}-first_name"' in page
    assert 'name="add_child"' not in page
    assert 'src="/static/form.js"' in page


def empty_child(index: int) -> dict[str, str]:
    parts = {f"children-{index}-birth_date-{part}": "" for part in ("day", "month", "year")}
    return {
        **child_fields(
            index, first_name="", last_name="", birth_date="", school="", class_level=""
        ),
        **parts,
    }


def test_empty_places_are_not_children(app, client):
    data = request_form(**empty_child(1), **empty_child(2), **empty_child(3))
    referral = stored(app, post_referral(client, "/demande", data))
    with app.app_context():
        assert len(get_referral(referral.reference).children) == 1


def test_a_second_child_unfolded_and_filled_is_stored(app, client):
    data = request_form(**child_fields(1, first_name="Tom"), **empty_child(2), **empty_child(3))
    reference = post_referral(client, "/demande", data)
    with app.app_context():
        names = [child.first_name for child in get_referral(reference).children]
    assert names == ["Léa", "Tom"]


def test_a_half_filled_child_is_named_in_its_errors(app, client):
    """A place where something was typed is a child: what it lacks is said, child by child,
    and the page shows it unfolded (a child of the form), the others still folded."""
    data = request_form(**empty_child(1), **child_fields(2, first_name="Tom", birth_date="x"))
    response = client.post("/demande", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Child 3 was typed in place 3; place 2 was empty: it is child 2 now.
    assert "Enfant 2 – Date de naissance" in page
    assert page.count('<details class="child-more">') == 2
    assert 'value="Tom"' in page


def test_a_first_child_left_empty_still_answers(app, client):
    """Every place empty: child 1 is asked for, as before."""
    data = request_form(**empty_child(0), **empty_child(1))
    page = client.post("/demande", data=data).get_data(as_text=True)
    assert "Enfant 1 – Prénom" in page


def test_remove_counts_the_children_as_posted(app, client):
    """A remove button names a child by its place in the page, empty places before it
    included."""
    data = request_form(
        **empty_child(1), **child_fields(2, first_name="Tom"), **{"remove_child-0": "1"}
    )
    page = client.post("/demande", data=data).get_data(as_text=True)
    assert re.search(r'id="children-0-first_name"[^>]*value="Tom"', page)
    assert not re.search(r'value="Léa"', page)


def test_folded_places_are_not_marked_required(client):
    """Assistive technologies must not announce an empty place for another child as a field
    to fill."""
    page = client.get("/demande").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="children-0-first_name"[^>]*required', page)
    assert not re.search(r'<input[^>]*id="children-1-first_name"[^>]*required', page)
    assert not re.search(r'<select[^>]*id="children-1-school"[^>]*required', page)


# --- Back after a send ------------------------------------------------------------------------


def test_the_form_says_what_this_browser_just_sent(app, client):
    """After a send, the form (where Back lands) says the request left, with its reference,
    above a blank form; the other form does not."""
    reference = post_referral(client, "/demande")
    page = client.get("/demande").get_data(as_text=True)
    assert f"Votre demande {reference} a bien été envoyée" in page
    assert 'value="Léa"' not in page
    assert reference not in client.get("/orientation").get_data(as_text=True)


# --- Contact incertain ------------------------------------------------------------------------


def test_a_misspelt_only_contact_is_uncertain(app, client):
    reference = post_referral(
        client,
        "/demande",
        request_form(guardian_phone="", guardian_email="sophie@gmial.com", situation="Gmial."),
    )
    assert stored(app, reference).contact_doubt == ContactDoubt.MISSPELT_DOMAIN


@pytest.mark.parametrize(
    "contact",
    [
        {"guardian_email": "sophie@gmial.com"},  # the phone reaches the family
        {"guardian_phone": "", "guardian_email": "sophie@gmail.com"},
    ],
)
def test_a_reachable_family_is_not_uncertain(app, client, contact):
    data = request_form(**contact, situation=f"Joignable {sorted(contact.items())}.")
    assert stored(app, post_referral(client, "/demande", data)).contact_doubt is None


def test_the_alert_says_the_contact_is_uncertain(app):
    reference = make_referral(app, guardian_phone="", guardian_email="sophie@hotmial.fr")
    with app.app_context():
        referral = get_referral(reference)
        alert = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.referral_id == referral.id, OutboxMessage.kind == "coordinator_alert"
            )
        )
        rendered = render_message(alert, app.config)
    assert "Contact incertain : seul contact : une adresse e-mail" in rendered.text
    assert "Contact incertain" in rendered.html
    assert "hotmial" not in rendered.text  # no address in the coordination's alert


def stop(app, reference: str, kind: str) -> Referral:
    """Stop `reference`'s message of `kind` as a mail server refusing its address does."""
    with app.app_context():
        referral = get_referral(reference)
        message = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.referral_id == referral.id, OutboxMessage.kind == kind
            )
        )
        refused = smtplib.SMTPRecipientsRefused(
            {address: (550, b"5.1.1 unknown") for address in message.recipients}
        )
        assert record_failure(message, refused, utcnow())
        db.session.commit()
    return stored(app, reference)


def test_a_stopped_acknowledgement_to_the_family_makes_it_uncertain(app):
    reference = make_referral(app, guardian_email="Sophie.Martin@Example.org")
    assert stored(app, reference).contact_doubt is None
    assert stop(app, reference, "acknowledgement").contact_doubt == ContactDoubt.MAIL_STOPPED


def test_a_delivery_to_the_family_lifts_the_doubt_a_stop_raised(app, smtp):
    reference = make_referral(app, guardian_email="sophie.martin@example.org")
    assert stop(app, reference, "acknowledgement").contact_doubt == ContactDoubt.MAIL_STOPPED
    # Once the address is fixed the coordinator puts the message back (`outbox retry`): it
    # reaches the family, and the doubt goes.
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.stopped_at.is_not(None))
        )
        message.stopped_at, message.due_at = None, utcnow()
        db.session.commit()
        assert deliver_due().sent >= 1
    assert stored(app, reference).contact_doubt is None
    # A misspelt domain with no phone is not answered by a delivery: it stays.
    doubtful = make_referral(app, guardian_phone="", guardian_email="x@gmial.com")
    with app.app_context():
        deliver_due()
    assert stored(app, doubtful).contact_doubt == ContactDoubt.MISSPELT_DOMAIN


def test_a_professional_referral_family_acknowledgement_stopped(app):
    reference = make_referral(
        app, Source.PROFESSIONAL, guardian_email="famille@example.org", guardian_phone=""
    )
    # The referrer's acknowledgement stopping says nothing of the family.
    assert stop(app, reference, "acknowledgement").contact_doubt is None
    assert stop(app, reference, "family_acknowledgement").contact_doubt == "mail_stopped"


# --- Shown to the coordination ----------------------------------------------------------------


def test_detail_and_fiche_show_the_languages_and_the_doubt(app, coordinator):
    reference = make_referral(
        app,
        contact_language="en",
        home_languages="tamoul",
        interpreter=True,
        guardian_phone="",
        guardian_email="x@gmial.com",
    )
    page = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "<dt>Langue pour écrire à la famille</dt><dd>anglais</dd>" in page
    assert "<dd>tamoul</dd>" in page
    assert "<dt>Interprète utile</dt><dd>Oui</dd>" in page
    assert "Contact incertain" in page and "semble mal orthographié" in page
    fiche = coordinator.get(f"/triage/{reference}/fiche").get_data(as_text=True)
    assert "<dd>tamoul</dd>" in fiche and "<dt>Interprète utile</dt><dd>Oui</dd>" in fiche


def test_queue_filters_and_marks(app, coordinator):
    plain = make_referral(app)
    helped = make_referral(app, interpreter=True)
    doubtful = make_referral(app, guardian_phone="", guardian_email="x@gmial.com")

    def listed(**args) -> set[str]:
        page = coordinator.get("/triage/", query_string=args).get_data(as_text=True)
        return {ref for ref in (plain, helped, doubtful) if f">{ref}</a>" in page}

    assert listed() == {plain, helped, doubtful}
    assert listed(interpreter="1") == {helped}
    assert listed(uncertain="1") == {doubtful}
    assert listed(interpreter="yes") == {plain, helped, doubtful}  # a bad value is no filter
    page = coordinator.get("/triage/").get_data(as_text=True)
    assert page.count('class="badge badge--uncertain"') == 1
    assert page.count('class="badge badge--interpreter"') == 1


def test_both_exports_carry_the_columns(app, coordinator):
    make_referral(
        app, contact_language="en", interpreter=True, home_languages="Tamoul et un peu d’anglais"
    )
    csv_export = coordinator.get("/triage/export.csv").get_data(True)
    rows = list(csv.reader(io.StringIO(csv_export)))
    header, line = rows[0], rows[1]
    assert header[-4:] == ["contact_language", "home_languages", "interpreter", "contact_doubt"]
    assert line[-4:] == ["en", "ta en", "yes", ""]
    sheet = load_workbook(io.BytesIO(coordinator.get("/triage/export.xlsx").get_data())).active
    header, line = list(sheet.iter_rows(values_only=True))[:2]
    row = dict(zip(header, line, strict=True))
    assert row["Langue pour écrire à la famille"] == "anglais"
    assert row["Langues parlées à la maison"] == "tamoul, anglais"
    assert row["Interprète utile"] == "oui"
    assert row["Contact incertain"] is None
    # Codes, never the family's words: what was typed is on the referral's page only.
    assert "Tamoul" not in csv_export and "Tamoul" not in str(list(sheet.values))


def test_exports_read_unknown_languages_as_other(app, coordinator):
    make_referral(app, home_languages='=HYPERLINK("x")')
    line = list(csv.reader(io.StringIO(coordinator.get("/triage/export.csv").get_data(True))))[1]
    assert line[-3] == "other"


def test_the_codes_follow_the_words_as_sent(app, client):
    response = client.post("/demande", data=request_form(home_languages="Kabyle et français"))
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert (referral.home_languages, referral.home_language_codes) == (
            "Kabyle et français",
            "ber fr",
        )


def test_the_queue_filters_on_a_language_spoken_at_home(app, coordinator):
    tamil = make_referral(app, home_languages="Tamoul, un peu d’anglais")
    arabic = make_referral(app, home_languages="arabe")
    unknown = make_referral(app, home_languages="zazaki")
    nothing = make_referral(app)

    def listed(**args) -> set[str]:
        page = coordinator.get("/triage/", query_string=args).get_data(as_text=True)
        return {ref for ref in (tamil, arabic, unknown, nothing) if f">{ref}</a>" in page}

    assert listed() == {tamil, arabic, unknown, nothing}
    assert listed(language="ta") == {tamil}
    assert listed(language="en") == {tamil}
    assert listed(language="ar") == {arabic}
    assert listed(language="other") == {unknown}
    assert listed(language="ru") == set()
    # A code inside another is no match, and a value that is no code is no filter.
    assert listed(language="a") == {tamil, arabic, unknown, nothing}
    assert listed(language="%") == {tamil, arabic, unknown, nothing}
    page = coordinator.get("/triage/", query_string={"language": "ta"}).get_data(True)
    assert '<option value="ta" selected>tamoul</option>' in page
    # The filter follows the export links, and the export selects as the page.
    rows = list(
        csv.reader(io.StringIO(coordinator.get("/triage/export.csv?language=ta").get_data(True)))
    )
    assert [row[0] for row in rows[1:]] == [tamil]


def test_a_correction_edits_the_languages_and_judges_the_contact_again(app, coordinator):
    reference = make_referral(app, guardian_phone="", guardian_email="x@gmial.com")
    page = coordinator.get(f"/triage/{reference}/correction").get_data(as_text=True)
    assert "Langue dans laquelle écrire à la famille" in page
    with app.app_context():
        referral = get_referral(reference)
        version = referral.version
    data = {
        **child_fields(0),
        "version": str(version),
        "guardian_name": "Sophie Martin",
        "guardian_phone": "",
        "guardian_email": "x@gmail.com",
        "address": "3 rue des Tilleuls",
        "postcode": "62999",
        "city": "Testville",
        "domains": ["school"],
        "contact_language": "en",
        "home_languages": "arabe",
        "interpreter": "y",
    }
    response = coordinator.post(f"/triage/{reference}/correction", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    referral = stored(app, reference)
    assert (referral.contact_language, referral.home_languages, referral.interpreter) == (
        "en",
        "arabe",
        True,
    )
    # The codes the queue filters on follow the words corrected.
    assert referral.home_language_codes == "ar"
    assert coordinator.get("/triage/?language=ar").get_data(True).count(f">{reference}</a>") == 1
    assert referral.contact_doubt is None


# --- Less to type on a phone ----------------------------------------------------------------


def test_a_one_commune_territory_is_its_sole_place():
    from dataclasses import replace

    from intake.territory.model import Commune
    from intake.territory.reader import load_territory

    assert load_territory(SAMPLE_TERRITORY).sole_place() == ("62190", "Lillers")
    two_communes = load_territory(TERRITORY)
    assert len(two_communes.communes) == 2 and two_communes.sole_place() is None
    two_postcodes = replace(two_communes, communes=(Commune("Béthune", ("62400", "62401")),))
    assert two_postcodes.sole_place() is None


@pytest.mark.parametrize("path", ["/demande", "/orientation"])
def test_the_blank_form_of_a_one_commune_programme_gives_its_postcode_and_town(make_app, path):
    client = make_app(INTAKE_TERRITORY=str(SAMPLE_TERRITORY)).test_client()
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'id="postcode"[^>]* value="62190"', page), "postcode"
    assert re.search(r'id="city"[^>]* value="Lillers"', page), "city"
    # Emptied by a family living elsewhere, they are not filled again behind its back.
    fields = request_form() if path == "/demande" else orientation()
    again = client.post(path, data={**fields, "postcode": "", "city": ""}).get_data(True)
    assert 'id="postcode-error"' in again and 'id="city-error"' in again
    assert not re.search(r'id="postcode"[^>]* value="62190"', again)


def test_a_programme_of_several_communes_leaves_them_to_type(client):
    page = client.get("/demande").get_data(as_text=True)
    assert re.search(r'id="postcode"[^>]* value=""', page), "postcode"
    assert re.search(r'id="city"[^>]* value=""', page), "city"


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="parallel plans are PostgreSQL's")
def test_the_language_filter_plans_serially_on_postgresql(app):
    from sqlalchemy import text

    from intake.triage.filters import QueueFilters, serial_plans

    def workers() -> str:
        return db.session.scalar(text("SHOW max_parallel_workers_per_gather"))

    with app.app_context():
        default = workers()
        serial_plans(QueueFilters())
        assert workers() == default != "0"
        serial_plans(QueueFilters(language="ta"))
        assert workers() == "0"
        # For this transaction only.
        db.session.rollback()
        assert workers() == default
