"""Scheduled jobs on real workers (separate processes), real Redis, real PostgreSQL and a real SMTP
server.

- Each job run twice at once, on two workers, claims exactly one notice per recipient and
  occasion. The two runs are made to overlap for certain: a third connection holds an
  uncommitted row with one of the keys, so the first run stops at that claim until it lets go,
  and the second is sent while it waits. The second waits in turn for the first run's claims,
  or (the digest, which takes the notices it lists) finds nothing left to list.
- A worker killed with SIGKILL half-way through a job keeps the batches it committed; the
  message goes back to Redis, the restarted worker runs the job again and claims the rest, and
  nothing is claimed twice.
- With the mail server down, notices are retried with a growing backoff and each is delivered
  once when the server comes back.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import psycopg2
import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from acknowledgements import publishing, reviews
from acknowledgements.models import Assignment
from portal import digests, outbox, permissions, scheduling
from portal.celery import app as celery_app
from portal.models import JobRun, Notification, User
from portal.tasks import run_scheduled_job, sweep_outbox
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.factories import DepartmentFactory, UserFactory
from tests.integration import processes
from tests.integration.conftest import free_port
from tests.integration.processes import SmtpSink, WorkerProcess, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DEADLINE = 90.0


@pytest.fixture
def clean_broker(redis_broker: str) -> str:
    """An empty queue, and no message left unacknowledged by an earlier run's dead worker."""
    celery_app.control.purge()
    redis.Redis.from_url(redis_broker).delete("unacked", "unacked_index", "unacked_mutex")
    return redis_broker


