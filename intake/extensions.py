"""Unbound extension objects, bound to the app in `create_app()`."""

import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

from intake.translation import Babel


class Base(DeclarativeBase):
    """Declarative base whose constraint names are stable, so Alembic can alter them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Limits are declared on the routes that need them (login, public forms); storage comes
# from RATELIMIT_STORAGE_URI so several gunicorn workers can share counters in Redis.
limiter = Limiter(key_func=get_remote_address)


# The most of an SQLite file read through a memory map (a ceiling, not an allocation).
SQLITE_MMAP_BYTES = 1 << 30


@event.listens_for(Engine, "connect")
def tune_sqlite(dbapi_connection, connection_record) -> None:
    """Set each new SQLite connection up for a web server's concurrent writers.

    WAL lets readers go on while one request writes, and with `synchronous=NORMAL` a commit
    waits for no disk flush: the WAL is flushed at each checkpoint (a power cut may lose the
    last commits, never corrupt the file). The busy timeout makes a writer wait for another's
    lock instead of failing at once. Reads go through a memory map of the file rather than a
    system call per page: a year's figures at 100,000 referrals read tens of thousands of
    pages, and spent as long in those calls as in the query (the map is the operating
    system's page cache, shared by every worker, not memory of ours). PostgreSQL connections
    are left alone.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()
