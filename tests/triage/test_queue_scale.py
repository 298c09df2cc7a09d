"""The queue at scale: pages from the last row seen, a bounded count, the indexed search key,
and the streamed export."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, text

from intake.extensions import db
from intake.models import Referral
from intake.rules.search import needle, normalise, order_key, referral_key
from intake.triage import counts
from intake.triage.cursors import NEWEST_FIRST, SORTS, Cursor
from intake.triage.filters import PARAMS, QueueFilters, filtered
from intake.triage.search import holds, search_condition, words_apart
from intake.triage.search_walk import newest_matches
from tests.support.app import login
from tests.support.builders import START, child_fields, make_orientation, orientation
from tests.support.builders import store_referrals as store

# A second referral the searches below must not find.
OTHER = {"first": 99, "guardian_name": "Marc Durand", "first_name": "Hugo", "last_name": "Bernard"}


def shown(html: str) -> list[str]:
    """The references a queue page lists, in order."""
    return [part.split("<", 1)[0] for part in html.split('">PRE-')[1:]]


def follow(client, html: str, label: str) -> str:
    """The page behind the pagination link labelled `label`."""
    marker = f'">{label}</a>'
    start = html.rindex('href="', 0, html.index(marker)) + len('href="')
    return client.get(html[start : html.index(marker)].replace("&amp;", "&")).get_data(as_text=True)


def test_pages_run_from_the_last_row_seen_and_back(make_app, users):
    """Older and newer links walk the whole list without a row lost or repeated, even where
    several referrals share one timestamp (the id breaks the tie)."""
    app = make_app(INTAKE_PAGE_SIZE=3)
    references = store(app, 8, same_time=4)
    client = app.test_client()
    login(client, users["coordinator"])
    page = client.get("/triage/").get_data(as_text=True)
    pages = [shown(page)]
    while "Plus anciennes" in page:
        page = follow(client, page, "Plus anciennes")
        pages.append(shown(page))
    seen = [reference for each in pages for reference in each]
    newest_first = [ref.removeprefix("PRE-") for ref in reversed(references)]
    assert seen == newest_first
    assert [len(p) for p in pages] == [3, 3, 2]
    # And back, page by page, to the newest.
    back = follow(client, page, "Plus récentes")
    assert shown(back) == pages[1]
    back = follow(client, back, "Plus récentes")
    assert shown(back) == pages[0]
    assert "Plus récentes" not in back


def test_a_page_past_the_end_or_a_bad_cursor(make_app, users):
    app = make_app(INTAKE_PAGE_SIZE=3)
    store(app, 4)
    client = app.test_client()
    login(client, users["coordinator"])
    past = client.get("/triage/?older=1.1").get_data(as_text=True)
    assert "Aucune orientation" in past and "Retour aux plus récentes" in past
    for bad in ("x", "1", "1.", ".1", "9" * 40 + ".1", "1.٣", "-5.2", "1.2147483648"):
        response = client.get(f"/triage/?older={bad}")
        assert response.status_code == 200
        assert len(shown(response.get_data(as_text=True))) == 3, bad


@pytest.mark.parametrize(
    ("cursor", "rows"),
    [
        ("older=253402300799000000.5", 3),  # the year 9999: every referral is older
        ("newer=253402300799000000.5", 0),
        ("older=0.1", 0),  # 1970: none is older
        ("newer=1.5", 3),
    ],
)
@pytest.mark.parametrize("q", ["hamidi", "lea hamidi"])
def test_a_search_from_a_cursor_at_either_end_of_time(make_app, users, cursor, rows, q):
    """A hand-edited cursor far in the future or at 1970, under a search: the page that
    follows from it (SQLite's index bounds stay within its integers), never a 500."""
    app = make_app(INTAKE_PAGE_SIZE=3)
    store(app, 4, last_name="Hamidi")
    client = app.test_client()
    login(client, users["coordinator"])
    response = client.get(f"/triage/?q={q}&{cursor}")
    assert response.status_code == 200
    assert len(shown(response.get_data(as_text=True))) == rows


@pytest.mark.parametrize(
    "at",
    [datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC), datetime(1999, 12, 31, tzinfo=UTC)],
)
def test_cursor_round_trip(at):
    cursor = Cursor(at, 42)
    assert Cursor.parse(str(cursor)) == cursor


