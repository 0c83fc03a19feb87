"""A database connection that PostgreSQL dropped (as it does when it restarts).

The connection is dropped for real: another connection ends its server process with
``pg_terminate_backend``. Around a task the worker then opens a fresh one; a scheduled job that
fails on it is still recorded as failed, on a fresh connection or, while the database cannot be
reached, by the next run once it can. Transactional tests: a dropped connection takes its
transaction with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg2
import pytest
from celery.signals import task_postrun, task_prerun
from django.db import DatabaseError, InterfaceError, connection

from portal import scheduling
from portal.models import JobRun
from portal.tasks import sweep_outbox
from tests.helpers import execute, free_port
from tests.integration import processes

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
LOST = (DatabaseError, InterfaceError)


def drop_connection() -> None:
    """End this connection's server process from another connection, as a restart does."""
    (pid,) = execute("SELECT pg_backend_pid()")[0]
    other = psycopg2.connect(processes.test_database_url())
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.fixture
def database_reachable() -> Iterator[Callable[[bool], None]]:
    """``database_reachable(False)`` points new connections at a port where nothing listens;
    ``database_reachable(True)``, or the end of the test, points them back."""
    port = connection.settings_dict["PORT"]

    def reachable(yes: bool) -> None:
        connection.settings_dict["PORT"] = port if yes else free_port()

    yield reachable
    reachable(True)
    scheduling._UNRECORDED.clear()


@pytest.fixture
def job() -> Iterator[dict[str, Callable[[], None] | None]]:
    """A job of the test's own that first does what ``hooks["before"]`` says, if anything."""
    hooks: dict[str, Callable[[], None] | None] = {"before": None}

    def run(now: datetime) -> scheduling.JobResult:
        if hooks["before"]:
            hooks["before"]()
        execute("SELECT 1")
        return scheduling.JobResult(found=1)

    scheduling.register(scheduling.Job("test-job", "Test job", "For tests.", run))
    yield hooks
    del scheduling.JOBS["test-job"]


def runs() -> list[tuple[str, str]]:
    return list(JobRun.objects.order_by("pk").values_list("status", "error"))


def test_a_task_after_the_connection_was_dropped_gets_a_fresh_one(postgres) -> None:
    drop_connection()
    task_prerun.send(sender=sweep_outbox, task_id="1", task=sweep_outbox, args=(), kwargs={})

    assert execute("SELECT 1") == [(1,)]


def test_a_connection_broken_during_a_task_is_closed_after_it(postgres) -> None:
    drop_connection()
    with pytest.raises(LOST):
        execute("SELECT 1")
    task_postrun.send(sender=sweep_outbox, task_id="1", task=sweep_outbox, args=(), kwargs={})

    assert connection.connection is None
    assert execute("SELECT 1") == [(1,)]


def test_a_job_that_fails_before_it_can_record_its_run_is_recorded_as_failed(postgres, job) -> None:
    drop_connection()

    with pytest.raises(LOST):
        scheduling.run_job("test-job", now=NOW)

    ((status, error),) = runs()
    assert status == JobRun.Status.FAILED
    assert "OperationalError: server closed the connection unexpectedly" in error


def test_a_run_whose_connection_drops_midway_is_failed_not_left_running(postgres, job) -> None:
    job["before"] = drop_connection

    with pytest.raises(LOST):
        scheduling.run_job("test-job", now=NOW)

    ((status, error),) = runs()
    assert status == JobRun.Status.FAILED
    assert "OperationalError: server closed the connection unexpectedly" in error


def test_a_failure_while_the_database_is_away_is_recorded_once_it_is_back(
    postgres, job, database_reachable
) -> None:
    def database_goes_away() -> None:
        drop_connection()
        database_reachable(False)

    job["before"] = database_goes_away
    with pytest.raises(LOST):
        scheduling.run_job("test-job", now=NOW)
    # Not even the run's failure could be written. Until the database is back, every run fails.
    with pytest.raises(LOST):
        scheduling.run_job("test-job", now=NOW.replace(minute=1))
    assert len(scheduling._UNRECORDED) == 2

    database_reachable(True)
    job["before"] = None
    scheduling.run_job("test-job", now=NOW.replace(minute=2))
    scheduling.run_job("test-job", now=NOW.replace(minute=3))

    statuses = list(JobRun.objects.order_by("started_at").values_list("started_at", "status"))
    assert statuses == [
        (NOW, JobRun.Status.FAILED),  # its row was written before the database went away
        (NOW.replace(minute=1), JobRun.Status.FAILED),
        (NOW.replace(minute=2), JobRun.Status.SUCCEEDED),
        (NOW.replace(minute=3), JobRun.Status.SUCCEEDED),
    ]
    dropped, refused = JobRun.objects.filter(status=JobRun.Status.FAILED).order_by("started_at")
    assert "OperationalError: server closed the connection unexpectedly" in dropped.error
    assert "OperationalError: connection to server" in refused.error
    assert "Connection refused" in refused.error
    assert not scheduling._UNRECORDED
