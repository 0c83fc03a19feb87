"""A password change succeeds while Redis is down or hung, and its notice goes out once Redis is
back.

The user's request does not wait on the broker: the socket timeouts in the Celery settings make
the publish give up, the notification stays pending in the database, and the sweep sends it once
a worker can be reached again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal import outbox, permissions
from portal.models import Notification
from portal.tasks import sweep_outbox
from tests.factories import UserFactory


def assert_password_changed_and_notice_pending(response, user, caplog) -> Notification:
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("Lantern-orchard-winter-42")
    notification = Notification.objects.get(recipient=user, kind="password-changed")
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 0
    assert f"notification {notification.pk} left for the sweep" in caplog.text, (
        "the publish to the broker should have failed and been handed to the sweep"
    )
    assert mail.outbox == []
    return notification


def assert_sent_once_when_redis_is_back(
    notification, redis_url, use_broker, run_worker, wait_until_handled
) -> None:
    use_broker(redis_url)
    with run_worker():
        sweep_outbox.delay()
        handled = wait_until_handled(notification.pk)

    assert handled.status == Notification.Status.SENT
    assert handled.attempts == 1
    assert [m.to for m in mail.outbox] == [["employee@example.com"]]
    assert mail.outbox[0].subject == "Your portal password was changed"
    # Sweeping again sends nothing more.
    assert outbox.sweep() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_password_change_while_redis_refuses_connections(
    client,
    employee,
    redis_url,
    refused_broker_url,
    use_broker,
    run_worker,
    change_password,
    wait_until_handled,
    caplog,
):
    use_broker(refused_broker_url)

    response, elapsed = change_password(client, employee)

    notification = assert_password_changed_and_notice_pending(response, employee, caplog)
    print(f"refused broker: the password change took {elapsed:.3f} s")

    assert_sent_once_when_redis_is_back(
        notification, redis_url, use_broker, run_worker, wait_until_handled
    )


@pytest.mark.django_db(transaction=True)
def test_password_change_while_redis_hangs(
    client,
    employee,
    redis_url,
    silent_redis,
    use_broker,
    run_worker,
    change_password,
    wait_until_handled,
    caplog,
):
    use_broker(silent_redis.url)

    response, elapsed = change_password(client, employee)

    notification = assert_password_changed_and_notice_pending(response, employee, caplog)
    print(f"hung broker: the password change took {elapsed:.3f} s")
    # The request came back because the client gave up on the silent server by itself, not
    # because the server dropped it.
    assert silent_redis.wait_until_all_closed(timeout=silent_redis.patience + 5), (
        f"connections to the silent server still open after the request ({elapsed:.1f} s)"
    )
    assert silent_redis.accepted >= 1
    assert silent_redis.bytes_received > 0, "the client never sent a command"
    assert silent_redis.closed_by_server == 0, (
        f"the request waited until the silent server gave up ({elapsed:.1f} s): "
        "the broker socket timeouts are not in effect"
    )
    assert silent_redis.closed_by_client == silent_redis.accepted

    assert_sent_once_when_redis_is_back(
        notification, redis_url, use_broker, run_worker, wait_until_handled
    )


@pytest.mark.django_db(transaction=True)
def test_a_request_waits_for_a_hung_broker_once_however_many_notices_it_writes(
    client,
    hr_user,
    manager,
    department,
    redis_url,
    silent_redis,
    use_broker,
    run_worker,
    wait_until_handled,
    caplog,
):
    it_staff = [
        UserFactory(email=f"it{n}@example.com", groups=[permissions.IT_GROUP]) for n in range(5)
    ]
    use_broker(silent_redis.url)
    client.force_login(hr_user)

    # A starter's notice tells each of the five people in IT: five notices in one request.
    response = client.post(
        reverse("requests:staff_change_new", args=["starter"]),
        {
            "first_name": "Sam",
            "last_name": "Taylor",
            "email": "sam.taylor@example.com",
            "department": department.pk,
            "line_manager_email": manager.email,
            "start_date": (timezone.localdate() + timedelta(days=14)).strftime("%d/%m/%Y"),
            "systems": "Care records",
        },
    )

    assert response.status_code == 302
    notices = list(Notification.objects.filter(kind="staff-change-new"))
    assert sorted(n.recipient_id for n in notices) == sorted(u.pk for u in it_staff)
    assert all(n.status == Notification.Status.PENDING for n in notices)
    assert silent_redis.wait_until_all_closed(timeout=silent_redis.patience + 5)
    # One connection to the hung broker, not one per notice: after the first publish timed out,
    # the others were left to the sweep without trying.
    assert silent_redis.accepted == 1
    assert caplog.text.count("left for the sweep") == len(notices)

    # The next request tries the broker afresh.
    client.get(reverse("home"))
    outbox.enqueue_delivery(notices[0].pk)
    assert silent_redis.wait_until_all_closed(timeout=silent_redis.patience + 5)
    assert silent_redis.accepted == 2

    use_broker(redis_url)
    with run_worker():
        sweep_outbox.delay()
        handled = [wait_until_handled(n.pk) for n in notices]
    assert {n.status for n in handled} == {Notification.Status.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in it_staff)