def test_the_count_stops_at_its_limit(make_app, users, monkeypatch):
    """Past the limit the page says "more than" instead of counting every row each time."""
    monkeypatch.setattr(counts, "COUNT_LIMIT", 5)
    app = make_app()
    store(app, 7)
    client = app.test_client()
    login(client, users["coordinator"])
    assert "Plus de 5 orientations" in client.get("/triage/").get_data(as_text=True)
    assert "7 orientations" not in client.get("/triage/").get_data(as_text=True)
    exact = client.get("/triage/?q=nom3").get_data(as_text=True)
    assert "1 orientation" in exact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Inès", "ines"),
        ("BENALI  Inès-Marie", "benali ines marie"),
        ("Œdipe Lætitia", "oedipe laetitia"),
        ("N'Diaye", "n diaye"),
        ("06 12 34 56 78", "0612345678"),
        ("PRE-2026-00012", "pre 202600012"),
        ("%_\\", ""),
        ("ǅemal Straße", "dzemal strasse"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "ines",
        "INÈS",
        "benali",
        "Ben-Ali",
        "ines benali",
        "benali ines",
        "0612345678",
        "06 12 34 56 78",
        "+33 6 12 34",
        "2026-00001",
        "pre-2026-00001",
        "ine",
    ],
)
def test_search_finds_by_name_phone_and_reference_whatever_the_accents(make_app, users, typed):
    app = make_app()
    store(app, 1, first_name="Inès", last_name="Ben Ali", guardian_phone="+33612345678")
    store(app, 1, **OTHER)
    client = app.test_client()
    login(client, users["coordinator"])
    html = client.get("/triage/", query_string={"q": typed}).get_data(as_text=True)
    assert shown(html) == ["2026-00001"], typed


@pytest.mark.parametrize("sort", ["received", "waiting"])
def test_a_search_of_several_words_finds_them_side_by_side_only(make_app, users, sort):
    """Each word is looked up in the index apart, then the key checked for the whole needle:
    a referral holding both words elsewhere is not found, in any order of the queue, nor in
    the export."""
    app = make_app()
    store(app, 1, first_name="Inès", last_name="Ben Ali")
    store(app, 1, first=2, guardian_name="Inès Martin", first_name="Hugo", last_name="Benali")
    client = app.test_client()
    login(client, users["coordinator"])
    for typed in ("ines benali", "Inès Ben Ali"):
        html = client.get("/triage/", query_string={"q": typed, "sort": sort}).get_data(
            as_text=True
        )
        assert shown(html) == ["2026-00001"], typed
    export = client.get("/triage/export.csv", query_string={"q": "ines benali"})
    assert "PRE-2026-00001" in export.get_data(as_text=True)
    assert "PRE-2026-00002" not in export.get_data(as_text=True)


@pytest.mark.parametrize(
    ("wanted", "words"),
    [
        ("eva camara", ["eva", "camara"]),
        ("ines ben ali", ["ines", "ben", "ali"]),
        ("li camara", []),  # one word long enough: the needle is looked up whole
        ("camara", []),
        ("a b c", []),
        ("pre 202600012", ["pre", "202600012"]),
    ],
)
def test_words_apart(wanted, words):
    assert words_apart(wanted) == words


