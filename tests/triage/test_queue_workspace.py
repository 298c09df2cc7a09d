"""The coordinator's workspace in the queue: status tabs with bounded counts, the new
filters (origin, school, urgency, référent, suspected duplicates), the three sorts and their
pages, the waits shown on each row, and the exports under the same filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.models import Referral, User
from intake.rules.clock import PARIS
from intake.triage import counts
from intake.triage.cursors import Cursor
from intake.triage.filters import PARAMS, QueueFilters
from tests.support.app import login
from tests.support.builders import make_user
from tests.support.builders import store_referrals as store
from tests.support.pages import queue_tabs

NOW = datetime.now(UTC).replace(microsecond=0)
TILLEULS, MOULIN, CENTRE = "0629001A", "0629002B", "0629003C"


def ago(days: float) -> datetime:
    """The moment `days` days before NOW: when a referral was received or last touched."""
    return NOW - timedelta(days=days)


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def shown(html: str) -> list[str]:
    """The references a queue page lists, in order."""
    return re.findall(r'">(PRE-\d{4}-\d{5})</a>', html)


def page(client, **args) -> str:
    response = client.get("/triage/", query_string=args)
    assert response.status_code == 200, args
    return response.get_data(as_text=True)


@pytest.fixture
def workspace(app, users):
    """Eight referrals, each picked out by one of the filters, and the coordinator's and a
    second coordinator's ids."""
    me = user_id(app, users["coordinator"])
    other = make_user(app, "other@testville.example")
    # PRE-2026-00001 to 00008, received 8 days ago to 1; the searches below look for the
    # names of the third, fourth and sixth.
    professional = {"source": "professional"}
    mine = {"assigned_to_id": me, "status": "in_review"}
    theirs = {"assigned_to_id": other, "status": "in_review"}
    duplicate = {"duplicate_suspected": True, "status": "eps"}
    made = {
        "plain": store(app, 1, first=1, start=ago(8)),
        "professional": store(app, 1, first=2, start=ago(7), columns=professional),
        "moulin": store(app, 1, first=3, start=ago(6), schools=(CENTRE, MOULIN), last_name="Nom3"),
        "other_school": store(app, 1, first=4, start=ago(5), schools=("other",), last_name="Nom4"),
        "urgent": store(app, 1, first=5, start=ago(4), columns={**professional, "urgent": True}),
        "mine": store(app, 1, first=6, start=ago(3), columns=mine, guardian_name="Parent 6"),
        "theirs": store(app, 1, first=7, start=ago(2), columns=theirs),
        "duplicate": store(app, 1, first=8, start=ago(1), columns=duplicate),
    }
    refs = {name: reference for name, (reference,) in made.items()}
    return refs, me, other


def newest_first(refs: dict[str, str], *names: str) -> list[str]:
    return sorted((refs[name] for name in names), reverse=True)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param({"source": "professional"}, ["professional", "urgent"], id="source-pro"),
        pytest.param(
            {"source": "parent"},
            ["plain", "moulin", "other_school", "mine", "theirs", "duplicate"],
            id="source-parent",
        ),
        pytest.param({"school": MOULIN}, ["moulin"], id="school-second-child"),
        pytest.param({"school": CENTRE}, ["moulin"], id="school-first-child"),
        pytest.param({"school": "other"}, ["other_school"], id="school-other"),
        pytest.param(
            {"school": TILLEULS},
            ["plain", "professional", "urgent", "mine", "theirs", "duplicate"],
            id="school-tilleuls",
        ),
        pytest.param({"urgent": "1"}, ["urgent"], id="urgent"),
        pytest.param({"duplicate": "1"}, ["duplicate"], id="duplicate"),
        pytest.param({"assigned": "me"}, ["mine"], id="assigned-me"),
        pytest.param(
            {"assigned": "nobody"},
            ["plain", "professional", "moulin", "other_school", "urgent", "duplicate"],
            id="assigned-nobody",
        ),
        pytest.param({"assigned": "me", "status": "new"}, [], id="assigned-me-new"),
        pytest.param({"source": "professional", "urgent": "1"}, ["urgent"], id="combined"),
        pytest.param({"q": "nom3", "school": MOULIN}, ["moulin"], id="search-and-school"),
        pytest.param({"q": "nom3", "school": TILLEULS}, [], id="search-elsewhere"),
        pytest.param({"q": "parent 6", "assigned": "me"}, ["mine"], id="search-and-mine"),
        pytest.param({"q": "parent 6", "assigned": "nobody"}, [], id="search-not-nobody"),
    ],
)
def test_each_filter_selects_exactly_its_referrals(coordinator, workspace, args, expected):
    refs, _, _ = workspace
    assert shown(page(coordinator, **args)) == newest_first(refs, *expected)


