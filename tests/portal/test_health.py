"""The portal's health (portal.health) and /healthz (portal.healthz), with no worker or beat
running beside the tests: the worker is down, and beat is what the JobRun rows say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from portal import health, outbox
from portal.celery import app as celery_app
from portal.models import JobRun, Notification
from tests.conftest import ROOT
from tests.helpers import free_port, signed_in

SWEEP = health.SWEEP_JOB


def sweep_run(
    minutes_ago: float,
    *,
    status: str = JobRun.Status.SUCCEEDED,
    trigger: str = JobRun.Trigger.SCHEDULE,
) -> JobRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    finished = None if status == JobRun.Status.RUNNING else started + timedelta(seconds=1)
    return JobRun.objects.create(
        job=SWEEP, trigger=trigger, started_at=started, finished_at=finished, status=status
    )


# --- The checks ---------------------------------------------------------------------------------
def test_the_database_check_is_ok_when_a_query_answers(db) -> None:
    assert health.database() == health.Check("database", True, "answers")


def test_the_database_check_is_down_when_the_database_cannot_be_reached(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "healthcheck", "--check", "database"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 1
    assert "database: DOWN (could not be checked (OperationalError))" in run.stdout
    assert "nowhere" not in run.stdout  # no connection details in the report


def test_the_broker_check_asks_redis(redis_url: str) -> None:
    assert celery_app.conf.broker_url == redis_url
    assert health.broker() == health.Check("broker", True, "Redis answers")


@pytest.fixture
def broker_url():
    original = celery_app.conf.broker_url

    def use(url: str) -> None:
        celery_app.conf.broker_url = url

    yield use
    celery_app.conf.broker_url = original


def test_the_broker_check_is_down_when_redis_does_not_answer(broker_url) -> None:
    broker_url(f"redis://:secret-password@127.0.0.1:{free_port()}/0")

    check = health.broker()

    assert check == health.Check("broker", False, "Redis does not answer")
    assert "secret-password" not in check.detail


def test_the_demo_folder_broker_has_no_server_to_be_down(broker_url) -> None:
    broker_url("filesystem://")
    assert health.broker() == health.Check("broker", True, "filesystem")


def test_the_worker_check_is_down_when_no_worker_answers(db) -> None:
    check = health.worker()

    assert not check.ok
    assert check.detail == "no worker answered within 0.3 s"


def test_beat_is_down_before_the_sweep_has_ever_run(db) -> None:
    assert health.beat() == health.Check(
        "beat", False, "the every-minute outbox sweep has never run"
    )


def test_beat_is_ok_while_the_sweep_started_within_its_window(db) -> None:
    sweep_run(minutes_ago=4)

    check = health.beat()

    assert check.ok
    assert check.detail.startswith("the outbox sweep last started ")


def test_beat_is_down_once_the_sweep_has_not_started_for_its_window(db) -> None:
    sweep_run(minutes_ago=12)

    check = health.beat()

    assert check == health.Check(
        "beat",
        False,
        "the every-minute outbox sweep last started 12 minutes ago (expected within 300 s)",
    )


@override_settings(HEALTH_BEAT_WINDOW_SECONDS=30)
def test_the_beat_window_is_a_setting(db) -> None:
    sweep_run(minutes_ago=1)
    assert not health.beat().ok


def test_a_sweep_run_by_hand_does_not_show_that_beat_runs(db) -> None:
    sweep_run(minutes_ago=30)
    sweep_run(minutes_ago=0, trigger=JobRun.Trigger.MANUAL)

    assert not health.beat().ok


def test_the_sweep_check_is_down_when_the_latest_finished_sweep_failed(db) -> None:
    sweep_run(minutes_ago=3)
    sweep_run(minutes_ago=2, status=JobRun.Status.FAILED)
    sweep_run(minutes_ago=1, status=JobRun.Status.RUNNING)  # not finished: not counted

    check = health.sweep()

    assert not check.ok
    assert "failed" in check.detail


def test_the_sweep_check_is_ok_once_a_sweep_succeeds_again(db) -> None:
    sweep_run(minutes_ago=2, status=JobRun.Status.FAILED)
    sweep_run(minutes_ago=1)

    check = health.sweep()

    assert check.ok
    assert "succeeded" in check.detail


def test_the_sweep_check_is_ok_before_any_sweep_has_finished(db) -> None:
    assert health.sweep() == health.Check("sweep", True, "no sweep has finished yet")


# --- /healthz ------------------------------------------------------------------------------------
def test_healthz_reports_every_check_and_fails_with_no_worker(client: Client, db) -> None:
    sweep_run(minutes_ago=1)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "failing"
    assert list(body["checks"]) == ["database", "broker", "worker", "beat", "sweep"]
    assert all(set(check) == {"ok", "detail"} for check in body["checks"].values())
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["worker"]


def test_healthz_answers_200_when_every_check_asked_is_ok(client: Client, db) -> None:
    sweep_run(minutes_ago=1)

    response = client.get("/healthz?check=database&check=beat&check=sweep")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert list(response.json()["checks"]) == ["database", "beat", "sweep"]
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_whatever_the_host(client: Client, db) -> None:
    internal = "portal-web-1:8000"

    assert client.get("/healthz?check=database", HTTP_HOST=internal).status_code == 200
    # Everywhere else the Host is checked as before.
    assert client.get(reverse("login"), HTTP_HOST=internal).status_code == 400


def test_healthz_needs_no_sign_in_and_sets_no_cookie(client: Client, db) -> None:
    response = client.get("/healthz?check=database")

    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_healthz_takes_get_and_head_only(client: Client, db, method: str) -> None:
    response = getattr(client, method)("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_healthz_answers_head(client: Client, db) -> None:
    assert client.head("/healthz?check=database").status_code == 200


def test_an_unknown_check_is_a_400_naming_the_checks(client: Client, db) -> None:
    response = client.get("/healthz?check=database&check=<script>")

    assert response.status_code == 400
    assert response.json()["error"] == (
        "No such check: <script>. The checks are: database, broker, worker, beat, sweep."
    )


def test_healthz_carries_the_security_headers(client: Client, db) -> None:
    response = client.get("/healthz?check=database")

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_sent_to_https(db) -> None:
    assert Client(HTTP_HOST="portal-web-1").get("/healthz?check=database").status_code == 200
    assert Client(HTTP_HOST="localhost").get(reverse("login")).status_code == 301


# --- The operations page and the command ------------------------------------------------------
def test_the_operations_page_lists_each_check_with_the_down_ones_in_red(
    client: Client, it_user
) -> None:
    sweep_run(minutes_ago=1)

    page = signed_in(client, it_user).get(reverse("operations")).content.decode()

    items = {
        re.search(r'data-check="(\w+)"', item)[1]: item
        for item in re.findall(r"<li [^>]*data-check=.*?</li>", page, re.S)
    }
    assert list(items) == list(health.CHECKS)
    # Red, and said in words: not by colour alone.
    assert "list-group-item-danger" in items["worker"]
    assert ">Down</span>" in items["worker"]
    assert "no worker answered" in items["worker"]
    assert "list-group-item-danger" not in items["database"]
    assert ">OK</span>" in items["database"]


def test_the_command_exits_0_when_the_checks_asked_are_ok(db) -> None:
    out = StringIO()

    call_command("healthcheck", "--check", "database", stdout=out)

    assert out.getvalue() == "database: ok (answers)\nstatus: ok\n"


def test_the_command_exits_1_when_a_check_is_down(db) -> None:
    out = StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("healthcheck", stdout=out)

    assert exited.value.code == 1
    assert "worker: DOWN (no worker answered within 0.3 s)" in out.getvalue()
    assert out.getvalue().endswith("status: failing\n")


def test_the_command_refuses_a_check_that_does_not_exist(db) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("healthcheck", "--check", "disk")


# --- Beat silent: IT e-mailed once --------------------------------------------------------------
def silent_beat_notices() -> list[Notification]:
    return list(Notification.objects.filter(kind=health.BEAT_SILENT_KIND).order_by("pk"))


def test_beat_silent_for_less_than_the_alert_time_e_mails_nobody(it_user) -> None:
    sweep_run(minutes_ago=14)

    assert not health.report(["beat"]).ok
    assert silent_beat_notices() == []


def test_a_beat_that_has_never_run_e_mails_nobody(it_user) -> None:
    health.report(["beat"])
    assert silent_beat_notices() == []


def test_each_way_of_noticing_tells_it_the_same_once(client: Client, it_user) -> None:
    sweep_run(minutes_ago=16)

    client.get("/healthz")
    signed_in(client, it_user).get(reverse("operations"))
    with pytest.raises(SystemExit):
        call_command("healthcheck", "--check", "beat", stdout=StringIO())

    [notice] = silent_beat_notices()
    assert notice.recipient == it_user


def test_a_new_silence_is_told_again(it_user) -> None:
    sweep_run(minutes_ago=60)
    health.report(["beat"])
    sweep_run(minutes_ago=20)  # beat came back for a while, then stopped again

    health.report(["beat"])

    assert len(silent_beat_notices()) == 2


def test_the_e_mail_says_what_is_wrong_and_what_to_do(it_user) -> None:
    sweep_run(minutes_ago=16)
    health.report(["beat"])
    outbox.sweep()

    [message] = mail.outbox
    assert message.to == [it_user.email]
    assert message.subject == "Portal scheduled jobs have stopped: nothing has run for 16 minutes"
    assert "has been silent for 16 minutes" in message.body
    assert "docker-compose up -d beat worker" in message.body
    assert "docs/operations.md" in message.body
    assert reverse("operations") in message.body


@pytest.mark.django_db(transaction=True)
def test_two_processes_noticing_at_once_send_one_e_mail(postgres, it_user) -> None:
    sweep_run(minutes_ago=20)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def notice() -> None:
        try:
            start.wait(timeout=30)
            health.alert_if_beat_silent()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=notice) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(silent_beat_notices()) == 1
    outbox.sweep()
    assert len(mail.outbox) == 1
