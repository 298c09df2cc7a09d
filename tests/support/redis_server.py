"""The Redis the throttling tests share counters through: where it is (`TEST_REDIS_URL`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

# Database 15 rather than 0: nothing in the tests or in CI needs 0 (the tests use keys of
# their own prefix and delete them; CI only pings the server), while 0 is the one the README
# gives `make run` and production (FLASK_RATELIMIT_STORAGE_URI=redis://…/0). A developer's
# counters and a failed test's leftovers then never share a database.
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def configured_redis_url(environ: Mapping[str, str] = os.environ) -> str:
    """`TEST_REDIS_URL`, or DEFAULT_TEST_REDIS_URL when it is unset or empty."""
    return environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL


def shown(url: str) -> str:
    """`url` without its user name and password, for a message."""
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=host).geturl()
