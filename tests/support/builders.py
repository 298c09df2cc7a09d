"""Test data, one way: referrals, decisions, meetings and staff accounts made through the
application's own operations, and the public forms' fields as a browser posts them.

Every test that needs a referral, a decided referral, a meeting, a user or a territory built
from open data makes it here, so a change to what a referral holds is made once. Each builder
opens its own app context and commits, as a view would, and returns plain values (a
reference, an id) usable outside it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from intake.auth.operations import create_user
from intake.extensions import db
from intake.meetings.operations import create_meeting
from intake.models import Child, Referral, Source, StatusChange, User, utcnow
from intake.public.operations import create_referral
from intake.signals import status_changed
from intake.territory.model import Territory
from intake.territory.reader import load_territory
from tests.support.app import PASSWORD, TERRITORY

# Each referral's situation is numbered: two identical forms within 30 minutes are taken for
# a double send and stored once.
SEQUENCE = itertools.count(1)

# --- The public forms' fields, as a browser posts them ---------------------------------------

# The fields both forms require, by the id of their input (domains: the group's name).
REQUIRED_SHARED = frozenset(
    {
        "children-0-first_name",
        "children-0-last_name",
        "children-0-birth_date",
        "children-0-school",
        "children-0-class_level",
        "guardian_name",
        "guardian_phone",
        "address",
        "postcode",
        "city",
        "domains",
        "situation",
    }
)


def child_fields(index: int = 0, **overrides: str) -> dict[str, str]:
    """One child's fields, named as the FieldList names them."""
    values = {
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": "2016-05-04",
        "school": "0629001A",
        "school_other": "",
        "class_level": "CE2",
        **overrides,
    }
    return {f"children-{index}-{name}": value for name, value in values.items()}


def shared_fields(**overrides) -> dict:
    """The family and situation fields both forms share."""
    return {
        **child_fields(0),
        "guardian_name": "Sophie Martin",
        "guardian_phone": "06 12 34 56 78",
        "guardian_email": "sophie.martin@famille.example",
        "address": "3 rue des Tilleuls",
        "postcode": "62999",
        "city": "Testville",
        "domains": ["school", "health"],
        "situation": "Léa a du mal à lire et se fatigue vite en classe.",
        "website": "",
        **overrides,
    }


# The professional who refers, as typed in the form and as stored alike.
REFERRER = {
    "referrer_name": "Paul Durand",
    "referrer_organisation": "École Les Tilleuls",
    "referrer_role": "teacher",
    "referrer_email": "paul.durand@ecole.example",
    "referrer_phone": "",
    "actions_tried": "Aide personnalisée depuis septembre.",
}


def orientation(**overrides) -> dict:
    """A complete, valid professional referral, as posted to /orientation."""
    return shared_fields(**{**REFERRER, "family_informed": "y", **overrides})


def request_form(**overrides) -> dict:
    """A complete, valid parent's request, as posted to /demande."""
    return shared_fields(**{"consent": "y", "heard_from": "La maîtresse", **overrides})