def test_assigned_to_another_staff_member_by_id(coordinator, workspace):
    refs, me, other = workspace
    assert shown(page(coordinator, assigned=str(other))) == [refs["theirs"]]
    assert shown(page(coordinator, assigned=str(me))) == [refs["mine"]]


@pytest.mark.parametrize(
    "args",
    [
        {"source": "robot"},
        {"school": "9999999Z"},
        {"school": "'; drop table referral"},
        {"urgent": "yes"},
        {"duplicate": "2"},
        {"assigned": "someone"},
        {"assigned": "999999"},
        {"assigned": "9" * 40},
        {"assigned": "٣"},
        {"sort": "random"},
        {"sort": "urgency", "older": "1.1"},
        {"sort": "urgency", "older": "x.1.1"},
        {"sort": "waiting", "newer": "1.1.1"},
        {"status": "bogus", "eligibility": "x", "agreement": "maybe"},
    ],
)
def test_unknown_values_are_ignored_never_an_error(coordinator, workspace, args):
    refs, _, _ = workspace
    # A known sort is kept; only what is unknown is dropped.
    kept = {"sort": args["sort"]} if args.get("sort") in ("urgency", "waiting") else {}
    assert shown(page(coordinator, **args)) == shown(page(coordinator, **kept))
    assert len(shown(page(coordinator, **args))) == len(refs)


def test_a_viewers_id_is_not_offered_but_their_cases_are(app, coordinator, users, workspace):
    """The filter offers coordinators, and any account still named on a case."""
    viewer = user_id(app, users["viewer"])
    html = page(coordinator)
    assert f'<option value="{viewer}"' not in html
    assert shown(page(coordinator, assigned=str(viewer))) == shown(html)  # ignored
    store(app, 1, first=50, start=NOW, columns={"assigned_to_id": viewer})
    html = page(coordinator)
    assert f'<option value="{viewer}"' in html
    assert shown(page(coordinator, assigned=str(viewer))) == ["PRE-2026-00050"]


def test_tabs_count_each_status_under_the_other_filters(coordinator, workspace):
    html = page(coordinator)
    counts = {label: count for label, (count, _, _) in queue_tabs(html).items()}
    assert counts == {
        "Toutes": "8",
        "Nouvelle": "5",
        "En cours d’examen": "2",
        "À l’ordre du jour de l’EPS": "1",
        "Parcours engagé": "0",
        "Clôturée": "0",
        "Orientée vers un autre service": "0",
        "Non retenue": "0",
        "Retirée": "0",
    }
    assert queue_tabs(html)["Toutes"][1] and not queue_tabs(html)["Nouvelle"][1]
    # Under another filter, each tab counts what that filter leaves; the status chosen does
    # not change the other tabs' counts.
    filtered = queue_tabs(page(coordinator, source="parent", status="in_review"))
    assert {label: count for label, (count, _, _) in filtered.items() if count != "0"} == {
        "Toutes": "6",
        "Nouvelle": "3",
        "En cours d’examen": "2",
        "À l’ordre du jour de l’EPS": "1",
    }
    assert filtered["En cours d’examen"][1] and not filtered["Toutes"][1]
    # The tab links keep the other filters and choose their own status.
    assert filtered["Nouvelle"][2] == "/triage/?status=new&source=parent"
    assert filtered["Toutes"][2] == "/triage/?source=parent"
    assert shown(page(coordinator, source="parent", status="in_review")) == newest_first(
        workspace[0], "mine", "theirs"
    )


def test_tab_counts_stop_at_the_limit(make_app, users, monkeypatch):
    monkeypatch.setattr(counts, "COUNT_LIMIT", 3)
    app = make_app()
    for number in range(1, 6):
        store(app, 1, first=number, start=ago(number))
    store(app, 1, first=6, start=NOW, columns={"status": "eps"})
    client = app.test_client()
    login(client, users["coordinator"])
    found = queue_tabs(page(client))
    assert found["Toutes"][0] == "3+"
    assert found["Nouvelle"][0] == "3+"
    assert found["À l’ordre du jour de l’EPS"][0] == "1"
    assert "Plus de 3 orientations" in page(client)


