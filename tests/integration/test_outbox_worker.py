"""A real Celery worker on real Redis delivers the notice of a real password change."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from portal import outbox
from portal.models import Notification


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_the_notice_of_a_password_change(
    client, employee, redis_broker, run_worker, change_password, wait_until_handled
):
    with run_worker():
        response, _ = change_password(client, employee)
        assert response.status_code == 302
        assert response["Location"] == reverse("password_change_done")
        notification = Notification.objects.get(recipient=employee, kind="password-changed")
        handled = wait_until_handled(notification.pk)

    assert handled.status == Notification.Status.SENT
    assert handled.attempts == 1
    assert handled.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["employee@example.com"]
    assert message.subject == "Your portal password was changed"
    assert "password was changed on" in message.body
    assert [alt.mimetype for alt in message.alternatives] == ["text/html"]
    assert "password was changed on" in message.alternatives[0].content

    # The sweep finds nothing left to send: the message went out once.
    assert outbox.sweep() == 0
    assert len(mail.outbox) == 1
