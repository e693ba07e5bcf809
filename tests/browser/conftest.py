"""Browser tests: pages as Debian's headless Chromium lays them out, driven through Playwright
against pytest-django's live server.

* Playwright never downloads a browser here: it drives Debian's /usr/bin/chromium. Without
  Chromium or the `playwright` package the tests skip, saying why; under REQUIRE_BROWSER=1 (set
  by .ci/run) they fail instead, so CI cannot pass by skipping.
* The browser reaches only the live server on 127.0.0.1: any other request is aborted.
* Playwright's sync API keeps an asyncio event loop running in the test's thread, and Django then
  refuses ORM calls from that thread ("You cannot call this from an async context"). These tests
  are synchronous and only ever touch the database from that one thread, so the `browser`
  fixture sets DJANGO_ALLOW_ASYNC_UNSAFE while the browser is open and restores it afterwards.
* A test logs in by giving the browser the session cookie of a `force_login`ed test client.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil

import pytest
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Nothing but the live server: no updates, no telemetry, no QUIC probing.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
# Any URL that is not the live server on the loopback address.
NOT_LOCAL = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


def chromium_executable() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def launched_chromium(extra_args=()):
    """Debian's headless Chromium under Playwright, with ``LAUNCH_ARGS`` and ``extra_args``
    (skips, or fails under REQUIRE_BROWSER=1, when either is missing)."""
    executable = chromium_executable()
    if executable is None:
        _unavailable("browser test needs Chromium (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser test needs the playwright package (pip install -e '.[dev]')")

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, args=[*LAUNCH_ARGS, *extra_args], timeout=120_000
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (so per xdist worker, not per test)."""
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser, live_server, settings):
    """open_page(user=None, viewport=PHONE) → a Playwright page in a fresh browser context,
    logged in as `user` (None: an anonymous visitor). Pages take paths: page.goto("/county/")."""
    # Plain http on the loopback: the cookies must not ask for https.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_page(user=None, viewport=PHONE):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, locale="zh-CN", service_workers="block"
        )
        contexts.append(context)
        context.route(NOT_LOCAL, lambda route: route.abort())
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