def test_under_other_filters_past_the_limit_only_the_chosen_status_is_counted(
    make_app, users, monkeypatch
):
    """Under a filter with more matches than FILTERED_COUNT_LIMIT, a status's share of the
    newest matches is no count of it: the tabs showed it as a lower bound ("1+" over a list
    of 2). Now only "Toutes" and the chosen status are counted, as their lists are."""
    monkeypatch.setattr(counts, "FILTERED_COUNT_LIMIT", 3)
    app = make_app()
    # The oldest: out of the newest matches.
    store(app, 1, first=1, start=ago(9), columns={"status": "in_review"})
    for number in range(2, 6):
        store(app, 1, first=number, start=ago(number))
    store(app, 1, first=6, start=ago(1), columns={"status": "in_review"})
    store(app, 1, first=7, start=NOW, columns={"source": "professional", "status": "closed"})
    client = app.test_client()
    login(client, users["coordinator"])
    html = page(client, source="parent")
    found = {label: count for label, (count, _, _) in queue_tabs(html).items()}
    assert found["Toutes"] == "3+" and "Plus de 3 orientations" in html
    assert {count for label, count in found.items() if label != "Toutes"} == {None}
    assert "Plus de 3 orientations répondent à ces filtres : chaque statut est compté" in html
    chosen = page(client, source="parent", status="in_review")
    assert queue_tabs(chosen)["En cours d’examen"][0] == "2" and "2 orientations" in chosen
    assert queue_tabs(chosen)["Nouvelle"][0] is None
    # Below the limit, the same filter counts every tab, exactly, and says nothing more.
    monkeypatch.setattr(counts, "FILTERED_COUNT_LIMIT", 10)
    html = page(client, source="parent")
    found = {label: count for label, (count, _, _) in queue_tabs(html).items()}
    assert (found["Toutes"], found["Nouvelle"], found["En cours d’examen"]) == ("6", "4", "2")
    assert found["Clôturée"] == "0"
    assert "chaque statut est compté" not in html


def test_a_filter_or_a_search_counts_less_far_than_the_whole_queue(make_app, users, monkeypatch):
    """Without a filter, or with a status only, each status is counted from its own index up
    to COUNT_LIMIT; under another filter or a search, every match counted is a row read, so
    the page and its tabs stop at FILTERED_COUNT_LIMIT."""
    monkeypatch.setattr(counts, "FILTERED_COUNT_LIMIT", 3)
    app = make_app()
    for number in range(1, 6):
        store(app, 1, first=number, start=ago(number))
    client = app.test_client()
    login(client, users["coordinator"])
    assert "5 orientations" in page(client)
    assert "5 orientations" in page(client, status="new")
    assert queue_tabs(page(client))["Nouvelle"][0] == "5"
    filtered = page(client, source="parent")
    assert "Plus de 3 orientations" in filtered and "5 orientations" not in filtered
    assert queue_tabs(filtered)["Nouvelle"][0] is None
    assert "Plus de 3 orientations" in page(client, status="new", source="parent")
    assert "Plus de 3 orientations" in page(client, q="lea")


def test_the_limit_reads_in_french():
    """1000 reads "1 000" in French (a narrow no-break space between thousands)."""
    from flask_babel import format_number

    from intake import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        assert format_number(counts.COUNT_LIMIT).replace("\u202f", " ") == "1 000"


def test_tabs_are_a_navigation_with_the_current_one_marked(coordinator, workspace):
    html = page(coordinator, status="eps", urgent="1")
    assert '<nav aria-label="Statuts" class="tabs">' in html
    current = re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)<', html)
    assert ("/triage/?status=eps&amp;urgent=1", "À l’ordre du jour de l’EPS ") in current


def test_links_carry_every_filter(make_app, users):
    app = make_app(INTAKE_PAGE_SIZE=1)
    me = user_id(app, users["coordinator"])
    flagged = {"source": "professional", "urgent": True, "duplicate_suspected": True}
    for number in range(1, 4):
        store(app, 1, first=number, start=ago(number), columns={**flagged, "assigned_to_id": me})
    client = app.test_client()
    login(client, users["coordinator"])
    args = {
        "source": "professional",
        "school": TILLEULS,
        "urgent": "1",
        "assigned": "me",
        "duplicate": "1",
        "agreement": "missing",
        "q": "nom",
        "sort": "urgency",
    }
    html = page(client, **args).replace("&amp;", "&")
    links = re.findall(r'href="(/triage/[^"#]*)"', html)
    for kind in ("older=", "status=new", "export.csv", "export.xlsx"):
        link = next(link for link in links if kind in link)
        for name, value in args.items():
            assert f"{name}={value}" in link, (kind, name)


