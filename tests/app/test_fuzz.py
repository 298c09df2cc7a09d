"""Generated requests: whatever a client sends, no 5xx, and no stored row changes unasked.

Hypothesis builds requests over the public forms, the login page and the staff POSTs: real
field names and mangled ones, any Unicode text, repeated keys, file parts, raw bodies that are
not UTF-8 or not forms at all, with and without a CSRF token. Before each request every table's
rows are read; after it, no earlier row may have changed or gone, and new rows may only appear
when the request was a successful submission (303). A 303 may change only what it is about:
the year's reference counter (a new referral), the account (a login or logout), the referral
whose status changed or that got a note.

`make fuzz` sends INTAKE_FUZZ_REQUESTS (5,000) requests on SQLite, then on PostgreSQL; the
normal suite sends a few hundred.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from intake import create_app
from intake.extensions import db
from intake.models import Referral
from tests.support.app import (
    BASE_CONFIG,
    PASSWORD,
    READ_LOG_TABLES,
    TEST_DATABASE_URL,
    migrated_database,
)
from tests.support.builders import make_user, orientation, post_referral, request_form

REQUESTS = int(os.environ.get("INTAKE_FUZZ_REQUESTS", "300"))
COORDINATOR = "coord@testville.example"

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
]
ODD_VALUES = [
    "",
    " ",
    "y",
    "0",
    "-1",
    "²",
    "٣",
    "9" * 5000,
    "６２９９９",
    "62999",
    "2016-05-04",
    "04/05/2016",
    "٢٠١٦-05-04",
    "0001-01-01",
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
    "\ufffd",
    "\x00",
    "\r\n",
    "\u202enitraM",
    "👨\u200d👩\u200d👧",
    *STATUSES,
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
    alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Nd", "Mn"]), max_size=20
)
# Long values without generating them character by character; past 256 KB the answer is 413.
long_text = st.builds(
    lambda unit, times: unit * times,
    st.text(min_size=1, max_size=4),
    st.sampled_from([101, 201, 501, 4001, 20_000, 70_000]),
)
values = st.one_of(st.sampled_from(ODD_VALUES), any_text, control_text, long_text)

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
staff_keys = st.one_of(st.sampled_from(STAFF_FIELDS), any_text)
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

    csrf_app: bool
    as_coordinator: bool
    method: str
    target: str  # "orientation", "demande", "connexion", "status", "notes", "deconnexion"
    reference: str | None  # for the staff POSTs: None means the stored referral's
    next_value: str | None
    body: Body
    token: str  # "valid", "missing", "bogus"

    def path(self, stored_reference: str) -> str:
        if self.target in ("orientation", "demande", "connexion", "deconnexion"):
            return f"/{self.target}"
        reference = stored_reference if self.reference is None else quote(self.reference, safe="")
        return f"/triage/{reference}/{self.target}"


def as_pairs(data: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]


@st.composite
def bodies(draw, keys, base: list[tuple[str, str]] | None):
    """A body built on `base` (a valid form) or from nothing, then mangled."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "raw", "encoded"]))
    pairs = list(base or [])
    if pairs:
        dropped = draw(st.sets(st.sampled_from(sorted({k for k, _ in pairs})), max_size=3))
        pairs = [(k, v) for k, v in pairs if k not in dropped]
    pairs += draw(st.lists(st.tuples(keys, values), max_size=6))
    if draw(st.booleans()) and pairs:  # a key sent twice
        pairs.append(draw(st.sampled_from(pairs)))
    if kind == "fields":
        return Body(pairs=pairs, files=draw(file_parts) if draw(st.booleans()) else [])
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


@st.composite
def requests_(draw) -> Sent:
    target = draw(
        st.sampled_from(["orientation", "demande", "connexion", "status", "notes", "deconnexion"])
    )
    csrf_app = draw(st.booleans())
    token = draw(st.sampled_from(["valid", "missing", "bogus"]))
    method = draw(st.sampled_from(["POST"] * 8 + ["PUT", "DELETE"]))
    reference = None
    next_value = None
    as_coordinator = draw(st.booleans())
    if target in ("orientation", "demande"):
        # From a valid form now and then, so that some requests get as far as being stored.
        valid = orientation() if target == "orientation" else request_form()
        body = draw(bodies(public_keys, as_pairs(valid) if draw(st.booleans()) else None))
    elif target == "connexion":
        method = draw(st.sampled_from(["GET", "POST", "POST"]))
        next_value = draw(st.one_of(st.none(), st.sampled_from(ODD_NEXT), any_text))
        email = draw(st.one_of(st.just(COORDINATOR), values))
        password = draw(st.one_of(st.just(PASSWORD), values))
        keys = st.one_of(st.sampled_from(["email", "password", "csrf_token"]), any_text)
        body = draw(bodies(keys, [("email", email), ("password", password)]))
    else:
        as_coordinator = True
        reference = draw(
            st.one_of(
                st.none(),
                st.none(),
                st.sampled_from(["PRE-2026-99999", "x" * 300, "é", "%00", ".."]),
                any_text.filter(bool),
            )
        )
        base = {
            "status": [("status", draw(st.sampled_from(STATUSES))), ("comment", "Appel.")],
            "notes": [("text", "Appel à la mère.")],
            "deconnexion": [],
        }[target]
        body = draw(bodies(staff_keys, base))
    return Sent(csrf_app, as_coordinator, method, target, reference, next_value, body, token)


