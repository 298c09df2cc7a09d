"""Staff accounts of the programme's coordination, and what each may do."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from intake.extensions import db
from intake.models.types import UTCDateTime, utcnow


def new_session_token() -> str:
    """A fresh random value for `User.session_token`."""
    return secrets.token_urlsafe(24)


class Role(StrEnum):
    """What a staff account may do."""

    COORDINATOR = "coordinator"
    VIEWER = "viewer"


class User(UserMixin, db.Model):
    """A staff account of the programme's coordination."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.COORDINATOR.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the login session's identity: changing it (logout, new password, deactivation)
    # makes every copy of an earlier session cookie worthless.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # How this account hears of new referrals: "each" (an e-mail per referral), "daily" (the
    # `outbox digest`), "none". Viewers start with none.
    alerts: Mapped[str] = mapped_column(String(10), default="each")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def can_edit(self) -> bool:
        """Whether this account may change referrals (viewers only read)."""
        return self.role == Role.COORDINATOR

    def get_id(self) -> str:
        """The login session's identity: the account and its current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Refuse every session cookie issued so far, wherever it was copied to."""
        self.session_token = new_session_token()

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of `password`, never the password itself; a new password
        ends the sessions opened with the old one."""
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Return whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)