def test_sort_is_left_out_of_links_when_it_is_the_default(coordinator, workspace):
    assert "sort=" not in page(coordinator, sort="received")
    assert QueueFilters.from_args(MultiDict({"sort": "received"})).as_args() == {}


def expected_order(app, sort: str) -> list[str]:
    """Every reference in the order `sort` should show them, computed here in Python."""
    with app.app_context():
        rows = db.session.scalars(select(Referral)).all()
        keys = {
            "received": lambda r: (-r.received_at.timestamp(), -r.id),
            "urgency": lambda r: (not r.urgent, -r.received_at.timestamp(), -r.id),
            "waiting": lambda r: (r.last_activity_at.timestamp(), r.id),
        }
        return [r.reference for r in sorted(rows, key=keys[sort])]


def follow(client, html: str, label: str) -> str | None:
    """The page behind the pagination link labelled `label`, or None without one."""
    match = re.search(rf'<a href="([^"]*)">{label}</a>', html)
    if match is None:
        return None
    return page_at(client, match.group(1).replace("&amp;", "&"))


def page_at(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


NEXT = {"received": "Plus anciennes", "urgency": "Page suivante", "waiting": "Page suivante"}
PREVIOUS = {"received": "Plus récentes", "urgency": "Page précédente", "waiting": "Page précédente"}


@pytest.mark.parametrize("sort", ["received", "urgency", "waiting"])
@pytest.mark.parametrize("extra", [{}, {"source": "parent"}], ids=["all", "filtered"])
def test_every_sort_pages_forwards_and_back_over_each_row_once(make_app, users, sort, extra):
    """Thirteen referrals with ties on every key (the same receipt time, the same last
    action, urgent and not), three a page: forwards then back, every one exactly once and in
    the sort's order."""
    app = make_app(INTAKE_PAGE_SIZE=3)
    for number in range(1, 14):
        columns = {
            # Five share one last action.
            "last_activity_at": ago(1 if number % 3 == 0 or number == 13 else number / 2),
            "urgent": number in (2, 3, 6, 9, 12),
            "source": "professional" if number in (5, 11) else "parent",
        }
        # Four share one receipt time, three another; the rest a day apart.
        received = ago(2 if number <= 4 else 5 if number <= 7 else number)
        store(app, 1, first=number, start=received, columns=columns)
    client = app.test_client()
    login(client, users["coordinator"])
    expected = expected_order(app, sort)
    if extra:
        expected = [ref for ref in expected if ref not in ("PRE-2026-00005", "PRE-2026-00011")]
    pages = [page_at(client, "/triage/?" + "&".join(f"{k}={v}" for k, v in
                                                    {**extra, "sort": sort}.items()))]  # fmt: skip
    while (following := follow(client, pages[-1], NEXT[sort])) is not None:
        pages.append(following)
    forwards = [shown(html) for html in pages]
    assert [ref for each in forwards for ref in each] == expected
    assert all(len(each) == 3 for each in forwards[:-1]) and forwards[-1]
    backwards = [shown(pages[-1])]
    html = pages[-1]
    while (previous := follow(client, html, PREVIOUS[sort])) is not None:
        html = previous
        backwards.append(shown(html))
    assert backwards == list(reversed(forwards))


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("received", Cursor(datetime(2026, 3, 1, 9, tzinfo=UTC), 7)),
        ("waiting", Cursor(datetime(2026, 3, 1, 9, 0, 0, 5, tzinfo=UTC), 7)),
        ("urgency", Cursor(datetime(2026, 3, 1, 9, tzinfo=UTC), 7, urgent=True)),
        ("urgency", Cursor(datetime(1999, 12, 31, tzinfo=UTC), 1, urgent=False)),
    ],
)
def test_cursors_round_trip_in_each_sort(sort, cursor):
    assert Cursor.parse(str(cursor), sort) == cursor
    # A link of one order means nothing to the other: no cursor rather than a wrong one.
    other = "received" if sort == "urgency" else "urgency"
    assert Cursor.parse(str(cursor), other) is None


# A summer afternoon in Paris (UTC+2): the waits below do not depend on when the suite runs.
SEEN = datetime(2026, 6, 10, 15, 0, tzinfo=PARIS)


def row_cells(html: str) -> dict[str, list[str]]:
    """Each listed referral's cells, by reference, as text."""
    rows = {ref: row for row in html.split("<tr>")[2:] for ref in shown(row)}
    return {
        ref: [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                      row, re.S)]
        for ref, row in rows.items()
    }  # fmt: skip


