"""Everyone told, per child: a decision notice gives each child's outcome by its year of
birth, the referrer's adds the class and school, neither names anyone; each reader has a
status link of their own. Read from a real SMTP server after `outbox send`.
"""

from __future__ import annotations

import quopri
import re
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Source
from intake.notifications.render import render_message
from intake.tokens import make_status_token, make_token, read_status_token, read_token
from tests.support.app import post_change
from tests.support.builders import child, get_referral, make_referral

BASE_URL = "https://pre.testville.example"
# Addresses that name no one: a message carries its recipient's address in its header.
REFERRER_EMAIL = "psy.rased@circonscription-ouest.example"
FAMILY_EMAIL = "maison.b@example.net"
AGREEMENT = {"guardian_name": "Samira Boukhari", "given_on": "2026-01-05", "method": "phone"}

# Everything that names someone or says where the family lives: in no message, no page.
NAMES = [
    "Inès",
    "Ines",
    "Yanis",
    "Boukhari",
    "Samira",
    "Gwendoline",
    "Ravignac",
    "Vercingétorix",  # the street
    "06 98 76 54 32",
    "0698765432",
]

SIBLINGS = {
    "children": [
        # Child 1, born in 2017, at a school of the territory.
        child("Inès", "Boukhari", birth_date=date(2017, 3, 12), class_level="CE2"),
        # Child 2, born in 2013, at a collège of the territory.
        child(
            "Yanis",
            "Boukhari",
            birth_date=date(2013, 10, 2),
            school="0629002B",
            class_level="6e",
        ),
    ],
    "guardian_name": "Samira Boukhari",
    "guardian_phone": "0698765432",
    "guardian_email": FAMILY_EMAIL,
    "address": "8 rue Vercingétorix",
    "referrer_name": "Gwendoline Ravignac",
    "referrer_organisation": "RASED Ravignac",
    "referrer_role": "rased",
    "referrer_email": REFERRER_EMAIL,
}

# The CLAS in a family's and a referrer's words (intake.rules.decisions.PUBLIC_SERVICES).
CLAS = "L’accompagnement à la scolarité (CLAS) : aide aux devoirs et activités après l’école"


def send_outbox(app) -> None:
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output


def notices(smtp, reference: str) -> list[tuple[str, dict[str, str]]]:
    """Each decision notice received, in order: its one recipient and its parts; every
    message's raw bytes checked for a name on the way."""
    found = []
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        assert_nameless(envelope.original_content)
        # The referrer's notice is of an "orientation", the family's of a "demande".
        if str(message["Subject"]) not in (
            f"Décision sur la demande {reference}",
            f"Décision sur l’orientation {reference}",
        ):
            continue
        (recipient,) = envelope.rcpt_tos
        found.append(
            (
                recipient,
                {
                    "text": message.get_body(("plain",)).get_content(),
                    "html": message.get_body(("html",)).get_content(),
                },
            )
        )
    return found


def assert_nameless(raw: bytes) -> None:
    """No name in a message's bytes, as sent and once its quoted-printable is decoded."""
    decoded = quopri.decodestring(raw).decode("utf-8", "replace").lower()
    for name in NAMES:
        assert name.lower().encode() not in raw.lower(), name
        assert name.lower() not in decoded, name


def link_of(text: str) -> str:
    (link,) = re.findall(rf"{re.escape(BASE_URL)}(/suivi/[\w.-]+)", text)
    return link


def main_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]


@pytest.fixture
def siblings(app, coordinator) -> str:
    """Inès (2017) and Yanis (2013), referred together by a RASED psychologist whose
    e-mail and the family's are both known, brought before the EPS."""
    reference = make_referral(app, Source.PROFESSIONAL, **SIBLINGS)
    for status in ("in_review", "eps"):
        assert post_change(coordinator, reference, status=status).status_code == 303
    return reference


