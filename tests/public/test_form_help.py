"""The forms point out what deserves a second look and never hold a send back: the age
warning, the e-mail slip suggestion, the birth date in three fields, the "Vérifier" button, and
the confirmation that says what was sent and repeats what was pointed out."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.forms.dates import DateProblem, read_date
from intake.forms.typos import suggest_address, suggest_domain, typo_distance
from intake.models import Referral
from intake.public.wording import children_in_words, years_in_words
from tests.support.builders import child_fields, orientation, request_form
from tests.support.pages import errors_of

TODAY = date(2026, 3, 15)
PARTS_ALL = ("day", "month", "year")
AGE_WARNING = "Le programme accompagne les enfants de 2 à 16 ans"


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Referral))


def warnings_of(html: str) -> dict[str, str]:
    """Each field's own warning, by the id of its field."""
    return {
        match.group(1): re.sub(r"<[^>]+>", "", match.group(2)).replace("À vérifier :", "").strip()
        for match in re.finditer(
            r'class="warning-message" id="([^"]+)-warning">(.*?)</p>', html, re.S
        )
    }


def confirmation_text(client) -> str:
    """The confirmation page's main content, as words (tags dropped, spaces collapsed)."""
    page = client.get("/confirmation").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", main))


def check(data: dict) -> dict:
    """`data` as the "Vérifier" button posts it."""
    return data | {"check": "1"}


def date_parts(index: int, day: str, month: str, year: str) -> dict[str, str]:
    """A child's birth date as the page's three inputs send it (no ISO field)."""
    prefix = f"children-{index}-birth_date"
    return {f"{prefix}-day": day, f"{prefix}-month": month, f"{prefix}-year": year}


def parts_only(data: dict, index: int = 0) -> dict:
    """`data` without the ISO birth date of child `index`."""
    return {key: value for key, value in data.items() if key != f"children-{index}-birth_date"}


