"""Browser fixtures: one Chromium for the whole run, a fresh context and page for each test.

Chromium is the system's own (see the ``chromium_path`` fixture in tests/conftest.py); the tests
drive it against Django's live server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import connections

# Playwright's sync API keeps an event loop running in the test's own thread, and Django refuses
# ORM calls from a thread with a running loop unless told otherwise. This must be set before
# Playwright starts.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Django keeps one connection per context, and Playwright's loop starts a new context:
    # close what is open on either side of it so no connection outlives the run.
    connections.close_all()
    with sync_playwright() as p:
        yield p
        connections.close_all()
    connections.close_all()


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def site_url(live_server) -> str:
    """The live server's address, without a trailing slash."""
    return live_server.url.rstrip("/")


@pytest.fixture
def page(browser: Browser, site_url: str) -> Iterator[Page]:
    """A page in a context of its own: no cookies or storage carried over from other tests."""
    context = browser.new_context(
        base_url=site_url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
    )
    page = context.new_page()
    yield page
    context.close()
    # Under Playwright's running loop, the test's ORM calls get a connection of their own;
    # close it, or the test database cannot be dropped at the end of the run.
    connections.close_all()


@dataclass
class BrowserLog:
    """What the page said on its console, the errors it threw and the requests it made."""

    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)

    def messages_mentioning(self, text: str) -> list[str]:
        needle = text.casefold()
        return [m for m in self.console + self.page_errors if needle in m.casefold()]

    def statuses_for(self, url: str) -> list[int]:
        return [status for seen, status in self.responses if seen == url]

    def hosts_requested(self) -> set[str]:
        """Every host a request went to; data: and blob: URLs have none."""
        return {
            urlsplit(url).netloc
            for url in self.requests
            if urlsplit(url).scheme not in {"data", "blob"}
        }


@pytest.fixture
def browser_log(page: Page) -> BrowserLog:
    """Listens to ``page`` from before the test's first navigation."""
    log = BrowserLog()

    def on_console(message: ConsoleMessage) -> None:
        log.console.append(f"{message.type}: {message.text}")

    def on_page_error(error: Error) -> None:
        log.page_errors.append(f"{error.name}: {error.message}")

    def on_response(response: Response) -> None:
        log.responses.append((response.url, response.status))

    def on_request(request: Request) -> None:
        log.requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("request", on_request)
    page.on("response", on_response)
    return log
