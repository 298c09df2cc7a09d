"""Throttling: counters shared by gunicorn workers through Redis, a Redis that goes away,
and what a refused visitor sees (the form as typed, and when to try again)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from babel.dates import format_timedelta
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select

from intake.extensions import db, limiter
from intake.models import Referral
from intake.throttling import WORDING, retry_wait
from tests.support.app import login
from tests.support.builders import child_fields, orientation, request_form
from tests.support.production import ProductionServer, production_server
from tests.support.redis_server import DEFAULT_TEST_REDIS_URL, configured_redis_url, shown
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
FORMS = {"/orientation": orientation, "/demande": request_form}


@pytest.fixture(autouse=True)
def storage_taken_for_alive() -> Iterator[None]:
    """Flask-Limiter marks a storage that failed as dead on its one extension object, which
    outlives each test's app: start and leave each test as a new worker would, with none."""
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


# --- When to come back: a pure rule ------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "wait", "words"),
    [
        pytest.param(-3, timedelta(minutes=1), "dans 1 minute", id="already-reset"),
        pytest.param(0, timedelta(minutes=1), "dans 1 minute", id="zero"),
        pytest.param(1, timedelta(minutes=1), "dans 1 minute", id="one-second"),
        pytest.param(60, timedelta(minutes=1), "dans 1 minute", id="one-minute"),
        pytest.param(61, timedelta(minutes=2), "dans 2 minutes", id="just-over-a-minute"),
        pytest.param(710, timedelta(minutes=12), "dans 12 minutes", id="twelve-minutes"),
        pytest.param(3600, timedelta(minutes=60), "dans 60 minutes", id="one-hour"),
        # Flask-Limiter's reset time carries a second of margin: not "dans 2 heures".
        pytest.param(3601, timedelta(minutes=61), "dans 61 minutes", id="hour-window-margin"),
        pytest.param(7199, timedelta(hours=2), "dans 2 heures", id="just-under-two-hours"),
        pytest.param(7201, timedelta(hours=3), "dans 3 heures", id="just-over-two-hours"),
        pytest.param(2 * 86400 - 1, timedelta(days=2), "dans 2 jours", id="just-under-two-days"),
    ],
)
def test_the_wait_is_rounded_up_to_the_unit_it_is_told_in(seconds, wait, words):
    assert retry_wait(seconds) == wait
    assert retry_wait(seconds) >= timedelta(seconds=seconds)  # never told to come back early
    told = format_timedelta(wait, locale="fr", **WORDING)
    assert told.replace("\xa0", " ") == words


# --- What a refused visitor sees ------------------------------------------------------------


def two_children(path: str) -> dict:
    """A complete form for two children, with text that must come back exactly as typed."""
    return {
        **FORMS[path](situation="Léa « lit » mal & se fatigue ; Noé <refuse> l’école."),
        **child_fields(1, first_name="Noé", last_name="Martin-Lefèvre", birth_date="2013-11-30"),
    }


def referral_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Referral.id)))


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def text_of(html: str) -> str:
    """The page's text with the non-breaking spaces Babel puts in numbers made ordinary."""
    return html.replace("\xa0", " ").replace("&nbsp;", " ")