# --- The birth date in three fields: a pure rule, every problem named ----------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        pytest.param("23", "9", "2015", date(2015, 9, 23), id="plain"),
        pytest.param("04", "05", "2016", date(2016, 5, 4), id="leading-zeros"),
        pytest.param(" 4 ", "5", " 2016", date(2016, 5, 4), id="spaces"),
        pytest.param("29", "2", "2016", date(2016, 2, 29), id="leap-day"),
        pytest.param("31", "12", "2025", date(2025, 12, 31), id="new-year-eve"),
        pytest.param("15", "3", "2026", TODAY, id="born-today"),
        pytest.param("23", "sept", "2015", date(2015, 9, 23), id="month-abbreviated"),
        pytest.param("23", "Septembre", "2015", date(2015, 9, 23), id="month-name"),
        pytest.param("4", "fevrier", "2016", date(2016, 2, 4), id="month-without-accent"),
        pytest.param("4", "Août", "2016", date(2016, 8, 4), id="month-with-accent"),
        pytest.param("4", "déc.", "2016", date(2016, 12, 4), id="month-abbreviation-dot"),
    ],
)
def test_read_date_accepts(day, month, year, expected):
    assert read_date(day, month, year, TODAY) == expected


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "parts"),
    [
        pytest.param("", "", "", "Indiquez la date de naissance", PARTS_ALL, id="empty"),
        pytest.param("", "9", "2015", "Indiquez le jour de naissance.", ("day",), id="no-day"),
        pytest.param("23", "", "2015", "Indiquez le mois de naissance.", ("month",), id="no-month"),
        pytest.param("23", "9", "", "Indiquez l’année de naissance.", ("year",), id="no-year"),
        pytest.param(
            "", "", "2015", "Indiquez le jour et le mois", ("day", "month"), id="no-day-month"
        ),
        pytest.param("", "9", "", "Indiquez le jour et l’année", ("day", "year"), id="no-day-year"),
        pytest.param(
            "23", "", "", "Indiquez le mois et l’année", ("month", "year"), id="no-month-year"
        ),
        pytest.param("0", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-0"),
        pytest.param("32", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-32"),
        pytest.param(
            "123", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-3-digits"
        ),
        pytest.param(
            "-1", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-negative"
        ),
        pytest.param(
            "un", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-letters"
        ),
        pytest.param(
            "٣", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-arabic-digit"
        ),
        pytest.param(
            "²", "9", "2015", "Le jour doit être entre 1 et 31.", ("day",), id="day-superscript"
        ),
        pytest.param(
            "23", "0", "2015", "Le mois doit être entre 1 et 12.", ("month",), id="month-0"
        ),
        pytest.param(
            "23", "13", "2015", "Le mois doit être entre 1 et 12.", ("month",), id="month-13"
        ),
        pytest.param(
            "23", "setp", "2015", "Le mois doit être entre 1 et 12.", ("month",), id="month-word"
        ),
        pytest.param("30", "2", "2016", "Le 30 février n’existe pas.", ("day",), id="30-february"),
        pytest.param("31", "2", "2016", "Le 31 février n’existe pas.", ("day",), id="31-february"),
        pytest.param("31", "4", "2016", "Le 31 avril n’existe pas.", ("day",), id="31-april"),
        pytest.param("31", "6", "2016", "Le 31 juin n’existe pas.", ("day",), id="31-june"),
        pytest.param(
            "31", "9", "2016", "Le 31 septembre n’existe pas.", ("day",), id="31-september"
        ),
        pytest.param(
            "31", "11", "2016", "Le 31 novembre n’existe pas.", ("day",), id="31-november"
        ),
        pytest.param(
            "29",
            "2",
            "2015",
            "Le 29 février 2015 n’existe pas : 2015 n’est pas bissextile.",
            ("day",),
            id="29-february-common-year",
        ),
        pytest.param("23", "9", "15", "2015 et non 15", ("year",), id="two-digit-year"),
        pytest.param("23", "9", "98", "1998 et non 98", ("year",), id="two-digit-year-1900s"),
        pytest.param("23", "9", "26", "2026 et non 26", ("year",), id="two-digit-this-year"),
        pytest.param("23", "9", "201", "4 chiffres", ("year",), id="three-digit-year"),
        pytest.param("23", "9", "20155", "4 chiffres", ("year",), id="five-digit-year"),
        pytest.param("23", "9", "9" * 5000, "4 chiffres", ("year",), id="huge-year"),
        pytest.param("23", "9", "٢٠١٥", "4 chiffres", ("year",), id="arabic-year"),
        pytest.param("23", "9", "1916", "Vérifiez l’année", ("year",), id="year-typo-1916"),
        pytest.param("16", "3", "2026", "dans le futur", PARTS_ALL, id="tomorrow"),
        pytest.param("1", "1", "2099", "dans le futur", PARTS_ALL, id="far-future"),
    ],
)
def test_read_date_names_the_problem(app, day, month, year, message, parts):
    with app.test_request_context():
        problem = read_date(day, month, year, TODAY)
        assert isinstance(problem, DateProblem)
        assert message in str(problem.message)
        assert problem.parts == parts


def test_three_fields_are_stored_as_the_date(app, client):
    data = parts_only(request_form()) | date_parts(0, "4", "5", "2016")
    assert client.post("/demande", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Referral)).children[0].birth_date == date(2016, 5, 4)


def test_iso_field_of_the_contract_is_still_accepted(app, client):
    data = request_form(**child_fields(0, birth_date="2016-05-04"))
    assert "children-0-birth_date-day" not in data
    assert client.post("/demande", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Referral)).children[0].birth_date == date(2016, 5, 4)


def test_empty_inputs_beside_an_iso_date_leave_the_iso_date(app, client):
    data = request_form() | date_parts(0, "", "", "")
    assert client.post("/demande", data=data).status_code == 303


