"""PostgreSQL restarted under a real worker: the next sweep delivers, nothing is lost or sent
twice, and sweeps while the database was down show as failed runs.

Everything is real and in processes of its own: a PostgreSQL cluster made for this test
(``PrivatePostgres``, never the shared server), migrated by ``manage.py migrate``; a Celery
worker (``celery -A portal worker``) on the test Redis, pointed at that cluster; and an SMTP
server. The test sends the outbox sweep as beat does every minute, and reads what the worker did
from its log (each task's "succeeded" or "raised" line) and from the database.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

import pytest
import redis

from portal.celery import app as celery_app
from portal.tasks import sweep_outbox
from tests.helpers import free_port
from tests.integration.private_postgres import PrivatePostgres
from tests.integration.processes import SmtpSink, WorkerProcess, wait_for

pytestmark = pytest.mark.redis

DEADLINE = 60.0
_databases = itertools.count()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


class Outbox:
    """The outbox of a portal database on the private server, read and written over a
    connection of its own for each call (a restart ends any connection held across it)."""

    def __init__(self, server: PrivatePostgres, name: str) -> None:
        self.server = server
        self.name = name
        self.url = server.create_portal_database(name)

    def _query(self, sql: str, params: list | None = None) -> list[tuple]:
        connection = self.server.connect(self.name)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def owe(self, label: str) -> None:
        """A message due now to an outside address, as a notice waits for the sweep."""
        self._query(
            "INSERT INTO portal_notification (address, kind, subject, body_text, body_html, "
            "link, dedupe_key, created_at, status, attempts, next_attempt_at, last_error) "
            "VALUES (%s, 'restart-test', %s, 'Owed.', '', '', %s, now(), 'pending', 0, now(), '')",
            [f"{label}@example.com", label, f"restart-test:{label}"],
        )

    def waiting(self) -> int:
        return self._query(
            "SELECT count(*) FROM portal_notification WHERE status IN ('pending', 'sending')"
        )[0][0]

    def sweeps(self) -> list[tuple[str, str]]:
        """Each recorded run of the outbox sweep, oldest first: its status and error."""
        return self._query(
            "SELECT status, error FROM portal_jobrun WHERE job = 'outbox-sweep' "
            "ORDER BY started_at, id"
        )


@pytest.fixture
def outbox(private_postgres: PrivatePostgres) -> Outbox:
    return Outbox(private_postgres, f"portal_restart_{next(_databases)}")


@pytest.fixture
def mail() -> Iterator[tuple[SmtpSink, int]]:
    port = free_port()
    sink = SmtpSink(port).start()
    yield sink, port
    sink.stop()


@pytest.fixture
def worker(
    redis_broker: str, outbox: Outbox, mail: tuple[SmtpSink, int]
) -> Iterator[WorkerProcess]:
    # Nothing an earlier test left in this Redis database is this worker's business.
    celery_app.control.purge()
    redis.Redis.from_url(redis_broker).delete("unacked", "unacked_index", "unacked_mutex")
    _, port = mail
    worker = WorkerProcess(
        "restart",
        redis_broker,
        DATABASE_URL=outbox.url,
        PORTAL_TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}",
    )
    yield worker
    worker.stop()
    celery_app.control.purge()


def sweep(worker: WorkerProcess) -> str:
    """Send the outbox sweep as beat does, wait for the worker to finish it: "succeeded" or
    "raised"."""
    task_id = sweep_outbox.delay().id

    def outcome() -> str | None:
        for line in list(worker.lines):
            if f"[{task_id}]" in line:
                if " succeeded in " in line:
                    return "succeeded"
                if " raised " in line:
                    return "raised"
        return None

    return wait_for(outcome, deadline=DEADLINE, what=f"the sweep {task_id}")


def delivered(mail: tuple[SmtpSink, int]) -> Counter[str]:
    sink, _ = mail
    return Counter(message["Subject"] for message in sink.messages)


def test_after_a_restart_the_next_sweep_delivers_what_was_owed_before_and_after(
    private_postgres, outbox, worker, mail
) -> None:
    outbox.owe("warm-up")
    assert sweep(worker) == "succeeded", worker.log()
    # The worker keeps its connection between tasks: this one the restart is about to end.
    assert delivered(mail) == {"warm-up": 1}

    outbox.owe("before")
    private_postgres.restart()
    outbox.owe("after")

    assert sweep(worker) == "succeeded", worker.log()
    assert delivered(mail) == {"warm-up": 1, "before": 1, "after": 1}
    assert outbox.waiting() == 0
    assert outbox.sweeps() == [("succeeded", ""), ("succeeded", "")]


def test_sweeps_while_the_database_is_down_show_as_failed_runs_and_lose_nothing(
    private_postgres, outbox, worker, mail
) -> None:
    outbox.owe("warm-up")
    assert sweep(worker) == "succeeded", worker.log()
    outbox.owe("before")

    private_postgres.stop()
    try:
        assert [sweep(worker), sweep(worker)] == ["raised", "raised"]
    finally:
        private_postgres.start()
    outbox.owe("after")

    # Within two sweeps of its return: here the first.
    assert sweep(worker) == "succeeded", worker.log()
    assert delivered(mail) == {"warm-up": 1, "before": 1, "after": 1}
    assert outbox.waiting() == 0
    # The two sweeps the outage stopped were recorded once the database was back, in order,
    # each with its error; no run is left running.
    runs = outbox.sweeps()
    assert [status for status, _ in runs] == ["succeeded", "failed", "failed", "succeeded"]
    for _, error in runs[1:3]:
        assert "OperationalError: connection to server at" in error
        assert "Connection refused" in error
