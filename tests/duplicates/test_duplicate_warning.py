"""The duplicate warning through the app: found on submission and after a correction, shown on
both referrals, answered by a coordinator, forgotten with a purged referral; never in the way
of a submission."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime, timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select, text, update

from intake.duplicates import pairs as duplicate_pairs
from intake.extensions import db
from intake.models import Child, DuplicatePair, Referral, Source, StatusChange
from tests.support.app import login, post_change
from tests.support.builders import (
    child,
    child_fields,
    correction_data,
    make_referral,
    orientation,
    post_referral,
    request_form,
)

SEQUENCE = count(1)

INES = {"first_name": "Inès", "last_name": "Benali", "birth_date": "2016-03-12"}
INES_AGAIN = {"first_name": "INES", "last_name": "BEN ALI", "birth_date": "2016-03-12"}
HUGO = {"first_name": "Hugo", "last_name": "Bernard", "birth_date": "2015-01-01"}
HUGO_AGAIN = {"first_name": "HUGO", "last_name": "BERNARD", "birth_date": "2015-01-01"}


def child_form(path: str = "/orientation", **names: str) -> dict:
    """A valid form of `path` for one child (its names and birth date as given), for
    `post_referral`."""
    fields = {**child_fields(0, **names), "situation": f"Situation n° {next(SEQUENCE)}"}
    return orientation(**fields) if path == "/orientation" else request_form(**fields)


def referral(app, reference: str) -> Referral:
    """The stored referral, detached, with the fields these tests read."""
    with app.app_context():
        found = db.session.scalar(select(Referral).where(Referral.reference == reference))
        db.session.expunge(found)
        return found


def pairs(app) -> list[DuplicatePair]:
    with app.app_context():
        found = db.session.scalars(select(DuplicatePair).order_by(DuplicatePair.id)).all()
        db.session.expunge_all()
        return list(found)


def page(client, reference: str) -> str:
    response = client.get(f"/triage/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def flagged(app, *references: str) -> list[bool]:
    return [referral(app, ref).duplicate_suspected for ref in references]


def decide(client, reference: str, pair_id: int, decision: str, version: str | None = None):
    """POST one of the pair's buttons as the page would, with the version it shows."""
    if version is None:
        version = re.search(r'name="version" type="hidden" value="(\d+)"', page(client, reference))
        version = version.group(1)
    return client.post(
        f"/triage/{reference}/duplicates/{pair_id}/{decision}", data={"version": version}
    )


# --- Found on submission --------------------------------------------------------------------


def test_the_same_child_written_differently_warns_on_both_referrals(app, coordinator):
    first = post_referral(coordinator, data=child_form(**INES))
    second = post_referral(coordinator, "/demande", child_form("/demande", **INES_AGAIN))
    [pair] = pairs(app)
    assert pair.state == "suspected" and pair.score == 100
    with app.app_context():
        first_id, second_id = (
            db.session.scalar(select(Referral.id).where(Referral.reference == ref))
            for ref in (first, second)
        )
    # The later referral's child is `child_id`.
    assert (pair.referral_id, pair.other_referral_id) == (second_id, first_id)
    assert flagged(app, first, second) == [True, True]
    html = page(coordinator, second)
    assert "Doublon possible :" in html
    assert "INES BEN ALI, né(e) le 12/03/2016, semble être le même enfant que dans" in html
    assert f'<a href="/triage/{first}">{first}</a>' in html
    assert "Même enfant" in html and "Enfants différents" in html
    html = page(coordinator, first)
    assert "Inès Benali, né(e) le 12/03/2016, semble être le même enfant que dans" in html
    assert f'<a href="/triage/{second}">{second}</a>' in html
    # The queue's filter reads the flag.
    with app.app_context():
        assert set(
            db.session.scalars(select(Referral.reference).where(Referral.duplicate_suspected))
        ) == {first, second}


def test_a_child_born_another_day_is_not_a_duplicate(app, coordinator):
    first = post_referral(coordinator, data=child_form(**INES))
    second = post_referral(coordinator, data=child_form(**{**INES, "birth_date": "2016-03-13"}))
    assert pairs(app) == []
    assert flagged(app, first, second) == [False, False]
    assert "Doublon possible" not in page(coordinator, second)