@pytest.mark.parametrize(
    ("parts", "message", "invalid"),
    [
        pytest.param(("30", "2", "2016"), "Le 30 février n’existe pas.", ["day"], id="30-february"),
        pytest.param(
            ("4", "13", "2016"), "Le mois doit être entre 1 et 12.", ["month"], id="month"
        ),
        pytest.param(("4", "5", "16"), "2016 et non 16", ["year"], id="short-year"),
        pytest.param(
            ("", "", "2016"), "Indiquez le jour et le mois", ["day", "month"], id="missing"
        ),
        pytest.param(("1", "1", "2099"), "futur", ["day", "month", "year"], id="future"),
    ],
)
def test_a_wrong_part_is_named_marked_and_linked(app, client, parts, message, invalid):
    data = parts_only(request_form()) | date_parts(0, *parts)
    response = client.post("/demande", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = errors_of(html)
    assert list(errors) == ["children-0-birth_date"]
    assert message in errors["children-0-birth_date"]
    # The summary links to the first input at fault.
    assert f'href="#children-0-birth_date-{invalid[0]}">Enfant 1 – Date de naissance' in html
    marked = re.findall(
        r'id="children-0-birth_date-(day|month|year)"[^>]*aria-invalid="true"', html
    )
    assert marked == invalid
    # What was typed is shown again as typed.
    for part, value in zip(("day", "month", "year"), parts, strict=True):
        assert re.search(rf'id="children-0-birth_date-{part}"[^>]*value="{value}"', html)
    assert stored(app) == 0


def test_date_group_is_a_fieldset_with_legend_hint_and_labels(client):
    html = client.get("/demande").get_data(as_text=True)
    group = re.search(r'<fieldset class="date-input"[^>]*>.*?</fieldset>', html, re.S).group(0)
    assert "<legend>Date de naissance</legend>" in group
    assert 'aria-describedby="children-0-birth_date-hint"' in group
    assert 'id="children-0-birth_date-hint">Par exemple 23 9 2015<' in group
    for part, label in (("day", "Jour"), ("month", "Mois"), ("year", "Année")):
        assert f'<label for="children-0-birth_date-{part}">{label}</label>' in group
        tag = re.search(rf'<input[^>]*id="children-0-birth_date-{part}"[^>]*>', group).group(0)
        assert f'name="children-0-birth_date-{part}"' in tag
        assert 'inputmode="numeric"' in tag
        # A child's birth date is not the user's own: no bday-* autocomplete.
        assert "bday" not in tag


# --- The age warning: shown when the form is checked, never blocking ----------------------

AGE_SENTENCE = (
    f"{AGE_WARNING} : votre demande sera étudiée, et si besoin orientée vers un autre service."
)


def too_old(data: dict) -> dict:
    """`data` with child 0 born in 2005, past the programme's 16 years."""
    return data | child_fields(0, birth_date="2005-01-01")


@pytest.mark.parametrize(
    ("path", "data", "noun"),
    [("/demande", request_form, "demande"), ("/orientation", orientation, "orientation")],
)
def test_check_button_shows_the_age_warning_and_stores_nothing(app, client, path, data, noun):
    response = client.post(path, data=check(too_old(data())))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    warning = warnings_of(html)["children-0-birth_date"]
    assert warning == (
        f"{AGE_WARNING} : votre {noun} sera étudiée, et si besoin orientée vers un autre service."
    )
    assert errors_of(html) == {}, "a warning is not an error"
    assert 'class="warning-summary" role="alert"' in html
    assert "Vérifiez avant d’envoyer" in html
    assert 'href="#children-0-birth_date-day">Enfant 1 – Date de naissance' in html
    assert "<title>À vérifier" in html
    assert stored(app) == 0
    # Nothing hidden to send back: the same form, sent, goes through at once.
    assert "_warned" not in html
    assert client.post(path, data=too_old(data())).status_code == 303
    assert stored(app) == 1


@pytest.mark.parametrize(
    ("path", "data", "noun"),
    [("/demande", request_form, "demande"), ("/orientation", orientation, "orientation")],
)
def test_a_child_outside_the_ages_is_stored_at_once_and_the_confirmation_says_so(
    app, client, path, data, noun
):
    response = client.post(path, data=too_old(data()))
    assert response.status_code == 303
    assert response.headers["Location"] == "/confirmation"
    with app.app_context():
        assert db.session.scalar(select(Referral)).children[0].birth_date == date(2005, 1, 1)
    text = confirmation_text(client)
    assert (
        f"{AGE_WARNING} : votre {noun} sera étudiée, et si besoin orientée vers un autre service."
        in text
    )
    assert "né en 2005" in text
    for personal in ("Léa", "Martin", "2005-01-01", "01/01/2005", "sophie"):
        assert personal not in text


def test_a_child_too_young_is_warned_about_and_stored(app, client):
    born = date.today() - timedelta(days=200)
    data = request_form() | child_fields(0, birth_date=born.isoformat())
    html = client.post("/demande", data=check(data)).get_data(as_text=True)
    assert AGE_WARNING in warnings_of(html)["children-0-birth_date"]
    assert stored(app) == 0
    assert client.post("/demande", data=data).status_code == 303
    assert stored(app) == 1
    assert AGE_SENTENCE in confirmation_text(client)


def test_no_age_warning_for_a_child_in_range(app, client):
    html = client.post("/demande", data=check(request_form())).get_data(as_text=True)
    assert warnings_of(html) == {}
    assert client.post("/demande", data=request_form()).status_code == 303
    assert AGE_WARNING not in confirmation_text(client)


def test_age_warning_is_shown_beside_errors(app, client):
    """One round trip shows both: what must be fixed, and what deserves a second look."""
    html = client.post("/demande", data=too_old(request_form(consent=""))).get_data(as_text=True)
    assert list(errors_of(html)) == ["consent"]
    assert "children-0-birth_date" in warnings_of(html)
    assert 'class="error-summary"' in html
    # Beside an error summary (the alert), the warning summary is not a second alert.
    assert 'class="warning-summary" aria-labelledby' in html
    assert stored(app) == 0
    assert client.post("/demande", data=too_old(request_form())).status_code == 303


def test_check_button_shows_errors_and_warnings_together(app, client):
    data = check(too_old(request_form(guardian_name="", guardian_email="s@gmial.com")))
    response = client.post("/demande", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert list(errors_of(html)) == ["guardian_name"]
    assert set(warnings_of(html)) == {"children-0-birth_date", "guardian_email"}
    assert stored(app) == 0


@pytest.mark.parametrize("button", ["add_child", "remove_child-1"])
def test_warnings_are_shown_when_children_are_added_or_removed(app, client, button):
    data = too_old(request_form(guardian_email="s@gmial.com"))
    data |= child_fields(1, first_name="Hugo", birth_date="2018-02-10")
    html = client.post("/demande", data=data | {button: "1"}).get_data(as_text=True)
    warnings = warnings_of(html)
    assert AGE_WARNING in warnings["children-0-birth_date"]
    assert "Vouliez-vous dire s@gmail.com ?" in warnings["guardian_email"]
    assert errors_of(html) == {}
    assert stored(app) == 0


def test_an_unchecked_invalid_address_gets_no_suggestion_when_a_child_is_added(app, client):
    data = request_form(guardian_email="sophie@@gmial.com") | {"add_child": "1"}
    html = client.post("/demande", data=data).get_data(as_text=True)
    assert "guardian_email" not in warnings_of(html)


def test_age_warning_with_the_three_fields(app, client):
    data = parts_only(request_form()) | date_parts(0, "1", "1", "2005")
    html = client.post("/demande", data=check(data)).get_data(as_text=True)
    assert "children-0-birth_date" in warnings_of(html)
    assert re.search(r'id="children-0-birth_date-year"[^>]*value="2005"', html)
    assert client.post("/demande", data=data).status_code == 303
    assert AGE_SENTENCE in confirmation_text(client)


def test_check_button_with_nothing_to_point_out_says_so(app, client):
    response = client.post("/demande", data=check(request_form()))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Rien à signaler" in html
    assert 'class="warning-summary"' not in html
    assert stored(app) == 0


def test_check_button_is_secondary_and_after_the_default_send(client):
    """The form's first submit button (Enter in a field) still sends; "Vérifier" comes just
    before the visible send button."""
    for path, label, send in (
        ("/demande", "Vérifier ma demande", "Envoyer ma demande"),
        ("/orientation", "Vérifier l’orientation", "Envoyer l’orientation"),
    ):
        html = client.get(path).get_data(as_text=True)
        form = html.split("<form", 1)[1].split("</form>", 1)[0]
        buttons = re.findall(r'<button type="submit" name="([^"]+)"[^>]*>([^<]*)<', form)
        assert buttons[0] == ("send", "Envoyer"), buttons
        assert buttons[-2:] == [("check", label), ("send", send)], buttons
        assert re.search(r'name="check" value="1" class="button button--secondary"', form)


def test_a_spam_submission_is_dropped_before_any_warning(app, client):
    data = too_old(request_form(website="http://spam.example"))
    assert client.post("/demande", data=data).status_code == 303
    assert stored(app) == 0
    assert AGE_WARNING not in confirmation_text(client)


# --- The e-mail slip: "did you mean", never blocking --------------------------------------


@pytest.mark.parametrize(
    ("domain", "suggestion"),
    [
        ("gmial.com", "gmail.com"),
        ("gmal.com", "gmail.com"),
        ("gmaill.com", "gmail.com"),
        ("gmail.fr", "gmail.com"),
        ("gmail.con", "gmail.com"),
        ("gmail.co", "gmail.com"),
        ("gmal.fr", "gmail.com"),
        ("GMIAL.COM", "gmail.com"),
        ("hotmial.fr", "hotmail.fr"),
        ("hotmal.com", "hotmail.com"),
        ("hotmail.fe", "hotmail.fr"),
        ("orange.fe", "orange.fr"),
        ("ornage.fr", "orange.fr"),
        ("wanadoo.fe", "wanadoo.fr"),
        ("wanado.fr", "wanadoo.fr"),
        ("yahooo.fr", "yahoo.fr"),
        ("yaho.com", "yahoo.com"),
        ("outlok.fr", "outlook.fr"),
        ("outlook.cm", "outlook.com"),
        ("laposte.nte", "laposte.net"),
        ("lapost.net", "laposte.net"),
        ("free.fe", "free.fr"),
        ("sfr.ft", "sfr.fr"),
        ("icloud.co", "icloud.com"),
    ],
)
def test_misspelt_domains_get_a_suggestion(domain, suggestion):
    assert suggest_domain(domain) == suggestion


@pytest.mark.parametrize(
    "domain",
    [
        # Every domain of the table, as typed correctly.
        "gmail.com",
        "hotmail.fr",
        "hotmail.com",
        "outlook.fr",
        "yahoo.fr",
        "orange.fr",
        "wanadoo.fr",
        "laposte.net",
        "free.fr",
        "sfr.fr",
        "icloud.com",
        # Real domains near a provider's.
        "mail.com",
        "email.com",
        "ymail.com",
        "laposte.fr",
        "orange.com",
        "yahoo.de",
        "hotmail.be",
        "live.be",
        "outlook.be",
        "gmx.fr",
        # Words, not slips, and the addresses of schools and services.
        "life.fr",
        "fre.fr",
        "ac-lille.fr",
        "mail.ac-lille.fr",
        "hotmail.co.uk",
        "testville.fr",
        "famille.example",
        "école.example",
        "",
        "fr",
    ],
)
def test_correct_or_unknown_domains_get_no_suggestion(domain):
    assert suggest_domain(domain) is None


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("gmail", "gmail", 0),
        ("gmial", "gmail", 1),
        ("gmal", "gmail", 1),
        ("nte", "net", 1),
        ("fe", "fr", 1),
        ("hotmial", "hotmail", 1),
        ("outlk", "outlook", 2),
        ("", "abc", 3),
        # Optimal string alignment, not full Damerau-Levenshtein: a swapped pair is not
        # edited again ("ca" to "abc" is 3 edits, not 2).
        ("ca", "abc", 3),
    ],
)
def test_typo_distance(a, b, distance):
    assert typo_distance(a, b) == distance


