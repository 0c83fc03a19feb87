"""A real Celery worker on real Redis: the starter's invitation and the hourly end of access."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from acknowledgements import publishing
from portal import outbox
from portal.models import Notification, User
from portal.staff_import import import_staff
from requests import tasks
from requests.staff.models import StaffChangeTask
from tests.integration.conftest import DELIVERY_DEADLINE, NEW_PASSWORD
from tests.portal.test_staff_import import staff_csv
from tests.portal.test_staff_import_roles import row_for
from tests.requests.staff import give, leaver_details, starter_details, tick

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_sends_the_invitation_with_a_link_made_at_sending_time(
    redis_broker, run_worker, wait_until_handled, hr_user, manager, employee, department, it_user
) -> None:
    publishing.load_seed_policy()
    notice = give(hr_user, starter_details(department, manager))
    tick(it_user, notice, StaffChangeTask.Kind.ACCOUNT_CREATED)
    invitation = Notification.objects.get(kind="sign-in-invitation")
    with run_worker():
        # As after the commit that wrote it (the worker starts on an empty queue).
        outbox.enqueue_delivery(invitation.pk)
        handled = wait_until_handled(invitation.pk)

    assert handled.status == Notification.Status.SENT
    (message,) = [m for m in mail.outbox if m.to == ["sam.taylor@example.com"]]
    uid, token = re.search(r"/accounts/reset/([^/\s]+)/([^/\s]+)/", message.body).groups()
    stored = Notification.objects.get(pk=invitation.pk)
    assert token not in stored.body_text + stored.body_html

    client = Client()
    form = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(email="sam.taylor@example.com").check_password(NEW_PASSWORD)


def test_worker_runs_the_hourly_job_that_ends_access(
    redis_broker, run_worker, manager, employee
) -> None:
    last_day = timezone.localdate() - timedelta(days=2)
    give(manager, leaver_details(employee, end_date=last_day), today=last_day)
    with run_worker():
        tasks.end_expired_access.delay()
        give_up_at = time.monotonic() + DELIVERY_DEADLINE
        while User.objects.filter(pk=employee.pk, is_active=True).exists():
            if time.monotonic() > give_up_at:
                pytest.fail("The worker did not end the leaver's access.")
            time.sleep(0.05)
    assert not User.objects.get(pk=employee.pk).has_usable_password()


def test_worker_tells_the_old_address_and_sends_no_invitation_after_a_change(
    redis_broker, run_worker, wait_until_handled, hr_user, manager, employee, department, it_user
) -> None:
    """HR's import moves a starter's address while their invitation waits in the outbox: the
    worker sends the notice of the change to the address the account had, and no link at all."""
    publishing.load_seed_policy()
    notice = give(hr_user, starter_details(department, manager))
    tick(it_user, notice, StaffChangeTask.Kind.ACCOUNT_CREATED)
    invitation = Notification.objects.get(kind="sign-in-invitation")
    starter = User.objects.get(email="sam.taylor@example.com")
    result = import_staff(
        actor=hr_user, data=staff_csv(row_for(starter, email="sam@elsewhere.example.com"))
    )
    assert (result.updated, result.errors) == (1, [])
    changed = Notification.objects.get(kind="email-changed")

    with run_worker():
        outbox.enqueue_delivery(invitation.pk)
        outbox.enqueue_delivery(changed.pk)
        assert wait_until_handled(changed.pk).status == Notification.Status.SENT

    assert Notification.objects.get(pk=invitation.pk).status == Notification.Status.FAILED
    assert [m.to for m in mail.outbox] == [["sam.taylor@example.com"]]
    assert "sam@elsewhere.example.com" in mail.outbox[0].body
    assert "/accounts/reset/" not in mail.outbox[0].body
