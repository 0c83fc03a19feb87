"""The operations page: scheduled jobs and the outbox, for IT and admins; every action audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import scheduling
from portal.models import AuditEvent, JobRun, Notification
from tests.factories import NotificationFactory, UserFactory
from tests.helpers import signed_in
from tests.portal.test_outbox import queued_tasks  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

PAGE = reverse("operations")


@pytest.mark.parametrize("actor", ["it_user", "superuser"])
def test_it_and_admins_see_every_job_and_its_last_run(client, request, actor: str) -> None:
    scheduling.run_job("hr-weekly-summary")
    response = signed_in(client, request.getfixturevalue(actor)).get(PAGE)

    assert response.status_code == 200
    rows = {row.job.name: row for row in response.context["jobs"]}
    assert set(rows) == set(scheduling.JOBS)
    assert rows["hr-weekly-summary"].last.status == JobRun.Status.SUCCEEDED
    assert rows["unsigned-policy"].last is None
    assert rows["unsigned-policy"].schedule == "Every day at 07:00"
    page = response.content.decode()
    assert "Unsigned policy reminders" in page
    assert "Every day at 07:00" in page
    assert "Never" in page


@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "reviewer"])
def test_other_roles_are_refused(client, request, actor: str) -> None:
    client = signed_in(client, request.getfixturevalue(actor))
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("run_job", args=["unsigned-policy"])).status_code == 403
    assert client.post(reverse("retry_failed")).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="job.").exists()


def test_signed_out_goes_to_sign_in(client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_run_now_is_audited_and_queued(client, it_user, queued_tasks) -> None:  # noqa: F811
    response = signed_in(client, it_user).post(reverse("run_job", args=["password-age"]))

    assert response["Location"] == PAGE
    event = AuditEvent.objects.get(action="job.run_requested")
    assert event.actor == it_user
    assert event.data == {"job": "password-age"}
    assert queued_tasks() == [("portal.tasks.run_scheduled_job", ["password-age", it_user.pk])]
    page = client.get(PAGE).content.decode()
    assert "is queued" in page


def test_run_now_of_an_unknown_job_is_404(client, it_user) -> None:
    response = signed_in(client, it_user).post(reverse("run_job", args=["no-such-job"]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="job.").exists()


@pytest.mark.parametrize(
    "url",
    [
        reverse("run_job", args=["password-age"]),
        reverse("retry_notification", args=[1]),
        reverse("retry_failed"),
    ],
)
def test_actions_are_post_only(client, it_user, url: str) -> None:
    assert signed_in(client, it_user).get(url).status_code == 405


def test_a_failed_notification_is_retried_with_fresh_attempts(client, it_user, employee) -> None:
    failed = NotificationFactory(
        recipient=employee, status=Notification.Status.FAILED, attempts=8, last_error="Timeout"
    )
    client = signed_in(client, it_user)
    assert failed.subject in client.get(PAGE).content.decode()

    response = client.post(reverse("retry_notification", args=[failed.pk]))

    assert response["Location"] == PAGE
    failed.refresh_from_db()
    assert failed.status == Notification.Status.PENDING
    assert failed.attempts == 0
    assert failed.next_attempt_at <= timezone.now()
    event = AuditEvent.objects.get(action="notification.retried")
    assert (event.actor, event.object_id) == (it_user, str(failed.pk))
    assert event.data == {"previous_status": "failed", "last_error": "Timeout"}


def test_a_sent_notification_is_not_sent_again(client, it_user, employee) -> None:
    sent = NotificationFactory(recipient=employee, status=Notification.Status.SENT)
    response = signed_in(client, it_user).post(
        reverse("retry_notification", args=[sent.pk]), follow=True
    )
    assert "has been sent already" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Notification.Status.SENT
    assert not AuditEvent.objects.filter(action__startswith="notification.").exists()


def test_retrying_a_missing_notification_is_404(client, it_user) -> None:
    assert (
        signed_in(client, it_user).post(reverse("retry_notification", args=[999])).status_code
        == 404
    )


def test_retry_all_failed(client, it_user, employee) -> None:
    NotificationFactory.create_batch(3, recipient=employee, status=Notification.Status.FAILED)
    NotificationFactory(recipient=employee, status=Notification.Status.SENT)

    response = signed_in(client, it_user).post(reverse("retry_failed"), follow=True)

    assert "3 failed notifications will be sent again." in response.content.decode()
    assert Notification.objects.filter(status=Notification.Status.PENDING).count() == 3
    assert AuditEvent.objects.get(action="notification.retried_all").data == {"count": 3}


@pytest.mark.parametrize("size", [2, 20])
def test_the_page_queries_do_not_grow_with_runs_or_notifications(
    client, it_user, django_assert_num_queries, size: int
) -> None:
    people = UserFactory.create_batch(size)
    for person in people:
        NotificationFactory(recipient=person, status=Notification.Status.FAILED)
        NotificationFactory(recipient=person)
    for _ in range(size):
        scheduling.run_job("hr-weekly-summary")
    client = signed_in(client, it_user)
    client.get(PAGE)  # the session and groups are warm
    # Session, user, groups; a last run per job; recent runs; the outbox counts; the accounts
    # with and without a password; pending; failed; the menu's line-manager and budget-holder
    # checks and unread count; the session saved (savepoint, update, release); the health
    # list's database, beat and sweep checks and the silent beat alert's look at the last sweep.
    with django_assert_num_queries(18 + len(scheduling.JOBS)):
        assert client.get(PAGE).status_code == 200


def test_a_notification_being_sent_is_not_sent_again(client, it_user, employee) -> None:
    lease_ends = timezone.now() + timedelta(minutes=5)
    sending = NotificationFactory(
        recipient=employee, status=Notification.Status.SENDING, next_attempt_at=lease_ends
    )
    page = signed_in(client, it_user).get(PAGE).content.decode()
    assert "Being sent" in page
    assert reverse("retry_notification", args=[sending.pk]) not in page

    response = signed_in(client, it_user).post(
        reverse("retry_notification", args=[sending.pk]), follow=True
    )
    assert "is being sent now" in response.content.decode()
    sending.refresh_from_db()
    assert (sending.status, sending.next_attempt_at) == (Notification.Status.SENDING, lease_ends)
    assert not AuditEvent.objects.filter(action__startswith="notification.").exists()


def test_recent_runs_list_the_outbox_sweeps_that_failed_and_no_others(client, it_user) -> None:
    now = timezone.now()
    JobRun.objects.create(job="outbox-sweep", started_at=now, status=JobRun.Status.SUCCEEDED)
    JobRun.objects.create(job="outbox-sweep", started_at=now, status=JobRun.Status.RUNNING)
    failed = JobRun.objects.create(
        job="outbox-sweep",
        started_at=now - timedelta(minutes=1),
        status=JobRun.Status.FAILED,
        error="OperationalError: the database system is shutting down",
    )
    daily = scheduling.run_job("hr-weekly-summary", now=now - timedelta(minutes=2))

    response = signed_in(client, it_user).get(PAGE)

    assert list(response.context["runs"]) == [failed, daily]
    assert "OperationalError: the database system is shutting down" in response.content.decode()
