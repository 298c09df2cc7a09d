"""Signed, salted, expiring tokens: one wrapper, one salt per purpose."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

ONE_YEAR = 365 * 24 * 3600
ONE_DAY = 24 * 3600

# Each purpose has its own salt so a token made for one use never opens another.
PURPOSES: dict[str, tuple[str, int]] = {
    # The status page as the sender of a referral reads it: every link was one of these
    # before the family had its own, so those already sent keep opening what they did.
    "status": ("intake.referral-status", ONE_YEAR),
    # The family's own link to the same page (salted apart: it cannot be turned into the
    # referrer's, nor the referrer's into it).
    "family-status": ("intake.referral-status.family", ONE_YEAR),
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


# Who a status link was written for, by the purpose of its token.
STATUS_AUDIENCES: dict[str, str] = {"referrer": "status", "family": "family-status"}


def make_status_token(reference: str, audience: str) -> str:
    """A status link's token for `audience` ("referrer" or "family")."""
    return make_token(STATUS_AUDIENCES[audience], reference)


def read_status_token(token: str) -> tuple[str, str] | None:
    """The reference a status link's token names and the audience it was written for, or
    None if it is bad, tampered or expired."""
    for audience, purpose in STATUS_AUDIENCES.items():
        reference = read_token(purpose, token)
        if reference is not None:
            return reference, audience
    return None