def test_suggest_address_keeps_the_part_before_the_at():
    assert suggest_address("Sophie.Martin@gmial.com") == "Sophie.Martin@gmail.com"
    assert suggest_address("sophie@gmail.com") is None
    assert suggest_address("@gmial.com") is None
    assert suggest_address("gmial.com") is None


@pytest.mark.parametrize(
    ("path", "data", "name"),
    [
        ("/demande", request_form, "guardian_email"),
        ("/orientation", orientation, "guardian_email"),
        ("/orientation", orientation, "referrer_email"),
    ],
)
def test_check_button_suggests_an_address_and_keeps_it_as_typed(app, client, path, data, name):
    typed = "sophie.martin@gmial.com"
    response = client.post(path, data=check(data(**{name: typed})))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert warnings_of(html)[name] == (
        "Vouliez-vous dire sophie.martin@gmail.com ? Corrigez l’adresse si besoin : "
        "si elle est juste, laissez-la telle quelle."
    )
    assert errors_of(html) == {}
    assert f'href="#{name}">' in html.split('class="warning-summary"', 1)[1]
    assert f'value="{typed}"' in html, "the address stays as typed"
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("path", "data", "name"),
    [
        ("/demande", request_form, "guardian_email"),
        ("/orientation", orientation, "guardian_email"),
        ("/orientation", orientation, "referrer_email"),
    ],
)
def test_a_misspelt_address_is_stored_at_once_and_the_confirmation_names_the_domains(
    app, client, path, data, name
):
    typed = "sophie.martin@gmial.com"
    response = client.post(path, data=data(**{name: typed}))
    assert response.status_code == 303
    with app.app_context():
        assert getattr(db.session.scalar(select(Referral)), name) == typed
    text = confirmation_text(client)
    assert (
        "L’adresse e-mail indiquée se termine par @gmial.com : si vous vouliez écrire "
        "@gmail.com, appelez-nous au 03 21 00 00 00 pour la corriger." in text
    )
    assert "sophie" not in text.casefold(), "never the part before the @"
    # Only the domains, and in the session, never in the URL.
    assert response.headers["Location"] == "/confirmation"
    with client.session_transaction() as session:
        assert session["confirmation"]["domain_slips"] == [["gmial.com", "gmail.com"]]