@pytest.mark.parametrize("path", ["/orientation", "/demande"])
def test_a_refused_post_shows_the_form_as_typed_and_when_to_retry(make_app, path):
    app = make_app(RATELIMIT_ENABLED=True, INTAKE_FORM_LIMIT="1 per 15 minutes")
    client = app.test_client()
    data = two_children(path)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 0).astimezone(), tick=False) as clock:
        assert client.post(path, data={}).status_code == 200  # the window opens at 9:00
        clock.shift(timedelta(minutes=3, seconds=10))
        response = client.post(path, data=data)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Trop d’envois depuis cette connexion" in html
    assert "n’a pas été envoyé" in html
    # The window closes at 9:15:00 (and Flask-Limiter adds a second): 11 min 51 s from 9:03:10.
    assert "réessayez dans 12 minutes" in text_of(html)
    assert 700 <= int(response.headers["Retry-After"]) <= 720
    # Everything typed comes back, both children included; nothing was stored.
    for name in ("children-0-first_name", "children-1-first_name", "children-1-last_name"):
        assert f'name="{name}"' in html
    for value in ("Léa", "Noé", "Martin-Lefèvre", "Sophie Martin", "62999"):
        assert f'value="{value}"' in html
    # The birth date sent whole comes back in the page's three inputs.
    for part, value in (("day", "30"), ("month", "11"), ("year", "2013")):
        assert re.search(rf'id="children-1-birth_date-{part}"[^>]*value="{value}"', html), part
    assert "Léa « lit » mal &amp; se fatigue ; Noé &lt;refuse&gt; l’école." in html
    assert referral_count(app) == 0


def test_a_refused_post_can_be_sent_again_with_the_page_it_got(make_app):
    """The page a refused post gets carries a new CSRF token: the retry goes through even when
    the token the form was first loaded with has expired in the meantime."""
    app = make_app(
        RATELIMIT_ENABLED=True,
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=3600,
        INTAKE_FORM_LIMIT="2 per 30 minutes",
    )
    client = app.test_client()
    data = two_children("/demande")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 0).astimezone(), tick=False) as clock:
        first_token = csrf_token(client.get("/demande").get_data(as_text=True))
        clock.shift(timedelta(minutes=50))  # a long message takes a while to write
        for _ in range(2):  # "Ajouter un enfant" twice: the window opens at 9:50
            assert client.post("/demande", data={"add_child": "1"}).status_code == 200
        refused = client.post("/demande", data={**data, "csrf_token": first_token})
        assert refused.status_code == 429
        fresh_token = csrf_token(refused.get_data(as_text=True))
        clock.shift(timedelta(minutes=31))  # a new window; the first token is 81 minutes old
        stale = client.post("/demande", data={**data, "csrf_token": first_token})
        assert stale.status_code == 200 and referral_count(app) == 0
        sent = client.post("/demande", data={**data, "csrf_token": fresh_token})
    assert sent.status_code == 303
    assert referral_count(app) == 1


def test_a_refused_resize_keeps_the_form_as_it_was(make_app):
    app = make_app(RATELIMIT_ENABLED=True, INTAKE_FORM_LIMIT="1 per minute")
    client = app.test_client()
    data = {**two_children("/orientation"), "add_child": "1"}
    assert client.post("/orientation", data=data).status_code == 200
    response = client.post("/orientation", data=data)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert 'name="children-1-first_name"' in html
    # The refused "add a child" did nothing: two children, the other places folded.
    assert html.count('<fieldset class="child">') == 2


