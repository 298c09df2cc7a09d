"""How the app sets up its database connections."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from intake.extensions import db


def test_sqlite_connections_use_wal_and_normal_sync(make_app, database_url):
    """Each SQLite connection is set for concurrent writers: WAL, synchronous NORMAL (1), and
    a busy timeout, so a second writer waits instead of failing at once."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite settings; PostgreSQL connections are left as they are")
    app = make_app()
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