def test_another_child_born_the_same_day_is_not_a_duplicate(app, coordinator):
    # Twins in two referrals: same family, same day, another first name.
    post_referral(coordinator, data=child_form(**INES))
    post_referral(coordinator, data=child_form(**{**INES, "first_name": "Ilyes"}))
    assert pairs(app) == []


def test_siblings_of_one_referral_are_not_compared(app, client):
    twins = {
        **child_fields(0, **INES),
        **child_fields(1, **{**INES, "first_name": "Ines"}),
        "situation": "Deux enfants.",
    }
    assert client.post("/demande", data=request_form(**twins)).status_code == 303
    assert pairs(app) == []


def test_a_final_referral_is_not_compared(app, coordinator):
    declined = post_referral(coordinator, data=child_form(**INES))
    post_change(
        coordinator, declined, status="declined", reason="unreachable", comment="", confirm="y"
    )
    assert referral(app, declined).status == "declined"
    post_referral(coordinator, data=child_form(**INES_AGAIN))
    assert pairs(app) == []


def test_a_referral_older_than_24_months_is_not_compared(app, coordinator):
    old = post_referral(coordinator, data=child_form(**INES))
    with app.app_context():
        long_ago = datetime.now(UTC) - timedelta(days=2 * 365 + 10)
        db.session.execute(
            update(Referral)
            .where(Referral.reference == old)
            .values(received_at=long_ago)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    post_referral(coordinator, data=child_form(**INES_AGAIN))
    assert pairs(app) == []
    assert flagged(app, old) == [False]


def test_the_flag_does_not_make_the_other_referral_s_open_form_stale(app, coordinator):
    first = post_referral(coordinator, data=child_form(**INES))
    # A coordinator has the first referral open, at this version…
    seen = re.search(r'name="version" type="hidden" value="(\d+)"', page(coordinator, first))
    version_before = referral(app, first).version
    # …when the same child is referred again.
    post_referral(coordinator, data=child_form(**INES_AGAIN))
    assert flagged(app, first) == [True]
    assert referral(app, first).version == version_before
    response = coordinator.post(
        f"/triage/{first}/status",
        data={"status": "in_review", "comment": "", "version": seen.group(1)},
    )
    assert response.status_code == 303
    assert referral(app, first).status == "in_review"


def test_a_coordinator_s_change_of_the_other_referral_only_delays_the_submission(app, client):
    """Two real transactions: a coordinator's change of the earlier referral is being
    written when the same child is referred again. The submission waits for it, then is
    stored with its warning; the coordinator's change stands, with its version."""
    first = post_referral(client, data=child_form(**INES))
    writing, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def coordinator_change() -> None:
        try:
            with app.app_context():
                stored = db.session.scalar(select(Referral).where(Referral.reference == first))
                stored.status = "in_review"
                db.session.flush()  # the row is written, not committed: its lock is held
                writing.set()
                release.wait(10)
                db.session.commit()
                results["version"] = stored.version
        except BaseException as error:  # reported below
            errors.append(error)

    def submission() -> None:
        try:
            writing.wait(10)
            same_child = child(**{**INES_AGAIN, "birth_date": date(2016, 3, 12)})
            results["reference"] = make_referral(
                app, Source.PARENT, children=[same_child], situation="Une autre orientation."
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=coordinator_change), threading.Thread(target=submission)]
    for thread in threads:
        thread.start()
    writing.wait(10)
    threads[1].join(0.5)
    assert threads[1].is_alive(), "the submission did not wait for the coordinator's change"
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert results["version"] == 2
    stored = referral(app, first)
    assert (stored.status, stored.version, stored.duplicate_suspected) == ("in_review", 2, True)
    [pair] = pairs(app)
    assert referral_reference(app, pair.referral_id) == results["reference"]


