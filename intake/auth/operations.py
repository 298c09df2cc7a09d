"""Staff accounts: creation and authentication."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Role, User, utcnow
from intake.rules.decisions import ALERTS
from intake.tokens import make_token, read_token

MIN_PASSWORD_LENGTH = 10

# Compared against when the e-mail is unknown, so a wrong e-mail costs as much time as a
# wrong password and response times do not reveal which accounts exist.
_DUMMY = User(password_hash="scrypt:32768:8:1$placeholder$" + "0" * 128)


class AccountError(ValueError):
    """An account cannot be created as asked."""


def find_user(email: str) -> User | None:
    """Return the account with this e-mail, compared case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, password: str, role: str = Role.COORDINATOR) -> User:
    """Add a staff account (flushed, not committed)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"not an e-mail address: {email!r}")
    if find_user(email) is not None:
        raise AccountError(f"an account already exists for {email}")
    check_password_length(password)
    # Viewers do not triage: they hear of referrals only if they ask to (/triage/compte).
    alerts = "none" if Role(role) == Role.VIEWER else "each"
    user = User(email=email, role=Role(role).value, active=True, alerts=alerts)
    user.set_password(password, current_app.config["INTAKE_PASSWORD_METHOD"])
    db.session.add(user)
    db.session.flush()
    return user


def existing_user(email: str) -> User:
    """The account with this e-mail, or AccountError naming it."""
    user = find_user(email)
    if user is None:
        raise AccountError(f"no account for {email.strip().lower()}")
    return user


def check_password_length(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def change_password(email: str, password: str) -> User:
    """Give an account a new password; its open sessions end (flushed, not committed)."""
    user = existing_user(email)
    set_new_password(user, password)
    return user


def set_role(email: str, role: str) -> User:
    """Change what an account may do (flushed, not committed)."""
    user = existing_user(email)
    user.role = Role(role).value
    db.session.flush()
    return user


def deactivate(email: str) -> User:
    """Close an account: it can no longer log in, and its open sessions end."""
    user = existing_user(email)
    user.active = False
    user.end_sessions()
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active account matching these credentials, or None."""
    user = find_user(email)
    if user is None:
        _DUMMY.check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def set_alerts(user: User, alerts: str) -> None:
    """Record how `user` hears of new referrals ("each", "daily", "none"); not committed."""
    if alerts not in ALERTS:
        raise AccountError(f"unknown alerts choice: {alerts!r}")
    user.alerts = alerts
    current_app.logger.info("alerts set user_id=%s alerts=%s", user.id, alerts)


def reset_token(user: User) -> str:
    """A signed link token letting `user` choose a new password, valid one day and once:
    it carries a digest of the current password hash, which the new password replaces."""
    return make_token("password-reset", f"{user.id}:{password_digest(user)}")


def user_for_reset(token: str) -> User | None:
    """The active account a reset token was made for, or None if the token is bad, expired,
    already used (the password changed since) or the account was deactivated."""
    value = read_token("password-reset", token)
    user_id, _, digest = (value or "").partition(":")
    # ASCII digits: isdigit() alone also takes "²", which int() refuses.
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 9:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(digest, password_digest(user)) else None


def password_digest(user: User) -> str:
    """A short digest of the stored hash: it changes with every new password (new salt)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def set_new_password(user: User, password: str) -> None:
    """Give `user` a new password (from the command line or a reset link): its open
    sessions end, and so does any reset link made before (flushed, not committed)."""
    check_password_length(password)
    user.set_password(password, current_app.config["INTAKE_PASSWORD_METHOD"])
    db.session.flush()
