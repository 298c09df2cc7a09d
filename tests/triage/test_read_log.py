"""The read log: every display of a referral and every export is recorded, shown on the
detail page ("Consulté par"), printed by `flask audit reads`, and purged after its period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from intake import create_app
from intake.config import ConfigurationError
from intake.extensions import db
from intake.models import ReadEvent, ReadReferral, User
from intake.triage.audit import ReadKind, purge_reads, reads, record_read
from intake.triage.exports import EXPORT_BATCH
from tests.support.app import login, post_change
from tests.support.builders import child, make_orientation
from tests.support.builders import store_referrals as store


def events(app) -> list[tuple[str, str | None, list[str], dict]]:
    """Every logged read, oldest first: (kind, reader's e-mail, references, details)."""
    with app.app_context():
        rows = db.session.execute(
            select(ReadEvent, User.email)
            .outerjoin(User, User.id == ReadEvent.user_id)
            .order_by(ReadEvent.id)
        ).all()
        return [
            (
                event.kind,
                email,
                sorted(
                    db.session.scalars(
                        select(ReadReferral.reference).where(ReadReferral.event_id == event.id)
                    )
                ),
                event.details,
            )
            for event, email in rows
        ]


def test_each_display_of_a_referral_is_logged_with_who_read_it(app, client, users):
    reference = make_orientation(app)
    other = make_orientation(app, children=[child("Hugo")])
    login(client, users["coordinator"])
    client.get(f"/triage/{reference}")
    # The queue lists referrals but shows no file: it is not a read of one.
    client.get("/triage/")
    viewer = app.test_client()
    login(viewer, users["viewer"])
    viewer.get(f"/triage/{other}")
    assert events(app) == [
        ("detail", users["coordinator"], [reference], {}),
        ("detail", users["viewer"], [other], {}),
    ]


def test_a_refused_change_shows_the_file_again_and_is_a_read(app, client, users):
    reference = make_orientation(app)
    login(client, users["coordinator"])
    response = client.post(f"/triage/{reference}/notes", data={"text": "x", "version": "99"})
    assert response.status_code == 409
    assert [kind for kind, *_ in events(app)] == ["detail"]
    # The correction page shows the whole file too.
    client.get(f"/triage/{reference}/correction")
    assert [kind for kind, *_ in events(app)] == ["detail", "detail"]


def test_the_detail_page_says_who_read_it_last(app, client, users):
    reference = make_orientation(app)
    viewer = app.test_client()
    login(viewer, users["viewer"])
    viewer.get(f"/triage/{reference}")
    login(client, users["coordinator"])
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    section = html[html.index('id="reads-title"') :]
    section = section[: section.index("</section>")]
    # Newest first: this very display, then the viewer's.
    assert section.index(users["coordinator"]) < section.index(users["viewer"])
    assert "(dossier)" in section
    # Only the last few are listed.
    for _ in range(6):
        client.get(f"/triage/{reference}")
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    section = html[html.index('id="reads-title"') :]
    section = section[: section.index("</section>")]
    assert users["viewer"] not in section
    assert section.count("<li>") == 5


def test_the_csv_export_logs_every_referral_it_sent_and_its_filters(app, client, users):
    first = make_orientation(app, status="in_review")
    second = make_orientation(app, children=[child("Hugo")])
    login(client, users["coordinator"])
    client.get("/triage/export.csv").get_data()
    client.get("/triage/export.csv?status=new&q=hugo").get_data()
    (_, who, everything, details), (kind, _, filtered, narrowed) = events(app)
    assert who == users["coordinator"]
    assert everything == sorted([first, second])
    assert details == {
        "filters": {},
        "search": False,
        "rows": 2,
        "complete": True,
    }
    assert kind == ReadKind.EXPORT_CSV
    assert filtered == [second]
    # The search text may be a name: the log only says there was one.
    assert narrowed["filters"] == {"status": "new"}
    assert narrowed["search"] is True
    assert "hugo" not in str(narrowed).lower()


@pytest.mark.parametrize("kind", ["export.csv", "export.xlsx"])
def test_an_export_left_half_way_logs_what_was_sent(make_app, users, kind):
    """Both exports stream: a client that leaves after the first batch of rows has been
    sent is logged with that batch only (the newest referrals), marked incomplete."""
    app = make_app()
    references = store(app, 1500)  # a batch and a half
    client = app.test_client()
    login(client, users["coordinator"])
    response = client.get(f"/triage/{kind}", buffered=False)
    chunks = response.response
    next(chunks)  # the CSV's header, the workbook's fixed parts: before any row
    first = next(chunks)  # the first batch of rows
    if kind == "export.csv":
        assert len(list(csv.reader(io.StringIO(first.decode())))) == EXPORT_BATCH
    response.close()  # the client leaves
    ((logged_kind, _, logged, details),) = events(app)
    assert logged_kind == kind
    assert details["complete"] is False
    assert details["rows"] == EXPORT_BATCH < len(references)
    assert logged == sorted(references[-EXPORT_BATCH:])


def test_the_spreadsheet_export_names_each_referral_once(app, client, users):
    make_orientation(app, children=[child(), child("Hugo", birth_date=date(2012, 1, 15))])
    single = make_orientation(app, children=[child("Zoé")])
    login(client, users["coordinator"])
    client.get("/triage/export.xlsx").get_data()  # streamed: logged once sent
    ((kind, _, logged, details),) = events(app)
    assert kind == "export.xlsx"
    # Three rows (a row per child), two referrals.
    assert details["rows"] == 3
    assert len(logged) == 2 and single in logged


def test_a_large_read_is_logged_whole(app, users):
    references = [f"PRE-2026-{n:05d}" for n in range(1, 12_001)]
    with app.app_context():
        record_read(1, ReadKind.EXPORT_CSV, references + references[:10], rows=12_000)
        assert db.session.scalar(select(func.count()).select_from(ReadReferral)) == 12_000


@pytest.fixture
def logged(app, users):
    """Three reads at known times: a detail and a fiche of PRE-2026-00001 by the
    coordinator, and an export of three referrals by the viewer."""
    with app.app_context():
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        coordinator, viewer = ids[users["coordinator"]], ids[users["viewer"]]
        record_read(coordinator, ReadKind.DETAIL, ["PRE-2026-00001"])
        record_read(coordinator, ReadKind.FICHE, ["PRE-2026-00001"], meeting_id=1)
        record_read(
            viewer, ReadKind.EXPORT_CSV, ["PRE-2026-00003", "PRE-2026-00001", "PRE-2026-00002"]
        )
        at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        for minutes, event in enumerate(
            db.session.scalars(select(ReadEvent).order_by(ReadEvent.id))
        ):
            event.at = at + timedelta(minutes=minutes)
        db.session.commit()
    return users


def test_audit_reads_prints_one_line_per_read(app, runner, logged):
    result = runner.invoke(args=["audit", "reads"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"2026-03-01T10:30:00+01:00  {logged['coordinator']}  detail  PRE-2026-00001",
        f"2026-03-01T10:31:00+01:00  {logged['coordinator']}  fiche  PRE-2026-00001",
        f"2026-03-01T10:32:00+01:00  {logged['viewer']}  export.csv  "
        "PRE-2026-00001 PRE-2026-00002 PRE-2026-00003",
    ]


def test_audit_reads_of_one_referral_or_one_account(app, runner, logged):
    lines = runner.invoke(args=["audit", "reads", "--referral", "PRE-2026-00002"]).output
    assert lines.splitlines() == [
        f"2026-03-01T10:32:00+01:00  {logged['viewer']}  export.csv  PRE-2026-00002 (and 2 more)"
    ]
    by_user = runner.invoke(args=["audit", "reads", "--user", logged["coordinator"].upper()])
    assert [line.split("  ")[2] for line in by_user.output.splitlines()] == ["detail", "fiche"]
    assert runner.invoke(args=["audit", "reads", "--user", "nobody@x.fr"]).output == ""
    assert runner.invoke(args=["audit", "reads", "--referral", "PRE-2026-00009"]).output == ""


def test_the_log_outlives_the_account(app, runner, logged):
    with app.app_context():
        db.session.delete(db.session.scalar(select(User).where(User.email == logged["viewer"])))
        db.session.commit()
    lines = runner.invoke(args=["audit", "reads", "--referral", "PRE-2026-00003"]).output
    assert "(deleted account)  export.csv  PRE-2026-00003 (and 2 more)" in lines


def test_retention_purge_deletes_reads_past_their_period(make_app, users):
    app = make_app(INTAKE_READ_LOG_MONTHS=12)
    now = datetime.now(UTC)
    with app.app_context():
        for days in (400, 380, 300, 1):
            record_read(1, ReadKind.DETAIL, [f"PRE-2026-{days:05d}"])
            db.session.execute(
                update(ReadEvent)
                .where(ReadEvent.id == db.session.scalar(select(func.max(ReadEvent.id))))
                .values(at=now - timedelta(days=days))
            )
        db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert "would delete 2 read log entries older than 12 months" in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReadEvent)) == 4
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 read log entries older than 12 months" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(ReadReferral.reference))) == [
            "PRE-2026-00001",
            "PRE-2026-00300",
        ]
        # A shorter period, set by configuration, reaches further.
        assert purge_reads(6, now=now) == 1
        db.session.commit()
        assert [read.references for read in reads()] == [["PRE-2026-00001"]]


@pytest.mark.parametrize("value", ["0", "-3", "douze", "1.5", "true"])
def test_a_bad_log_period_stops_the_app(monkeypatch, value):
    monkeypatch.setenv("FLASK_INTAKE_READ_LOG_MONTHS", value)
    with pytest.raises(ConfigurationError, match="FLASK_INTAKE_READ_LOG_MONTHS"):
        create_app({"TESTING": True})


def test_status_change_then_detail_is_one_read_per_display(app, client, users):
    reference = make_orientation(app)
    login(client, users["coordinator"])
    post_change(client, reference, status="in_review", comment="")
    client.get(f"/triage/{reference}")
    # post_change reads the page once for its version; the change itself shows no file.
    assert [kind for kind, *_ in events(app)] == ["detail", "detail"]