def test_siblings_decided_two_ways_are_each_told_to_family_and_referrer(
    app, smtp, coordinator, client, siblings
):
    # Yanis redirected to the CLAS, the reason shared; Inès still before the EPS.
    answer = post_change(
        coordinator,
        siblings,
        status="redirected",
        children="2",
        reason="mainstream_service",
        service="clas",
        share_reason="y",
        confirm="y",
    )
    assert answer.status_code == 303
    send_outbox(app)
    first = dict(notices(smtp, siblings))
    assert set(first) == {REFERRER_EMAIL, FAMILY_EMAIL}

    referrer = first[REFERRER_EMAIL]["text"]
    assert "- Enfant né en 2013 (6e, Collège Jean Moulin) : orienté vers le CLAS" in referrer
    assert "  Raison : Un autre service, ouvert à tous, peut mieux aider l’enfant." in referrer
    assert f"  Service : {CLAS}" in referrer
    assert "- Enfant né en 2017 (CE2, École Les Tilleuls) : toujours en cours d’examen" in referrer
    family = first[FAMILY_EMAIL]["text"]
    assert "- Enfant né en 2013 : orienté vers le CLAS" in family
    assert "- Enfant né en 2017 : toujours en cours d’examen" in family
    assert f"  Service : {CLAS}" in family
    # Where the territory's CLAS is, told to both.
    for text in (referrer, family):
        assert "Pour joindre ce service : CLAS du centre social des Peupliers" in text
        assert "Adresse : 8 rue des Écoles, 62999 Testville" in text
    # The family is not told the school nor the class: nothing a forwarded e-mail should add.
    # Whole words: a status link's random token may hold "6e" (it did, once in a while).
    for words in ("Collège", "Tilleuls", "6e", "CE2"):
        for text in (first[FAMILY_EMAIL]["text"], first[FAMILY_EMAIL]["html"]):
            assert not re.search(rf"(?<![\w-]){words}(?![\w-])", text), words
    assert "Collège Jean Moulin" in first[REFERRER_EMAIL]["html"]
    assert "<strong>orienté vers le CLAS</strong>" in first[FAMILY_EMAIL]["html"]

    # Then Inès accepted, once the family agreed for her: the notice tells her outcome only,
    # Yanis's was told already.
    assert post_change(coordinator, siblings, "agreement", children="1", **AGREEMENT).status_code
    assert post_change(coordinator, siblings, status="accepted", children="1").status_code == 303
    smtp.envelopes.clear()
    send_outbox(app)
    second = dict(notices(smtp, siblings))
    assert set(second) == {REFERRER_EMAIL, FAMILY_EMAIL}
    assert (
        "- Enfant né en 2017 (CE2, École Les Tilleuls) : accompagnement engagé"
        in second[REFERRER_EMAIL]["text"]
    )
    assert "- Enfant né en 2017 : accompagnement engagé" in second[FAMILY_EMAIL]["text"]
    for email in second.values():
        assert "2013" not in email["text"]
    # What comes next, told to each reader: the family as "vous".
    assert "L’équipe construit le parcours avec la famille" in second[REFERRER_EMAIL]["text"]
    assert "L’équipe construit le parcours avec vous" in second[FAMILY_EMAIL]["text"]

    # Each reader's link is their own, and opens the page as that reader should see it.
    referrer_link = link_of(second[REFERRER_EMAIL]["text"])
    family_link = link_of(second[FAMILY_EMAIL]["text"])
    assert referrer_link != family_link
    assert link_of(first[FAMILY_EMAIL]["text"]) != link_of(first[REFERRER_EMAIL]["text"])
    for link in (referrer_link, family_link):
        page = main_of(client.get(link))
        assert siblings in page
        assert "Cela dépend de l’enfant : voir ci-dessous" in page
        assert "Enfant né en 2017 : <strong>accompagnement engagé</strong>" in page
        assert "Enfant né en 2013 : <strong>orienté vers le CLAS</strong>" in page
        assert "Un autre service, ouvert à tous, peut mieux aider l’enfant." in page
        assert "CLAS du centre social des Peupliers" in page
        # Neither reader's page shows the other's details, nor the pupil's school.
        for secret in (*NAMES, REFERRER_EMAIL, FAMILY_EMAIL, "Jean Moulin", "CE2"):
            assert secret not in page, (link, secret)