def test_each_row_says_how_long_it_has_waited(app, client, users):
    me = user_id(app, users["coordinator"])
    mine = {"status": "in_review", "assigned_to_id": me}

    def before(days: float) -> datetime:
        return SEEN - timedelta(days=days)

    store(app, 1, first=1, start=before(12), columns={"last_activity_at": before(3), **mine})
    # New and untouched past remind_after_days (7).
    store(app, 1, first=2, start=before(9), columns={"last_activity_at": before(8)})
    # Received yesterday at 03:00, touched this morning.
    store(app, 1, first=3, start=before(1.5), columns={"last_activity_at": before(0.2)})
    closed = {"last_activity_at": before(20), "status": "closed"}
    store(app, 1, first=4, start=before(30), columns=closed)
    with time_machine.travel(SEEN, tick=False):
        login(client, users["coordinator"])
        html = page(client)
    rows = {ref: row for row in html.split("<tr>")[2:] for ref in shown(row)}
    cells = row_cells(html)
    assert cells["PRE-2026-00001"][1:3] == ["reçue il y a 12 jours", "il y a 3 jours"]
    assert cells["PRE-2026-00001"][-1] == users["coordinator"]
    assert "late" not in rows["PRE-2026-00001"]
    # Past the territory's remind_after_days: marked by a class and said in words.
    assert cells["PRE-2026-00002"][1] == "reçue il y a 9 jours"
    assert cells["PRE-2026-00002"][2].startswith("il y a 8 jours")
    assert "À relancer" in rows["PRE-2026-00002"]
    assert "(sans action depuis 7 jours ou plus)" in rows["PRE-2026-00002"]
    assert "Nouvelle depuis plus de 7 jours" in rows["PRE-2026-00002"]
    assert rows["PRE-2026-00002"].count('class="late"') == 2
    assert cells["PRE-2026-00003"][1:3] == ["reçue hier", "aujourd’hui"]
    assert cells["PRE-2026-00003"][-1] == "Aucun"
    # A closed referral waits for nothing.
    assert "late" not in rows["PRE-2026-00004"] and "relancer" not in rows["PRE-2026-00004"]


def paris(day: str) -> datetime:
    """A moment written "2026-01-14 23:30", as Paris clocks show it."""
    return datetime.fromisoformat(day).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("received", "seen", "waited", "last_action", "flagged"),
    [
        # The coordinator's report: received the evening before, seen just after midnight.
        pytest.param("2026-01-14 23:30", "2026-01-15 00:10", "reçue hier", "hier", False,
                     id="winter-2330-then-0010"),
        pytest.param("2026-07-14 23:30", "2026-07-15 00:10", "reçue hier", "hier", False,
                     id="summer-2330-then-0010"),
        # The same Paris day from one end to the other, though the UTC dates differ in summer
        # (00:10 in Paris is 22:10 UTC the day before).
        pytest.param("2026-01-15 00:10", "2026-01-15 23:50", "reçue aujourd’hui", "aujourd’hui",
                     False, id="winter-same-day"),
        pytest.param("2026-07-15 00:10", "2026-07-15 23:50", "reçue aujourd’hui", "aujourd’hui",
                     False, id="summer-same-day"),
        # Seven Paris days at 00:10, though not seven times 24 hours: "À relancer" (the test
        # territory's remind_after_days is 7) and overdue, as the row says.
        pytest.param("2026-01-07 23:30", "2026-01-14 00:10", "reçue il y a 7 jours",
                     "il y a 7 jours", True, id="winter-a-week-at-midnight"),
        pytest.param("2026-07-07 23:30", "2026-07-14 00:10", "reçue il y a 7 jours",
                     "il y a 7 jours", True, id="summer-a-week-at-midnight"),
        # Six Paris days at 23:50, though more than six times 24 hours: not yet.
        pytest.param("2026-07-08 00:10", "2026-07-14 23:50", "reçue il y a 6 jours",
                     "il y a 6 jours", False, id="summer-six-days-at-2350"),
        # Over spring's change of time (29 March 2026): a night of 23 hours.
        pytest.param("2026-03-28 23:30", "2026-03-29 00:10", "reçue hier", "hier", False,
                     id="spring-change"),
    ],
)  # fmt: skip
def test_waits_count_paris_days_around_midnight(
    app, client, users, received, seen, waited, last_action, flagged
):
    """The row's wait, its last action and its flags count Paris calendar days, in winter
    (UTC+1) and summer (UTC+2), never 24-hour periods or UTC dates."""
    store(app, 1, start=paris(received))
    with time_machine.travel(paris(seen), tick=False):
        login(client, users["coordinator"])
        html = page(client)
    (cells,) = row_cells(html).values()
    assert cells[1] == waited
    assert cells[2].startswith(last_action)
    assert ("À relancer" in cells[2]) is flagged
    assert ("Nouvelle depuis plus de 7 jours" in html) is flagged


