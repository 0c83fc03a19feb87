"""PORTAL_LOG_FORMAT=json (portal/logs.py): every log line of a portal process, and of a real
Celery worker, is one JSON object; text stays the default; any other value is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.integration.processes import WorkerProcess

# A portal process that logs as the portal does: a warning, then an error with its traceback.
LOGGING_SCRIPT = """
import logging, django
django.setup()
log = logging.getLogger("portal.outbox")
log.warning("Outbox backlog of %d messages", 42)
try:
    raise ValueError("the mail server said no\\non two lines")
except ValueError:
    log.exception("Sweep failed")
"""


def run_portal(**environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_log_line_is_a_json_object() -> None:
    result = run_portal(PORTAL_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("WARNING", "portal.outbox", "Outbox backlog of 42 messages"),
        ("ERROR", "portal.outbox", "Sweep failed"),
    ]
    assert "ValueError: the mail server said no\non two lines" in lines[1]["exc_info"]
    assert all(line["time"] and line["process"] for line in lines)


def test_text_stays_the_default() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PORTAL_LOG_FORMAT"}
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[:2] == ["Outbox backlog of 42 messages", "Sweep failed"]


def test_an_unknown_log_format_is_refused() -> None:
    result = run_portal(PORTAL_LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "PORTAL_LOG_FORMAT must be text or json; got 'xml'" in result.stderr


def test_a_real_worker_logs_json_lines_from_start_to_ready(postgres: None, redis_url: str) -> None:
    # The suite runs as root, for which Celery warns through `warnings` before any logging is
    # set up; the image runs as an ordinary user and never sees it.
    worker = WorkerProcess(
        "json-logs",
        redis_url,
        PORTAL_LOG_FORMAT="json",
        PYTHONWARNINGS="ignore:You're running the worker with superuser privileges",
    )
    try:
        started = list(worker.lines)
    finally:
        worker.stop()

    records = [json.loads(line) for line in started if line]
    assert records, "the worker logged nothing"
    assert records[-1]["logger"] == "celery.apps.worker"
    assert records[-1]["message"].endswith(" ready.")
    assert {"time", "level", "logger", "process", "message"} <= set(records[0])