def test_a_search_finds_exactly_the_keys_that_hold_the_needle(make_app):
    """Whatever way a needle is looked up (whole, its words in the index, PostgreSQL's LIKE
    of the words in order), the referrals found are those whose key holds it side by side:
    the words in another order, apart, or only some of them are not enough."""
    app = make_app()
    store(app, 1, first=1, guardian_name="Eva Camara", first_name="Lina", last_name="Durand")
    store(app, 1, first=2, guardian_name="Camara Eva", first_name="Hugo", last_name="Petit")
    store(app, 1, first=3, guardian_name="Eva Martin", first_name="Ali", last_name="Camara")
    store(app, 1, first=4, guardian_name="Evan Camarades", first_name="Léa", last_name="Ben Ali")
    store(app, 1, first=5, guardian_name="Paul Roux", first_name="Eva", last_name="Camara")
    needles = [
        "eva camara",
        "camara eva",
        "eva  CAMARA",
        "van camara",
        "ali camara",
        "lea ben ali",
        "ben ali lea",
        "camara",
        "li camara",
        "eva martin ali",
    ]
    with app.app_context():
        for typed in needles:
            plain = select(Referral.reference).where(holds(needle(typed)))
            searched = select(Referral.reference).where(search_condition(typed))
            expected = set(db.session.scalars(plain))
            assert set(db.session.scalars(searched)) == expected, typed
        # The needles above find something, and not everything.
        found = select(Referral.reference).where(search_condition("eva camara"))
        assert 0 < len(db.session.scalars(found).all()) < 5


def test_the_search_key_follows_a_correction(app, client, users):
    """A child's corrected name is found at once, the old one no longer."""
    make_orientation(app)
    login(client, users["coordinator"])
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        reference, version = referral.reference, referral.version
        assert referral.search_key == referral_key(referral)
    data = {**orientation(), **child_fields(0, first_name="Zoé"), "version": str(version)}
    keep = ("guardian_name", "guardian_phone", "guardian_email", "address", "postcode", "city")
    data = {
        k: v
        for k, v in data.items()
        if k.startswith("children-") or k in keep or k in ("domains", "version")
    }
    assert client.post(f"/triage/{reference}/correction", data=data).status_code == 303
    assert shown(client.get("/triage/?q=zoe").get_data(as_text=True)) == [
        reference.removeprefix("PRE-")
    ]
    assert "Aucune orientation" in client.get("/triage/?q=lea martin").get_data(as_text=True)


STATUSES = ["new", "in_review", "new", "new", "in_review", "new", "in_review", "new"]


@pytest.mark.parametrize("window", [3, 4, 20])
@pytest.mark.parametrize("status", ["", "new", "in_review"])
def test_the_first_page_of_a_search_is_taken_from_its_counted_matches(
    make_app, users, monkeypatch, window, status
):
    """The tabs read the newest matches of a search; its first page comes from them when they
    are enough to say which rows it holds, and from the database otherwise: either way the
    newest matching referrals of the status, in order, with a link to the rest."""
    monkeypatch.setattr(counts, "FILTERED_COUNT_LIMIT", window)
    app = make_app(INTAKE_PAGE_SIZE=2)
    references = store(app, len(STATUSES), last_name="Hamidi")
    store(app, 1, **OTHER)
    with app.app_context():
        for reference, code in zip(references, STATUSES, strict=True):
            db.session.scalar(select(Referral).where(Referral.reference == reference)).status = code
        db.session.commit()
    expected = [
        reference.removeprefix("PRE-")
        for reference, code in reversed(list(zip(references, STATUSES, strict=True)))
        if not status or code == status
    ]
    client = app.test_client()
    login(client, users["coordinator"])
    html = client.get("/triage/", query_string={"q": "hamidi", "status": status}).get_data(
        as_text=True
    )
    assert shown(html) == expected[:2]
    seen = shown(html)
    while "Plus anciennes" in html:
        html = follow(client, html, "Plus anciennes")
        seen += shown(html)
    assert seen == expected


