"""Policy 5.6's password age applies to portal passwords only: someone who only signs in through
the organisation's own sign-in has none, is never told it is too old nor sent to change it, and the
operations page counts each group."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import operations, password_age
from portal.models import ExternalIdentity, Notification, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def organisation_only(user: User, *, password_set: timedelta) -> User:
    """An account whose portal password was made unusable (it signs in through the organisation's
    provider) long after a password was last set."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - password_set)
    user.refresh_from_db()
    return user


def test_someone_without_a_portal_password_is_never_sent_to_change_it(client, employee) -> None:
    organisation_only(employee, password_set=timedelta(days=200))
    assert not password_age.is_too_old(employee)
    client.force_login(employee)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert not any("password" in str(m) for m in response.context["messages"])


def test_the_same_age_with_a_portal_password_is_sent_to_change_it(client, employee) -> None:
    User.objects.filter(pk=employee.pk).update(
        password_changed_at=timezone.now() - timedelta(days=200)
    )
    employee.refresh_from_db()
    assert password_age.is_too_old(employee)
    client.force_login(employee)
    assert client.get(reverse("home"))["Location"] == reverse("password_change")


def test_the_daily_job_tells_only_password_accounts(db) -> None:
    now = timezone.now()
    with_password = UserFactory(email="password@example.com")
    User.objects.filter(pk=with_password.pk).update(password_changed_at=now - timedelta(days=80))
    organisation_only(UserFactory(email="provider@example.com"), password_set=timedelta(days=80))

    result = password_age.daily_job(now)

    assert result.notices == 1
    assert set(
        Notification.objects.filter(kind=password_age.KIND).values_list(
            "recipient__email", flat=True
        )
    ) == {"password@example.com"}


def test_the_operations_page_counts_each_group(client, it_user) -> None:
    UserFactory.create_batch(2)  # portal passwords
    signed_in_by_provider = organisation_only(UserFactory(), password_set=timedelta(days=1))
    User.objects.filter(pk=signed_in_by_provider.pk).update(last_login=timezone.now())
    ExternalIdentity.objects.create(
        user=signed_in_by_provider, issuer="https://login.example.org", subject="s-1"
    )
    organisation_only(UserFactory(), password_set=timedelta(days=1))  # not signed in yet
    organisation_only(UserFactory(is_active=False), password_set=timedelta(days=1))  # closed
    client.force_login(it_user)

    counts = operations.sign_in_methods()
    page = client.get(reverse("operations")).content.decode()

    # The two with passwords, and the IT user's own.
    assert counts == operations.SignInMethods(
        with_password=3, organisation_only=2, linked=1, never_signed_in=1
    )
    assert "With a portal password: <strong>3</strong>" in page
    assert "organisation sign-in only, or not set up yet): <strong>2</strong>" in page
    assert (
        "of whom 1 has signed in with the organisation's account and 1 has not signed in yet"
        in page
    )
