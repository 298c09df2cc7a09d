"""The counts a process keeps between two reads of the figures: they follow every change of
the data (a new referral, a child's profile, a decision, a meeting held), and are not counted
again while nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from intake.models import Source
from intake.statistics import counts as counting
from intake.statistics.cache import TTL
from tests.parcours.test_parcours_pages import accept, post_child
from tests.statistics.page_reader import read_page
from tests.support.app import login
from tests.support.builders import make_meeting, make_referral


def figures(client) -> dict:
    return read_page(client.get("/triage/statistiques")).key_figures


def counted_times(monkeypatch) -> list[int]:
    """How many times the figures were counted from the database, from now on."""
    calls: list[int] = []
    real = counting.count

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("intake.statistics.cache.count", spy)
    return calls


def test_the_figures_follow_each_change_and_are_kept_between(app, coordinator, monkeypatch):
    calls = counted_times(monkeypatch)
    assert figures(coordinator)["referrals_received"] == 0
    assert figures(coordinator)["referrals_received"] == 0
    assert len(calls) == 1  # the second read counted nothing

    reference = make_referral(app, Source.PROFESSIONAL)
    assert figures(coordinator)["referrals_received"] == 1
    accept(coordinator, reference)
    assert figures(coordinator)["entries"] == 1
    assert read_page(coordinator.get("/triage/statistiques")).lines["sex"][""] == 1
    # The profile touches only the child and its referral's activity.
    assert post_child(coordinator, reference, "profil", sex="F").status_code == 303
    assert read_page(coordinator.get("/triage/statistiques")).lines["sex"]["F"] == 1
    assert len(calls) == 4


def test_a_meeting_counts_once_held_without_any_change(app, client, users):
    with time_machine.travel(datetime(2026, 12, 7, 10, tzinfo=UTC), tick=False):
        assert login(client, users["coordinator"]).status_code == 303
        make_meeting(app, datetime(2026, 12, 7, 12, tzinfo=UTC))
        assert figures(client)["eps_meetings"] == 0
    with time_machine.travel(datetime(2026, 12, 7, 12, 5, tzinfo=UTC), tick=False):
        # Nothing changed in the data: the kept counts, and the meeting now held.
        assert figures(client)["eps_meetings"] == 1


def test_kept_counts_expire(app, coordinator, monkeypatch):
    calls = counted_times(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr("intake.statistics.cache.monotonic", lambda: clock[0])
    figures(coordinator)
    clock[0] += TTL - 1
    figures(coordinator)
    assert len(calls) == 1
    clock[0] += 2
    figures(coordinator)
    assert len(calls) == 2
