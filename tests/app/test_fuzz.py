"""Generated requests: whatever a client sends, no 5xx, no stored row changes unasked, and no
log line carries a family's details.

Hypothesis builds requests to every POST route of the application, walked from its URL map
(a route this file does not know how to fill fails the test, saying where to add it): the
public forms, the login, reset and logout pages, and every staff change. Each starts from
what a browser would send (the stored version, an id of the page, a valid date or choice)
and is then mangled: whitespace alone or around a value (the whole Unicode family and the
byte order mark), other scripts' digits ("١٢", "１２", "²³"), empty values, missing fields,
over-long values, wrong choices, other objects' ids, mangled field names, any Unicode text,
repeated keys, file parts, raw bodies that are not UTF-8 or not forms at all, with and
without a CSRF token.

Every table's rows are read before and after each request: unless the request succeeded
(303), no row may have changed, gone or appeared; after a 303, only in the tables that route
is about (ROUTES), and of the referrals only the one it was sent to (another only in its
duplicate warning). Everything the app logs meanwhile is searched for the personal details
of the referrals the fuzz stores (SECRETS).

`make fuzz` sends INTAKE_FUZZ_REQUESTS (5,000) requests on SQLite, then on PostgreSQL; the
normal suite sends a few hundred.
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from intake import create_app
from intake.auth.operations import reset_token
from intake.extensions import db
from intake.meetings.operations import add_to_agenda
from intake.models import (
    AgendaItem,
    Agreement,
    DuplicatePair,
    Meeting,
    PairState,
    Parcours,
    Referral,
    Source,
    User,
)
from intake.parcours.operations import add_action, add_objective
from intake.rules.decisions import AGREEMENT_METHODS, ALERTS, REASONS, SERVICES, WITHDRAWN_BY
from intake.rules.workflow import allowed_next
from intake.triage.operations import change_status, record_agreement
from tests.support.app import (
    BASE_CONFIG,
    PASSWORD,
    READ_LOG_TABLES,
    TEST_DATABASE_URL,
    migrated_database,
)
from tests.support.builders import (
    child,
    correction_data,
    make_meeting,
    make_referral,
    make_user,
    orientation,
    post_referral,
    request_form,
)

REQUESTS = int(os.environ.get("INTAKE_FUZZ_REQUESTS", "300"))
COORDINATOR = "coord@testville.example"
OTHER_COORDINATOR = "coord2@testville.example"
VIEWER = "viewer@testville.example"
# The account whose password the reset link changes (never the coordinator's: the fuzz
# logs in with that one).
RESET = "reset@testville.example"

settings.register_profile(
    "intake-fuzz",
    max_examples=REQUESTS,
    # A request takes a few milliseconds, a large form or a slow database more: no deadline.
    deadline=None,
    # The app, its database and its clients are shared by every example on purpose (the
    # invariant is checked around each request), so function-scoped fixtures do no harm;
    # long values are what some examples are about.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    # No example database kept between runs: a failure prints how to reproduce it.
    database=None,
    print_blob=True,
)

# ---------------------------------------------------------------------------------------------
# The personal details of the referrals stored here, which no log line may carry

# The referrals the fuzz stores (Site.referral): one family, its children told apart by their
# birth dates.
FAMILY = {
    "guardian_name": "Gwenaëlle Kerbrat-Vouillon",
    "guardian_phone": "0647586970",
    "guardian_email": "gwen.kerbrat@famille.example",
    "address": "14 impasse des Mésanges",
    "postcode": "62999",
    "city": "Testville",
}
CHILD_NAMES = ("Anatole", "Kerbrat-Vouillon")
# What the public forms send (tests.support.builders.orientation()) and the corrections.
SENT = orientation()
SECRETS = [
    *CHILD_NAMES,
    "Gwenaëlle",
    "Mésanges",
    "gwen.kerbrat",
    "47 58 69 70",
    "647586970",
    "Sophie Martin",
    "Léa",
    "Tilleuls",
    "12 34 56 78",
    "612345678",
    "sophie.martin",
    SENT["referrer_name"],
    SENT["referrer_email"],
]

# ---------------------------------------------------------------------------------------------
# What is sent

STATUSES = [
    "new",
    "in_review",
    "eps",
    "accepted",
    "closed",
    "redirected",
    "declined",
    "withdrawn",
]
CHILD_SUBFIELDS = [
    "first_name",
    "last_name",
    "birth_date",
    "birth_date-day",
    "birth_date-month",
    "birth_date-year",
    "school",
    "school_other",
    "class_level",
]
PUBLIC_FIELDS = [
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "address",
    "postcode",
    "city",
    "domains",
    "situation",
    "website",
    "csrf_token",
    "referrer_name",
    "referrer_organisation",
    "referrer_role",
    "referrer_email",
    "referrer_phone",
    "actions_tried",
    "family_informed",
    "urgent",
    "consent",
    "heard_from",
    "add_child",
    "check",
]
STAFF_FIELDS = [
    "status",
    "comment",
    "reason",
    "service",
    "withdrawn_by",
    "share_reason",
    "confirm",
    "version",
    "text",
    "csrf_token",
    "guardian_name",
    "given_on",
    "method",
    "withdrawn_on",
    "assigned_to",
    "alerts",
    "day",
    "start",
    "place",
    "attendees",
    "reference",
    "direction",
    "minute",
    "meeting",
    "password",
    # A child's page and its parcours.
    "sex",
    "referent_id",
    "referent_name",
    "referent_organisation",
    "domain",
    "kind",
    "detail",
    "mode",
    "partner",
    "started_on",
    "ended_on",
    "held_on",
    "summary",
    "next_on",
    "exit_reason",
]
# Whitespace alone or around a value: the Unicode family (tabs, line breaks, the no-break,
# typographic and ideographic spaces, the line and paragraph separators: all below U+3001),
# the byte order mark and the zero-width space.
BLANK_FAMILY = [chr(code) for code in range(0x3001) if chr(code).isspace()] + ["\ufeff", "\u200b"]
# Digits that str.isdigit() takes, and int() too but for the superscripts.
DIGIT_SETS = [
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic
    "０１２３４５６７８９",  # fullwidth
    "⁰¹²³⁴⁵⁶⁷⁸⁹",  # superscripts
    "०१२३४५६७८९",  # Devanagari
]
OTHER_DIGITS = [str.maketrans("0123456789", digits) for digits in DIGIT_SETS]
NON_ASCII_NUMBERS = ["١٢", "١", "１２", "１", "²³", "²", "٣", "²1", "1١"]
ODD_VALUES = [
    "",
    " ",
    "\t",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\ufeff",
    "y",
    "0",
    "-1",
    *NON_ASCII_NUMBERS,
    "9" * 5000,
    str(2**31),
    "６２９９９",
    "62999",
    "2016-05-04",
    "04/05/2016",
    "٢٠١٦-05-04",
    "0001-01-01",
    "2999-01-01",
    "14:30",
    "14h30",
    "25h",
    "١٤:٣٠",
    "06 12 34 56 78",
    "０６１２３４５６７８",
    "françoise@famille.example",
    "nom@école.example",
    "nom@gmial.com",
    "2005-01-01",
    "30",
    "13",
    "other",
    "0629001A",
    "CE2",
    "school",
    "teacher",
    "up",
    "down",
    "postponed",
    "PRE-2026-99999",
    "\ufffd",
    "\x00",
    "\r\n",
    "\u202enitraM",
    "👨\u200d👩\u200d👧",
    *STATUSES,
    *REASONS,
    *SERVICES,
    *WITHDRAWN_BY,
    *AGREEMENT_METHODS,
    *ALERTS,
]
ODD_INDEXES = ["²", "٣", "５", "01", "-1", "1000", "9" * 5000, "", " 1", "1 ", "+1", "1_0"]
ODD_NEXT = [
    "/triage/?status=new",
    "/\r\nSet-Cookie: x=1",
    "/\t/evil.example",
    "//evil.example",
    "/\\evil.example",
    "http://[::1",
    "//[",
    "javascript:alert(1)",
    "/" + "a" * 5000,
    "/\u2028",
    "/é",
]
# A path part in place of an id or a reference: other scripts' digits, blanks, numbers past
# the database's integers, a reference of no referral, dots and bytes.
ODD_PATH_PARTS = [
    *NON_ASCII_NUMBERS,
    "0",
    "007",
    str(2**31),
    "9" * 40,
    " 1",
    "1\u00a0",
    "-1",
    "PRE-2026-99999",
    "x" * 300,
    "é",
    "%00",
    "..",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=nonsense",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    'multipart/form-data; boundary="\u00e9"',
    "application/json",
    "text/plain",
    "",
]

any_text = st.text(max_size=40)
control_text = st.text(
    alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Nd", "No", "Mn"]),
    max_size=20,
)
# Long values without generating them character by character; past 256 KB the answer is 413.
long_text = st.builds(
    lambda unit, times: unit * times,
    st.text(min_size=1, max_size=4),
    st.sampled_from([101, 201, 501, 4001, 20_000, 70_000]),
)
values = st.one_of(st.sampled_from(ODD_VALUES), any_text, control_text, long_text)
blanks = st.text(alphabet=BLANK_FAMILY, min_size=1, max_size=3)
maybe_blanks = st.text(alphabet=BLANK_FAMILY, max_size=2)


# What the world offers (referrals, ids, versions) changes from one request to the next, but
# Hypothesis wants every example drawn the same way: a choice among the world's objects is
# drawn as a number, then taken modulo their count.
picks = st.integers(0, 2**16 - 1)


def picked(items, number: int):
    """The item `number` picks among `items` (see `picks`)."""
    return items[number % len(items)]


def in_other_digits(value: str) -> st.SearchStrategy[str]:
    """`value` with its ASCII digits in another script, or a number in one if it has none."""
    has_digits = re.search("[0-9]", value) is not None
    return st.tuples(st.sampled_from(OTHER_DIGITS), st.sampled_from(NON_ASCII_NUMBERS)).map(
        lambda drawn: value.translate(drawn[0]) if has_digits else drawn[1]
    )


def variants(value: str, others: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """`value`, or what a client might send instead: whitespace alone or around it, its digits
    in another script, nothing, too much, another id or choice (`others`), anything."""
    return st.one_of(
        blanks,
        st.builds(lambda before, after: before + value + after, maybe_blanks, maybe_blanks),
        in_other_digits(value),
        st.just(""),
        st.sampled_from([value * 300, value + "0" * 40]),
        values,
        picks.map(lambda number: picked(others, number) if others else value),
    )


child_index = st.one_of(
    st.integers(0, 5).map(str),
    st.sampled_from(ODD_INDEXES),
    st.integers(-(10**9), 10**9).map(str),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=4),
)
child_subfield = st.one_of(st.sampled_from(CHILD_SUBFIELDS), st.text(max_size=12))
public_keys = st.one_of(
    st.sampled_from(PUBLIC_FIELDS),
    st.builds(lambda i, sub: f"children-{i}-{sub}", child_index, child_subfield),
    child_index.map(lambda i: f"remove_child-{i}"),
    st.builds(
        lambda prefix, i: f"{prefix}{i}", st.sampled_from(["children", "childrenX"]), child_index
    ),
    any_text,
)
staff_keys = st.one_of(
    st.sampled_from(STAFF_FIELDS),
    st.builds(lambda i, sub: f"children-{i}-{sub}", child_index, child_subfield),
    any_text,
)
file_parts = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([*PUBLIC_FIELDS, *STAFF_FIELDS, "email", "password"]), any_text),
        st.binary(max_size=64),
        st.text(max_size=12),
    ),
    max_size=3,
)


@dataclass
class Body:
    """What goes in the request body: fields (maybe with files), or raw bytes."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str = ""