def statements_of(app, client, url: str) -> list[str]:
    """Every SQL statement the page at `url` runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_search_page_searches_once_and_reads_only_what_its_rows_show(make_app, users):
    """The tabs and the first page share one search; the rows are read without their long
    texts, search key or screening, which the queue does not show."""
    app = make_app()
    store(app, 30, last_name="Hamidi")
    client = app.test_client()
    login(client, users["coordinator"])
    statements = statements_of(app, client, "/triage/?q=hamidi")
    searches = [s for s in statements if "referral_search" in s or "search_key LIKE" in s]
    assert len(searches) == 1, searches
    rows = [s for s in statements if ("FROM referral" in s or "FROM child" in s)]
    rows = [s for s in rows if s not in searches]
    for statement in rows:
        for column in ("search_key", "screening", "situation", "domains"):
            assert f".{column}" not in statement, statement
    assert len(shown(client.get("/triage/?q=hamidi").get_data(as_text=True))) == 25


def test_needle_of_punctuation_finds_nothing(make_app, users):
    app = make_app()
    store(app, 2)
    client = app.test_client()
    login(client, users["coordinator"])
    for typed in ("%", "_", "--", '"'):
        html = client.get("/triage/", query_string={"q": typed}).get_data(as_text=True)
        assert "Aucune orientation" in html, typed
    assert needle("  ") == ""


def test_the_export_is_streamed_with_every_selected_row(make_app, users):
    app = make_app()
    references = store(app, 2500)
    client = app.test_client()
    login(client, users["coordinator"])
    response = client.get("/triage/export.csv", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    # The header leaves on its own, before the database is read.
    assert chunks[0].strip().startswith(b"reference,received_at")
    assert len(chunks) > 3
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    response.close()
    assert [row["reference"] for row in rows] == list(reversed(references))
    assert {row["children"] for row in rows} == {"1"}
    assert rows[0]["received_at"] == (START + timedelta(minutes=2499)).isoformat()
    searched = client.get("/triage/export.csv?q=nom2499").get_data(as_text=True)
    assert [line.split(",")[0] for line in searched.splitlines()[1:]] == [references[-1]]


def scatter(app, references: list[str], times: list[datetime], statuses: list[str]) -> None:
    """Give the stored referrals these received dates and statuses, so that the queue's order
    is no longer the order of their ids."""
    with app.app_context():
        for reference, at, status in zip(references, times, statuses, strict=True):
            referral = db.session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            referral.received_at = referral.last_activity_at = at
            referral.status = status
        db.session.commit()


def disordered_times(count: int) -> list[datetime]:
    """Received dates out of id order: most within one second, newest id oldest (more than a
    window of 101 there, so that the second must be read to its end), some at .9997 of a
    second (which SQLite rounds into the next one), the rest minutes apart, shuffled."""
    rng = random.Random(8)
    one_second = [START.replace(microsecond=900_000 - n * 7_000 // 10) for n in range(120)]
    rounded = [
        START + timedelta(seconds=s, microseconds=micro)
        for s in range(1, 6)
        for micro in (999_700, 999_900)
    ]
    spread = [START + timedelta(minutes=rng.randrange(-500, 500)) for _ in range(count)]
    times = (one_second + rounded + spread)[:count]
    rng.shuffle(times)
    return times


def test_the_search_index_order_gives_the_queue_order_whatever_the_ids(make_app, users):
    """On SQLite a search reads its matches from an index numbered by second then id, and
    stops after a window: the rows it returns are still exactly the queue's, under filters,
    after and before any cursor, when the ids do not follow the received dates and many
    matches share one second."""
    app = make_app()
    count = 260
    references = store(app, count, last_name="Hamidi")
    statuses = ["new" if n % 3 else "in_review" for n in range(count)]
    scatter(app, references, disordered_times(count), statuses)
    # Both words of "lea hamidi" in their keys, never side by side: a search of the two words
    # must not find these.
    store(app, 40, first=1000, guardian_name="Léa Martin", first_name="Lina", last_name="Hamidi")
    with app.test_request_context():
        general = QueueFilters(q="zz")  # a needle the index does not hold
        for filters in (
            QueueFilters(q="hamidi"),
            QueueFilters(q="hamidi", status="in_review"),
            QueueFilters(q="Léa Hamidi"),
            QueueFilters(q="lea hamidi", status="new"),
        ):
            # The expected rows by LIKE on the keys, without the index.
            like = Referral.search_key.contains(needle(filters.q))
            every = filtered(select(Referral.id, Referral.received_at), replace(filters, q=""))
            expected = db.session.execute(every.where(like).order_by(*NEWEST_FIRST)).all()
            assert len(expected) > 80
            if " " in filters.q:
                assert len(expected) <= count  # none of the 40 with the words apart
            ids = [row.id for row in expected]
            for limit in (1, 26, 101):
                walked = newest_matches(filters, limit)
                if walked is None:
                    # PostgreSQL: the trigram index has no order; the table is asked.
                    assert db.engine.dialect.name == "postgresql"
                    return
                assert [row.id for row in walked] == ids[:limit]
            for place in range(len(ids)):
                cursor = Cursor(expected[place].received_at, expected[place].id)
                older = newest_matches(filters, 26, older=cursor)
                assert [row.id for row in older] == ids[place + 1 : place + 27], place
                newer = newest_matches(filters, 26, newer=cursor)
                assert [row.id for row in newer] == list(reversed(ids[max(0, place - 26) : place]))
            assert counts.capped_count(filters) == min(len(ids), counts.FILTERED_COUNT_LIMIT + 1)
        assert newest_matches(general, 5) is None
        assert newest_matches(QueueFilters(q="hamidi", sort="waiting"), 5) is None


def test_a_search_walks_every_page_in_order_when_ids_and_dates_disagree(make_app, users):
    app = make_app(INTAKE_PAGE_SIZE=40)
    count = 160
    references = store(app, count, last_name="Hamidi")
    scatter(app, references, disordered_times(count), ["new"] * count)
    with app.app_context():
        order = select(Referral.reference).order_by(*NEWEST_FIRST)
        expected = [ref.removeprefix("PRE-") for ref in db.session.scalars(order)]
    client = app.test_client()
    login(client, users["coordinator"])
    html = client.get("/triage/", query_string={"q": "hamidi"}).get_data(as_text=True)
    pages = [shown(html)]
    while "Plus anciennes" in html:
        html = follow(client, html, "Plus anciennes")
        pages.append(shown(html))
    assert [ref for page in pages for ref in page] == expected
    for page in reversed(pages[:-1]):
        html = follow(client, html, "Plus récentes")
        assert shown(html) == page


def test_revision_0008_numbers_the_stored_keys_and_goes_back(make_app, users):
    """Upgraded with referrals already stored, SQLite's search index holds each of them under
    its number in the queue's order; downgraded, under its id again. On PostgreSQL the
    revision changes nothing."""
    from flask_migrate import downgrade, upgrade

    app = make_app()
    references = store(app, 5, last_name="Hamidi")
    store(app, 3, first=6, last_name="Martin")
    client = app.test_client()
    login(client, users["coordinator"])

    def found(q: str) -> list[str]:
        return shown(client.get("/triage/", query_string={"q": q}).get_data(as_text=True))

    expected = [ref.removeprefix("PRE-") for ref in reversed(references)]
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        downgrade(revision="0007")
        if sqlite:
            by_id = db.session.scalars(text(INDEXED_HAMIDI)).all()
            assert sorted(by_id) == list(range(1, 6))
        upgrade()
        if sqlite:
            numbered = set(db.session.scalars(text(INDEXED_HAMIDI)))
            keys = text(f"SELECT {order_key('referral')} FROM referral WHERE id <= 5")  # noqa: S608
            assert numbered == set(db.session.scalars(keys))
            assert all(number > 2**31 for number in numbered)
    assert found("hamidi") == expected
    assert len(found("martin")) == 3


INDEXED_HAMIDI = "SELECT rowid FROM referral_search WHERE referral_search MATCH '\"hamidi\"'"


def test_postgresql_samples_enough_search_keys_to_plan_a_search(make_app):
    """Revision 0009: the planner's guess of a search's matches comes from 1,000 sampled keys
    (PostgreSQL's default, 100, made it walk the whole queue for a common family name)."""
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's planner statistics; SQLite's FTS5 index needs none")
        target = db.session.scalar(
            text(
                "SELECT attstattarget FROM pg_attribute "
                "WHERE attrelid = 'referral'::regclass AND attname = 'search_key'"
            )
        )
        assert target == 1000


def test_postgresql_queue_index_holds_the_status(make_app):
    """Revision 0010: on PostgreSQL the queue's index carries the status beside its order, so
    the walk under an agreement filter counts the tabs without reading each referral's row;
    and going back to 0009 gives the plain index again."""
    from flask_migrate import downgrade, upgrade

    app = make_app()
    columns = text(
        "SELECT a.attname, i.indnkeyatts FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indexrelid = 'ix_referral_queue'::regclass "
        "ORDER BY array_position(i.indkey, a.attnum)"
    )

    def queue_index() -> tuple[list[str], set[int]]:
        """The index's columns in order, and its count of key columns."""
        rows = db.session.execute(columns).all()
        # The catalog read holds a lock on the index that the migration's DROP INDEX awaits.
        db.session.rollback()
        return [name for name, _ in rows], {keys for _, keys in rows}

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("INCLUDE is PostgreSQL's; SQLite keeps the index as it was")
        # status is carried, not a key; revision 0013 adds anonymised_at as the last key
        assert queue_index() == (["received_at", "id", "anonymised_at", "status"], {3})
        downgrade(revision="0012")
        assert queue_index() == (["received_at", "id", "status"], {2})
        downgrade(revision="0009")
        assert queue_index() == (["received_at", "id"], {2})
        upgrade()
        assert queue_index() == (["received_at", "id", "anonymised_at", "status"], {3})


cursor_texts = st.one_of(
    st.builds(
        lambda at, id_, urgent: f"{at}.{id_}{urgent}",
        st.one_of(st.integers(0, 10**18 - 1), st.sampled_from([0, 1, 253402300799000000])),
        st.one_of(st.integers(0, 10**18 - 1), st.sampled_from([1, 2**31 - 1, 2**31])),
        st.sampled_from(["", "", ".0", ".1", ".2"]),
    ),
    st.text(max_size=30),
)
# Each parameter there or not; a search and a cursor often together, where the index is read.
queue_args = st.fixed_dictionaries(
    {},
    optional={
        **{name: st.text(max_size=40) for name in PARAMS},
        "q": st.one_of(
            st.sampled_from(["hamidi", "lea hamidi", "léa  HAMIDI", "a b c", "ham"]),
            st.text(max_size=40),
        ),
        "status": st.sampled_from(["", "new", "closed", "x"]),
        "sort": st.sampled_from([*sorted(SORTS), "x"]),
        "older": cursor_texts,
        "newer": cursor_texts,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=queue_args)
def test_any_queue_query_string_gets_a_page(make_app, users, args):
    """Filters, searches, sorts and cursors in any combination, as a hand-edited URL may
    carry them, on the queue and its export: a page, or 400 for a NUL character, never a 500.
    The fixtures, and so the app and its referrals, are made once for all the examples."""
    app = getattr(make_app, "queue_app", None)
    if app is None:
        app = make_app.queue_app = make_app(INTAKE_PAGE_SIZE=3)
        store(app, 5, last_name="Hamidi", same_time=2)
    client = app.test_client()
    login(client, users["coordinator"])
    nul = any("\x00" in value for value in args.values())
    for url in ("/triage/", "/triage/export.csv"):
        response = client.get(url, query_string=args)
        response.get_data()  # the export's rows are written as it streams
        assert response.status_code == 200 or (response.status_code == 400 and nul), (url, args)
