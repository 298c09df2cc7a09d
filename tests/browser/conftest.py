"""The browser tests' fixtures: one live https server per test process (Chromium, one per
process too, is tests/conftest.py's `browser`).

Starting Chromium takes a second, and a live server costs a throwaway certificate and half a
second to stop (Werkzeug polls for shutdown): once per process, not once per test. Each test
still gets an emptied database, its own browser context (cookies) and the server's app with
its settings put back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.support.app import build_app, lent, release
from tests.support.browser import LiveServer, new_context
from tests.support.browser import live_server as serve


@pytest.fixture(scope="session")
def running_server(worker_database) -> Iterator[LiveServer]:
    """The app as production runs it (CSRF on, Secure cookies) on the process's database,
    served over https on a loopback port."""
    app = build_app(
        worker_database.url,
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
    )
    with serve(app) as running:
        yield running
    release(app)


@pytest.fixture
def server(running_server: LiveServer, database_url: str) -> Iterator[LiveServer]:
    """The live server on an emptied database; its app's settings put back after the test."""
    with lent(running_server.app):
        yield running_server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (own cookies), JavaScript on."""
    context = new_context(browser)
    yield context.new_page()
    context.close()
