"""Policy 5.6: notices before a password is too old, and the change it then requires."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import password_age
from portal.models import Notification, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 20, 6, 30, tzinfo=UTC)  # winter: London is UTC
NEW_PASSWORD = "Meadow-quartz-violin-harbour"


def set_at(user: User, moment: datetime) -> User:
    User.objects.filter(pk=user.pk).update(password_changed_at=moment)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize(
    ("days_left", "owed"),
    [
        (20, None),
        (15, None),
        (14, 14),
        (10, 14),
        (8, 14),
        (7, 7),
        (2, 7),
        (1, 1),
        (0, None),
        (-3, None),
    ],
)
def test_the_notice_owed_is_the_latest_occasion_before_expiry(days_left: int, owed) -> None:
    today = date(2026, 1, 20)
    assert password_age.notice_owed(today + timedelta(days=days_left), today) == owed


def test_the_job_tells_each_person_once_per_occasion(db) -> None:
    due_in = {"fourteen": 14, "ten": 10, "seven": 7, "one": 1, "twenty": 20, "expired": -1}
    people = {
        name: set_at(UserFactory(email=f"{name}@example.com"), NOW - timedelta(days=90 - days))
        for name, days in due_in.items()
    }

    result = password_age.daily_job(NOW)

    sent = {n.recipient.email: n for n in Notification.objects.select_related("recipient")}
    assert set(sent) == {f"{n}@example.com" for n in ("fourteen", "ten", "seven", "one")}
    assert result.found == result.notices == 4
    ten = sent["ten@example.com"]
    stamp = int(people["ten"].password_changed_at.timestamp())
    assert ten.dedupe_key == f"password-age:{people['ten'].pk}:{stamp}:14"
    assert ten.subject == "Change your portal password within 10 days"
    assert "90 days old on 30 January 2026" in ten.body_text
    assert sent["one@example.com"].subject == "Change your portal password by tomorrow"
    assert ten.link == reverse("password_change")
    # Again the same day: nothing new.
    assert password_age.daily_job(NOW).notices == 0


def test_the_expiry_is_written_in_london_time_in_words() -> None:
    write = password_age._expiry_texts()
    moments = [
        (datetime(2026, 1, 30, 9, 7, tzinfo=UTC), "30 January 2026 at 09:07"),
        (datetime(2026, 1, 30, 17, 45, tzinfo=UTC), "30 January 2026 at 17:45"),
        # Summer time: the London hour, and the London day just after midnight.
        (datetime(2026, 4, 5, 4, 0, tzinfo=UTC), "5 April 2026 at 05:00"),
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026 at 00:30"),
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), "30 June 2026 at 23:59"),
    ]
    assert [write(moment) for moment, _ in moments] == [text for _, text in moments]


def test_a_new_password_starts_a_new_series(employee) -> None:
    set_at(employee, NOW - timedelta(days=83))  # 7 days left
    assert password_age.daily_job(NOW).notices == 1
    employee.set_password(NEW_PASSWORD)
    employee.save()

    # The new password is far from too old: the next days owe nothing.
    for days in range(1, 10):
        assert password_age.daily_job(NOW + timedelta(days=days)).notices == 0


def test_no_notices_for_leavers_inactive_accounts_or_unusable_passwords(db) -> None:
    moment = NOW - timedelta(days=80)
    set_at(UserFactory(is_active=False), moment)
    set_at(UserFactory(end_date=date(2026, 1, 10), start_date=date(2020, 1, 1)), moment)
    unusable = UserFactory()
    User.objects.filter(pk=unusable.pk).update(password=make_password(None))
    set_at(unusable, moment)
    set_at(UserFactory(), moment)

    assert password_age.daily_job(NOW).notices == 1


def test_nothing_when_expiry_is_turned_off(settings, employee) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 0
    set_at(employee, NOW - timedelta(days=80))
    result = password_age.daily_job(NOW)
    assert result.notices == 0
    assert "turned off" in result.summary


@pytest.mark.parametrize("size", [3, 25])
def test_the_job_queries_do_not_grow_with_people(db, size: int) -> None:
    for user in UserFactory.create_batch(size):
        set_at(user, NOW - timedelta(days=80))
    with CaptureQueriesContext(connection) as queries:
        assert password_age.daily_job(NOW).notices == size
    # The people; which keys are free; which are taken as the batch is built; one batch
    # (savepoint, insert, release).
    assert len(queries) == 6


# --- Too old: the next request goes to the change page ------------------------------------------
def test_a_password_too_old_sends_every_page_to_the_change_page(client, employee) -> None:
    set_at(employee, timezone.now() - timedelta(days=91))
    client.force_login(employee)

    for url in (reverse("home"), reverse("inbox"), reverse("acknowledgements:policy_list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("password_change")
    response = client.post(reverse("inbox_mark_all_read"))
    assert response["Location"] == reverse("password_change")

    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "more than 90 days old" in page.content.decode()


def test_once_changed_the_pages_open_again(client, employee) -> None:
    set_at(employee, timezone.now() - timedelta(days=91))
    client.force_login(employee)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    assert client.get(reverse("home")).status_code == 200


def test_signing_out_is_still_possible(client, employee) -> None:
    set_at(employee, timezone.now() - timedelta(days=91))
    client.force_login(employee)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize("days", [89, None])
def test_a_younger_or_unknown_password_is_left_alone(client, employee, days) -> None:
    set_at(employee, timezone.now() - timedelta(days=days) if days else None)
    client.force_login(employee)
    assert client.get(reverse("home")).status_code == 200


def test_no_redirect_when_expiry_is_turned_off(client, employee, settings) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 0
    set_at(employee, timezone.now() - timedelta(days=400))
    client.force_login(employee)
    assert client.get(reverse("home")).status_code == 200


def test_the_default_age_is_ninety_days(settings) -> None:
    assert settings.PASSWORD_MAX_AGE_DAYS == 90
