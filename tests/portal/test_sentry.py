"""Errors to Sentry (portal/sentry.py): off without SENTRY_DSN; with it, a portal process sends
its errors to a real HTTP server standing in for Sentry's ingest endpoint, and the personal data
the failing request carried never arrives."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from portal.sentry import SCRUBBED, scrub_event
from tests.conftest import ROOT
from tests.helpers import free_port

DEADLINE = 60.0
# The personal data the failing request carries, each of which must stay on the server.
PERSONAL = {
    "printed_name": "Amelia Quartermaine-Oduya",
    "password": "correct-horse-battery-staple-9",
    "email": "amelia.quartermaine@example.org",
    "agree": "on",
}
CLIENT_ADDRESS = "203.0.113.77"
FORWARDED_FOR = "198.51.100.23"
SESSION = "sessionsecret0a1b2c3d4e5f"
CSRF = "csrfsecret9z8y7x6w5v"
RESET_TOKEN = "resettoken4q5r6s7t"
# Runs in a portal process of its own, with SENTRY_DSN set: one failing request through the
# portal's WSGI application, as gunicorn hands it over; then the SDK sends what it holds.
REQUEST_SCRIPT = f"""
import io, sys, urllib.parse
import django, sentry_sdk
django.setup()
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
body = urllib.parse.urlencode({{**{PERSONAL!r}, "csrfmiddlewaretoken": {CSRF!r}}}).encode()
environ = {{
    "REQUEST_METHOD": "POST", "PATH_INFO": "/probe/sign/", "QUERY_STRING": "token={RESET_TOKEN}",
    "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
    "REMOTE_ADDR": {CLIENT_ADDRESS!r}, "HTTP_X_FORWARDED_FOR": {FORWARDED_FOR!r},
    "HTTP_COOKIE": "sessionid={SESSION}; csrftoken={CSRF}",
    "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
    "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}}
statuses = []
# Sessions in the cookie: the process needs no database of its own to show its error page.
with override_settings(
    ROOT_URLCONF="tests.portal.sentry_probe",
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
):
    b"".join(get_wsgi_application()(environ, lambda status, headers: statuses.append(status)))
print("status", statuses[0])
print("integrations", " ".join(sorted(sentry_sdk.get_client().integrations)))
sentry_sdk.flush()
print("requests", sys.modules["requests"].__file__)
"""


@dataclass
class IngestServer:
    """Sentry's ingest endpoint as far as the SDK can tell: it keeps every envelope posted."""

    dsn: str
    received: list[tuple[str, bytes]] = field(default_factory=list)

    def envelopes(self) -> list[bytes]:
        """The envelopes received, waiting for the first one to arrive."""
        deadline = time.monotonic() + DEADLINE
        while not self.received and time.monotonic() < deadline:
            time.sleep(0.05)
        return [body for _, body in self.received]


@pytest.fixture
def ingest() -> Iterator[IngestServer]:
    port = free_port()
    server = IngestServer(dsn=f"http://public@127.0.0.1:{port}/1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            server.received.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()
        thread.join()


def run_portal(script: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **environment},
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def events_in(envelope: bytes) -> list[dict]:
    """The event items of a Sentry envelope: a header line, then item header and payload lines."""
    lines = envelope.split(b"\n")
    events = []
    for header, payload in zip(lines[1::2], lines[2::2], strict=False):
        if json.loads(header).get("type") == "event":
            events.append(json.loads(payload))
    return events


def test_sentry_is_off_without_a_dsn() -> None:
    import sentry_sdk

    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


def test_a_dsn_that_is_not_a_web_address_is_refused() -> None:
    result = run_portal("import django; django.setup()", SENTRY_DSN="public@sentry.example/1")

    assert result.returncode != 0
    assert "SENTRY_DSN must start with one of http://, https://" in result.stderr


def test_an_error_reaches_sentry_without_the_personal_data_it_carried(
    ingest: IngestServer,
) -> None:
    result = run_portal(
        REQUEST_SCRIPT,
        SENTRY_DSN=ingest.dsn,
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="portal@2026.12",
    )
    assert result.returncode == 0, result.stderr
    reported = dict(line.partition(" ")[::2] for line in result.stdout.splitlines())
    assert reported["status"].startswith("500")
    assert {"django", "celery"} <= set(reported["integrations"].split())
    # Sentry sends with urllib3: the only `requests` loaded is still the portal's own app.
    assert reported["requests"] == str(ROOT / "requests" / "__init__.py")

    envelopes = ingest.envelopes()
    events = [event for envelope in envelopes for event in events_in(envelope)]
    assert len(events) == 1
    event = events[0]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "SealingProbeError"
    assert exception["value"].startswith("probe-marker: no seal for [e-mail] from [address]")
    assert event["environment"] == "staging"
    assert event["release"] == "portal@2026.12"
    assert event["request"]["url"] == "http://localhost/probe/sign/"
    assert event["request"]["method"] == "POST"

    sent = b"".join(envelopes).decode()
    leaked = [
        value
        for value in [*PERSONAL.values(), CLIENT_ADDRESS, FORWARDED_FOR, SESSION, CSRF]
        if value != "on" and value in sent
    ]
    assert leaked == []
    assert RESET_TOKEN not in sent
    assert "Amelia" not in sent


# --- The scrubber on its own, for what one request cannot show --------------------------------
def test_the_scrubber_blanks_personal_keys_anywhere_in_an_event() -> None:
    event = {
        "user": {"id": 7, "email": "bob@example.org", "ip_address": "192.0.2.1"},
        "extra": {"printed_name": "Bob Example", "celery-job": {"kwargs": {"password": "pw"}}},
        "breadcrumbs": {
            "values": [
                {"category": "query", "data": {"db.params": ["Bob Example"]}},
                {"message": "Reset link sent to bob@example.org from 2001:db8::7"},
            ]
        },
    }

    scrubbed = scrub_event(event)

    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["extra"] == {
        "printed_name": SCRUBBED,
        "celery-job": {"kwargs": {"password": SCRUBBED}},
    }
    crumbs = scrubbed["breadcrumbs"]["values"]
    assert crumbs[0]["data"] == {"db.params": SCRUBBED}
    assert crumbs[1]["message"] == "Reset link sent to [e-mail] from [address]"


def test_the_scrubber_cuts_the_request_down_and_hides_reset_links() -> None:
    event = {
        "request": {
            "method": "POST",
            "url": "https://portal.example/accounts/reset/MTI/cd3-0a1b2c3d4e/",
            "query_string": "token=abc",
            "data": {"printed_name": "Bob Example"},
            "cookies": {"sessionid": "s"},
            "env": {"REMOTE_ADDR": "192.0.2.1"},
            "headers": {"Host": "portal.example", "User-Agent": "Bob's phone", "Cookie": "s"},
        },
        "message": "See https://portal.example/requests/?token=abc&page=2 at 10:15:30.",
    }

    scrubbed = scrub_event(event)

    assert scrubbed["request"] == {
        "method": "POST",
        "url": f"https://portal.example/accounts/reset/{SCRUBBED}/{SCRUBBED}/",
        "headers": {"Host": "portal.example"},
    }
    assert scrubbed["message"] == f"See https://portal.example/requests/?{SCRUBBED} at 10:15:30."


def test_the_scrubber_keeps_what_is_not_personal() -> None:
    event = {
        "timestamp": "2026-12-07T10:15:30Z",
        "modules": {"click-plugins": "1.1.1.2"},
        "message": "Outbox sweep took 3.5 s at 10:15:30; version 1.2.3; Is it late?",
        "tags": {"task": "portal.tasks.run_scheduled_job"},
    }

    assert scrub_event(dict(event)) == event
