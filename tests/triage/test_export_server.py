"""Both exports as production serves them: gunicorn with the README's settings
(`gunicorn.conf.py`: threaded workers, each export made in a process of its own), over TLS,
every row read back. Pages answer while exports are under way.

`test_100000_referrals_exported_whole` does it for 100,000 referrals seeded by `dev seed`:
minutes, so only with INTAKE_SCALE=1 (`make scale`, run by CI after the two suites).
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Child, Referral
from intake.triage.spreadsheet import HEADERS
from intake.triage.workbook import column_letter
from tests.support.app import PASSWORD, flask_cli
from tests.support.builders import store_referrals as store
from tests.support.production import production_environment, production_server

LAST_COLUMN = column_letter(len(HEADERS) - 1)


def download(server, headers: dict[str, str], path: str, timeout: float = 60) -> bytes:
    """The whole body of a GET that must answer 200."""
    connection = server.connection(timeout=timeout)
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == 200, (path, answer.status, server.log()[-3000:])
        return body
    finally:
        connection.close()


def csv_references(data: bytes) -> list[str]:
    return [row["reference"] for row in csv.DictReader(io.StringIO(data.decode()))]


def read_workbook(data: bytes, read_only: bool = False):
    """The workbook's one sheet, as openpyxl opens it: the zip checked whole first."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
    return load_workbook(io.BytesIO(data), read_only=read_only).active


def fork_servers(group: int) -> list[int]:
    """The multiprocessing fork servers among the processes of the process group `group`."""
    found = []
    for process in Path("/proc").iterdir():
        try:
            in_group = int((process / "stat").read_text().rpartition(")")[2].split()[2]) == group
            command = (process / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if in_group and b"multiprocessing.forkserver" in command:
            found.append(int(process.name))
    return found


def test_both_exports_through_production_settings(app, users, database_url, tmp_path):
    """Two exports left open after their first bytes hold no worker: the queue still
    answers; then each export, made in a process of its own, is read back whole."""
    references = store(app, 1500)  # a batch and a half: the rows leave in two chunks
    with production_server(database_url, tmp_path) as server:
        # Each worker's fork server, which every export of that worker is forked from (the
        # second worker may still be starting).
        workers = server.log().count("Booting worker with pid")
        deadline = time.monotonic() + 20
        while len(fork_servers(server.process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers >= 2 and len(fork_servers(server.process.pid)) == workers
        signed_in = server.signed_in(users["coordinator"], PASSWORD)
        held = []
        for path in ("/triage/export.xlsx", "/triage/export.csv"):
            connection = server.connection()
            connection.request("GET", path, headers=signed_in)
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read1(16)
            held.append(connection)
        for _ in range(6):
            assert b"PRE-2026-01500" in download(server, signed_in, "/triage/")
        for connection in held:
            connection.close()
        workbook = download(server, signed_in, "/triage/export.xlsx")
        table = download(server, signed_in, "/triage/export.csv")
        log = server.log()

    newest_first = list(reversed(references))
    assert csv_references(table) == newest_first
    sheet = read_workbook(workbook)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == newest_first
    assert all(isinstance(row[1], datetime) for row in rows[1:])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{LAST_COLUMN}{len(references) + 1}"
    # The production settings: threaded workers; every export logged once, by its process.
    assert "Using worker: gthread" in log
    for kind in ("export.xlsx", "export"):
        lines = [each for each in log.splitlines() if f"INFO intake: {kind} user_id=1 " in each]
        # The one held open, whole or interrupted as the socket's buffers allowed, and the
        # one read to its end.
        assert len(lines) == 2, log
        assert all(line.endswith((" rows=1500", " interrupted")) for line in lines), log
        assert any(line.endswith(" rows=1500") for line in lines), log
    assert "Traceback" not in log


SCALE = 100_000


def seed(database_url: str, count: int) -> None:
    """`flask --app wsgi dev seed --count COUNT` on the test's database, as the README says."""
    env = production_environment(database_url, "https://127.0.0.1", {})
    done = flask_cli("dev", "seed", "--count", str(count), env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.scale
def test_100000_referrals_exported_whole(app, users, database_url, tmp_path):
    """100,000 seeded referrals, both exports downloaded through gunicorn with the README's
    production settings, every row read back against the database."""
    started = time.monotonic()
    seed(database_url, SCALE)
    with app.app_context():
        stored = set(db.session.scalars(select(Referral.reference)))
        children = db.session.scalar(select(func.count()).select_from(Child))
        db.session.remove()
    assert len(stored) == SCALE
    seeded = time.monotonic()
    with production_server(database_url, tmp_path) as server:
        signed_in = server.signed_in(users["coordinator"], PASSWORD)
        table = download(server, signed_in, "/triage/export.csv", timeout=600)
        workbook = download(server, signed_in, "/triage/export.xlsx", timeout=600)
        log = server.log()
    downloaded = time.monotonic()

    references = csv_references(table)
    assert len(references) == SCALE and set(references) == stored
    sheet = read_workbook(workbook, read_only=True)
    rows = sheet.iter_rows(values_only=True)
    assert next(rows) == HEADERS
    count, seen = 0, set()
    for row in rows:
        count += 1
        seen.add(row[0])
        assert isinstance(row[1], datetime) and isinstance(row[-1], datetime), row
        assert isinstance(row[6], int), row  # the child's rank: a number
    assert count == children and seen == stored
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(
        f"\n{SCALE:,} referrals ({children:,} children) on {database}: seeded in "
        f"{seeded - started:.0f} s, both exports downloaded in {downloaded - seeded:.0f} s "
        f"({len(table) / 1e6:.1f} MB of CSV, {len(workbook) / 1e6:.1f} MB of .xlsx), read "
        f"back in {time.monotonic() - downloaded:.0f} s"
    )
