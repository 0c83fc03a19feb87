"""The outbox at unit level: rows, rendering, delivery, retries and the sweep.

Everything here runs against the test database and Django's in-memory mailbox; no worker runs.
What reaches the broker is read back from the broker the tests are configured with (in-memory,
or Redis when REDIS_URL is set). A failing mail server is a real SMTP backend pointed at a port
where nothing listens.
"""

from __future__ import annotations

import runpy
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.transport.redis import Channel as RedisChannel

from portal import outbox
from portal import settings as portal_settings
from portal.celery import app as celery_app
from portal.models import Notification
from portal.tasks import deliver_notification, help_sweep_outbox
from tests.factories import UserFactory
from tests.helpers import free_port

CHANGED_AT = datetime(2025, 1, 14, 9, 30, tzinfo=UTC)  # winter: London time is UTC


def notify_password_changed(user, *, key: str = "password-changed:test") -> Notification:
    return outbox.notify(
        recipient=user,
        kind="password-changed",
        dedupe_key=key,
        context={"changed_at": CHANGED_AT, "how": "changed"},
        link=reverse("password_change"),
    )


@pytest.fixture
def queued_tasks():
    """Empties the broker's default queue; the function returned takes out what is queued since.

    The broker is the one the tests are configured with: in-memory, or Redis when REDIS_URL is set.
    """
    queue = celery_app.conf.task_default_queue

    def take() -> list[tuple[str, list]]:
        taken = []
        with celery_app.connection_for_write() as conn:
            while (message := conn.default_channel.basic_get(queue, no_ack=True)) is not None:
                args, _kwargs, _embed = message.decode()
                taken.append((message.headers["task"], args))
        return taken

    celery_app.control.purge()
    yield take
    take()


