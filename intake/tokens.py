"""Signed, salted, expiring tokens: one wrapper, one salt per purpose."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

ONE_YEAR = 365 * 24 * 3600
ONE_DAY = 24 * 3600

# Each purpose has its own salt so a token made for one use never opens another.
PURPOSES: dict[str, tuple[str, int]] = {
    "status": ("intake.referral-status", ONE_YEAR),
    "password-reset": ("intake.password-reset", ONE_DAY),
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    salt, _max_age = PURPOSES[purpose]
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(purpose: str, value: str) -> str:
    """Sign `value` for `purpose`."""
    return _serializer(purpose).dumps(value)


def read_token(purpose: str, token: str) -> str | None:
    """Return the value signed in `token`, or None if it is bad, tampered or expired."""
    _salt, max_age = PURPOSES[purpose]
    try:
        value = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return value if isinstance(value, str) else None