def test_a_decision_for_several_children_at_once_is_one_message_each(
    app, smtp, coordinator, siblings
):
    answer = post_change(
        coordinator, siblings, status="declined", reason="unreachable", confirm="y"
    )
    assert answer.status_code == 303
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "decision_declined")
        ).all()
        assert sorted(row.recipients[0] for row in rows) == sorted([REFERRER_EMAIL, FAMILY_EMAIL])
        # What the family may read, child by child, fixed at the decision: no reason kept.
        (family_row,) = [row for row in rows if row.recipients == [FAMILY_EMAIL]]
        assert family_row.context["audience"] == "family"
        assert [
            (told["child"], told["born"], told["status"], told["reason"])
            for told in family_row.context["outcomes"]
        ] == [(1, 2017, "declined", None), (2, 2013, "declined", None)]
    send_outbox(app)
    received = notices(smtp, siblings)
    assert sorted(recipient for recipient, _ in received) == sorted([REFERRER_EMAIL, FAMILY_EMAIL])
    for recipient, email in received:
        text = email["text"]
        assert text.count(": non retenu par le programme") == 2, recipient
        assert "Raison" not in text


def test_twins_are_told_apart_by_their_number(app, smtp, coordinator):
    twins = {
        **SIBLINGS,
        "children": [
            child("Inès", "Boukhari", birth_date=date(2017, 3, 12)),
            child("Yanis", "Boukhari", birth_date=date(2017, 3, 12)),
        ],
    }
    reference = make_referral(app, Source.PROFESSIONAL, **twins)
    answer = post_change(
        coordinator, reference, status="withdrawn", withdrawn_by="family", confirm="y"
    )
    assert answer.status_code == 303
    send_outbox(app)
    family = dict(notices(smtp, reference))[FAMILY_EMAIL]["text"]
    assert "- Enfant n° 1, né en 2017 : demande retirée" in family
    assert "- Enfant n° 2, né en 2017 : demande retirée" in family


@pytest.mark.parametrize(
    ("school", "expected"),
    [
        pytest.param(
            {"school": "0629001A"}, "(CM1, École Les Tilleuls)", id="a-school-of-the-territory"
        ),
        pytest.param(
            # Typed by hand: free text, never in an e-mail.
            {"school": "other", "school_other": "Institution Saint-Exupère"},
            "(CM1)",
            id="a-school-typed-by-the-referrer",
        ),
    ],
)
def test_a_single_child_notice_reads_as_before_with_the_pupil_for_the_referrer(
    app, smtp, coordinator, school, expected
):
    pupil = child("Inès", "Boukhari", class_level="CM1", **school)
    reference = make_referral(app, Source.PROFESSIONAL, **{**SIBLINGS, "children": [pupil]})
    answer = post_change(
        coordinator,
        reference,
        status="redirected",
        reason="mainstream_service",
        service="reaap",
        confirm="y",
    )
    assert answer.status_code == 303
    send_outbox(app)
    emails = dict(notices(smtp, reference))
    for email in emails.values():
        text = email["text"]
        assert "Décision : Orientée vers un autre service" in text
        assert (
            "Service proposé : "
            "Le réseau des parents (REAAP) : rencontres et soutien pour les parents" in text
        )
        assert "Raison" not in text
    assert f"Enfant concerné : né en 2016 {expected}" in emails[REFERRER_EMAIL]["text"]
    assert expected.strip("()") in emails[REFERRER_EMAIL]["html"]
    family = emails[FAMILY_EMAIL]
    assert "Enfant concerné : né en 2016" in family["text"].splitlines()
    assert "CM1" not in family["text"] and "CM1" not in family["html"]