@dataclass
class Sent:
    """One generated request."""

    endpoint: str
    path: str
    csrf_app: bool
    as_coordinator: bool
    method: str
    next_value: str | None
    body: Body
    token: str  # "valid", "missing", "bogus"
    # The referral whose row a successful change may change (None: any the route touches).
    referral_id: int | None = None


def as_pairs(data: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]


@st.composite
def bodies(draw, keys, base: list[tuple[str, str]] | None, others: dict | None = None):
    """A body built on `base` (a valid form) or from nothing, then mangled: a few of its values
    replaced by `variants` (with `others`' alternatives), some fields left out, others added."""
    kind = draw(st.sampled_from(["fields"] * 6 + ["raw", "encoded"]))
    pairs = list(base or [])
    if pairs and draw(st.booleans()):
        mangled = draw(st.sets(st.integers(0, len(pairs) - 1), min_size=1, max_size=3))
        pairs = [
            (key, draw(variants(value, (others or {}).get(key, ()))) if n in mangled else value)
            for n, (key, value) in enumerate(pairs)
        ]
    if pairs and draw(st.integers(0, 3)) == 0:
        dropped = draw(st.sets(st.sampled_from(sorted({k for k, _ in pairs})), max_size=3))
        pairs = [(k, v) for k, v in pairs if k not in dropped]
    pairs += draw(st.lists(st.tuples(keys, values), max_size=6 if draw(st.booleans()) else 0))
    if draw(st.integers(0, 4)) == 0 and pairs:  # a key sent twice
        pairs.append(draw(st.sampled_from(pairs)))
    if kind == "fields":
        files = draw(file_parts) if draw(st.integers(0, 3)) == 0 else []
        return Body(pairs=pairs, files=files)
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if kind == "raw":
        return Body(raw=draw(st.binary(max_size=300)), content_type=content_type)
    # The fields, encoded as some client might: another charset, or a stray byte inserted.
    encoded = urlencode(pairs).encode()
    how = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "stray-byte", "percent-byte"]))
    if how in ("latin-1", "utf-16"):
        encoded = "&".join(f"{k}={v}" for k, v in pairs).encode(how, errors="replace")
    elif how != "utf-8":
        at = draw(st.integers(0, len(encoded)))
        byte = draw(st.integers(0x80, 0xFF))
        insert = bytes([byte]) if how == "stray-byte" else f"%{byte:02X}".encode()
        encoded = encoded[:at] + insert + encoded[at:]
    return Body(raw=encoded, content_type=content_type)