def test_two_misspelt_addresses_are_both_named(app, client):
    data = orientation(guardian_email="s@hotmial.fr", referrer_email="p@ornage.fr")
    assert client.post("/orientation", data=data).status_code == 303
    text = confirmation_text(client)
    assert "se termine par @hotmial.fr : si vous vouliez écrire @hotmail.fr" in text
    assert "se termine par @ornage.fr : si vous vouliez écrire @orange.fr" in text


def test_the_same_slip_twice_is_named_once(app, client):
    data = orientation(guardian_email="s@gmial.com", referrer_email="p@gmial.com")
    assert client.post("/orientation", data=data).status_code == 303
    assert confirmation_text(client).count("se termine par @gmial.com") == 1


def test_no_suggestion_on_a_correct_domain(app, client):
    data = request_form(guardian_email="s@gmail.com")
    html = client.post("/demande", data=check(data)).get_data(as_text=True)
    assert warnings_of(html) == {}
    assert client.post("/demande", data=data).status_code == 303
    assert "se termine par" not in confirmation_text(client)


@pytest.mark.parametrize("checked", [False, True], ids=["send", "check"])
def test_an_invalid_address_gets_its_error_not_a_suggestion(app, client, checked):
    data = request_form(guardian_email="sophie@@gmial.com")
    html = client.post("/demande", data=check(data) if checked else data).get_data(as_text=True)
    assert "guardian_email" in errors_of(html)
    assert warnings_of(html) == {}


