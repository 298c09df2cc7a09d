"""The queue's counts agree: a status tab says what the list under it says once chosen, and the
list what its tab says, under every filter, search and status, at sizes around the caps
(COUNT_LIMIT with no filter or a status only, FILTERED_COUNT_LIMIT under any other)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from intake.triage import counts
from tests.support.app import login
from tests.support.builders import store_referrals
from tests.support.pages import queue_tabs

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LABELS = {
    "": "Toutes",
    "new": "Nouvelle",
    "in_review": "En cours d’examen",
    "eps": "À l’ordre du jour de l’EPS",
    "closed": "Clôturée",
}
# The referrals that are not the filters' matches: a professional's, named otherwise.
OTHERS = 4


def status_at(position: int, size: int) -> str:
    """The status of the match at `position` (0 the oldest) of `size`: as in a real queue,
    the oldest closed, then some under review, every seventh at the EPS, the newest new. The
    newest matches are then no sample of the statuses: a window of them holds few of the
    referrals under review (the "27+" over a list of 63)."""
    if position % 7 == 3:
        return "eps"
    share = position / size
    return "closed" if share < 0.3 else "in_review" if share < 0.75 else "new"


def seed(app, size: int) -> list[dict]:
    """`size` parents' referrals of children named Maëlys, and OTHERS professionals' ones of
    children named Léa, one minute apart, the professionals' interleaved; returns what each
    is, oldest first."""
    made = []
    for position in range(size + OTHERS):
        # The professionals' referrals among the newest, so that no filter is a prefix.
        other = position >= size
        values = {
            "source": "professional" if other else "parent",
            "status": "new" if other else status_at(position, size),
        }
        store_referrals(
            app,
            1,
            first=position + 1,
            start=START + timedelta(minutes=position),
            columns=values,
            first_name="Léa" if other else "Maëlys",
        )
        made.append(values)
    return made


def truth(made: list[dict], args: dict) -> int:
    """How many of the seeded referrals `args` select, counted in Python."""
    wanted = {key: value for key, value in args.items() if key in ("status", "source")}
    if "q" in args:
        wanted["source"] = "parent"  # only the parents' children are named Maëlys
    return sum(all(row[key] == value for key, value in wanted.items()) for row in made)


def said(count: int, limit: int) -> tuple[str, str]:
    """What a tab and the list say of `count` matches counted up to `limit` + 1 (limits
    below 1,000 here: no thousands separator). The app's words are its message ids, worded
    by ngettext's default rule: only 1 is singular ("0 orientations")."""
    if count > limit:
        return f"{limit}+", f"Plus de {limit} orientations"
    return str(count), f"{count} orientation" + ("" if count == 1 else "s")


def limit_of(args: dict) -> int:
    """How far the page of `args` counts: COUNT_LIMIT with a status only or nothing."""
    only_status = set(args) <= {"status"}
    return counts.COUNT_LIMIT if only_status else counts.FILTERED_COUNT_LIMIT


def with_status(args: dict, code: str) -> dict:
    """`args` with the status of a tab ("" for "Toutes": none)."""
    others = {key: value for key, value in args.items() if key != "status"}
    return {**others, "status": code} if code else others


def list_count(html: str) -> str:
    return re.search(r'<p role="status">([^<]*)</p>', html).group(1)


# Every combination of a status (or none), a filter that is not a status, and a search.
COMBINATIONS = [
    {},
    {"status": "in_review"},
    {"status": "closed"},
    {"source": "parent"},
    {"source": "parent", "status": "in_review"},
    {"source": "parent", "status": "eps"},
    {"q": "maelys"},
    {"q": "maelys", "status": "in_review"},
    {"q": "maelys", "source": "parent", "status": "new"},
    {"source": "professional"},
    {"source": "professional", "status": "closed"},
]


@pytest.mark.parametrize("size", [26, 27, 28, 99, 100, 101, 150])
def test_every_tab_says_what_its_list_says(make_app, users, size):
    """Around FILTERED_COUNT_LIMIT (100) and below it; COUNT_LIMIT (1,000) is never reached
    here, so with no filter every count is exact. A tab that shows a count shows its list's,
    the chosen tab always shows one, and each is the true count, capped."""
    app = make_app()
    made = seed(app, size)
    client = app.test_client()
    login(client, users["coordinator"])
    pages: dict[str, str] = {}

    def get(href: str) -> str:
        if href not in pages:
            response = client.get(href)
            assert response.status_code == 200, href
            pages[href] = response.get_data(as_text=True)
        return pages[href]

    for args in COMBINATIONS:
        query = "&".join(f"{key}={value}" for key, value in args.items())
        html = get(f"/triage/?{query}")
        limit = limit_of(args)
        found = queue_tabs(html)
        chosen = LABELS[args.get("status", "")]
        # The list says its true count, capped; its tab, chosen, says the same.
        tab_said, list_said = said(truth(made, args), limit)
        assert list_count(html) == list_said, args
        assert found[chosen][1] and found[chosen][0] == tab_said, (args, found[chosen])
        for code, label in LABELS.items():
            count, _, href = found[label]
            if count is None:
                # Not counted: only under a filter whose matches pass the cap.
                others = with_status(args, "")
                assert others and truth(made, others) > counts.FILTERED_COUNT_LIMIT, args
                continue
            tab_said, list_said = said(truth(made, with_status(args, code)), limit)
            assert count == tab_said, (args, label)
            # The list under the tab, once chosen, says the same.
            assert list_count(get(href)) == list_said, (args, label, href)
            assert queue_tabs(get(href))[label][0] == count, (args, label, href)


@pytest.mark.parametrize("size", [26, 27, 28])
def test_with_no_filter_or_a_status_only_the_counts_agree_around_their_cap(
    make_app, users, monkeypatch, size
):
    """COUNT_LIMIT, brought down to 27 here: "27+" on a tab over "Plus de 27 orientations",
    27 over 27."""
    monkeypatch.setattr(counts, "COUNT_LIMIT", 27)
    app = make_app()
    made = seed(app, size)
    client = app.test_client()
    login(client, users["coordinator"])
    for status in LABELS:
        html = client.get("/triage/", query_string={"status": status} if status else {})
        html = html.get_data(as_text=True)
        tab_said, list_said = said(truth(made, with_status({}, status)), 27)
        assert list_count(html) == list_said
        found = queue_tabs(html)
        assert found[LABELS[status]][0] == tab_said
        # Every tab is counted with no filter, each as its list would say.
        for code, label in LABELS.items():
            expected, _ = said(truth(made, with_status({}, code)), 27)
            assert found[label][0] == expected, (status, label)