def test_the_submission_is_stored_when_the_check_fails(app, client, monkeypatch, caplog):
    post_referral(client, data=child_form(**INES))

    def broken(referral, since):
        # A database error, as a lock timeout would be: on PostgreSQL it aborts the
        # transaction unless the check runs in a savepoint of its own.
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(duplicate_pairs, "candidates", broken)
    with caplog.at_level(logging.ERROR):
        reference = post_referral(client, data=child_form(**INES_AGAIN))
    assert reference.startswith("PRE-")
    stored = referral(app, reference)
    assert stored.duplicate_suspected is False
    assert pairs(app) == []
    failures = [r for r in caplog.records if "duplicate check failed" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [f"duplicate check failed reference={reference}"]
    # The referral is whole: its child and its history were committed with it.
    with app.app_context():
        stored = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert [c.first_name for c in stored.children] == ["INES"]
        assert [h.to_status for h in stored.history] == ["new"]


def test_a_python_error_in_the_rule_does_not_block_either(app, client, monkeypatch):
    post_referral(client, data=child_form(**INES))

    def broken(a, b):
        raise ZeroDivisionError

    monkeypatch.setattr(duplicate_pairs, "similarity", broken)
    reference = post_referral(client, data=child_form(**INES_AGAIN))
    assert referral(app, reference).status == "new"
    assert pairs(app) == []


# --- Answered by a coordinator ---------------------------------------------------------------


@pytest.fixture
def suspected(app, coordinator):
    """(earlier reference, later reference, pair id): one child referred twice."""
    first = post_referral(coordinator, data=child_form(**INES))
    second = post_referral(coordinator, "/demande", child_form("/demande", **INES_AGAIN))
    [pair] = pairs(app)
    return first, second, pair.id


def test_confirming_links_both_referrals_and_lets_one_be_declined_as_duplicate(
    app, coordinator, users, suspected
):
    first, second, pair_id = suspected
    versions = referral(app, first).version, referral(app, second).version
    response = decide(coordinator, second, pair_id, "confirm")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/triage/{second}#duplicates"
    assert "les deux dossiers sont liés" in page(coordinator, second)
    [pair] = pairs(app)
    assert pair.state == "confirmed"
    assert pair.decided_at is not None and datetime.now(UTC) - pair.decided_at < timedelta(
        minutes=1
    )
    with app.app_context():
        assert db.session.get(DuplicatePair, pair_id).decided_by.email == users["coordinator"]
    assert flagged(app, first, second) == [False, False]
    # The referral acted on is touched; the other one is not.
    assert referral(app, second).version == versions[1] + 1
    assert referral(app, second).last_activity_at == pair.decided_at
    assert referral(app, first).version == versions[0]
    for here, there in ((second, first), (first, second)):
        html = page(coordinator, here)
        assert f'Même enfant que <a href="/triage/{there}">{there}</a>' in html
        assert "Doublon possible :" not in html
        assert "le motif « Doublon »" in html
    # The status form declines the later one as a duplicate.
    response = post_change(
        coordinator, second, status="declined", reason="duplicate", comment="", confirm="y"
    )
    assert response.status_code == 303
    with app.app_context():
        change = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
        assert (change.to_status, change.reason) == ("declined", "duplicate")
    assert referral(app, second).status == "declined"
    assert "Motif : Doublon" in page(coordinator, second)


def test_dismissing_is_never_proposed_again_even_after_a_correction(app, coordinator, suspected):
    first, second, pair_id = suspected
    response = decide(coordinator, first, pair_id, "dismiss")
    assert response.status_code == 303
    [pair] = pairs(app)
    assert pair.state == "dismissed"
    assert flagged(app, first, second) == [False, False]
    html = page(coordinator, first)
    assert "n’est pas le même enfant que dans" in html and "Rapprochement écarté" in html
    # A correction of the child's name runs the check again: the answer stands.
    response = correct(coordinator, second, first_name="Inès", last_name="Benali")
    assert response.status_code == 303
    [pair] = pairs(app)
    assert pair.state == "dismissed"
    assert flagged(app, first, second) == [False, False]


def test_each_answer_and_each_finding_logs_one_line_of_ids(app, coordinator, caplog):
    with caplog.at_level(logging.INFO, logger="intake"):
        first = post_referral(coordinator, data=child_form(**INES))
        second = post_referral(coordinator, data=child_form(**INES_AGAIN))
        [pair] = pairs(app)
        decide(coordinator, second, pair.id, "dismiss")
    lines = [r.getMessage() for r in caplog.records if "duplicate" in r.getMessage()]
    first_id = referral(app, first).id
    assert lines == [
        f"duplicates suspected reference={second} pair_ids={pair.id} other_referral_ids={first_id}",
        f"duplicate pair dismissed pair_id={pair.id} reference={second} user_id=1",
    ]
    # Names are personal data: no log line carries one.
    assert not [r for r in caplog.records if re.search("ines|benali|ben ali", r.getMessage(), re.I)]


def test_a_pair_already_answered_is_not_answered_again(app, coordinator, suspected):
    first, second, pair_id = suspected
    assert decide(coordinator, first, pair_id, "dismiss").status_code == 303
    # The other page, still showing the buttons, is answered too late.
    response = decide(coordinator, second, pair_id, "confirm")
    assert response.status_code == 409
    assert "déjà été examiné" in response.get_data(as_text=True)
    assert pairs(app)[0].state == "dismissed"


def test_viewers_see_the_warning_but_cannot_answer(app, client, users, suspected):
    first, second, pair_id = suspected
    client.post("/deconnexion")
    login(client, users["viewer"])
    html = page(client, second)
    assert "Doublon possible :" in html
    assert "/duplicates/" not in html
    for decision in ("confirm", "dismiss"):
        response = client.post(
            f"/triage/{second}/duplicates/{pair_id}/{decision}",
            data={"version": str(referral(app, second).version)},
        )
        assert response.status_code == 403
    assert pairs(app)[0].state == "suspected"


def test_a_stale_version_is_refused_with_409(app, coordinator, suspected):
    first, second, pair_id = suspected
    stale = str(referral(app, second).version)
    post_change(coordinator, second, "notes", text="Appel à la famille.")
    response = decide(coordinator, second, pair_id, "confirm", version=stale)
    assert response.status_code == 409
    assert pairs(app)[0].state == "suspected"
    assert flagged(app, first, second) == [True, True]


def test_a_pair_that_does_not_name_the_referral_is_404(app, coordinator, suspected):
    first, second, pair_id = suspected
    third = post_referral(coordinator, data=child_form(first_name="Hugo", last_name="Bernard"))
    assert decide(coordinator, third, pair_id, "confirm").status_code == 404
    assert decide(coordinator, second, 999_999, "confirm").status_code == 404
    assert decide(coordinator, second, 2**40, "dismiss").status_code == 404
    assert pairs(app)[0].state == "suspected"


def test_a_referral_keeps_its_flag_while_another_pair_waits(app, coordinator, suspected):
    first, second, pair_id = suspected
    third = post_referral(
        coordinator,
        data=child_form(first_name="Inès", last_name="Ben-Ali", birth_date="2016-03-12"),
    )
    assert len(pairs(app)) == 3
    decide(coordinator, first, pair_id, "dismiss")
    # The first and second referrals each still wait for an answer about the third.
    assert flagged(app, first, second, third) == [True, True, True]


def test_answering_with_csrf_on(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    def token(path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    for names in (INES, INES_AGAIN):
        post_referral(client, data={**child_form(**names), "csrf_token": token("/orientation")})
    response = client.post(
        "/connexion",
        data={"email": users["coordinator"], "password": "correct horse battery",
              "csrf_token": token("/connexion")},
    )  # fmt: skip
    assert response.status_code == 303
    [pair] = pairs(app)
    reference = referral_reference(app, pair.referral_id)
    html = page(client, reference)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    path = f"/triage/{reference}/duplicates/{pair.id}/confirm"
    assert client.post(path, data={"version": version}).status_code == 400
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(path, data={"version": version, "csrf_token": csrf}).status_code == 303
    assert pairs(app)[0].state == "confirmed"


def referral_reference(app, referral_id: int) -> str:
    with app.app_context():
        return db.session.get(Referral, referral_id).reference


# --- After a correction ---------------------------------------------------------------------


def correct(client, reference: str, **changes: str):
    """POST the correction form of a one-child referral (sent by `child_form`), with the
    child's fields changed as given."""
    stored = referral(client.application, reference)
    with client.application.app_context():
        [kid] = db.session.scalar(select(Referral).where(Referral.reference == reference)).children
        values = {
            "first_name": kid.first_name,
            "last_name": kid.last_name,
            "birth_date": kid.birth_date.isoformat(),
        }
    form = correction_data(stored.version, **child_fields(0, **{**values, **changes}))
    return client.post(f"/triage/{reference}/correction", data=form)


def test_a_correction_that_makes_two_children_one_warns(app, coordinator):
    first = post_referral(coordinator, data=child_form(**INES))
    second = post_referral(coordinator, data=child_form(**HUGO))
    assert pairs(app) == []
    response = correct(coordinator, second, **INES_AGAIN)
    assert response.status_code == 303
    [pair] = pairs(app)
    assert pair.state == "suspected"
    assert referral_reference(app, pair.referral_id) == second
    assert flagged(app, first, second) == [True, True]


def test_a_correction_of_the_earlier_referral_keeps_the_later_child_first(app, coordinator):
    first = post_referral(coordinator, data=child_form(**HUGO))
    second = post_referral(coordinator, data=child_form(**INES))
    assert correct(coordinator, first, **INES_AGAIN).status_code == 303
    [pair] = pairs(app)
    assert referral_reference(app, pair.referral_id) == second
    assert referral_reference(app, pair.other_referral_id) == first


def test_a_correction_that_tells_two_children_apart_withdraws_the_warning(
    app, coordinator, suspected
):
    first, second, pair_id = suspected
    assert correct(coordinator, second, birth_date="2016-03-21").status_code == 303
    assert pairs(app) == []
    assert flagged(app, first, second) == [False, False]
    assert "Doublon possible" not in page(coordinator, first)


def test_a_correction_survives_a_failing_check(app, coordinator, suspected, monkeypatch):
    first, second, pair_id = suspected

    def broken(referral, since):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(duplicate_pairs, "candidates", broken)
    assert correct(coordinator, second, first_name="Inès").status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(Referral).where(Referral.reference == second))
        assert stored.children[0].first_name == "Inès"
        assert [c.fields for c in stored.corrections] == [["children.0.first_name"]]


# --- Retention purge --------------------------------------------------------------------------


def test_the_purge_deletes_the_pairs_of_purged_referrals_and_their_flags(app, runner, coordinator):
    expired = post_referral(coordinator, data=child_form(**INES))
    kept = post_referral(coordinator, data=child_form(**INES_AGAIN))
    other_a = post_referral(coordinator, data=child_form(**HUGO))
    other_b = post_referral(coordinator, data=child_form(**HUGO_AGAIN))
    assert len(pairs(app)) == 2
    with app.app_context():
        long_ago = datetime.now(UTC) - timedelta(days=3 * 365)
        db.session.execute(
            update(Referral)
            .where(Referral.reference == expired)
            .values(status="declined", last_activity_at=long_ago)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Child)
            .where(Child.referral_id == referral(app, expired).id)
            .values(status="declined")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "anonymised 1 referral(s)" in result.output
    [left] = pairs(app)
    sides = {referral_reference(app, i) for i in (left.referral_id, left.other_referral_id)}
    assert sides == {other_a, other_b}
    assert flagged(app, kept, other_a, other_b) == [False, True, True]
    assert "Doublon possible" not in page(coordinator, kept)


def test_a_child_sent_again_and_again_is_paired_with_the_newest_sendings_only(app, client):
    references = [post_referral(client) for _ in range(6)]
    with app.app_context():
        last = referral(app, references[-1])
        others = sorted(
            db.session.scalars(
                select(DuplicatePair.other_referral_id).where(DuplicatePair.referral_id == last.id)
            )
        )
        newest = [referral(app, ref).id for ref in references[-4:-1]]
    # Each submission pairs its child with at most the three newest earlier sendings: its
    # cost stays bounded however many there were.
    assert others == sorted(newest)
    assert len(pairs(app)) == 1 + 2 + 3 + 3 + 3


def test_the_check_reads_the_referrals_from_their_covering_index(app):
    """The check's query reads each candidate's referral from the index of (id, received_at,
    status) on both databases: SQLite is told to (its planner would read the wide row)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        referral = SimpleNamespace(id=0, children=[SimpleNamespace(birth_date=date(2016, 5, 4))])
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            duplicate_pairs.candidates(referral, datetime(2020, 1, 1, tzinfo=UTC))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        ((statement, parameters),) = seen
        if db.engine.dialect.name != "sqlite":
            # PostgreSQL's planner takes that index of its own accord; the hint is SQLite's.
            assert "INDEXED BY" not in statement
            return
        connection = db.session.connection().connection.driver_connection
        plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        details = " ".join(row[-1] for row in plan)
        assert f"COVERING INDEX {duplicate_pairs.COVERING_INDEX}" in details, details