def test_a_confirmation_without_a_phone_says_whom_to_contact(app, client):
    """With no contact in the territory file, the sentence points to the contact block."""
    app.extensions["territory"] = replace(app.extensions["territory"], contact=None)
    data = too_old(request_form(guardian_email="s@gmial.com"))
    assert client.post("/demande", data=data).status_code == 303
    text = confirmation_text(client)
    assert AGE_SENTENCE in text
    assert (
        "si vous vouliez écrire @gmail.com, contactez l’équipe du programme "
        "(coordonnées en bas de page) pour la corriger." in text
    )


# --- The confirmation says what was sent -----------------------------------------------------


@pytest.mark.parametrize(
    ("years", "words"),
    [
        ([2015], "en 2015"),
        ([2018, 2015], "en 2015 et en 2018"),
        ([2015, 2015], "en 2015"),
        ([2012, 2018, 2015], "en 2012, en 2015 et en 2018"),
        ([2012, 2018, 2015, 2010], "en 2010, en 2012, en 2015 et en 2018"),
    ],
)
def test_years_in_words(app, years, words):
    with app.test_request_context():
        assert years_in_words(years) == words


@pytest.mark.parametrize(
    ("years", "source", "sentence"),
    [
        ([2016], "parent", "Votre demande concerne 1 enfant, né en 2016."),
        ([2015, 2018], "parent", "Votre demande concerne 2 enfants, nés en 2015 et en 2018."),
        ([2016], "professional", "Votre orientation concerne 1 enfant, né en 2016."),
        ([], "parent", None),
    ],
)
def test_children_in_words(app, years, source, sentence):
    with app.test_request_context():
        assert children_in_words(years, source) == sentence


def test_confirmation_repeats_how_many_children_and_their_years(app, client):
    data = request_form(
        **child_fields(1, first_name="Hugo", birth_date="2018-02-10", school="0629003C")
    )
    response = client.post("/demande", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/confirmation"
    page = client.get("/confirmation").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", main))
    assert (
        "Votre demande concerne 2 enfants, nés en 2016 et en 2018. "
        "Si ce n’est pas le cas, appelez-nous au 03 21 00 00 00." in text
    )
    assert 'href="tel:0321000000"' in main
    for personal in ("Léa", "Hugo", "Martin", "2016-05-04", "04/05"):
        assert personal not in main


def test_confirmation_of_a_professional_referral(client):
    assert client.post("/orientation", data=orientation()).status_code == 303
    page = client.get("/confirmation").get_data(as_text=True)
    assert "Votre orientation concerne 1 enfant, né en 2016." in page
