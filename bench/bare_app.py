"""The bare app P1 compares the service with: Flask + Flask-SQLAlchemy and nothing else.

GET /orientation answers a small form; POST /orientation stores one row in one table and
answers 303, as the service does for a valid referral. No session, CSRF, validation,
screening, outbox or logging: what is left is the price of the stack itself (gunicorn,
Flask, SQLAlchemy, the database's commit), which the service cannot go below.

Served as `gunicorn bare_app:app` from this folder, with its database in BARE_DATABASE_URL;
`create_schema(url)` makes its table beforehand (two workers must not race to create it).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

FORM = (
    "<!doctype html><title>bare</title><form method=post>"
    '<input type=hidden name=csrf_token value="bare">'
    "<textarea name=situation></textarea><button>Send</button></form>"
)


class BareRow(Base):
    __tablename__ = "bench_bare_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String(200))
    situation: Mapped[str] = mapped_column(Text)


def create_app(database_url: str) -> Flask:
    """The bare app on `database_url`."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    # The service's own engine options, so both pay the same for a connection.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "hide_parameters": True}
    db.init_app(app)

    @app.get("/orientation")
    def form():
        return FORM

    @app.post("/orientation")
    def store():
        row = BareRow(
            received_at=datetime.now(UTC),
            name=request.form.get("children-0-last_name", ""),
            situation=request.form.get("situation", ""),
        )
        db.session.add(row)
        db.session.commit()
        return redirect(f"/confirmation?n={row.id}", 303)

    @app.get("/healthz")
    def health():
        return "ok"

    return app


def create_schema(database_url: str) -> None:
    """Create the bare app's table in the database at `database_url`."""
    app = create_app(database_url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


if os.environ.get("BARE_DATABASE_URL"):
    app = create_app(os.environ["BARE_DATABASE_URL"])