def post_referral(client, path: str = "/orientation", data: dict | None = None) -> str:
    """Send a public form through its route, as a visitor does; return the new reference."""
    if data is None:
        data = orientation if path == "/orientation" else request_form
        data = data(situation=f"Léa a du mal à lire (n° {next(SEQUENCE)}).")
    response = client.post(path, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    with client.application.app_context():
        return db.session.scalars(select(Referral.reference).order_by(Referral.id.desc())).first()


# --- Referrals, through the intake operation --------------------------------------------------


def child(first_name: str = "Léa", last_name: str = "Martin", **overrides) -> dict[str, Any]:
    """One child as a validated form hands it to `create_referral`."""
    return {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": date(2016, 5, 4),
        "school": "0629001A",
        "school_other": "",
        "class_level": "CE2",
        **overrides,
    }


FAMILY = {
    "guardian_name": "Sophie Martin",
    "guardian_phone": "0612345678",
    "guardian_email": "",
    "address": "3 rue des Tilleuls",
    "postcode": "62999",
    "city": "Testville",
    "domains": ["school"],
    "situation": "Difficultés en lecture.",
}
PARENT = {"consent": True, "heard_from": ""}
PROFESSIONAL = {**REFERRER, "family_informed": True, "urgent": False}


# A parent's request as the validated form hands it to `create_referral`.
PARENT_DATA = {"children": [child()], **FAMILY, **PARENT}


def referral_data(
    source: Source = Source.PARENT, *, children: list[dict] | None = None, **overrides
) -> dict[str, Any]:
    """What a validated form of `source` hands to `create_referral`, each call a different
    referral (its situation numbered) unless `situation` is given."""
    extra = PROFESSIONAL if source == Source.PROFESSIONAL else PARENT
    numbered = {"situation": f"{FAMILY['situation']} (n° {next(SEQUENCE)})"}
    return {"children": children or [child()], **FAMILY, **extra, **numbered, **overrides}


def make_referral(
    app: Flask,
    source: Source = Source.PARENT,
    *,
    children: list[dict] | None = None,
    received_at: datetime | None = None,
    status: str | None = None,
    check_duplicates: bool = True,
    last_activity_at: datetime | None = None,
    **overrides,
) -> str:
    """Store a referral as the form's view does (`create_referral`, then commit); return its
    reference. `status` puts it straight at that status, with no history: for a test about
    what is done at a status, not how it was reached.
    `last_activity_at` says when it was last touched (default: when received)."""
    data = referral_data(source, children=children, **overrides)
    with app.app_context():
        referral = create_referral(
            source,
            data,
            app.extensions["territory"],
            received_at,
            check_duplicates=check_duplicates,
        )
        if status is not None:
            referral.status = status
            for each in referral.children:
                each.status = status
        if last_activity_at is not None:
            referral.last_activity_at = last_activity_at
        db.session.commit()
        return referral.reference


def get_referral(reference: str) -> Referral:
    """The stored referral of `reference` (inside an app context)."""
    return db.session.scalar(select(Referral).where(Referral.reference == reference))


# --- Decisions --------------------------------------------------------------------------------


def decide(app: Flask, reference: str, to: str, comment: str = "Commentaire interne.", **codes):
    """Record a decision as a coordinator's status form does, `to` whatever status, without the
    status machine's checks (its own tests go through the routes): the change carries its codes
    (reason, service, withdrawn_by, share_reason) when `status_changed` is sent, so the e-mails
    and the status page see it as they would."""
    with app.app_context():
        referral = get_referral(reference)
        now = utcnow()
        changes = []
        for each in referral.children:
            change = StatusChange(
                at=now, child=each, from_status=each.status, to_status=to, comment=comment, **codes
            )
            referral.history.append(change)
            each.status = to
            changes.append(change)
        previous = referral.status
        referral.derive_status()
        status_changed.send(
            app, referral=referral, change=changes[0], changes=changes, previous=previous
        )
        db.session.commit()


# --- Meetings and staff accounts -------------------------------------------------------------


def make_user(
    app: Flask, email: str, role: str = "coordinator", password: str = PASSWORD, **fields
) -> int:
    """Add a staff account through `create_user`; `fields` set other columns (alerts…)."""
    with app.app_context():
        user = create_user(email, password, role)
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()
        return user.id


def make_meeting(
    app: Flask,
    starts_at: datetime | None = None,
    place: str = "Mairie, salle 2",
    attendees: list[dict[str, str]] | None = None,
    *,
    by: str | None = None,
) -> int:
    """Create an EPS meeting through `create_meeting` (a week from now unless `starts_at`),
    as the staff account `by` (default: the first account); return its id."""
    with app.app_context():
        query = select(User).order_by(User.id)
        user = db.session.scalar(query.where(User.email == by) if by else query)
        if user is None:
            user = create_user("eps@testville.example", PASSWORD, "coordinator")
        meeting = create_meeting(
            starts_at or datetime.now(UTC) + timedelta(days=7),
            place,
            attendees or [{"name": "Marie Durand", "organisation": "Éducation nationale"}],
            user,
        )
        db.session.commit()
        return meeting.id


START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def store_referrals(
    app,
    count: int,
    *,
    same_time: int = 0,
    first: int = 1,
    start: datetime = START,
    schools: tuple[str, ...] = ("0629001A",),
    columns: dict[str, Any] | None = None,
    **fields,
) -> list[str]:
    """Store `count` referrals one minute apart from `start` (the last `same_time` of them
    received at the very same instant), numbered from `first`, and return their references
    oldest first. Each has a child at each school of `schools` ("other": one outside the
    territory's list); `columns` gives every one of them other Referral columns (source,
    status, urgent, assigned_to_id, duplicate_suspected, last_activity_at…).

    Rows written directly, not through `create_referral`: the queue's tests need hundreds of
    referrals at chosen moments and numbers, and screening or e-mails would only slow them."""
    references = []
    with app.app_context():
        for n in range(count):
            at = start + timedelta(minutes=min(n, count - same_time))
            number = first + n
            values = {
                "source": "parent",
                "received_at": at,
                "last_activity_at": at,
                "status": "new",
                **(columns or {}),
            }
            referral = Referral(
                reference=f"PRE-2026-{number:05d}",
                year=2026,
                number=number,
                fingerprint=f"f{number}",
                eligibility="eligible",
                guardian_name=fields.get("guardian_name", f"Parent {n}"),
                guardian_phone=fields.get("guardian_phone"),
                address="1 rue X",
                postcode="62999",
                city="Testville",
                situation="…",
                **values,
            )
            for position, school in enumerate(schools):
                referral.children.append(
                    Child(
                        position=position,
                        first_name=fields.get("first_name", "Léa"),
                        last_name=fields.get("last_name", f"Nom{n}"),
                        birth_date=date(2016, 5, 4),
                        school=school,
                        school_other="École privée" if school == "other" else None,
                        class_level="CE2",
                        eligibility="eligible",
                        status=values["status"],
                    )
                )
            db.session.add(referral)
            references.append(referral.reference)
        db.session.commit()
    return references


def parent_data(**overrides) -> dict:
    """A parent's request, different from every other one made here (not a double send)."""
    return {
        **PARENT_DATA,
        "situation": f"{PARENT_DATA['situation']} (n° {next(SEQUENCE)})",
        **overrides,
    }


def correction_data(version: int | str = 1, **overrides) -> dict:
    """The correction form as the page pre-fills it for the stored referral, with overrides."""
    data = orientation()
    values = {
        **child_fields(0),
        **{name: data[name] for name in ("guardian_name", "guardian_phone", "guardian_email")},
        **{name: data[name] for name in ("address", "postcode", "city", "domains")},
        "version": str(version),
    }
    return {**values, **overrides}


def make_orientation(app: Flask, **overrides) -> str:
    """Store a professional's referral holding what `orientation()` posts (the family's
    e-mail, both domains, its situation, numbered), as if sent through the form; return its
    reference. For a test that reads those values back, or corrects them with
    `correction_data()`; `overrides` as for `make_referral`."""
    form = orientation()
    fields = {
        "guardian_email": form["guardian_email"],
        "domains": form["domains"],
        "situation": f"{form['situation']} (n° {next(SEQUENCE)})",
        **overrides,
    }
    return make_referral(app, Source.PROFESSIONAL, **fields)


# --- A territory built from open data --------------------------------------------------------

BAN_URL = "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-62.csv.gz"
BAN_SHA256 = "0123456789abcdef" * 4


def built_territory(directory: Path, built_on: date) -> Territory:
    """The test territory with a [sources] table, as `territory build` writes it: built on
    `built_on` from the BAN (downloaded three days before) and a school directory given by hand
    (no URL). Written to `directory` and read as the app reads its file."""
    path = directory / "territory-built.toml"
    path.write_text(
        TERRITORY.read_text(encoding="utf-8")
        + f"""
[sources]
built_on = {built_on.isoformat()}

[[sources.files]]
kind = "ban"
name = "adresses-62.csv.gz"
url = "{BAN_URL}"
date = {(built_on - timedelta(days=3)).isoformat()}
sha256 = "{BAN_SHA256}"

[[sources.files]]
kind = "schools"
name = "fr-en-annuaire-education.csv"
url = ""
date = {built_on.isoformat()}
sha256 = "{"f" * 64}"
""",
        encoding="utf-8",
    )
    return load_territory(path)
