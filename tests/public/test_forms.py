"""The public forms: validation, messages, children, honeypot, storage."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.forms import wtforms_catalogue
from intake.forms.fields import normalise_phone, parse_date
from intake.models import OutboxMessage, Referral
from tests.support.builders import REQUIRED_SHARED, child_fields, orientation, request_form
from tests.support.pages import errors_of

FORMS = [
    pytest.param("/orientation", orientation, "professional", id="orientation"),
    pytest.param("/demande", request_form, "parent", id="demande"),
]


def count(app, model=Referral) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("path", "data", "source"), FORMS)
def test_valid_post_stores_and_redirects_303_to_confirmation(app, client, path, data, source):
    response = client.post(path, data=data())
    assert response.status_code == 303
    assert response.headers["Location"] == "/confirmation"
    page = client.get("/confirmation").get_data(as_text=True)
    reference = re.search(r"PRE-\d{4}-\d{5}", page).group(0)
    # The confirmation page shows the reference and nothing personal.
    for personal in ("Léa", "Martin", "Tilleuls", "06 12"):
        assert personal not in page.split("<main", 1)[1].split("</main>")[0]
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.reference == reference
        assert referral.source == source
        assert referral.status == "new"
        assert referral.guardian_phone == "+33612345678"
        assert referral.domains == ["school", "health"]
        assert [c.first_name for c in referral.children] == ["Léa"]
        assert referral.children[0].screening["reasons"]
        assert [h.to_status for h in referral.history] == ["new"]


def test_professional_fields_are_stored(app, client):
    client.post("/orientation", data=orientation(urgent="y", referrer_phone="03.21.00.00.01"))
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.referrer_role == "teacher"
        assert referral.referrer_phone == "+33321000001"
        assert referral.urgent is True
        assert referral.family_informed is True
        assert referral.consent is False


def test_parent_fields_are_stored(app, client):
    client.post("/demande", data=request_form(guardian_email="", heard_from="Le centre social"))
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert referral.consent is True
        assert referral.heard_from == "Le centre social"
        assert referral.guardian_email is None
        assert referral.referrer_email is None


@pytest.mark.parametrize(("path", "data", "source"), FORMS)
def test_empty_post_names_every_required_field(app, client, path, data, source):
    response = client.post(path, data={})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = errors_of(html)
    expected = set(REQUIRED_SHARED)
    expected |= (
        {
            "referrer_name",
            "referrer_organisation",
            "referrer_role",
            "referrer_email",
            "family_informed",
        }
        if source == "professional"
        else {"consent"}
    )
    assert set(errors) == expected
    # The summary at the top links to each field.
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    for field_id in expected:
        # A checkbox group links to its first box, a date in three inputs to its day.
        anchor = {"domains": "domains-0", "children-0-birth_date": "children-0-birth_date-day"}.get(
            field_id, field_id
        )
        assert f'href="#{anchor}"' in summary
    assert "<title>Erreur" in html
    assert count(app) == 0


def test_errors_are_tied_to_their_inputs(client):
    html = client.post(
        "/orientation", data=orientation(guardian_phone="12", guardian_email="")
    ).get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="guardian_phone"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag
    # The shared "phone or e-mail" hint is read out with the field too.
    assert 'aria-describedby="reach-hint guardian_phone-hint guardian_phone-error"' in tag
    assert "n’est pas valide" in errors_of(html)["guardian_phone"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"guardian_phone": "01 23", "guardian_email": ""},
            "guardian_phone",
            "n’est pas valide",
            id="bad-phone",
        ),
        pytest.param(
            {"guardian_phone": "", "guardian_email": ""},
            "guardian_phone",
            "téléphone ou une adresse e-mail",
            id="no-way-to-reach",
        ),
        pytest.param(
            {"guardian_email": "pas-une-adresse"},
            "guardian_email",
            "n’est pas valide",
            id="bad-email",
        ),
        pytest.param(
            {"referrer_email": "x@"}, "referrer_email", "n’est pas valide", id="bad-referrer-email"
        ),
        pytest.param({"postcode": "6219"}, "postcode", "5 chiffres", id="short-postcode"),
        pytest.param({"situation": "x" * 4001}, "situation", "4000", id="situation-too-long"),
        pytest.param(
            {"family_informed": ""}, "family_informed", "informée", id="family-not-informed"
        ),
        pytest.param(
            {"referrer_role": "astronaut"}, "referrer_role", "choix valide", id="unknown-role"
        ),
        pytest.param(
            {"domains": ["school", "magic"]}, "domains", "choix valide", id="unknown-domain"
        ),
        pytest.param(
            child_fields(0, school="other"),
            "children-0-school_other",
            "« non scolarisé »",
            id="other-school-needs-name",
        ),
        pytest.param(
            child_fields(0, school="9999999Z"),
            "children-0-school",
            "choix valide",
            id="unknown-school",
        ),
        pytest.param(
            child_fields(0, birth_date="2099-01-01"),
            "children-0-birth_date",
            "futur",
            id="born-in-future",
        ),
        pytest.param(
            child_fields(0, birth_date="2016-13-45"),
            "children-0-birth_date",
            "23/09/2015",
            id="not-a-date",
        ),
        pytest.param(
            child_fields(0, class_level="CM3"),
            "children-0-class_level",
            "choix valide",
            id="unknown-class",
        ),
        # str.isdigit() takes any script's digits: these screened "outside the territory".
        pytest.param(
            {"postcode": "６２９９９"}, "postcode", "5 chiffres", id="full-width-postcode"
        ),
        pytest.param({"postcode": "٦٢٩٩٩"}, "postcode", "5 chiffres", id="arabic-indic-postcode"),
        # `phonenumbers` reads other scripts' digits, letters and odd punctuation.
        pytest.param(
            {"guardian_phone": "０６ １２ ３４ ５６ ７８"},
            "guardian_phone",
            "n’est pas valide",
            id="full-width-phone",
        ),
        pytest.param(
            {"guardian_phone": "٠٦١٢٣٤٥٦٧٨"},
            "guardian_phone",
            "n’est pas valide",
            id="arabic-indic-phone",
        ),
        pytest.param(
            {"guardian_phone": "0612345ABC"}, "guardian_phone", "n’est pas valide", id="letters"
        ),
        pytest.param(
            {"guardian_phone": "*06 12 34 56 78;"},
            "guardian_phone",
            "n’est pas valide",
            id="odd-punctuation",
        ),
        # strptime() reads any script's digits in a year, and a space before a day.
        pytest.param(
            child_fields(0, birth_date="٢٠١٦-05-04"),
            "children-0-birth_date",
            "23/09/2015",
            id="arabic-indic-year",
        ),
        pytest.param(
            child_fields(0, birth_date="𝟐𝟎𝟏𝟔-05-04"),
            "children-0-birth_date",
            "23/09/2015",
            id="mathematical-digits",
        ),
        pytest.param(
            child_fields(0, birth_date="2016-05- 4"),
            "children-0-birth_date",
            "23/09/2015",
            id="space-in-iso-date",
        ),
        pytest.param(
            child_fields(0, birth_date="2016-5-4"),
            "children-0-birth_date",
            "23/09/2015",
            id="iso-date-without-zeros",
        ),
        # The mail path cannot deliver these: the worker would fail on them forever.
        pytest.param(
            {"guardian_email": "françoise@famille.example"},
            "guardian_email",
            "lettre accentuée ou un caractère non latin avant le @",
            id="accented-guardian-email",
        ),
        pytest.param(
            {"referrer_email": "andré.durand@ecole.example"},
            "referrer_email",
            "lettre accentuée ou un caractère non latin avant le @",
            id="accented-referrer-email",
        ),
        pytest.param(
            {"referrer_email": "王小明@ecole.example"},
            "referrer_email",
            "lettre accentuée ou un caractère non latin avant le @",
            id="chinese-referrer-email",
        ),
    ],
)
def test_bad_field_gets_its_own_message_and_nothing_is_stored(
    app, client, overrides, field, message
):
    response = client.post("/orientation", data=orientation(**overrides))
    assert response.status_code == 200
    errors = errors_of(response.get_data(as_text=True))
    assert list(errors) == [field]
    assert message in errors[field]
    assert count(app) == 0


def test_wtforms_own_messages_are_french_and_read_from_disk_once(client):
    """WTForms' built-in messages ("Not a valid choice") come from its French catalogue, which
    is read once per language rather than for every form shown or sent."""
    wtforms_catalogue.cache_clear()
    for role in ("astronaut", "pirate"):
        response = client.post("/orientation", data=orientation(referrer_role=role))
        assert "choix valide" in errors_of(response.get_data(as_text=True))["referrer_role"]
    assert wtforms_catalogue.cache_info().misses == 1
    assert wtforms_catalogue.cache_info().hits >= 1


def test_phone_in_any_usual_spelling_is_normalised(app, client):
    for spelling in ("0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678"):
        assert (
            client.post("/demande", data=request_form(guardian_phone=spelling)).status_code == 303
        )
    with app.app_context():
        assert set(db.session.scalars(select(Referral.guardian_phone))) == {"+33612345678"}


@pytest.mark.parametrize(
    "spelling",
    [
        "(+33) 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "06/12/34/56/78",
        "06-12-34-56-78",
        "06\u00a012\u00a034\u00a056\u00a078",
        "06\u202f12\u202f34\u202f56\u202f78",
        "06\t12 34 56 78",
    ],
)
def test_phone_separators_people_use_are_accepted(app, client, spelling):
    assert client.post("/demande", data=request_form(guardian_phone=spelling)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Referral.guardian_phone)) == "+33612345678"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2016-05-04", "2016-05-04"),
        ("04/05/2016", "2016-05-04"),
        ("4/5/2016", "2016-05-04"),
        (" 04/05/2016 ", "2016-05-04"),
    ],
)
def test_birth_date_spellings_that_are_accepted(app, client, typed, stored):
    data = request_form(**child_fields(0, birth_date=typed))
    assert client.post("/demande", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Referral)).children[0].birth_date.isoformat() == stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-05-04", date(2016, 5, 4)),
        ("04/05/2016", date(2016, 5, 4)),
        ("4/5/2016", date(2016, 5, 4)),
        ("29/02/2016", date(2016, 2, 29)),
        ("29/02/2015", None),
        ("2016-02-30", None),
        ("2016-13-01", None),
        ("0000-01-01", None),
        ("2016-5-4", None),
        ("2016/05/04", None),
        ("04-05-2016", None),
        ("04/05/16", None),
        ("٢٠١٦-05-04", None),
        ("２０１６-０５-０４", None),
        ("2016-05- 4", None),
        (" 4/05/2016", None),
        ("2016-05-04T00:00", None),
        ("2016-05-04\n", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("(+33) 6 12 34 56 78", "+33612345678"),
        ("03.21.00.00.01", "+33321000001"),
        ("+590 590 12 34 56", "+590590123456"),  # Guadeloupe
        ("０６１２３４５６７８", None),
        ("٠٦١٢٣٤٥٦٧٨", None),
        ("0612345ABC", None),
        ("06 12 34 56 78 ext 12", None),
        ("06 12 34 56 78;", None),
        ("06 12 34", None),
        ("+", None),
        ("", None),
    ],
)
def test_normalise_phone(typed, normalised):
    if normalised is None:
        with pytest.raises(ValueError):
            normalise_phone(typed)
    else:
        assert normalise_phone(typed) == normalised


def test_what_is_typed_is_stored_clean(app, client):
    """Control and direction characters go, every script stays, text areas keep their lines."""
    data = orientation(
        **child_fields(0, first_name="Le\u0301a", last_name="\u202eNitram\u202c"),
        **child_fields(
            1, first_name="小明", last_name="王", school="other", school_other="École\tX"
        ),
        guardian_name="محمد\u200f بن علي\x07",
        address="3 rue des Tilleuls\r\n",
        referrer_name="Nguyễn Thị\nMinh Khai",
        situation="Ligne 1\r\nLigne 2\r\n\r\n\x1b[31mLigne 4",
        actions_tried="\u2066Aide\u2069 personnalisée\rdepuis septembre",
    )
    assert client.post("/orientation", data=data).status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        children = [(c.first_name, c.last_name, c.school_other) for c in referral.children]
        assert children == [("Léa", "Nitram", None), ("小明", "王", "École X")]
        assert referral.guardian_name == "محمد بن علي"
        assert referral.address == "3 rue des Tilleuls"
        assert referral.referrer_name == "Nguyễn Thị Minh Khai"
        assert referral.situation == "Ligne 1\nLigne 2\n\n[31mLigne 4"
        assert referral.actions_tried == "Aide personnalisée\ndepuis septembre"


def test_an_email_at_an_internationalised_domain_is_delivered(app, client, smtp):
    """Only the part before the @ must be ASCII: the domain goes out in its IDNA form."""
    data = orientation(referrer_email="paul.durand@école.example")
    assert client.post("/orientation", data=data).status_code == 303
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    recipients = [address for envelope in smtp.envelopes for address in envelope.rcpt_tos]
    assert "paul.durand@xn--cole-9oa.example" in recipients
    acknowledgement = next(
        m for m in smtp.messages() if "paul.durand@xn--cole-9oa.example" in m["To"]
    )
    assert acknowledgement["To"] == "paul.durand@xn--cole-9oa.example"
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


@pytest.mark.parametrize(
    ("typed", "delivered"),
    [
        # IDNA 2008 keeps ß; Python's IDNA 2003 codec would send this to strasse.example.
        ("anna@straße.example", "anna@xn--strae-oqa.example"),
        ("anna@ÉCOLE.example", "anna@xn--cole-9oa.example"),
        ("anna@ecole.example", "anna@ecole.example"),
    ],
)
def test_an_internationalised_domain_goes_to_the_domain_typed(app, client, smtp, typed, delivered):
    assert client.post("/demande", data=request_form(guardian_email=typed)).status_code == 303
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    recipients = {address for envelope in smtp.envelopes for address in envelope.rcpt_tos}
    assert delivered in recipients


def test_other_school_with_name_is_accepted(app, client):
    data = orientation(
        **child_fields(0, school="other", school_other="Non scolarisé", class_level="none")
    )
    assert client.post("/orientation", data=data).status_code == 303
    with app.app_context():
        child = db.session.scalar(select(Referral)).children[0]
        assert (child.school, child.school_other, child.class_level) == (
            "other",
            "Non scolarisé",
            "none",
        )
        assert child.screening["school"] == "unknown"


def test_what_was_typed_is_kept_after_an_error(client):
    html = client.post(
        "/demande", data=request_form(consent="", situation="Il pleure le matin & refuse l’école.")
    ).get_data(as_text=True)
    assert 'value="Sophie Martin"' in html
    assert "Il pleure le matin &amp; refuse l’école." in html
    assert re.search(r'value="school"[^>]*checked', html)
    assert re.search(r'<option selected value="0629001A">|<option value="0629001A" selected>', html)
    assert list(errors_of(html)) == ["consent"]


def test_honeypot_submission_is_not_stored(app, client):
    response = client.post("/orientation", data=orientation(website="http://spam.example"))
    assert response.status_code == 303
    assert count(app) == 0
    assert count(app, OutboxMessage) == 0
    assert "PRE-" not in client.get("/confirmation").get_data(as_text=True)


def test_add_child_rerenders_with_one_more_child_and_keeps_values(app, client):
    html = client.post("/orientation", data={**orientation(), "add_child": "1"}).get_data(
        as_text=True
    )
    assert 'name="children-1-first_name"' in html
    assert 'value="Léa"' in html
    assert "error-message" not in html  # resizing is not submitting
    assert re.search(
        r'id="children-1-first_name"[^>]*autofocus|autofocus[^>]*id="children-1-first_name"', html
    )
    assert count(app) == 0


def test_at_most_four_children(client):
    data = orientation(**child_fields(1), **child_fields(2), **child_fields(3))
    html = client.post("/orientation", data={**data, "add_child": "1"}).get_data(as_text=True)
    assert 'name="children-3-first_name"' in html
    assert 'name="children-4-first_name"' not in html
    # Four children of the form: no folded place left to add one.
    assert "<details" not in html


def test_remove_child_renumbers_the_others(client):
    data = orientation(**child_fields(1, first_name="Hugo"), **child_fields(2, first_name="Inès"))
    html = client.post("/orientation", data={**data, "remove_child-1": "1"}).get_data(as_text=True)
    assert re.search(
        r'name="children-1-first_name"[^>]*value="Inès"|value="Inès"[^>]*name="children-1-first_name"',
        html,
    )
    assert "Hugo" not in html
    # Two children left; the places after them are folded, empty.
    assert html.count('<details class="child-more">') == 2
    assert not re.search(r'name="children-2-first_name"[^>]*value="[^"]', html)


def test_several_children_are_each_screened(app, client):
    data = orientation(
        **child_fields(1, first_name="Hugo", birth_date="2005-01-01", school="0629003C")
    )
    assert client.post("/orientation", data=data).status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert [c.first_name for c in referral.children] == ["Léa", "Hugo"]
        assert [c.eligibility for c in referral.children] == ["eligible", "not_eligible"]
        # The referral is as good as its best child.
        assert referral.eligibility == "eligible"


def test_error_in_second_child_is_named_in_summary(client):
    data = orientation(**child_fields(1, first_name=""))
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert 'href="#children-1-first_name">Enfant 2 – Prénom' in html


def test_csrf_token_is_required(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/orientation", data=orientation())
    # The form itself reports the missing token and keeps what was typed.
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Le formulaire a expiré" in html
    assert 'value="Sophie Martin"' in html
    assert count(app) == 0


def test_forms_carry_the_contract_field_names(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    for path, extra in (
        ("/orientation", ["referrer_role", "family_informed", "urgent"]),
        ("/demande", ["consent", "heard_from"]),
    ):
        html = client.get(path).get_data(as_text=True)
        for name in [
            "csrf_token",
            "website",
            # The contract allows the birth date in three fields instead of one.
            "children-0-birth_date-day",
            "children-0-birth_date-month",
            "children-0-birth_date-year",
            "children-0-school",
            "domains",
            *extra,
        ]:
            assert f'name="{name}"' in html, name


def test_phone_is_shown_as_typed_after_an_error(client):
    html = client.post(
        "/demande", data=request_form(consent="", guardian_phone="06 12 34 56 78")
    ).get_data(as_text=True)
    assert 'value="06 12 34 56 78"' in html
    assert "+33612345678" not in html


def test_birth_date_typed_the_french_way_is_accepted(app, client):
    assert (
        client.post(
            "/demande", data=request_form(**child_fields(0, birth_date="04/05/2016"))
        ).status_code
        == 303
    )
    with app.app_context():
        assert (
            db.session.scalar(select(Referral)).children[0].birth_date.isoformat() == "2016-05-04"
        )


def test_database_failure_keeps_what_was_typed(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from intake.public import views

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(views, "create_referral", broken)
    response = client.post("/demande", data=request_form(situation="Un long message précieux."))
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Vos réponses sont conservées" in html
    assert "Un long message précieux." in html and 'value="Sophie Martin"' in html
    assert count(app) == 0


def test_the_same_form_sent_twice_is_stored_once(app, client):
    first = client.post("/demande", data=request_form())
    reference = re.search(r"PRE-\d{4}-\d{5}", client.get("/confirmation").get_data(as_text=True))
    second = client.post("/demande", data=request_form())
    assert first.status_code == second.status_code == 303
    # The second send shows the first one's reference and stores nothing more.
    assert reference.group(0) in client.get("/confirmation").get_data(as_text=True)
    assert count(app) == 1
    assert count(app, OutboxMessage) == 2
    # A real second referral (one answer differs) is stored, with the next number.
    assert client.post("/demande", data=request_form(situation="Autre chose.")).status_code == 303
    assert count(app) == 2
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Referral.number)))
    assert numbers == [1, 2]  # the dropped twin gave its number back
