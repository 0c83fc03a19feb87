"""Staff without a work e-mail, on real workers (separate processes), real Redis, real PostgreSQL
and a real SMTP server: a notice to such a person stays in their inbox and is never e-mailed,
and the daily digest, run twice at once on two workers, e-mails their line manager one list."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import psycopg2
import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from portal import digests, outbox
from portal.celery import app as celery_app
from portal.models import JobRun, Notification, User
from portal.tasks import run_scheduled_job
from tests.factories import UserFactory
from tests.integration.conftest import free_port
from tests.integration.processes import SmtpSink, WorkerProcess, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DEADLINE = 90.0
JOB = "no-email-digest"


@pytest.fixture
def workers(redis_broker: str) -> Iterator[Callable[..., WorkerProcess]]:
    celery_app.control.purge()
    redis.Redis.from_url(redis_broker).delete("unacked", "unacked_index", "unacked_mutex")
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(name, redis_broker, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    celery_app.control.purge()


@contextlib.contextmanager
def holding_user(user: User) -> Iterator[None]:
    """Lock ``user``'s row in a transaction of another connection: a notice to them cannot be
    inserted (its foreign key waits) until the lock is let go."""
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"],
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT 1 FROM portal_user WHERE id = %s FOR UPDATE", [user.pk])
        yield
    finally:
        other.rollback()
        other.close()


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def finished_runs() -> list[JobRun]:
    return list(JobRun.objects.filter(job=JOB).exclude(status=JobRun.Status.RUNNING))


def test_the_digest_run_twice_at_once_mails_the_manager_once(postgres, workers) -> None:
    manager = UserFactory(email="manager@example.com", first_name="Morgan")
    carer = UserFactory(
        email=None,
        employee_number="C0042",
        first_name="Carys",
        last_name="Evans",
        line_manager=manager,
    )
    port = free_port()
    sink = SmtpSink(port).start()
    try:
        mail_to = {"PORTAL_TEST_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        workers("first", **mail_to)
        workers("second", **mail_to)
        with transaction.atomic():
            notice = outbox.notify(
                recipient=carer,
                kind="password-changed",
                dedupe_key=f"password-changed:{carer.pk}:test",
                context={"changed_at": timezone.now(), "how": "reset"},
            )
        wait_for(
            lambda: Notification.objects.filter(pk=notice.pk, status="inbox").exists(),
            deadline=DEADLINE,
            what="the worker to keep the notice in the inbox",
        )

        with holding_user(manager):
            run_scheduled_job.delay(JOB)
            wait_for(lambda: waiting_on_locks() == 1, deadline=DEADLINE, what="the first run")
            run_scheduled_job.delay(JOB)
            (second,) = wait_for(finished_runs, deadline=DEADLINE, what="the second run")
            assert (second.status, second.found, second.notices) == ("succeeded", 0, 0)
            assert JobRun.objects.filter(job=JOB, status=JobRun.Status.RUNNING).count() == 1

        runs = wait_for(
            lambda: len(found := finished_runs()) == 2 and found, deadline=DEADLINE, what="runs"
        )
        assert sorted(run.notices for run in runs) == [0, 1]
        (message,) = wait_for(lambda: sink.messages, deadline=DEADLINE, what="the digest")
    finally:
        sink.stop()

    assert message["To"] == "manager@example.com"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "Carys Evans (employee C0042)" in body
    assert notice.subject in body
    digest = Notification.objects.get(kind=digests.DIGEST_KIND)
    assert digest.status == Notification.Status.SENT
    assert Notification.objects.get(pk=notice.pk).digest == digest