# ---------------------------------------------------------------------------------------------
# Where it is sent


def csrf_token_of(client, path: str) -> str | None:
    """The CSRF token a page gives this client, as a browser would read it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else None


class Site:
    """The apps under test (CSRF on and off) on one database, and a coordinator per app."""

    def __init__(self, url: str) -> None:
        self.apps = {
            False: create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url}),
            True: create_app(
                {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": True}
            ),
        }
        app = self.apps[False]
        make_user(app, COORDINATOR)
        self.reference = post_referral(app.test_client())
        self.coordinators = {}
        for csrf_app in (False, True):
            self.coordinators[csrf_app] = self.apps[csrf_app].test_client()
            self.log_in(csrf_app)
        self.report = Counter(codes=Counter(), targets=Counter())

    def log_in(self, csrf_app: bool) -> None:
        client = self.coordinators[csrf_app]
        data = {"email": COORDINATOR, "password": PASSWORD}
        if csrf_app:
            client.post("/deconnexion", data={"csrf_token": csrf_token_of(client, "/triage/")})
            data["csrf_token"] = csrf_token_of(client, "/connexion")
        assert client.post("/connexion", data=data).status_code in (302, 303)

    def rows(self) -> dict[tuple, tuple]:
        """Every row of every table, by table and primary key."""
        with self.apps[False].app_context():
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

    def referral_key(self, reference: str) -> tuple:
        with self.apps[False].app_context():
            referral_id = db.session.scalar(
                select(Referral.id).where(Referral.reference == reference)
            )
            db.session.rollback()
            return ("referral", (referral_id,))

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
            page = f"/triage/{self.reference}" if sent.as_coordinator else "/connexion"
            token = csrf_token_of(client, page)
        path = sent.path(self.reference)
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
        return lambda: client.open(path, method=sent.method, query_string=query, **kwargs)


def only_the_duplicate_flag(before: tuple, after: tuple) -> bool:
    """Whether two snapshots of a referral row differ in `duplicate_suspected` only."""
    flag = [column.name for column in Referral.__table__.columns].index("duplicate_suspected")
    return before[:flag] + before[flag + 1 :] == after[:flag] + after[flag + 1 :]


def changes(before: dict, after: dict) -> tuple[set, set, set]:
    """(changed, removed, added) keys between two snapshots."""
    changed = {key for key in before.keys() & after.keys() if before[key] != after[key]}
    return changed, before.keys() - after.keys(), after.keys() - before.keys()


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
    yield site
    for app in site.apps.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    database = "PostgreSQL" if TEST_DATABASE_URL else "SQLite"
    report = site.report
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(report["codes"].items()))
    lines = [
        f"fuzz ({database}): {report['requests']} requests sent, "
        f"{report['server_errors']} server errors",
        f"  answers by status code: {codes}",
        f"  by target: {dict(sorted(report['targets'].items()))}",
    ]
    # Shown even without -s: the count is what `make fuzz` reports.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


@settings.get_profile("intake-fuzz")
@given(sent=requests_())
def test_no_request_gets_a_server_error_or_changes_stored_rows(site, sent):
    send = site.prepare(sent)
    before = site.rows()
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
    site.report["targets"][sent.target] += 1
    assert status < 500, response.get_data(as_text=True)[:500]

    after = site.rows()
    changed, removed, added = changes(before, after)
    assert not removed
    if status != 303:
        assert not changed and not added
    elif sent.target in ("orientation", "demande"):
        # A new referral takes the next number of its year's counter, and may set the
        # duplicate warning of a stored referral naming the same child: nothing else.
        others = {key for key in changed if key[0] != "reference_counter"}
        assert all(
            key[0] == "referral" and only_the_duplicate_flag(before[key], after[key])
            for key in others
        ), others
    elif sent.target in ("connexion", "deconnexion"):
        assert {table for table, _ in changed} <= {"user"} and not added
    else:
        assert changed <= {site.referral_key(site.reference)}

    if sent.as_coordinator and sent.target in ("connexion", "deconnexion"):
        site.log_in(sent.csrf_app)  # the next staff POST should find the coordinator logged in
