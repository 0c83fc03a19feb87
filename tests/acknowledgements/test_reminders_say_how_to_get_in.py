"""A reminder to sign, to someone who has never signed in, says how to get in: choose a password,
or, with organisation sign-in on, use the work account. Nothing of the kind to anyone else."""

from __future__ import annotations

import pytest
from django.utils import timezone

from acknowledgements import reminders, staff_status
from portal.models import Notification, User
from tests.acknowledgements.test_reminders import A, assign, morning

pytestmark = pytest.mark.django_db

BASE_URL = "https://aup.northwind-care.example"
GET_IN = "You have not signed in to the portal yet."


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.PORTAL_BASE_URL = BASE_URL
    settings.OIDC_ENABLED = False


def test_the_scheduled_reminder_says_how_to_choose_a_password(version, employee, manager) -> None:
    User.objects.filter(pk=manager.pk).update(last_login=timezone.now())
    assign(version, [employee, manager])

    reminders.unsigned_job(morning(A))

    new = Notification.objects.get(recipient=employee, kind=reminders.SIGNER_KIND)
    assert GET_IN in new.body_text
    assert f"Choose your password at {BASE_URL}/accounts/reset/" in new.body_text
    assert f'href="{BASE_URL}/accounts/reset/"' in new.body_html
    known = Notification.objects.get(recipient=manager, kind=reminders.SIGNER_KIND)
    assert GET_IN not in known.body_text + known.body_html


def test_with_organisation_sign_in_it_says_to_use_the_work_account(
    settings, version, employee
) -> None:
    settings.OIDC_ENABLED = True
    settings.OIDC_BUTTON_LABEL = "Sign in with your Northwind account"
    assign(version, [employee])

    reminders.unsigned_job(morning(A))

    notice = Notification.objects.get(recipient=employee, kind=reminders.SIGNER_KIND)
    assert f'Sign in at {BASE_URL}/accounts/login/ with "Sign in with your Northwind account"' in (
        notice.body_text
    )
    assert "/accounts/reset/" not in notice.body_text
    assert "“Sign in with your Northwind account”" in notice.body_html


def test_a_line_managers_reminder_says_it_too(version, employee, manager) -> None:
    User.objects.filter(pk=manager.pk).update(last_login=timezone.now())
    assign(version, [employee])
    manager.refresh_from_db()

    notice = staff_status.send_reminder(manager=manager, person=employee, policy=version.policy)

    assert GET_IN in notice.body_text
    assert f'href="{BASE_URL}/accounts/reset/"' in notice.body_html