# ---------------------------------------------------------------------------------------------
# The stored world each staff request starts from


@dataclass(frozen=True)
class Stored:
    id: int
    reference: str
    version: int
    status: str


@dataclass
class World:
    """What the staff pages show at the moment of a request: ids and versions to fill them."""

    referrals: list[Stored]
    agreements: list[tuple[int, int, bool]]  # id, referral id, withdrawn
    pairs: list[tuple[int, int, int, str]]  # id, referral id, other referral id, state
    meetings: dict[int, int]  # id: version
    items: list[tuple[int, int, int, bool]]  # id, meeting id, referral id, decided
    users: dict[str, int]  # e-mail: id
    reset_token: str
    upcoming: int  # the coming meeting the agenda routes work on
    # The parcours still open: referral id, child number, objectives' domains, actions.
    parcours: list[tuple[int, int, tuple[str, ...], int]] = field(default_factory=list)

    def referral(self, referral_id: int) -> Stored:
        return next(r for r in self.referrals if r.id == referral_id)

    def references(self) -> list[str]:
        return [r.reference for r in self.referrals]


def today_iso(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


# ---------------------------------------------------------------------------------------------
# Every POST route: how to fill it, and what a successful one may change


@dataclass(frozen=True)
class Fill:
    """A route's request as a page of the world would send it."""

    path_values: dict[str, str]
    fields: list[tuple[str, str]]
    # Alternatives for some fields: other ids, other choices.
    others: dict[str, list[str]] = field(default_factory=dict)
    referral_id: int | None = None


def on_referral(draw, world: World, statuses=None) -> Stored:
    chosen = [r for r in world.referrals if statuses is None or r.status in statuses]
    return picked(chosen or world.referrals, draw(picks))


def fill_status(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    # A move the page offers (a final one confirmed), whose codes may or may not fit.
    allowed = [status.value for status in allowed_next(referral.status)] or STATUSES
    fields = [
        ("version", str(referral.version)),
        ("status", picked(allowed, draw(picks))),
        ("comment", "Appel à la famille."),
        ("reason", draw(st.sampled_from(["", *REASONS]))),
        ("service", draw(st.sampled_from(["", *SERVICES]))),
        ("withdrawn_by", draw(st.sampled_from(["", *WITHDRAWN_BY]))),
        ("share_reason", draw(st.sampled_from(["", "y"]))),
        ("confirm", "y"),
    ]
    return Fill({"reference": referral.reference}, fields, {"status": STATUSES}, referral.id)


def fill_note(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    fields = [("version", str(referral.version)), ("text", "Appel à la mère, rappeler jeudi.")]
    return Fill({"reference": referral.reference}, fields, {}, referral.id)


def fill_agreement(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    fields = [
        ("version", str(referral.version)),
        ("guardian_name", "Mme Kerbrat-Vouillon"),
        ("given_on", draw(st.sampled_from([today_iso(-30), "05/01/2026", today_iso()]))),
        ("method", draw(st.sampled_from(sorted(AGREEMENT_METHODS)))),
        ("comment", "Accord donné au téléphone."),
    ]
    others = {"method": STATUSES, "given_on": [today_iso(1), "1999-12-31", "31/02/2026"]}
    return Fill({"reference": referral.reference}, fields, others, referral.id)


def fill_withdraw(draw, world: World) -> Fill:
    active = [a for a in world.agreements if not a[2]]
    agreement_id, referral_id, _ = picked(active or world.agreements, draw(picks))
    referral = world.referral(referral_id)
    fields = [("version", str(referral.version)), ("withdrawn_on", today_iso())]
    others = {"withdrawn_on": [today_iso(1), "2000-01-01", "31/02/2026"]}
    values = {"reference": referral.reference, "agreement_id": str(agreement_id)}
    return Fill(values, fields, others, referral.id)


def fill_assign(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    chosen = draw(st.sampled_from(["", str(world.users[OTHER_COORDINATOR])]))
    fields = [("version", str(referral.version)), ("assigned_to", chosen)]
    # A viewer, no account, and the coordinators: each a choice or not.
    others = {"assigned_to": [str(user_id) for user_id in world.users.values()] + ["999999"]}
    return Fill({"reference": referral.reference}, fields, others, referral.id)


def fill_correction(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    fields = as_pairs(correction_data(referral.version))
    others = {"children-0-birth_date": ["2016-02-30", "04/05/16", "2999-01-01"]}
    return Fill({"reference": referral.reference}, fields, others, referral.id)


def fill_duplicate(draw, world: World) -> Fill:
    suspected = [p for p in world.pairs if p[3] == PairState.SUSPECTED]
    pair_id, one, other, _ = picked(suspected or world.pairs, draw(picks))
    referral = world.referral(picked([one, other], draw(picks)))
    values = {"reference": referral.reference, "pair_id": str(pair_id)}
    # Both referrals of the pair are touched (their flags): no single referral to check.
    return Fill(values, [("version", str(referral.version))])


def fill_alerts(draw, world: World) -> Fill:
    return Fill({}, [("alerts", draw(st.sampled_from(sorted(ALERTS))))], {"alerts": STATUSES})


def fill_new_meeting(draw, world: World) -> Fill:
    fields = [
        ("day", draw(st.sampled_from([today_iso(20), today_iso(200)]))),
        ("start", draw(st.sampled_from(["14:30", "9h", "18 h 15"]))),
        ("place", "Mairie, salle 2"),
        ("attendees", "Marie Durand — Éducation nationale\nPaul Roy, CCAS"),
    ]
    others = {"day": ["1999-01-01", today_iso(365 * 7), "31/02/2027"], "start": ["24:00", "9h60"]}
    return Fill({}, fields, others)


def meeting_values(world: World) -> tuple[dict[str, str], list[tuple[str, str]]]:
    meeting = world.upcoming
    return {"meeting_id": str(meeting)}, [("version", str(world.meetings[meeting]))]


def fill_add_item(draw, world: World) -> Fill:
    values, fields = meeting_values(world)
    referral = on_referral(draw, world, {"in_review"})
    fields.append(("reference", referral.reference))
    return Fill(values, fields, {"reference": world.references()})


def open_item(draw, world: World) -> tuple[int, int]:
    """An undecided item of the coming meeting (or any item), and its meeting."""
    undecided = [i for i in world.items if i[1] == world.upcoming and not i[3]]
    item_id, meeting_id, _, _ = picked(undecided or world.items, draw(picks))
    return item_id, meeting_id


def fill_item(draw, world: World, extra: list[tuple[str, str]]) -> Fill:
    item_id, meeting_id = open_item(draw, world)
    values = {"meeting_id": str(meeting_id), "item_id": str(item_id)}
    return Fill(values, [("version", str(world.meetings[meeting_id])), *extra])


def fill_move(draw, world: World) -> Fill:
    return fill_item(draw, world, [("direction", draw(st.sampled_from(["up", "down"])))])


def fill_remove(draw, world: World) -> Fill:
    return fill_item(draw, world, [])


def fill_decide(draw, world: World) -> Fill:
    decision = draw(st.sampled_from(["postponed", "accepted", "declined", "in_review"]))
    extra = [
        ("status", decision),
        ("reason", draw(st.sampled_from(["", *REASONS]))),
        ("service", draw(st.sampled_from(["", *SERVICES]))),
        ("minute", "L’équipe propose un accompagnement."),
    ]
    return fill_item(draw, world, extra)


def fill_enrol(draw, world: World) -> Fill:
    referral = on_referral(draw, world, {"in_review"})
    fields = [("version", str(referral.version)), ("meeting", str(world.upcoming))]
    others = {"meeting": [str(meeting_id) for meeting_id in world.meetings] + ["999999"]}
    return Fill({"reference": referral.reference}, fields, others, referral.id)


def fill_reset(draw, world: World) -> Fill:
    password = "un nouveau mot de passe"
    token = draw(st.sampled_from([world.reset_token, world.reset_token[:-2], "x", "é" * 20]))
    fields = [("password", password), ("confirm", password)]
    return Fill({"token": token}, fields, {"confirm": ["autre mot de passe"]})


def fill_profile(draw, world: World) -> Fill:
    referral = on_referral(draw, world)
    fields = [("version", str(referral.version)), ("sex", draw(st.sampled_from(["", "F", "M"])))]
    values = {"reference": referral.reference, "position": "1"}
    return Fill(values, fields, {"sex": ["X", "f", "FM", "Fille"]}, referral.id)


def on_parcours(draw, world: World) -> tuple[Stored, dict[str, str], tuple[str, ...], int]:
    """An open parcours (its referral, path values, objectives' domains, actions' count)."""
    referral_id, number, domains, actions = picked(world.parcours, draw(picks))
    referral = world.referral(referral_id)
    return referral, {"reference": referral.reference, "position": str(number)}, domains, actions


def fill_referent(draw, world: World) -> Fill:
    referral, values, _, _ = on_parcours(draw, world)
    if draw(st.booleans()):
        chosen = [("referent_id", str(world.users[OTHER_COORDINATOR]))]
    else:
        chosen = [("referent_name", "Mme Roy"), ("referent_organisation", "CMPP")]
    fields = [("version", str(referral.version)), *chosen]
    others = {"referent_id": [str(user_id) for user_id in world.users.values()] + ["999999"]}
    return Fill(values, fields, others, referral.id)


def fill_objective(draw, world: World) -> Fill:
    referral, values, _, _ = on_parcours(draw, world)
    domain = draw(st.sampled_from(["health", "language", "school", "mobility"]))
    fields = [("version", str(referral.version)), ("domain", domain), ("text", "Lire seul.")]
    return Fill(values, fields, {"domain": STATUSES}, referral.id)


def fill_objective_edit(draw, world: World) -> Fill:
    referral, values, domains, _ = on_parcours(draw, world)
    values = {**values, "domain": picked(domains or ("school",), draw(picks))}
    fields = [
        ("version", str(referral.version)),
        ("text", draw(st.sampled_from(["Lire", "Écrire"]))),
    ]
    return Fill(values, fields, {}, referral.id)


def fill_objective_removal(draw, world: World) -> Fill:
    referral, values, domains, _ = on_parcours(draw, world)
    values = {**values, "domain": picked(domains or ("school",), draw(picks))}
    return Fill(values, [("version", str(referral.version))], {}, referral.id)


def action_fields(draw) -> list[tuple[str, str]]:
    return [
        ("kind", draw(st.sampled_from(["tutoring", "homework_club", "other"]))),
        ("detail", draw(st.sampled_from(["", "Stage de voile"]))),
        ("mode", draw(st.sampled_from(["individual", "collective"]))),
        ("partner", "Centre social"),
        ("started_on", draw(st.sampled_from([today_iso(-20), "05/01/2026"]))),
        ("ended_on", draw(st.sampled_from(["", today_iso(-1), today_iso(-30)]))),
    ]


ACTION_OTHERS = {
    "kind": ["astrology", *STATUSES],
    "started_on": ["31/02/2026", "1999-12-31", today_iso(365 * 5)],
    "ended_on": ["31/02/2026", "2000-01-01"],
}


def fill_action(draw, world: World) -> Fill:
    referral, values, _, _ = on_parcours(draw, world)
    fields = [("version", str(referral.version)), *action_fields(draw)]
    return Fill(values, fields, ACTION_OTHERS, referral.id)


def fill_action_edit(draw, world: World) -> Fill:
    referral, values, _, actions = on_parcours(draw, world)
    values = {**values, "number": str(draw(st.integers(1, max(actions, 1))))}
    fields = [("version", str(referral.version)), *action_fields(draw)]
    return Fill(values, fields, ACTION_OTHERS, referral.id)


def fill_review(draw, world: World) -> Fill:
    referral, values, _, _ = on_parcours(draw, world)
    fields = [
        ("version", str(referral.version)),
        ("held_on", draw(st.sampled_from([today_iso(-3), today_iso()]))),
        ("kind", draw(st.sampled_from(["eps", "team"]))),
        ("summary", "Bons progrès."),
        ("next_on", draw(st.sampled_from(["", today_iso(60), today_iso(-10)]))),
    ]
    others = {"kind": STATUSES, "held_on": [today_iso(1), "31/02/2026"]}
    return Fill(values, fields, others, referral.id)


def fill_exit(draw, world: World) -> Fill:
    referral, values, _, _ = on_parcours(draw, world)
    fields = [
        ("version", str(referral.version)),
        ("ended_on", draw(st.sampled_from([today_iso(), today_iso(-1)]))),
        ("exit_reason", draw(st.sampled_from(["goals_met", "handed_over", "other"]))),
        ("service", draw(st.sampled_from(["", *SERVICES]))),
        ("comment", draw(st.sampled_from(["", "Parti à Lyon."]))),
        ("confirm", draw(st.sampled_from(["", "y", "y"]))),
    ]
    others = {"exit_reason": STATUSES, "ended_on": [today_iso(1), "2000-01-01"]}
    return Fill(values, fields, others, referral.id)


# The routes of a child's parcours, which need one open.
PARCOURS_ROUTES = frozenset(
    {
        "triage.set_parcours_referent",
        "triage.create_objective",
        "triage.correct_objective",
        "triage.delete_objective",
        "triage.create_action",
        "triage.correct_action",
        "triage.create_review",
        "triage.end_child_parcours",
    }
)


@dataclass(frozen=True)
class Route:
    """How the fuzz fills a POST route, and what a 303 from it may change: the tables it may
    add rows to or change rows of (and remove rows from, with `removes`)."""

    fill: Callable[..., Fill] | None
    tables: frozenset[str]
    removes: frozenset[str] = frozenset()
    # Whose client: a coordinator's (staff), or a visitor's or the coordinator's (auth).
    staff: bool = True


def tables(*names: str) -> frozenset[str]:
    return frozenset(names)


SUBMISSION = tables(
    "referral", "child", "reference_counter", "status_change", "outbox_message", "duplicate_pair"
)
# Children move one by one; accepting one opens its parcours.
DECISION = tables("referral", "child", "status_change", "outbox_message", "parcours")
AGENDA = tables("meeting", "agenda_item", *DECISION)

ROUTES: dict[str, Route] = {
    # The public forms, the login and the logout: filled by `public_request` and `login_request`.
    "public.orientation": Route(None, SUBMISSION, staff=False),
    "public.request_help": Route(None, SUBMISSION, staff=False),
    "auth.login": Route(None, tables("user"), staff=False),
    "auth.logout": Route(None, tables("user"), staff=False),
    "auth.reset_password": Route(fill_reset, tables("user"), staff=False),
    "triage.set_status": Route(fill_status, DECISION),
    "triage.create_note": Route(fill_note, tables("referral", "note")),
    "triage.create_agreement": Route(
        fill_agreement, tables("referral", "agreement", "agreement_child")
    ),
    # Withdrawn for an accepted child that no other agreement covers: its parcours ends.
    "triage.withdraw": Route(fill_withdraw, tables("agreement", "agreement_child", *DECISION)),
    "triage.assign_referral": Route(fill_assign, tables("referral", "assignment")),
    # A correction checks the children again: a suspicion it no longer bears is dropped.
    "triage.save_correction": Route(
        fill_correction,
        tables("referral", "child", "correction", "duplicate_pair"),
        removes=tables("duplicate_pair"),
    ),
    "triage.confirm_duplicate": Route(fill_duplicate, tables("referral", "duplicate_pair")),
    "triage.dismiss_duplicate": Route(fill_duplicate, tables("referral", "duplicate_pair")),
    "account.alerts": Route(fill_alerts, tables("user")),
    "meetings.new": Route(fill_new_meeting, tables("meeting")),
    "meetings.add_item": Route(fill_add_item, AGENDA),
    "meetings.move": Route(fill_move, tables("meeting", "agenda_item")),
    "meetings.remove": Route(
        fill_remove, tables("meeting", "agenda_item"), removes=tables("agenda_item")
    ),
    "meetings.decide": Route(fill_decide, AGENDA),
    "meetings.enrol": Route(fill_enrol, AGENDA),
    # A child's page and its parcours: a change of something written is a correction.
    "triage.set_profile": Route(fill_profile, tables("referral", "child", "correction")),
    "triage.set_parcours_referent": Route(
        fill_referent, tables("referral", "parcours", "correction")
    ),
    "triage.create_objective": Route(fill_objective, tables("referral", "parcours_objective")),
    "triage.correct_objective": Route(
        fill_objective_edit, tables("referral", "parcours_objective", "correction")
    ),
    "triage.delete_objective": Route(
        fill_objective_removal,
        tables("referral", "parcours_objective", "correction"),
        removes=tables("parcours_objective"),
    ),
    "triage.create_action": Route(fill_action, tables("referral", "parcours_action")),
    "triage.correct_action": Route(
        fill_action_edit, tables("referral", "parcours_action", "correction")
    ),
    "triage.create_review": Route(fill_review, tables("referral", "parcours", "parcours_review")),
    "triage.end_child_parcours": Route(fill_exit, DECISION),
}


def post_routes(app) -> dict[str, str]:
    """Every POST route of the app, by endpoint: its rule."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}


PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_path(rule: str, path_values: dict[str, str]) -> str:
    """`rule` with each argument replaced by its value as sent (quoted; odd values too)."""
    return PATH_ARGUMENT.sub(lambda m: quote(path_values[m.group(1)], safe=""), rule)


@st.composite
def path_values(draw, values: dict[str, str], world: World) -> dict[str, str]:
    """The route's own path values, or now and then one replaced: its digits in another
    script, another object's id or reference, an odd path part."""
    if not values or draw(st.integers(0, 3)):
        return values
    name = draw(st.sampled_from(sorted(values)))
    value = values[name]
    other_ids = [
        str(n)
        for n in (
            *world.meetings,
            *(i[0] for i in world.items),
            *(a[0] for a in world.agreements),
            *(p[0] for p in world.pairs),
        )
    ]
    others = world.references() if name == "reference" else other_ids
    replaced = draw(
        st.one_of(
            in_other_digits(value),
            picks.map(lambda number: picked(others or ODD_PATH_PARTS, number)),
            st.sampled_from(ODD_PATH_PARTS),
            st.builds(lambda before, after: before + value + after, blanks, maybe_blanks),
            any_text.filter(bool),
        )
    )
    return {**values, name: replaced}


@st.composite
def public_request(draw, endpoint: str, rule: str) -> Sent:
    # From a valid form now and then, so that some requests get as far as being stored.
    valid = orientation() if endpoint == "public.orientation" else request_form()
    body = draw(bodies(public_keys, as_pairs(valid) if draw(st.booleans()) else None))
    return Sent(
        endpoint,
        rule,
        csrf_app=draw(st.booleans()),
        as_coordinator=draw(st.booleans()),
        method=draw(st.sampled_from(["POST"] * 8 + ["PUT", "DELETE"])),
        next_value=None,
        body=body,
        token=draw(st.sampled_from(["valid", "missing", "bogus"])),
    )


@st.composite
def login_request(draw, endpoint: str, rule: str) -> Sent:
    if endpoint == "auth.login":
        # The right ones half the time each, so that some logins succeed.
        email = COORDINATOR if draw(st.booleans()) else draw(values)
        password = PASSWORD if draw(st.booleans()) else draw(values)
        keys = st.one_of(st.sampled_from(["email", "password", "csrf_token"]), any_text)
        body = draw(bodies(keys, [("email", email), ("password", password)]))
        method = draw(st.sampled_from(["GET", "POST", "POST"]))
    else:
        body = draw(bodies(staff_keys, []))
        method = draw(st.sampled_from(["POST"] * 8 + ["PUT", "DELETE"]))
    return Sent(
        endpoint,
        rule,
        csrf_app=draw(st.booleans()),
        as_coordinator=draw(st.booleans()),
        method=method,
        next_value=draw(st.one_of(st.none(), st.sampled_from(ODD_NEXT), any_text)),
        body=body,
        token=draw(st.sampled_from(["valid", "missing", "bogus"])),
    )


@st.composite
def filled_request(draw, endpoint: str, rule: str, world: World) -> Sent:
    route = ROUTES[endpoint]
    fill = route.fill(draw, world)
    sent_values = draw(path_values(fill.path_values, world))
    referral_id = fill.referral_id
    if referral_id is not None and sent_values["reference"] != fill.path_values["reference"]:
        # Sent to another referral's address: that one is what a success may change.
        referral_id = next(
            (r.id for r in world.referrals if r.reference == sent_values["reference"]), None
        )
    others = dict(fill.others)
    for name, value in fill.fields:
        if name == "version":  # a page read before or after the last change
            others["version"] = [str(int(value) - 1), str(int(value) + 1), f"{value}.0"]
    return Sent(
        endpoint,
        build_path(rule, sent_values),
        csrf_app=draw(st.booleans()),
        # A staff change is the coordinator's; a reset link is followed by anyone.
        as_coordinator=route.staff or draw(st.booleans()),
        method=draw(st.sampled_from(["POST"] * 12 + ["PUT", "DELETE"])),
        next_value=None,
        body=draw(bodies(staff_keys, fill.fields, others)),
        token=draw(st.sampled_from(["valid"] * 3 + ["missing", "bogus"])),
        referral_id=referral_id,
    )


# ---------------------------------------------------------------------------------------------
# Where it is sent


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_of(client, path: str) -> str | None:
    """The CSRF token a page gives this client, as a browser would read it."""
    match = CSRF_TOKEN.search(client.get(path).get_data(as_text=True))
    return match.group(1) if match else None


class LogLines(logging.Handler):
    """Every record logged while the fuzz runs, as its handlers would write it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


# The app's own logger, the root one (every library's, propagated), and those that may not
# propagate or have handlers of their own.
LOGGERS = ("", "intake", "sqlalchemy", "werkzeug", "flask_limiter")


class Site:
    """The apps under test (CSRF on and off) on one database, a coordinator per app, and the
    world of referrals, agreements, pairs and meetings the staff routes work on."""

    def __init__(self, url: str) -> None:
        self.apps = {
            False: create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url}),
            True: create_app(
                {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": True}
            ),
        }
        self.app = app = self.apps[False]
        self.rules = post_routes(app)
        unknown = sorted(set(self.rules) - set(ROUTES))
        if unknown:
            pytest.fail(
                f"the fuzz does not know how to fill POST {', '.join(unknown)}: add "
                "each to ROUTES in tests/app/test_fuzz.py (a fill function and the tables a "
                "successful request may change)"
            )
        self.endpoints = sorted(self.rules)
        make_user(app, COORDINATOR)
        make_user(app, OTHER_COORDINATOR)
        make_user(app, VIEWER, role="viewer")
        make_user(app, RESET)
        self.births = iter(date(2012, 1, 1) + timedelta(days=n) for n in range(100_000))
        self.reference = post_referral(app.test_client())
        for _ in range(2):
            self.referral("in_review")
        self.pair()
        now = datetime.now(UTC)
        self.upcoming = make_meeting(app, now + timedelta(days=7), by=COORDINATOR)
        make_meeting(app, now - timedelta(days=7), by=COORDINATOR)
        self.coordinators = {csrf_app: self.apps[csrf_app].test_client() for csrf_app in self.apps}
        # The rows as the last request left them; None when something changed them since.
        self.snapshot: dict | None = None
        self.log_in()
        self.report = Counter(codes=Counter(), targets=Counter(), successes=Counter())
        self.log = LogLines()
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self.log)

    def close(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self.log)
        for app in self.apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    # --- The world -------------------------------------------------------------------------

    def referral(self, status: str | None = None, born: date | None = None) -> str:
        """Store a referral of the fuzz's family: a child of its own birth date (no duplicate
        of another), unless `born` is given."""
        born = born or next(self.births)
        children = [child(*CHILD_NAMES, birth_date=born)]
        return make_referral(self.app, Source.PARENT, children=children, status=status, **FAMILY)

    def pair(self) -> None:
        """Two referrals naming the same child: a suspected duplicate."""
        born = next(self.births)
        self.referral(born=born)
        self.referral(born=born)

    def world_for(self, endpoint: str) -> World:
        """The world, first given what `endpoint` works on when earlier requests used it up."""
        world = self.world()
        if self.top_up(endpoint, world):
            self.snapshot = None
            world = self.world()
        return world

    def top_up(self, endpoint: str, world: World) -> bool:
        """Give `endpoint` something to work on if it has nothing left: an agreement to
        withdraw, a suspected pair, a referral in review, undecided agenda items. Whether
        anything was stored."""
        if endpoint == "triage.withdraw" and all(a[2] for a in world.agreements):
            with self.app.app_context():
                referral = db.session.scalar(
                    select(Referral).where(Referral.reference == self.reference)
                )
                record_agreement(
                    referral,
                    db.session.get(User, world.users[COORDINATOR]),
                    guardian_name="Mme Kerbrat-Vouillon",
                    given_on=date.today() - timedelta(days=60),
                    method="phone",
                    comment="",
                )
                db.session.commit()
        elif endpoint in PARCOURS_ROUTES and not any(
            domains and actions for _, _, domains, actions in world.parcours
        ):
            self.open_parcours(world)
        elif endpoint.endswith("_duplicate") and all(
            p[3] != PairState.SUSPECTED for p in world.pairs
        ):
            self.pair()
        elif endpoint in ("meetings.add_item", "meetings.enrol") and all(
            r.status != "in_review" for r in world.referrals
        ):
            self.referral("in_review")
        elif endpoint in ("meetings.move", "meetings.remove", "meetings.decide"):
            undecided = [i for i in world.items if i[1] == self.upcoming and not i[3]]
            if len(undecided) >= 2:
                return False
            references = [self.referral("in_review") for _ in range(2 - len(undecided))]
            with self.app.app_context():
                meeting = db.session.get(Meeting, self.upcoming)
                user = db.session.get(User, world.users[COORDINATOR])
                for reference in references:
                    referral = db.session.scalar(
                        select(Referral).where(Referral.reference == reference)
                    )
                    add_to_agenda(meeting, referral, user)
                db.session.commit()
        else:
            return False
        return True

    def open_parcours(self, world: World) -> None:
        """A referral of the family accepted, its parcours open with an objective and an
        action: what the parcours routes work on (an exit ends one)."""
        reference = self.referral("eps")
        with self.app.test_request_context():
            referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
            user = db.session.get(User, world.users[COORDINATOR])
            record_agreement(
                referral,
                user,
                guardian_name="Mme Kerbrat-Vouillon",
                given_on=date.today() - timedelta(days=60),
                method="phone",
                comment="",
            )
            change_status(referral, "accepted", "", user)
            parcours = referral.children[0].parcours
            add_objective(parcours, user, domain="school", text="Lire seul.")
            add_action(
                parcours,
                user,
                kinds=["tutoring"],
                kind="tutoring",
                started_on=date.today() - timedelta(days=10),
            )
            db.session.commit()

    def world(self) -> World:
        with self.app.app_context():
            session = db.session
            world = World(
                referrals=[
                    Stored(*row)
                    for row in session.execute(
                        select(Referral.id, Referral.reference, Referral.version, Referral.status)
                    )
                ],
                agreements=[
                    (row.id, row.referral_id, row.withdrawn_on is not None)
                    for row in session.execute(
                        select(Agreement.id, Agreement.referral_id, Agreement.withdrawn_on)
                    )
                ],
                pairs=[
                    tuple(row)
                    for row in session.execute(
                        select(
                            DuplicatePair.id,
                            DuplicatePair.referral_id,
                            DuplicatePair.other_referral_id,
                            DuplicatePair.state,
                        )
                    )
                ],
                meetings=dict(session.execute(select(Meeting.id, Meeting.version)).all()),
                items=[
                    (row.id, row.meeting_id, row.referral_id, row.decision is not None)
                    for row in session.execute(
                        select(
                            AgendaItem.id,
                            AgendaItem.meeting_id,
                            AgendaItem.referral_id,
                            AgendaItem.decision,
                        )
                    )
                ],
                users=dict(session.execute(select(User.email, User.id)).all()),
                reset_token=reset_token(session.scalar(select(User).where(User.email == RESET))),
                upcoming=self.upcoming,
                parcours=[
                    (
                        parcours.referral_id,
                        parcours.child.number,
                        tuple(objective.domain for objective in parcours.objectives),
                        len(parcours.actions),
                    )
                    for parcours in session.scalars(
                        select(Parcours).where(Parcours.ended_on.is_(None)).order_by(Parcours.id)
                    )
                ],
            )
            session.rollback()
            return world

    # --- Requests --------------------------------------------------------------------------

    def log_in(self) -> None:
        """Log the coordinator's clients in again where a logout or a reset link (which ends
        the session it is followed in) logged them out; a logout ends them all."""
        for client in self.coordinators.values():
            page = client.get("/connexion")
            if page.status_code == 200:
                data = {"email": COORDINATOR, "password": PASSWORD}
                match = CSRF_TOKEN.search(page.get_data(as_text=True))
                if match:
                    data["csrf_token"] = match.group(1)
                assert client.post("/connexion", data=data).status_code == 303
        self.snapshot = None  # the login's time is stored

    def rows(self) -> dict[tuple, tuple]:
        """Every row of every table, by table and primary key."""
        with self.app.app_context():
            snapshot = {}
            for table in db.metadata.sorted_tables:
                if table.name in READ_LOG_TABLES:
                    continue
                key_columns = list(table.primary_key.columns)
                for row in db.session.execute(table.select()):
                    key = tuple(row._mapping[c] for c in key_columns)
                    snapshot[(table.name, key)] = tuple(row)
            db.session.rollback()
            return snapshot

    def prepare(self, sent: Sent):
        """The request `sent` describes, ready to go: its client and token are fetched first,
        so that reading a page (which may be recorded) happens before the snapshot."""
        app = self.apps[sent.csrf_app]
        client = self.coordinators[sent.csrf_app] if sent.as_coordinator else app.test_client()
        token = None
        if sent.token == "bogus":
            token = "IjEyMyI.bogus.token"
        elif sent.token == "valid" and sent.csrf_app:
            # A token belongs to the session, whatever form shows it.
            page = "/triage/compte" if sent.as_coordinator else "/connexion"
            token = csrf_token_of(client, page)
        query = {"next": sent.next_value} if sent.next_value is not None else None
        body = sent.body
        if body.raw is not None:
            raw = body.raw + (b"&csrf_token=" + token.encode() if token else b"")
            kwargs = {"data": raw, "content_type": body.content_type or None}
        else:
            data = MultiDict(body.pairs)
            if token:
                data.add("csrf_token", token)
            kwargs = {"data": data}
            if body.files:
                for name, content, filename in body.files:
                    data.add(name, FileStorage(io.BytesIO(content), filename=filename))
                # Encoded here, in memory: the test client spools a large multipart body to a
                # temporary file it never closes (a ResourceWarning, so a failure).
                boundary, raw = encode_multipart(data)
                kwargs = {"data": raw, "content_type": f"multipart/form-data; boundary={boundary}"}
        return lambda: client.open(sent.path, method=sent.method, query_string=query, **kwargs)


def only_the_duplicate_flag(before: tuple, after: tuple) -> bool:
    """Whether two snapshots of a referral row differ in `duplicate_suspected` only."""
    flag = [column.name for column in Referral.__table__.columns].index("duplicate_suspected")
    return before[:flag] + before[flag + 1 :] == after[:flag] + after[flag + 1 :]


def changes(before: dict, after: dict) -> tuple[set, set, set]:
    """(changed, removed, added) keys between two snapshots."""
    changed = {key for key in before.keys() & after.keys() if before[key] != after[key]}
    return changed, before.keys() - after.keys(), after.keys() - before.keys()


def check_rows(sent: Sent, status: int, before: dict, after: dict) -> None:
    """What `sent`'s answer `status` allows to have changed between the two snapshots."""
    changed, removed, added = changes(before, after)
    if status != 303:
        assert not (changed or removed or added), (changed, removed, added)
        return
    route = ROUTES[sent.endpoint]
    touched = {table for table, _ in changed | added | removed}
    assert touched <= route.tables, touched - route.tables
    assert {table for table, _ in removed} <= route.removes, removed
    referrals = {key for key in changed if key[0] == "referral"}
    if sent.endpoint.startswith("public."):
        # A new referral takes the next number of its year's counter, and may set the
        # duplicate warning of a stored referral naming the same child: nothing else.
        assert all(only_the_duplicate_flag(before[key], after[key]) for key in referrals)
    elif sent.referral_id is not None:
        # The referral the change is about; another only in its duplicate warning.
        assert all(
            key == ("referral", (sent.referral_id,))
            or only_the_duplicate_flag(before[key], after[key])
            for key in referrals
        ), referrals


# ---------------------------------------------------------------------------------------------
# The test


@pytest.fixture(scope="module")
def fuzz_database_url(tmp_path_factory, request):
    """A migrated database shared by every example of this module."""
    template = None if TEST_DATABASE_URL else request.getfixturevalue("sqlite_template")
    with migrated_database(tmp_path_factory.mktemp("fuzz"), template, "fuzz") as url:
        yield url


@pytest.fixture(scope="module")
def site(fuzz_database_url, request):
    site = Site(fuzz_database_url)
    try:
        yield site
    finally:
        site.close()
    database = "PostgreSQL" if TEST_DATABASE_URL else "SQLite"
    report = site.report
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(report["codes"].items()))
    lines = [
        f"fuzz ({database}): {report['requests']} requests sent to {len(site.endpoints)} POST "
        f"routes, {report['server_errors']} server errors, {len(site.log.lines)} log lines "
        f"searched, {report['leaks']} carrying personal data",
        f"  answers by status code: {codes}",
        "  by route (requests/303): "
        + ", ".join(
            f"{endpoint} {n}/{report['successes'][endpoint]}"
            for endpoint, n in sorted(report["targets"].items())
        ),
    ]
    # Shown even without -s: the count is what `make fuzz` reports.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


@st.composite
def requests_(draw, site: Site) -> Sent:
    # A true random choice: Hypothesis would favour the first routes of the list.
    endpoint = draw(st.randoms(use_true_random=True)).choice(site.endpoints)
    rule = site.rules[endpoint]
    if endpoint.startswith("public."):
        return draw(public_request(endpoint, rule))
    if endpoint in ("auth.login", "auth.logout"):
        return draw(login_request(endpoint, rule))
    return draw(filled_request(endpoint, rule, site.world_for(endpoint)))


@settings.get_profile("intake-fuzz")
@given(data=st.data())
def test_no_request_gets_a_server_error_or_changes_stored_rows(site, data):
    sent = data.draw(requests_(site), label="sent")
    send = site.prepare(sent)
    before = site.snapshot or site.rows()
    logged = len(site.log.lines)
    site.report["requests"] += 1
    try:
        response = send()
    except Exception:
        # Under TESTING Flask lets a view's exception through instead of answering 500.
        site.report["server_errors"] += 1
        raise
    status = response.status_code
    site.report["server_errors"] += status >= 500
    site.report["codes"][status] += 1
    site.report["targets"][sent.endpoint] += 1
    site.report["successes"][sent.endpoint] += status == 303
    assert status < 500, response.get_data(as_text=True)[:500]

    site.snapshot = site.rows()
    check_rows(sent, status, before, site.snapshot)

    leaks = [line for line in site.log.lines[logged:] if any(secret in line for secret in SECRETS)]
    site.report["leaks"] += len(leaks)
    assert not leaks

    if sent.as_coordinator and sent.endpoint.startswith("auth.") and status == 303:
        site.log_in()  # the next staff POST should find the coordinator logged in