def legacy_notice(app, reference: str, recipient: str) -> int:
    """A decision notice queued before children were decided one by one: one outcome for the
    whole referral, no audience, as the rows written before this version hold."""
    with app.app_context():
        message = OutboxMessage(
            kind="decision_redirected",
            recipients=[recipient],
            referral=get_referral(reference),
            context={
                "outcome": {
                    "status": "redirected",
                    "at": datetime(2026, 3, 5, 10, tzinfo=UTC).isoformat(),
                    "reason": "territory",
                    "service": "pmi",
                }
            },
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def test_a_notice_queued_before_the_change_still_renders(app, smtp, client):
    reference = make_referral(app, Source.PROFESSIONAL, **SIBLINGS)
    for recipient in (REFERRER_EMAIL, FAMILY_EMAIL):
        legacy_notice(app, reference, recipient)
    send_outbox(app)
    emails = dict(notices(smtp, reference))
    assert set(emails) == {REFERRER_EMAIL, FAMILY_EMAIL}
    for email in emails.values():
        text = email["text"]
        # As it was written then: the referral's outcome, whole.
        assert "Décision : Orientée vers un autre service" in text
        assert (
            "Raison : Le programme aide les enfants de quelques quartiers et de quelques écoles, "
            "et l’enfant n’en fait pas partie." in text
        )
        assert "La protection maternelle et infantile (PMI)" in text
        assert "Enfant" not in text and "2017" not in text
    # The link follows whom the row was sent to.
    with app.app_context():
        assert read_status_token(link_of(emails[REFERRER_EMAIL]["text"]).rsplit("/", 1)[1]) == (
            reference,
            "referrer",
        )
        assert read_status_token(link_of(emails[FAMILY_EMAIL]["text"]).rsplit("/", 1)[1]) == (
            reference,
            "family",
        )


def test_render_message_reads_both_shapes(app, coordinator, siblings):
    """The worker's renderer, row by row: the new shape lists children, the old one does not."""
    legacy = legacy_notice(app, siblings, FAMILY_EMAIL)
    answer = post_change(
        coordinator, siblings, status="declined", reason="age", share_reason="y", confirm="y"
    )
    assert answer.status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        old = next(row for row in rows if row.id == legacy)
        new = next(row for row in rows if row.kind == "decision_declined")
        old_text = render_message(old, app.config).text
        new_text = render_message(new, app.config).text
    assert "Décision : Orientée vers un autre service" in old_text
    assert "Pour chaque enfant" not in old_text
    assert "Pour chaque enfant :" in new_text
    assert "- Enfant né en 2017 (CE2, École Les Tilleuls) : non retenu par le programme" in (
        new_text
    )
    assert "  Raison : L’enfant n’a pas l’âge des enfants que le programme accompagne." in new_text


# The status links --------------------------------------------------------------------------


def test_the_family_and_the_referrer_each_have_their_own_status_link(app, client):
    reference = make_referral(app, Source.PROFESSIONAL, **SIBLINGS)
    with app.app_context():
        referrer = make_status_token(reference, "referrer")
        family = make_status_token(reference, "family")
        # The referrer's is the link every e-mail carried before: those sent keep working.
        assert read_token("status", referrer) == reference
        # Salted apart: neither opens as the other.
        assert read_token("status", family) is None
        assert read_token("family-status", referrer) is None
        assert read_status_token(family) == (reference, "family")
        assert read_status_token(referrer) == (reference, "referrer")
        assert read_status_token(family[:-2] + "xx") is None
    assert referrer != family
    referrer_page = main_of(client.get(f"/suivi/{referrer}"))
    family_page = main_of(client.get(f"/suivi/{family}"))
    assert "et si besoin avec vous" in referrer_page
    assert "Nous vous contactons sous 10 jours" not in referrer_page
    assert "Nous vous contactons sous 10 jours" in family_page
    assert "avec la famille" not in family_page
    for page in (referrer_page, family_page):
        for secret in (*NAMES, REFERRER_EMAIL, FAMILY_EMAIL, "RASED"):
            assert secret not in page, secret
    assert client.get(f"/suivi/{family}x").status_code == 404


def test_a_parents_own_request_shows_the_family_page_whatever_its_link(app, client):
    reference = make_referral(app, Source.PARENT, guardian_email=FAMILY_EMAIL)
    with app.app_context():
        # A link sent before the family had its own: the parent who asked holds it.
        token = make_token("status", reference)
    assert "Nous vous contactons sous 10 jours" in main_of(client.get(f"/suivi/{token}"))


def test_acknowledgements_carry_each_readers_link(app, smtp, client):
    reference = make_referral(app, Source.PROFESSIONAL, **SIBLINGS)
    parent = make_referral(app, Source.PARENT, guardian_email="parent.seul@example.net")
    send_outbox(app)
    links = {}
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        if "/suivi/" in (text := message.get_body(("plain",)).get_content()):
            links[envelope.rcpt_tos[0]] = link_of(text)
    with app.app_context():
        audiences = {
            address: read_status_token(urlsplit(link).path.rsplit("/", 1)[1])
            for address, link in links.items()
        }
    assert audiences == {
        REFERRER_EMAIL: (reference, "referrer"),
        FAMILY_EMAIL: (reference, "family"),
        "parent.seul@example.net": (parent, "family"),
    }
