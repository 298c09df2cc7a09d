"""Whatever a visitor or a client sends, the answer is never a 500 and nothing stored changes."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Referral
from tests.support.app import PASSWORD, READ_LOG_TABLES, login, post_change
from tests.support.builders import child_fields, orientation, post_referral, request_form
from tests.support.pages import errors_of


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/triage/", {"page": "99999999999999999999999"}),
        ("/triage/", {"page": "-3"}),
        ("/triage/", {"q": "a\x00b"}),
        ("/triage/", {"q": "x" * 10_000}),
        ("/triage/", {"status": "\x00"}),
        ("/triage/export.csv", {"q": "%_\\"}),
        ("/triage/PRE-2026-%00", {}),
    ],
    ids=[
        "huge-page",
        "negative-page",
        "nul-in-search",
        "long-search",
        "nul-status",
        "wildcards",
        "nul-ref",
    ],
)
def test_odd_queries_to_the_queue(coordinator, path, query):
    response = coordinator.get(path, query_string=query)
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(orientation(guardian_name="Sophie\x00Martin"), id="nul-in-text"),
        pytest.param(orientation(**child_fields(0, birth_date="0001-01-01")), id="year-one"),
        pytest.param(orientation(**child_fields(0, birth_date="2016-02-30")), id="30-february"),
        pytest.param({**orientation(), "children-7-first_name": "Zoé"}, id="sparse-child-index"),
        pytest.param({**orientation(), "remove_child-x": "1"}, id="bad-remove"),
        pytest.param({**orientation(), "remove_child-9": "1"}, id="remove-missing-child"),
        pytest.param(
            {"children-0-first_name": ["a", "b"], "domains": "school"}, id="repeated-fields"
        ),
        pytest.param(
            {**orientation(), **{f"children-{i}-first_name": "X" for i in range(50)}},
            id="fifty-children",
        ),
    ],
)
def test_odd_form_posts(app, client, data):
    response = client.post("/orientation", data=data)
    assert response.status_code in (200, 303, 400)
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Referral))
        if stored:
            referral = db.session.scalar(select(Referral))
            assert len(referral.children) <= 4
            assert "\x00" not in referral.guardian_name


def test_nul_in_login_is_refused_not_crashed(client, users):
    response = client.post(
        "/connexion", data={"email": "coord@testville.example\x00", "password": "x"}
    )
    assert response.status_code in (200, 400)


def test_oversized_post_is_refused_cleanly(client):
    response = client.post("/demande", data={"situation": "x" * 400_000})
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def test_nul_in_a_repeated_value_or_a_key_is_refused(client):
    assert client.post("/demande", data={"domains": ["school", "health\x00"]}).status_code == 400
    assert client.post("/demande", data={"situ\x00ation": "x"}).status_code == 400


def rows(app) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with app.app_context():
        return {
            table.name: sorted((tuple(row) for row in db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
            if table.name not in READ_LOG_TABLES
        }


def stored_children(app) -> list[list[str]]:
    with app.app_context():
        return [[c.first_name for c in r.children] for r in db.session.scalars(select(Referral))]


HUGE = "9" * 5000  # int() refuses strings of more than 4,300 digits


@pytest.mark.parametrize(
    "key",
    [
        "children-²-first_name",
        "children-٣-first_name",
        "children-５-last_name",
        "childrenX²-first_name",
        f"children-{HUGE}-first_name",
        "children-01-first_name",
        "children--1-first_name",
        "children-1000-first_name",
        "children-1",
    ],
    ids=[
        "superscript-two",
        "arabic-indic-three",
        "full-width-five",
        "no-dash",
        "5000-digits",
        "leading-zero",
        "negative",
        "four-digits",
        "no-subfield",
    ],
)
def test_a_malformed_child_index_names_no_child(app, client, key):
    """Only ASCII digits of bounded length make a child index; other keys are unknown fields."""
    response = client.post("/orientation", data={**orientation(), key: "Zoé"})
    assert response.status_code == 303
    assert stored_children(app) == [["Léa"]]


@pytest.mark.parametrize(
    "key",
    ["remove_child-²", f"remove_child-{HUGE}", "remove_child-x", "remove_child-9", "remove_child-"],
    ids=["superscript-two", "5000-digits", "letter", "missing-child", "empty"],
)
def test_a_malformed_remove_button_shows_the_form_again_unchanged(app, client, key):
    """A remove button is never a submission, even when it names no child."""
    data = orientation(**child_fields(1, first_name="Hugo"))
    response = client.post("/orientation", data={**data, key: "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Léa"' in html and 'value="Hugo"' in html
    assert 'value="Sophie Martin"' in html
    assert "error-message" not in html
    assert stored_children(app) == []


def test_add_child_ignores_malformed_indexes(app, client):
    data = {**orientation(), "children-²-first_name": "Zoé", f"children-{HUGE}-x": "y"}
    response = client.post("/orientation", data={**data, "add_child": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Two children of the form (the one added unfolded), two folded places after them.
    assert html.count('<fieldset class="child">') == 2
    assert html.count('<details class="child-more">') == 2
    assert "Zoé" not in html
    assert stored_children(app) == []


def as_file(content: bytes = b"Il pleure le matin.") -> tuple[io.BytesIO, str]:
    """A file part, as `curl -F field=@file` sends one."""
    return (io.BytesIO(content), "situation.txt")


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("/orientation", orientation, "situation", "Décrivez la situation."),
        ("/demande", request_form, "guardian_name", "Indiquez le nom du parent"),
        ("/demande", request_form, "children-0-first_name", "Indiquez le prénom"),
        ("/orientation", orientation, "referrer_email", "Indiquez votre adresse e-mail"),
        ("/orientation", orientation, "children-0-birth_date", "Indiquez la date"),
    ],
)
def test_a_text_field_sent_as_a_file_is_missing_not_a_500(app, client, path, data, field, message):
    """No form takes files: a file part is not read, and the field is reported missing."""
    response = client.post(path, data={**data(), field: as_file()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in errors_of(html)[field]
    assert 'value="Sophie Martin"' in html or field == "guardian_name"
    assert stored_children(app) == []


def test_a_file_part_beside_the_fields_is_ignored(app, client):
    response = client.post("/demande", data={**request_form(), "piece_jointe": as_file()})
    assert response.status_code == 303
    assert stored_children(app) == [["Léa"]]


def test_login_fields_sent_as_files_are_missing(client, users):
    response = client.post("/connexion", data={"email": as_file(), "password": as_file()})
    assert response.status_code == 200
    errors = errors_of(response.get_data(as_text=True))
    assert "Indiquez votre adresse e-mail." in errors["email"]
    assert "Indiquez votre mot de passe." in errors["password"]


def test_a_note_sent_as_a_file_is_missing_and_nothing_changes(app, coordinator):
    reference = post_referral(coordinator)
    before = rows(app)
    response = post_change(coordinator, reference, "notes", text=as_file())
    assert response.status_code == 422
    assert "Écrivez la note." in response.get_data(as_text=True)
    assert rows(app) == before


def test_a_status_comment_sent_as_a_file_is_not_read(app, coordinator):
    reference = post_referral(coordinator)
    response = post_change(coordinator, reference, status="in_review", comment=as_file())
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert (referral.status, referral.history[-1].comment) == ("in_review", "")


def test_viewer_posts_with_files_are_refused_and_change_nothing(app, client, users):
    reference = post_referral(client)
    assert login(client, users["viewer"]).status_code == 303
    before = rows(app)
    for path, data in (
        ("status", {"status": "in_review", "comment": as_file()}),
        ("notes", {"text": as_file()}),
    ):
        assert client.post(f"/triage/{reference}/{path}", data=data).status_code == 403
    for path in ("status", "notes"):
        for body, content_type in (
            (b"status=in_review&comment=%FF", URLENCODED),
            (multipart({"text": "x"}, NAMELESS_PARTS), "multipart/form-data; boundary=limite"),
        ):
            response = client.post(
                f"/triage/{reference}/{path}", data=body, content_type=content_type
            )
            assert response.status_code in (400, 403)
    assert rows(app) == before
    assert client.post("/deconnexion", data={"x": as_file()}).status_code == 303


ODD_NEXT = [
    pytest.param("/\r\nSet-Cookie: x=1", id="crlf"),
    pytest.param("/\nX", id="lf"),
    pytest.param("/\t/evil.example", id="tab"),
    pytest.param("/ /evil.example", id="space"),
    pytest.param("/\x0b/evil.example", id="vertical-tab"),
    pytest.param("/\u2028x", id="line-separator"),
    pytest.param("/\u00a0/evil.example", id="no-break-space"),
    pytest.param("/\x7f", id="delete"),
    pytest.param("http://[::1", id="bad-ipv6-host"),
    pytest.param("//[", id="bad-ipv6-path"),
    pytest.param("/" + "a" * 5000, id="very-long"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("target", ODD_NEXT)
def test_a_logged_in_visitor_with_an_odd_next_goes_to_the_queue(coordinator, target):
    response = coordinator.get("/connexion", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/triage/"


@pytest.mark.parametrize("target", ODD_NEXT)
def test_logging_in_with_an_odd_next_goes_to_the_queue(client, users, target):
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={"email": users["coordinator"], "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"


URLENCODED = "application/x-www-form-urlencoded"


def urlencoded(data: dict) -> bytes:
    """A form body as a browser sends it (UTF-8, percent-encoded)."""
    return urlencode(data, doseq=True).encode()


@pytest.mark.parametrize(
    ("raw_value", "content_type"),
    [
        pytest.param(b"Sophie%FFMartin", URLENCODED, id="percent-encoded-invalid-utf-8"),
        pytest.param(b"Sophie%C3Martin", URLENCODED, id="truncated-utf-8"),
        pytest.param(b"Sophie\xffMartin", URLENCODED, id="raw-invalid-utf-8"),
        pytest.param(b"Fran%E7oise", f"{URLENCODED}; charset=iso-8859-1", id="latin-1"),
        pytest.param(b"Fran\xe7oise", f"{URLENCODED}; charset=ebcdic-xx", id="unknown-charset"),
    ],
)
def test_a_form_body_that_is_not_utf_8_is_refused(app, client, raw_value, content_type):
    """Werkzeug kept "%FF" as text (stored though nobody typed it) or read an empty form."""
    body = urlencoded(request_form(guardian_name="")).replace(
        b"guardian_name=", b"guardian_name=" + raw_value
    )
    before = rows(app)
    response = client.post("/demande", data=body, content_type=content_type)
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)
    assert rows(app) == before


def test_a_typed_replacement_character_is_named_and_the_rest_is_kept(app, client):
    """ "�" is what a garbled text shows in place of what it lost: the person is asked."""
    data = request_form(guardian_name="Fran\ufffdoise Martin", situation="Un long message.")
    response = client.post("/demande", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "illisible" in errors_of(html)["guardian_name"]
    assert 'value="Fran\ufffdoise Martin"' in html
    assert "Un long message." in html and 'value="3 rue des Tilleuls"' in html
    assert stored_children(app) == []


def test_unreadable_bytes_in_a_multipart_part_are_named(app, client):
    fields = request_form(guardian_name="")
    boundary = "limite"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
        if name != "guardian_name"
    ]
    body = "".join(parts).encode() + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="guardian_name"\r\n\r\n'
        f"Sophie \xff\xfe\r\n--{boundary}--\r\n"
    ).encode("latin-1")
    response = client.post(
        "/demande", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "illisible" in errors_of(html)["guardian_name"]
    assert 'value="3 rue des Tilleuls"' in html
    assert stored_children(app) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            b"--x\r\nnot a part", "multipart/form-data; boundary=x", id="broken-multipart"
        ),
        pytest.param(b"abc", "multipart/form-data", id="multipart-without-boundary"),
        pytest.param(b'{"situation": ["a"]}', "application/json", id="json"),
        pytest.param(b"[1, 2]", "application/json", id="json-list"),
        pytest.param(b"{", "application/json", id="broken-json"),
        pytest.param(b"situation=abc", "text/plain", id="text-plain"),
        pytest.param(
            "situation=abc".encode("utf-16"), f"{URLENCODED}; charset=utf-16", id="utf-16"
        ),
    ],
)
def test_bodies_that_are_not_forms_store_nothing(app, client, body, content_type):
    before = rows(app)
    for path in ("/orientation", "/demande"):
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code in (200, 400)
    assert rows(app) == before


def multipart(fields: dict, extra_parts: list[str], boundary: str = "limite") -> bytes:
    """A multipart body of `fields`, then `extra_parts` (raw part headers and content)."""
    parts = [
        f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'
        for name, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return "".join(f"--{boundary}\r\n{part}\r\n" for part in parts + extra_parts).encode() + (
        f"--{boundary}--\r\n".encode()
    )


NAMELESS_PARTS = [
    "Content-Disposition: form-data\r\n\r\nsans nom",
    'Content-Disposition: form-data; name="a\rb"; filename=""\r\n\r\n',
]


@pytest.mark.parametrize("part", NAMELESS_PARTS, ids=["no-name", "broken-name"])
def test_a_multipart_part_without_a_name_is_ignored(app, client, part):
    """Werkzeug filed such a part under the key None, on which key.startswith() failed."""
    body = multipart(request_form(), [part])
    response = client.post(
        "/demande", data=body, content_type="multipart/form-data; boundary=limite"
    )
    assert response.status_code == 303
    assert stored_children(app) == [["Léa"]]


@pytest.mark.parametrize("part", NAMELESS_PARTS, ids=["no-name", "broken-name"])
def test_a_part_without_a_name_beside_a_csrf_checked_form(make_app, users, part):
    """Without a csrf_token field, Flask-WTF's check reads every key of the form."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    fields = {"email": users["coordinator"], "password": PASSWORD}
    response = client.post(
        "/connexion",
        data=multipart(fields, [part]),
        content_type="multipart/form-data; boundary=limite",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            multipart({"situation": "x"}, ["Content-Type: text/plain\r\n\r\nsans en-tête"]),
            "multipart/form-data; boundary=limite",
            id="part-without-disposition",
        ),
        pytest.param(multipart({"situation": "x"}, []), "multipart/form-data", id="no-boundary"),
        pytest.param(
            b"--limite\r\nnot a part", "multipart/form-data; boundary=limite", id="broken"
        ),
    ],
)
def test_a_body_that_cannot_be_parsed_is_refused(app, client, body, content_type):
    """Werkzeug read it as an empty form: the form then said every field was missing."""
    before = rows(app)
    response = client.post("/demande", data=body, content_type=content_type)
    assert response.status_code == 400
    assert rows(app) == before
