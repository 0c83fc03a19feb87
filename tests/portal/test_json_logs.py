"""PORTAL_LOG_FORMAT=json (portal/logs.py): every log line of a portal process, of a real Celery
worker and of a real gunicorn (access log included) is one JSON object; text stays the default;
any other value is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.helpers import free_port
from tests.integration import processes
from tests.integration.processes import WorkerProcess, wait_for

DEADLINE = 60.0

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


def test_a_real_gunicorn_logs_json_lines_access_log_included(
    postgres: None, tmp_path: Path
) -> None:
    port = free_port()
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    # As the image runs it (Dockerfile, docker-compose.yml), from the checkout, where gunicorn
    # finds gunicorn.conf.py by itself.
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--workers=1",
                f"--bind=127.0.0.1:{port}",
                "--access-logfile=-",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": processes.test_database_url(),
                "PORTAL_LOG_FORMAT": "json",
            },
            stdout=stdout,
            stderr=stderr,
        )
    try:
        wait_for(
            lambda: answers(f"http://127.0.0.1:{port}/healthz"),
            deadline=DEADLINE,
            what="gunicorn answering",
        )
        wait_for(
            lambda: "GET /healthz" in out.read_text(), deadline=DEADLINE, what="the access log line"
        )
    finally:
        server.terminate()
        server.wait(timeout=DEADLINE)

    own = [json.loads(line) for line in err.read_text().splitlines()]
    access = [json.loads(line) for line in out.read_text().splitlines()]
    assert any(line["message"].startswith("Booting worker") for line in own)
    assert [line["logger"] for line in access] == ["gunicorn.access"]
    assert '"GET /healthz HTTP/1.1"' in access[0]["message"]


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=5)
    except httpx.TransportError:
        return False
    return True