@pytest.fixture
def workers(clean_broker: str) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(name, clean_broker, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    celery_app.control.purge()


@contextlib.contextmanager
def holding(key: str, recipient_id: int) -> Iterator[None]:
    """Insert a notification with ``key`` in a transaction of its own and keep it open: anyone
    inserting the same key waits for it. Rolled back on the way out, as if it never was."""
    other = psycopg2.connect(processes.test_database_url())
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO portal_notification (recipient_id, kind, subject, body_text, "
                "body_html, link, dedupe_key, created_at, status, attempts, next_attempt_at, "
                "last_error) VALUES (%s, 'held', 'held', '', '', '', %s, now(), 'pending', 0, "
                "now(), '')",
                [recipient_id, key],
            )
        yield
    finally:
        other.rollback()
        other.close()


def waiting_on_locks() -> int:
    """Backends of the test database waiting for a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def keys() -> list[str]:
    return sorted(Notification.objects.values_list("dedupe_key", flat=True))


# --- Scenarios: data for each job, the keys one run must claim, and one to hold ---------------
Scenario = tuple[list[str], str, int]  # expected keys, the key to hold, its recipient


def _staff(count: int):
    manager = UserFactory(department=DepartmentFactory(name="Residential Care"))
    return manager, UserFactory.create_batch(count, line_manager=manager)


def unsigned_policy(count: int = 12) -> Scenario:
    _staff(count)
    version = publishing.load_seed_policy()
    publishing.assign_outstanding(policy=version.policy)
    wanted = [
        (f"unsigned:{pk}:assigned", user_id)
        for pk, user_id in Assignment.objects.order_by("pk").values_list("pk", "user_id")
    ]
    middle = wanted[len(wanted) // 2]
    return [key for key, _ in wanted], *middle


def password_age() -> Scenario:
    _staff(12)
    # Set 80 days ago: too old in 10 days, so the 14-day notice is owed.
    changed = timezone.now() - timedelta(days=80)
    User.objects.update(password_changed_at=changed)
    stamp = int(changed.timestamp())
    wanted = [(f"password-age:{u.pk}:{stamp}:14", u.pk) for u in User.objects.order_by("pk")]
    return [key for key, _ in wanted], *wanted[5]


def policy_reviews() -> Scenario:
    reviewers = UserFactory.create_batch(3, groups=[permissions.REVIEWERS_GROUP])
    publishing.load_seed_policy()
    (review,) = reviews.open_due_reviews()
    label = reviews.reminder_owed(review.review_date, timezone.localdate())
    wanted = [(f"review:{review.pk}:{r.pk}:{label}", r.pk) for r in reviewers]
    return [key for key, _ in wanted], *wanted[1]


def hr_weekly_summary() -> Scenario:
    hr = UserFactory.create_batch(5, groups=[permissions.HR_GROUP])
    publishing.load_seed_policy()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    wanted = [(f"hr-summary:{monday.isoformat()}:{u.pk}", u.pk) for u in hr]
    return [key for key, _ in wanted], *wanted[2]


def personal_use_expiry() -> Scenario:
    manager, people = _staff(6)
    expires: date = timezone.localdate() + timedelta(days=5)
    granted: datetime = timezone.now() - timedelta(days=30)
    wanted = []
    for person in people:
        grant = PersonalUseGrantFactory(employee=person, granted_at=granted, expires_on=expires)
        wanted += [
            (f"personal-use-expiring:{grant.pk}:{person.pk}", person.pk),
            (f"personal-use-expiring:{grant.pk}:{manager.pk}", manager.pk),
        ]
    return [key for key, _ in wanted], *wanted[4]


def no_email_digest() -> Scenario:
    """Three managers, each with a report who has no e-mail and a notice kept in their inbox."""
    notices = []
    with transaction.atomic():
        for n in range(3):
            manager = UserFactory(email=f"manager{n}@example.com")
            carer = UserFactory(email=None, employee_number=f"C{n:04d}", line_manager=manager)
            notices.append(
                outbox.notify(
                    recipient=carer,
                    kind="password-changed",
                    dedupe_key=f"password-changed:{carer.pk}:test",
                    context={"changed_at": timezone.now(), "how": "reset"},
                )
            )
    outbox.sweep_all()
    assert {n.status for n in Notification.objects.filter(pk__in=[n.pk for n in notices])} == {
        Notification.Status.INBOX
    }
    wanted = [
        (f"{digests.DIGEST_KIND}:{n.recipient.line_manager_id}:{n.pk}", n.recipient.line_manager_id)
        for n in notices
    ]
    return [key for key, _ in wanted], *wanted[1]


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "unsigned-policy": unsigned_policy,
    "password-age": password_age,
    "policy-reviews": policy_reviews,
    "hr-weekly-summary": hr_weekly_summary,
    "personal-use-expiry": personal_use_expiry,
    "no-email-digest": no_email_digest,
}
# Jobs that take the rows they work on (SELECT ... SKIP LOCKED): a second run while the first
# holds them finds nothing to do, rather than waiting for the first run's claims.
TAKES_ITS_ROWS = {"no-email-digest"}


def finished_runs(job: str) -> list[JobRun]:
    return list(JobRun.objects.filter(job=job).exclude(status=JobRun.Status.RUNNING))


# --- Twice at once --------------------------------------------------------------------------------
@pytest.mark.parametrize("job", sorted(SCENARIOS))
def test_a_job_run_twice_at_once_claims_each_notice_once(postgres, workers, job: str) -> None:
    wanted, held, held_for = SCENARIOS[job]()
    assert len(wanted) == len(set(wanted)) >= 3
    before = keys()
    workers("first")
    workers("second")

    with holding(held, held_for):
        run_scheduled_job.delay(job)
        wait_for(lambda: waiting_on_locks() == 1, deadline=DEADLINE, what="the first run to block")
        run_scheduled_job.delay(job)
        if job in TAKES_ITS_ROWS:
            (second,) = wait_for(
                lambda: finished_runs(job), deadline=DEADLINE, what="the second run to finish"
            )
            assert (second.status, second.found, second.notices) == ("succeeded", 0, 0)
        else:
            # The second run waits for the first run's uncommitted claims.
            wait_for(
                lambda: waiting_on_locks() == 2, deadline=DEADLINE, what="the second run to block"
            )
        assert keys() == before, "nothing is committed while the first run waits"

    runs = wait_for(
        lambda: (found := finished_runs(job)) and len(found) == 2 and found,
        deadline=DEADLINE,
        what=f"both runs of {job} to finish",
    )
    assert {run.status for run in runs} == {JobRun.Status.SUCCEEDED}, [r.error for r in runs]
    first, second = sorted(runs, key=lambda run: run.started_at)
    assert second.started_at < first.finished_at, "the two runs did not overlap"
    assert keys() == sorted(before + wanted)
    # Between them the two runs inserted each notice once.
    assert sorted(run.notices for run in runs) == [0, len(wanted)]


# --- Killed mid-job ---------------------------------------------------------------------------
def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(postgres, workers) -> None:
    batch = 10
    wanted, _, _ = unsigned_policy(count=29)  # 30 notices: three batches
    assignments = list(Assignment.objects.order_by("pk").values_list("pk", "user_id"))
    held_pk, held_for = assignments[14]  # in the second batch
    first = workers("doomed", PORTAL_TEST_CLAIM_BATCH=str(batch))

    with holding(f"unsigned:{held_pk}:assigned", held_for):
        run_scheduled_job.delay("unsigned-policy")
        wait_for(
            lambda: len(keys()) == batch and waiting_on_locks() == 1,
            deadline=DEADLINE,
            what="the first batch to commit and the second to wait",
        )
        first.kill()

    assert keys() == sorted(wanted[:batch]), "only the committed batch is kept"
    (killed,) = JobRun.objects.filter(job="unsigned-policy")
    assert killed.status == JobRun.Status.RUNNING  # until the time limit shows it died

    # The message was never acknowledged: Redis gives it to the next worker, which runs the job
    # again and claims only what is missing.
    workers("restarted", PORTAL_TEST_CLAIM_BATCH=str(batch), PORTAL_TEST_VISIBILITY_TIMEOUT="1")
    (rerun,) = wait_for(
        lambda: finished_runs("unsigned-policy"),
        deadline=DEADLINE,
        what="the job to be redelivered and run again",
    )
    assert rerun.status == JobRun.Status.SUCCEEDED, rerun.error
    assert rerun.notices == len(wanted) - batch
    assert keys() == sorted(wanted)


# --- A sweeping worker killed mid-send ---------------------------------------------------------
def test_a_worker_killed_mid_sweep_loses_no_message_and_sends_none_twice(postgres, workers) -> None:
    port = free_port()
    wanted, _, _ = unsigned_policy(count=29)  # 30 notices: one lease of 25, then 5
    scheduling.run_job("unsigned-policy")
    assert len(keys()) == len(wanted)
    celery_app.control.purge()  # the sweep the job queued: this test queues its own
    mail_to = {
        "PORTAL_TEST_EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "PORTAL_TEST_LEASE_SECONDS": "3",
    }

    # The server answers nine messages and leaves the tenth unanswered: the worker is killed
    # while it waits, holding the rest of its lease.
    sink = SmtpSink(port, stall_at=10).start()
    try:
        first = workers("doomed", **mail_to)
        sweep_outbox.delay()
        wait_for(lambda: sink.stalled, deadline=DEADLINE, what="the tenth message")
        first.kill()
        assert len(sink.messages) == 9
        states = Counter(Notification.objects.values_list("status", flat=True))
        assert states == {"sent": 9, "sending": 16, "pending": 5}

        # Once the lease runs out, a restarted worker's sweeps send the rest.
        workers("restarted", **mail_to)

        def all_sent() -> bool:
            done = JobRun.objects.filter(job="outbox-sweep", status="succeeded").count()
            sweep_outbox.delay()
            wait_for(
                lambda: (
                    JobRun.objects.filter(job="outbox-sweep", status="succeeded").count() > done
                ),
                deadline=DEADLINE,
                what="a sweep",
            )
            return not Notification.objects.exclude(status=Notification.Status.SENT).exists()

        wait_for(all_sent, deadline=DEADLINE, what="every message to be sent", every=0)
    finally:
        sink.stop()

    delivered = Counter(m["To"] for m in sink.messages)
    expected = Counter(Notification.objects.values_list("recipient__email", flat=True))
    assert delivered == expected, "each message delivered exactly once"
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


# --- The mail server down, then back ------------------------------------------------------------
def test_notices_wait_out_a_mail_server_outage_with_backoff(postgres, workers) -> None:
    port = free_port()  # nothing listens here yet: the mail server is down
    wanted, _, _ = unsigned_policy(count=2)
    workers(
        "mailer", PORTAL_TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}", PORTAL_TEST_RETRY_BASE_DELAY="1"
    )
    seen: dict[int, dict[int, datetime]] = defaultdict(dict)  # pk -> attempts -> next attempt

    def sweep_once() -> list[Notification]:
        """Ask for a sweep (as beat does every minute) and wait for it; note each row."""
        done = JobRun.objects.filter(job="outbox-sweep").exclude(status="running").count()
        sweep_outbox.delay()
        wait_for(
            lambda: (
                JobRun.objects.filter(job="outbox-sweep").exclude(status="running").count() > done
            ),
            deadline=DEADLINE,
            what="a sweep",
        )
        rows = list(Notification.objects.order_by("pk"))
        for row in rows:
            if row.attempts and row.status == Notification.Status.PENDING:  # failed attempts
                seen[row.pk].setdefault(row.attempts, row.next_attempt_at)
        return rows

    run_scheduled_job.delay("unsigned-policy")
    wait_for(lambda: len(keys()) == len(wanted), deadline=DEADLINE, what="the notices")

    def retried_enough() -> bool:
        rows = sweep_once()
        return all(r.attempts >= 2 for r in rows) and max(r.attempts for r in rows) >= 3

    wait_for(retried_enough, deadline=DEADLINE, what="each notice to be retried", every=0)
    assert not Notification.objects.filter(status=Notification.Status.SENT).exists()
    assert Notification.objects.filter(last_error__startswith="ConnectionRefusedError").count() == 3

    sink = SmtpSink(port).start()
    try:
        wait_for(
            lambda: all(r.status == Notification.Status.SENT for r in sweep_once()),
            deadline=DEADLINE,
            what="delivery once the server is back",
            every=0,
        )
    finally:
        sink.stop()

    recipients = sorted(m["To"] for m in sink.messages)
    assert recipients == sorted(Notification.objects.values_list("recipient__email", flat=True))
    assert len(sink.messages) == len(wanted), "each notice is delivered exactly once"
    assert {m["Subject"] for m in sink.messages} == {
        "Please read and sign the Acceptable Use of ICT Policy and Procedure"
    }
    # Backoff: each retry waited at least twice as long as the one before (base 1 s here).
    checked = 0
    for attempts in seen.values():
        for k in sorted(attempts):
            if k + 1 in attempts:
                assert attempts[k + 1] - attempts[k] >= timedelta(seconds=2**k), attempts
                checked += 1
    assert checked >= 3