def test_refused_logins_show_the_form_and_when_to_retry_never_the_password(make_app, users):
    app = make_app(RATELIMIT_ENABLED=True)  # the shipped limit: 5 per minute, 30 per hour
    client = app.test_client()
    secret = "my-Secret-typed-6-times"
    codes = [login(client, users["coordinator"], secret).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    response = login(client, users["coordinator"], secret)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in html
    assert "Réessayez dans 1 minute" in text_of(html)
    assert '<form method="post"' in html and 'name="password"' in html
    assert f'value="{users["coordinator"]}"' in html
    assert secret not in html


@pytest.fixture
def limit_on_every_page(make_app):
    """An app where an operator set FLASK_RATELIMIT_DEFAULT: a limit on every page."""
    yield make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
    # Flask-Limiter keeps the first default limits it is given on its one extension object,
    # for every app built after: the tests that follow must not inherit this one.
    limiter.limit_manager.set_default_limits([])


def test_the_other_public_pages_keep_the_plain_page_when_throttled(limit_on_every_page):
    client = limit_on_every_page.test_client()
    assert client.get("/confidentialite").status_code == 200
    response = client.get("/confidentialite")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


# --- A Redis that goes away -----------------------------------------------------------------


def test_a_closed_redis_port_falls_back_to_counting_in_memory(make_app, users, monkeypatch):
    """FLASK_RATELIMIT_STORAGE_URI names a Redis nobody answers on: logins still work, and
    each worker still counts on its own rather than nobody counting."""
    monkeypatch.setenv("FLASK_RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{free_port()}/0")
    app = make_app(RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    client = app.test_client()
    assert client.get("/connexion").status_code == 200
    assert login(client, users["coordinator"]).status_code == 303
    assert client.post("/deconnexion").status_code == 303
    codes = [login(client, users["viewer"], "wrong").status_code for _ in range(5)]
    assert codes == [200] * 4 + [429]  # the first login above counted too
    assert client.post("/demande", data={}).status_code == 200


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers, like a Redis behind a dead link."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_redis_that_never_answers_costs_seconds_not_the_request(make_app, users):
    with silent_server() as port:
        app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}")
        client = app.test_client()
        answers = []
        started = time.monotonic()
        worker = threading.Thread(
            target=lambda: answers.append(login(client, users["coordinator"]).status_code),
            daemon=True,
        )
        worker.start()
        worker.join(timeout=8)
        elapsed = time.monotonic() - started
        assert answers == [303], f"no answer after {elapsed:.1f} s"
        assert 0.9 < elapsed < 6  # it did wait for the silent Redis, a second a try


# --- Several workers sharing Redis ----------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of TEST_REDIS_URL (redis://127.0.0.1:6379/15 unless set); skipped without
    one, unless INTAKE_REQUIRE_REDIS=1."""
    url = configured_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        # Also says whether the database exists (a Redis with fewer, or a cluster's one).
        client.ping()
    except redis.RedisError as error:
        reason = f"no Redis answers at {shown(url)} (TEST_REDIS_URL) ({error})"
        if os.environ.get("INTAKE_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason}, and INTAKE_REQUIRE_REDIS=1 requires one")
        pytest.skip(f"{reason}; set INTAKE_REQUIRE_REDIS=1 to make this a failure")
    finally:
        client.close()
    return url


@pytest.fixture
def key_prefix(redis_url) -> Iterator[str]:
    """A key prefix of this test's own, so that runs never count each other's requests; its
    keys are deleted afterwards."""
    prefix = f"intake-test-{uuid.uuid4().hex}"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)


def redis_keys(redis_url: str, prefix: str) -> list[str]:
    with redis.Redis.from_url(redis_url) as client:
        return [key.decode() for key in client.scan_iter(match=f"*{prefix}*")]


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({}, "redis://127.0.0.1:6379/15"),
        ({"TEST_REDIS_URL": ""}, "redis://127.0.0.1:6379/15"),
        ({"TEST_REDIS_URL": "redis://127.0.0.1:6379/3"}, "redis://127.0.0.1:6379/3"),
        (
            {"TEST_REDIS_URL": "redis://:pw@redis.example:6380/0"},
            "redis://:pw@redis.example:6380/0",
        ),
    ],
    ids=["unset", "empty", "another-database", "another-server"],
)
def test_the_tests_redis_is_test_redis_url(environ, url):
    assert DEFAULT_TEST_REDIS_URL == "redis://127.0.0.1:6379/15"
    assert configured_redis_url(environ) == url
    # A message names the server and database, never the password.
    assert "pw" not in shown(url) and shown(url).endswith(url.rsplit("/", 1)[1])


def test_the_counters_go_to_the_database_test_redis_url_names(
    make_app, users, redis_url, key_prefix
):
    """The fixture hands TEST_REDIS_URL to the app: its counters are in that database, and
    in no other (database 0 above all, a developer's `make run`)."""
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=key_prefix
    )
    assert redis_url == configured_redis_url()
    login(app.test_client(), users["coordinator"], "not the password")
    assert redis_keys(redis_url, key_prefix)
    settings = redis.connection.parse_url(redis_url)
    elsewhere = 0 if settings.get("db", 0) != 0 else 1
    with redis.Redis(**{**settings, "db": elsewhere}) as client:
        assert not list(client.scan_iter(match=f"*{key_prefix}*"))


class Worker:
    """One production server (gunicorn over TLS, one worker, CSRF on), reached as a browser
    would: the page first for its token, then the POST."""

    def __init__(self, server: ProductionServer, opener: urllib.request.OpenerDirector) -> None:
        self.server = server
        self.opener = opener
        self.last_error_body = ""

    def fetch(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        """The status and body of one request (redirects are not followed)."""
        body = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        # S310: the address is our own server's https one.
        request = urllib.request.Request(self.server.url(path), data=body, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def status(self, method: str, path: str, data: dict | None = None) -> int:
        if method == "POST":
            # A GET is never throttled; it gives the token the POST needs.
            data = {**(data or {}), "csrf_token": csrf_token(self.fetch("GET", path)[1])}
        code, body = self.fetch(method, path, data)
        if code >= 400:
            self.last_error_body = body
        return code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def workers(database_url, tmp_path):
    """Two production servers on this test's database, one worker each, as
    `gunicorn --workers 2` would run them but with a known worker behind each address.
    They share the secret key (one deployment), so one browser's session serves both."""

    def start(**config: str) -> tuple[Worker, Worker]:
        overrides = {
            "FLASK_SECRET_KEY": "one-deployment-" + uuid.uuid4().hex,
            "FLASK_INTAKE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
            **{f"FLASK_{key}": value for key, value in config.items()},
        }
        servers = []
        for n in (1, 2):
            directory = tmp_path / f"server-{n}"
            directory.mkdir()
            servers.append(
                stack.enter_context(
                    production_server(database_url, directory, overrides, workers=1)
                )
            )
        # Both certificates are throwaway ones; the cookie jar is the browser's, shared.
        context = servers[0].ssl_context()
        servers[1].ca.configure_trust(context)
        opener = urllib.request.build_opener(
            NoRedirect,
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )
        pair = (Worker(servers[0], opener), Worker(servers[1], opener))
        assert pair[0].server.base_url != pair[1].server.base_url
        return pair

    with ExitStack() as stack:
        yield start


def alternate(pair, times: int, method: str, path: str, data: dict | None = None) -> list[int]:
    """Send the same request `times` times, to each worker in turn."""
    return [pair[n % 2].status(method, path, data) for n in range(times)]


def test_workers_sharing_redis_allow_five_logins_a_minute_between_them(
    workers, redis_url, key_prefix
):
    pair = workers(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=key_prefix)
    attempt = {"email": "nobody@testville.example", "password": "guess"}
    assert alternate(pair, 8, "POST", "/connexion", attempt) == [200] * 5 + [429] * 3
    assert "Réessayez dans 1 minute" in text_of(pair[1].last_error_body)
    assert redis_keys(redis_url, key_prefix)  # the counters are in Redis, under our prefix


def test_workers_sharing_redis_count_form_posts_between_them(workers, redis_url, key_prefix):
    pair = workers(
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=key_prefix,
        INTAKE_FORM_LIMIT="3 per minute",
    )
    for path in ("/orientation", "/demande"):  # each form counts on its own
        assert alternate(pair, 5, "POST", path, {}) == [200] * 3 + [429] * 2
        assert "Trop d’envois depuis cette connexion" in pair[0].last_error_body
    assert alternate(pair, 2, "GET", "/demande") == [200, 200]  # reading is never throttled


def test_workers_counting_in_memory_each_allow_the_whole_limit(workers):
    """Why Redis: with memory:// each worker keeps its own counters, so two workers let
    twice the limit through (this is also the proof that the pair above are two workers)."""
    pair = workers(RATELIMIT_STORAGE_URI="memory://")
    attempt = {"email": "nobody@testville.example", "password": "guess"}
    assert alternate(pair, 12, "POST", "/connexion", attempt) == [200] * 10 + [429] * 2
