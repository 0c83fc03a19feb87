"""Personal-use grants: told 7 days before they expire, and ended once they have."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acknowledgements import grants
from acknowledgements.models import PersonalUseGrant
from portal.models import AuditEvent, Notification
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 5, 24)


def run_on(day: date):
    return grants.expiry_job(datetime(day.year, day.month, day.day, 6, 45, tzinfo=LONDON))


def grant(employee, *, expires: date, granted: date = date(2026, 4, 1), **kwargs):
    return PersonalUseGrantFactory(
        employee=employee,
        expires_on=expires,
        granted_at=datetime(granted.year, granted.month, granted.day, 10, tzinfo=LONDON),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("granted", "today", "owed"),
    [
        (date(2026, 4, 1), date(2026, 5, 23), False),
        (date(2026, 4, 1), date(2026, 5, 24), True),
        (date(2026, 4, 1), date(2026, 5, 31), True),  # a missed morning is made up
        (date(2026, 4, 1), date(2026, 6, 1), False),  # expired
        (date(2026, 5, 24), date(2026, 5, 24), True),
        (date(2026, 5, 25), date(2026, 5, 26), False),  # granted for less than 7 days
    ],
)
def test_the_notice_owed(granted: date, today: date, owed: bool) -> None:
    assert grants.expiry_notice_owed(granted, date(2026, 5, 31), today) is owed


def test_the_employee_and_their_manager_are_told_once(employee, manager) -> None:
    g = grant(employee, expires=date(2026, 5, 31), email=True, internet=True)

    result = run_on(TODAY)
    run_on(TODAY + timedelta(days=1))

    assert result.notices == 2
    mine = Notification.objects.get(recipient=employee)
    assert mine.dedupe_key == f"personal-use-expiring:{g.pk}:{employee.pk}"
    assert mine.subject == "Your personal-use permission ends on 31 May 2026"
    assert "email, Internet" in mine.body_text
    assert mine.link == reverse("acknowledgements:my_personal_use")
    theirs = Notification.objects.get(recipient=manager)
    assert theirs.subject == "Emma Jones's personal-use permission ends on 31 May 2026"
    assert theirs.link == reverse("acknowledgements:team_personal_use", args=[employee.pk])
    assert Notification.objects.count() == 2


def test_expired_grants_end_at_the_end_of_their_last_day(employee, outsider) -> None:
    ended = grant(employee, expires=date(2026, 5, 31))
    current = grant(outsider, expires=date(2026, 6, 1))
    revoked = grant(
        UserFactory(line_manager=outsider), expires=date(2026, 5, 1), revoked_at=timezone.now()
    )

    result = run_on(date(2026, 6, 1))

    ended.refresh_from_db()
    assert ended.revoked_at == datetime(2026, 6, 1, tzinfo=LONDON)
    assert ended.revoked_by is None
    assert ended.revocation_note == grants.EXPIRED_NOTE
    assert grants.history_row(ended).state == "expired"
    current.refresh_from_db()
    assert current.revoked_at is None
    assert PersonalUseGrant.objects.get(pk=revoked.pk).revocation_note == ""
    event = AuditEvent.objects.get(action="personal_use.expired")
    assert event.object_id == str(ended.pk)
    assert event.data == {"employee": employee.pk, "expires_on": "2026-05-31"}
    assert result.summary == "1 expired grant(s) ended."
    assert run_on(date(2026, 6, 1)).summary == ""  # nothing left to end


def test_a_grant_ending_frees_the_way_for_a_new_one(employee, manager) -> None:
    grant(employee, expires=date(2026, 5, 31))
    run_on(date(2026, 6, 1))
    assert grants.current_grant_for(employee) is None
    assert not PersonalUseGrant.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("size", [2, 20])
def test_the_job_queries_do_not_grow_with_grants(db, size: int) -> None:
    manager = UserFactory()
    for person in UserFactory.create_batch(size, line_manager=manager):
        grant(person, expires=date(2026, 5, 31))
    for person in UserFactory.create_batch(size, line_manager=manager):
        grant(person, expires=date(2026, 5, 20))
    with CaptureQueriesContext(connection) as queries:
        result = run_on(TODAY)
    assert result.notices == 2 * size
    assert PersonalUseGrant.objects.filter(revoked_at__isnull=True).count() == size
    # Expired grants; savepoint, one update, the audit insert, release; the grants to warn of;
    # taken keys; one batch (savepoint, insert, release).
    assert len(queries) == 10