def test_the_queue_names_its_search_and_every_control(coordinator, workspace):
    html = page(coordinator)
    assert '<label for="q">Référence, nom, téléphone, professionnel ou école</label>' in html
    form = html.split('role="search"', 1)[1].split("</form>", 1)[0]
    for control in re.findall(r'<(?:select|input) id="([^"]+)"', form):
        assert f'<label for="{control}">' in form, control
    assert '<option value="0629002B">Collège Jean Moulin</option>' in form
    assert '<option value="other">' in form
    assert '<th scope="col">Référent</th>' in html


def test_my_cases_are_one_click_away_and_marked_when_shown(app, coordinator, workspace):
    refs, _, _ = workspace
    detail = coordinator.get(f"/triage/{refs['plain']}").get_data(as_text=True)
    assert '<a href="/triage/?assigned=me">Mes dossiers</a>' in detail
    html = page(coordinator, assigned="me")
    assert '<a href="/triage/?assigned=me" aria-current="page">Mes dossiers</a>' in html
    assert shown(html) == [refs["mine"]]
    assert "<h1>Mes dossiers</h1>" in html


def csv_references(client, **args) -> list[str]:
    response = client.get("/triage/export.csv", query_string=args)
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return [row["reference"] for row in rows]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param({"assigned": "me"}, ["mine"], id="assigned-me"),
        pytest.param(
            {"assigned": "nobody"},
            ["plain", "professional", "moulin", "other_school", "urgent", "duplicate"],
            id="assigned-nobody",
        ),
        pytest.param({"source": "professional"}, ["professional", "urgent"], id="source"),
        pytest.param({"school": MOULIN}, ["moulin"], id="school"),
        pytest.param({"urgent": "1"}, ["urgent"], id="urgent"),
        pytest.param({"duplicate": "1"}, ["duplicate"], id="duplicate"),
        pytest.param(
            {"assigned": "nobody", "status": "new", "q": "nom4"}, ["other_school"], id="combined"
        ),  # fmt: skip
    ],
)
def test_the_exports_apply_every_filter(coordinator, workspace, args, expected):
    refs, _, _ = workspace
    assert csv_references(coordinator, **args) == newest_first(refs, *expected)
    response = coordinator.get("/triage/export.xlsx", query_string=args)
    data = response.get_data()
    response.close()  # as the server does once sent: the temporary file goes with it
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    column = rows[0].index("Référence")
    in_sheet = [row[column] for row in rows[1:]]
    # A row per child: the referral with two children is there twice.
    assert list(dict.fromkeys(in_sheet)) == newest_first(refs, *expected)


def test_the_export_by_someone_elses_id(coordinator, workspace):
    refs, _, other = workspace
    assert csv_references(coordinator, assigned=str(other)) == [refs["theirs"]]


def test_the_export_log_names_the_filters(coordinator, workspace, caplog):
    csv_references(coordinator, assigned="me", school=MOULIN, urgent="1", source="parent")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("export ")]
    assert lines == [
        "export user_id=1 status=- eligibility=- agreement=- source=parent school=0629002B"
        " urgent=1 assigned=me duplicate=- search=no rows=0"
    ]


NASTY = ["", " ", "0", "-1", "1e9", "9" * 40, "%", "'", '"', "\\", "٣", "1.2.3", "é", "me ", "null"]


def test_no_value_of_any_parameter_breaks_the_queue_or_its_exports(coordinator, workspace):
    for name in (*PARAMS, "older", "newer"):
        for value in NASTY:
            # A cursor is read according to the sort: each sort reads it its own way.
            sorts = ("received", "urgency", "waiting") if name in ("older", "newer") else ("",)
            for sort in sorts:
                args = {name: value, "sort": sort} if sort else {name: value}
                assert coordinator.get("/triage/", query_string=args).status_code == 200, args
            response = coordinator.get("/triage/export.csv", query_string={name: value})
            response.get_data()  # read to the end, as a server does with a streamed export
            response.close()
            assert response.status_code == 200, (name, value)