@pytest.fixture
def unreachable_smtp(settings) -> int:
    """Send e-mail through SMTP to a local port where nothing listens."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port


# --- notify -------------------------------------------------------------------------------------


def test_notify_writes_one_row_rendered_from_the_templates(employee):
    notification = notify_password_changed(employee)

    row = Notification.objects.get()
    assert row.pk == notification.pk
    assert row.recipient == employee
    assert row.kind == "password-changed"
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 0
    assert row.subject == "Your portal password was changed"
    link = f"{django_settings.PORTAL_BASE_URL}{reverse('password_change')}"
    assert row.link == reverse("password_change")
    assert "Dear Emma," in row.body_text
    assert "password was changed on 14 January 2025 at 09:30." in row.body_text
    assert link in row.body_text
    assert "<p>Dear Emma,</p>" in row.body_html
    assert "password was changed on 14 January 2025 at 09:30." in row.body_html
    assert f'href="{link}"' in row.body_html


def test_notify_with_the_same_dedupe_key_adds_nothing(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = notify_password_changed(employee)
        second = notify_password_changed(employee)

    assert second.pk == first.pk
    assert Notification.objects.count() == 1
    assert len(callbacks) == 1, "a repeated notify must not queue a second delivery"


def test_notify_queues_delivery_only_after_commit(
    employee, django_capture_on_commit_callbacks, queued_tasks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify_password_changed(employee)
        assert queued_tasks() == [], "nothing may reach the broker before the commit"

    assert len(callbacks) == 1
    assert queued_tasks() == [("portal.tasks.deliver_notification", [notification.pk])]


def test_notify_in_a_rolled_back_transaction_leaves_nothing(
    employee, django_capture_on_commit_callbacks, queued_tasks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_password_changed(employee)
        raise RuntimeError("the change that caused the notification failed")

    assert not Notification.objects.exists()
    assert callbacks == []
    assert queued_tasks() == []


# --- deliver ------------------------------------------------------------------------------------


def test_deliver_sends_one_email_with_text_and_html_and_marks_it_sent(employee):
    notification = notify_password_changed(employee)

    assert outbox.deliver(notification.pk) is True

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["employee@example.com"]
    assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Your portal password was changed"
    assert message.body == notification.body_text
    assert [(alt.content, alt.mimetype) for alt in message.alternatives] == [
        (notification.body_html, "text/html")
    ]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert notification.last_error == ""


def test_deliver_twice_sends_once(employee):
    notification = notify_password_changed(employee)

    assert outbox.deliver(notification.pk) is True
    assert outbox.deliver(notification.pk) is True

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def backoff_passes(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def test_failed_sends_back_off_and_give_up_after_the_maximum(employee, unreachable_smtp):
    notification = notify_password_changed(employee)
    max_attempts = django_settings.OUTBOX_MAX_ATTEMPTS
    delays = []

    for attempt in range(1, max_attempts + 1):
        backoff_passes(notification)
        before = timezone.now()
        handled = outbox.deliver(notification.pk)
        after = timezone.now()
        notification.refresh_from_db()

        assert notification.attempts == attempt
        assert notification.last_error.startswith("ConnectionRefusedError"), notification.last_error
        assert notification.next_attempt_at > after
        expected = outbox.retry_delay(attempt)
        assert before + expected <= notification.next_attempt_at <= after + expected
        delays.append(expected)
        if attempt < max_attempts:
            assert handled is False, "a failed send that may be retried must ask for a retry"
            assert notification.status == Notification.Status.PENDING
        else:
            assert handled is True
            assert notification.status == Notification.Status.FAILED

    assert delays[0] < delays[1] < delays[2], f"backoff does not grow: {delays}"
    assert delays == sorted(delays)
    assert max(delays) <= timedelta(seconds=django_settings.OUTBOX_MAX_RETRY_DELAY)
    assert mail.outbox == []

    # A failed notification is never tried again.
    backoff_passes(notification)
    assert outbox.deliver(notification.pk) is True
    notification.refresh_from_db()
    assert notification.attempts == max_attempts


def test_failed_notification_is_sent_by_a_later_attempt_once_mail_works(
    employee, settings, unreachable_smtp
):
    notification = notify_password_changed(employee)
    assert outbox.deliver(notification.pk) is False

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(notification.pk) is True, "tried and backing off: left alone"
    assert mail.outbox == []
    backoff_passes(notification)
    assert outbox.deliver(notification.pk) is True

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert len(mail.outbox) == 1


def test_the_tasks_retry_waits_for_the_backoff(employee, unreachable_smtp):
    notification = notify_password_changed(employee)

    # Celery's eager ``apply`` runs a retry at once, long before the notification is due again.
    result = deliver_notification.apply(args=[notification.pk])

    assert result.state == "SUCCESS", result.traceback
    notification.refresh_from_db()
    assert notification.attempts == 1, "a retry before the backoff has passed spent an attempt"
    assert notification.status == Notification.Status.PENDING
    assert notification.next_attempt_at > timezone.now()


def test_a_retry_after_the_sweep_has_tried_keeps_the_sweeps_backoff(
    employee, settings, unreachable_smtp
):
    notification = notify_password_changed(employee)
    assert outbox.deliver(notification.pk) is False  # the task's first attempt
    # The backoff passes, and the sweep comes round before the task's retry and fails too.
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert outbox.sweep() == 1
    notification.refresh_from_db()
    assert notification.attempts == 2
    backoff_until = notification.next_attempt_at

    late_retry = deliver_notification.apply(args=[notification.pk], retries=1)

    assert late_retry.state == "SUCCESS", late_retry.traceback
    notification.refresh_from_db()
    assert notification.attempts == 2, "the late retry spent an attempt inside the backoff"
    assert notification.next_attempt_at == backoff_until

    # A retry that comes round when the notification is due does send it.
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    due_retry = deliver_notification.apply(args=[notification.pk], retries=2)

    assert due_retry.state == "SUCCESS", due_retry.traceback
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    assert len(mail.outbox) == 1


def test_inactive_recipient_is_failed_without_sending(employee):
    notification = notify_password_changed(employee)
    employee.is_active = False
    employee.save(update_fields=["is_active"])

    assert outbox.deliver(notification.pk) is True

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 0
    assert notification.last_error == "Recipient's account is not active."


def test_a_message_to_an_outside_address_is_emailed_and_in_no_inbox(employee):
    witnessed = {"day": datetime(2026, 3, 2, tzinfo=UTC), "sequence": 7}
    text = "date: 2026-03-02\nsequence: 7\n"
    notification = outbox.notify_address(
        address="auditor@audit.example",
        kind="signature-witness",
        dedupe_key="witness:test",
        context={"witness": witnessed, "witness_text": text},
    )
    again = outbox.notify_address(
        address="auditor@audit.example", kind="signature-witness", dedupe_key="witness:test"
    )

    assert again == notification
    assert outbox.deliver(notification.pk) is True
    assert [m.to for m in mail.outbox] == [["auditor@audit.example"]]
    assert mail.outbox[0].body == text
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.to_email == "auditor@audit.example"
    assert not Notification.objects.filter(recipient__isnull=False).exists()


def test_a_message_with_neither_recipient_nor_address_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(kind="k", subject="s", body_text="b", dedupe_key="nobody")


# --- retry_delay --------------------------------------------------------------------------------


def test_retry_delay_is_capped_below_the_redis_visibility_timeout(monkeypatch):
    cap = django_settings.OUTBOX_MAX_RETRY_DELAY
    delays = [outbox.retry_delay(attempts).total_seconds() for attempts in range(0, 40)]

    assert max(delays) == cap
    assert all(delay <= cap for delay in delays)

    # A Celery retry is a delayed message: Redis redelivers it as lost after the visibility
    # timeout, so the longest wait must stay below that of the production Redis settings.
    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6379/0")
    production = runpy.run_path(portal_settings.__file__)
    visibility_timeout = production["CELERY_BROKER_TRANSPORT_OPTIONS"].get(
        "visibility_timeout", RedisChannel.visibility_timeout
    )
    assert production["OUTBOX_MAX_RETRY_DELAY"] == cap
    assert cap < visibility_timeout


# --- sweep --------------------------------------------------------------------------------------


def test_sweep_delivers_due_notifications_and_leaves_later_ones(employee, manager):
    due = [notify_password_changed(employee, key=f"due:{n}") for n in range(3)]
    later = notify_password_changed(manager, key="later")
    Notification.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    assert outbox.sweep() == 3

    assert sorted(m.to[0] for m in mail.outbox) == ["employee@example.com"] * 3
    assert set(
        Notification.objects.filter(status=Notification.Status.SENT).values_list("pk", flat=True)
    ) == {n.pk for n in due}
    later.refresh_from_db()
    assert later.status == Notification.Status.PENDING
    assert later.attempts == 0


def test_sweep_twice_sends_each_message_once(employee):
    for n in range(3):
        notify_password_changed(employee, key=f"twice:{n}")

    assert outbox.sweep() == 3
    assert outbox.sweep() == 0

    assert len(mail.outbox) == 3
    assert not Notification.objects.filter(status=Notification.Status.PENDING).exists()


def test_a_backlog_starts_more_sweeps_one_per_share_up_to_the_most(
    employee, settings, queued_tasks
):
    settings.OUTBOX_SWEEP_SHARE, settings.OUTBOX_SWEEPERS = 2, 3
    for n in range(5):
        notify_password_changed(employee, key=f"backlog:{n}")
    queued_tasks()  # each notice's own delivery task

    assert outbox.sweep_all() == 5  # this sweep does not wait for the others

    helpers = queued_tasks()
    assert helpers == [("portal.tasks.help_sweep_outbox", [])] * 2
    assert len(mail.outbox) == 5
    assert help_sweep_outbox.apply().get() == 0, "nothing is left for a helper to send twice"
    assert len(mail.outbox) == 5

    notify_password_changed(employee, key="backlog:small")
    queued_tasks()
    assert outbox.sweep_all() == 1
    assert queued_tasks() == [], "a backlog within one share is swept alone"


def test_sweep_leaves_a_failing_message_for_its_next_attempt(employee, unreachable_smtp):
    notification = notify_password_changed(employee)

    assert outbox.sweep() == 1
    assert outbox.sweep() == 0, "a failed message is not retried before its next attempt"

    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.status == Notification.Status.PENDING


class RowWatchingBackend(LocmemBackend):
    """Sends to ``mail.outbox``, noting each notification's row as it stands while it is sent."""

    seen: list[tuple[str, datetime]] = []

    def send_messages(self, messages):
        for message in messages:
            row = Notification.objects.get(recipient__email=message.to[0])
            RowWatchingBackend.seen.append((row.status, row.next_attempt_at))
        return super().send_messages(messages)


def test_the_sweep_holds_what_it_sends_until_its_task_could_no_longer_run(employee, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RowWatchingBackend"
    RowWatchingBackend.seen = []
    notification = notify_password_changed(employee)
    before = timezone.now()

    assert outbox.sweep() == 1

    ((status, lease_ends),) = RowWatchingBackend.seen
    assert status == Notification.Status.SENDING
    assert lease_ends > before + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    # And a sweep starts no message once its soft time limit is near.
    assert settings.OUTBOX_SWEEP_SECONDS < settings.CELERY_TASK_SOFT_TIME_LIMIT
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


def test_a_message_a_sweep_is_sending_is_left_to_the_sweep(employee):
    notification = notify_password_changed(employee)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert outbox.deliver(notification.pk) is True
    assert outbox.sweep() == 0

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING
    assert notification.attempts == 0


def test_a_message_whose_sweep_died_is_sent_once_its_lease_ends(employee):
    notification = notify_password_changed(employee)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert outbox.sweep() == 1
    assert outbox.sweep() == 0

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1


class LeaseTakingBackend(LocmemBackend):
    """While a message is being sent, its lease runs out and another sweep takes the row."""

    def send_messages(self, messages):
        for message in messages:
            Notification.objects.filter(recipient__email=message.to[0]).update(
                next_attempt_at=OTHER_SWEEPS_LEASE
            )
        return super().send_messages(messages)


OTHER_SWEEPS_LEASE = datetime(2030, 1, 1, tzinfo=UTC)


def test_a_sweep_whose_lease_ran_out_leaves_the_row_to_the_sweep_that_holds_it(
    employee, settings, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.LeaseTakingBackend"
    notification = notify_password_changed(employee)

    assert outbox.sweep() == 1

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING
    assert notification.next_attempt_at == OTHER_SWEEPS_LEASE
    assert notification.attempts == 0
    assert "its lease ran out while sending" in caplog.text


def test_a_sweep_starts_nothing_once_its_time_is_up(employee, settings):
    settings.OUTBOX_SWEEP_SECONDS = 0
    notification = notify_password_changed(employee)

    assert outbox.sweep() == 0

    assert mail.outbox == []
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 0)


class TimeUpBackend(LocmemBackend):
    def send_messages(self, messages):
        raise SoftTimeLimitExceeded()


def test_the_tasks_time_running_out_is_not_the_messages_failure(employee, settings):
    settings.EMAIL_BACKEND = f"{__name__}.TimeUpBackend"
    first = notify_password_changed(employee, key="time-up:1")
    second = notify_password_changed(employee, key="time-up:2")

    with pytest.raises(SoftTimeLimitExceeded):
        outbox.sweep()

    for notification in (first, second):
        notification.refresh_from_db()
        assert notification.status == Notification.Status.PENDING, "given back"
        assert notification.attempts == 0
        assert notification.last_error == ""
        assert notification.next_attempt_at <= timezone.now()


def test_a_message_that_cannot_be_made_fails_alone(employee, manager, monkeypatch):
    def broken(user):
        raise RuntimeError("no secret today")

    monkeypatch.setitem(outbox.SEND_TIME_SECRETS, "password-changed", broken)
    broken_one = notify_password_changed(employee, key="cannot-be-made")
    other = outbox.notify(
        recipient=manager,
        kind="password-expiring",
        dedupe_key="can-be-made",
        context={"days_left": 3, "max_age_days": 90, "expires_text": "Friday"},
    )

    assert outbox.sweep() == 2

    broken_one.refresh_from_db()
    assert broken_one.status == Notification.Status.PENDING
    assert broken_one.attempts == 1
    assert broken_one.last_error == "RuntimeError: no secret today"
    assert broken_one.next_attempt_at > timezone.now()
    other.refresh_from_db()
    assert other.status == Notification.Status.SENT
    assert [m.to for m in mail.outbox] == [[manager.email]]


# The sweep leases due messages a batch at a time (two statements: mark them, read them) and
# marks each one as it is sent (one statement, committed on its own); one more lease finds that
# nothing more is due.
QUERIES_PER_NOTIFICATION = 1
QUERIES_PER_BATCH = 2


def test_sweep_queries_grow_by_a_constant_per_notification(db, settings):
    settings.OUTBOX_SEND_BATCH = 5
    for size in (3, 12):
        recipients = UserFactory.create_batch(size)
        for n, user in enumerate(recipients):
            notify_password_changed(user, key=f"size-{size}:{n}")
        batches = -(-size // settings.OUTBOX_SEND_BATCH)
        with CaptureQueriesContext(connection) as captured:
            assert outbox.sweep() == size
        expected = QUERIES_PER_NOTIFICATION * size + QUERIES_PER_BATCH * batches + 1
        assert len(captured.captured_queries) == expected, (size, captured.captured_queries)

    assert len(mail.outbox) == 15
