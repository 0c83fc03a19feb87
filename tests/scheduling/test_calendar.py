"""Four hundred days of a small company, every scheduled job run each day at its UK time.

5 January 2026 to 8 February 2027, through both clock changes (29 March and 25 October 2026),
with a fixed clock at each moment. The company loads the seed policy (its review overdue since
March 2018), reviews it, publishes version 2, takes on a starter and loses a leaver; people sign
late or never, change passwords, get personal-use grants. Beat is down for three spells and runs
every job twice on two days. At the end the notices in the outbox must be exactly those the rules
give (``tests/scheduling/calendar.py``): none missed, none twice, and none once a person has
signed, changed their password or left.

To add a job: schedule it in settings (the calendar then runs it every day), add the events that
feed it (``tests/scheduling/company.py``), and state its notices as ``Series`` in
``scheduled_series`` there.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from acknowledgements import grants
from acknowledgements.models import Assignment, PersonalUseGrant, PolicyReview
from portal.models import JobRun, Notification, User
from tests.scheduling.calendar import LONDON, at, expected, job_times, sent
from tests.scheduling.company import (
    AUDITOR,
    DAYS,
    DOUBLED,
    FALL_BACK,
    OUTAGES,
    REVIEW_2_DATE,
    SCHEDULED_KINDS,
    SPRING_FORWARD,
    Company,
    build_calendar,
    email,
    scheduled_series,
)

pytestmark = pytest.mark.django_db


# --- The run ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(django_db_setup, django_db_blocker):
    """The whole calendar, run once for the module's tests (rolled back afterwards)."""
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        witnesses = override_settings(WITNESS_EMAILS=[AUDITOR])
        witnesses.enable()
        try:
            mail.outbox = []
            company = Company()
            calendar = build_calendar(company)
            calendar.run()
            calendar.emails = len(mail.outbox)
            yield calendar, sent(SCHEDULED_KINDS), expected(calendar, scheduled_series(calendar))
        finally:
            witnesses.disable()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_the_calendar_crosses_both_clock_changes(run) -> None:
    calendar, _, _ = run
    offsets = {at(day, 7).utcoffset() for day in calendar.dates}
    assert offsets == {timedelta(0), timedelta(hours=1)}
    assert calendar.start < SPRING_FORWARD < FALL_BACK < calendar.end
    assert len(calendar.dates) == DAYS
    # Every job ran on every day beat was up, twice on the doubled days.
    ran = sum(2 if day in DOUBLED else 1 for day in calendar.dates if day not in OUTAGES)
    assert calendar.runs == ran * len(job_times())
    assert JobRun.objects.exclude(status=JobRun.Status.SUCCEEDED).count() == 0


def test_exactly_the_notices_the_rules_give(run) -> None:
    _, actual, wanted = run
    missing = sorted(wanted - actual)
    extra = sorted(actual - wanted)
    assert not missing, f"{len(missing)} notices never sent, first: {missing[:5]}"
    assert not extra, f"{len(extra)} notices sent that the rules do not give, first: {extra[:5]}"
    assert len(actual) == len(wanted) > 300


def test_every_notice_was_emailed_once(run) -> None:
    calendar, _, _ = run
    assert not Notification.objects.exclude(status=Notification.Status.SENT).exists()
    assert calendar.emails == Notification.objects.count()
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))


def _dates(actual, prefix: str, to: str) -> list[date]:
    return sorted(day for day, key, email_ in actual if key.startswith(prefix) and email_ == to)


def test_reminders_stop_once_people_sign(run) -> None:
    _, actual, _ = run
    ella_v1 = Assignment.objects.get(user__email=email("ella"), version__number=1).pk
    assert [
        (day, key.rsplit(":", 1)[1])
        for day, key, _ in sorted(actual)
        if key.startswith(f"unsigned:{ella_v1}:")
    ] == [
        (date(2026, 1, 5), "assigned"),
        (date(2026, 1, 19), "due-7"),
        (date(2026, 1, 25), "due-1"),
        (date(2026, 1, 26), "due"),
    ]
    dylan_v1 = Assignment.objects.get(user__email=email("dylan"), version__number=1).pk
    assert _dates(actual, f"unsigned:{dylan_v1}:overdue", email("dylan")) == [
        date(2026, 1, 29),
        date(2026, 2, 1),
        date(2026, 2, 4),
    ]
    assert _dates(actual, f"unsigned-manager:{dylan_v1}", email("morgan")) == [date(2026, 2, 2)]


def test_a_missed_day_is_made_up_once_and_a_missed_spell_sends_only_the_latest(run) -> None:
    _, actual, _ = run
    # Emma's 7-day reminder for version 2 fell on 6 March, while beat was down: sent on the 8th.
    emma_v2 = Assignment.objects.get(user__email=email("emma"), version__number=2).pk
    assert _dates(actual, f"unsigned:{emma_v2}:due-7", email("emma")) == [date(2026, 3, 8)]
    # Farah's reminders of 12 and 15 May both fell in an outage: only the latest goes, on the 17th.
    farah_v2 = Assignment.objects.get(user__email=email("farah"), version__number=2).pk
    keys = {key for _, key, _ in actual}
    assert f"unsigned:{farah_v2}:overdue-60" not in keys
    assert (date(2026, 5, 17), f"unsigned:{farah_v2}:overdue-63", email("farah")) in actual
    # HR's summary for the week of 2 March went out on the first day beat ran again.
    hannah = User.objects.get(email=email("hannah")).pk
    assert (date(2026, 3, 8), f"hr-summary:2026-03-02:{hannah}", email("hannah")) in actual


def test_password_notices_follow_the_password_and_the_clock(run) -> None:
    _, actual, _ = run
    emma = User.objects.get(email=email("emma")).pk
    emma_notices = _dates(actual, f"password-age:{emma}:", email("emma"))
    assert emma_notices == [
        # The password set on 5 January: 14 and 7 days before 5 April (the 7-day one on the
        # morning the clocks went forward); she changed it on 30 March, so no 1-day notice.
        date(2026, 3, 22),
        date(2026, 3, 29),
        # Changed on 30 March at 09:00 BST: too old on 28 June.
        date(2026, 6, 14),
        date(2026, 6, 21),
        date(2026, 6, 27),
        # Changed at 00:30 BST on 10 August (23:30 UTC on the 9th): too old at 23:30 GMT on
        # 7 November, across the autumn clock change.
        date(2026, 10, 24),
        date(2026, 10, 31),
        date(2026, 11, 6),
    ]
    farah = User.objects.get(email=email("farah")).pk
    assert _dates(actual, f"password-age:{farah}:", email("farah")) == [
        date(2026, 3, 22),
        date(2026, 3, 29),
        date(2026, 4, 4),
    ]


def test_the_review_completes_and_the_next_one_opens_on_time(run) -> None:
    _, actual, _ = run
    first, second = PolicyReview.objects.order_by("review_date")
    assert first.review_date == date(2018, 3, 1)
    assert first.status == PolicyReview.Status.COMPLETED
    assert first.result == PolicyReview.Result.CHANGES_NEEDED
    assert timezone.localdate(first.completed_at) == date(2026, 1, 25)
    assert second.review_date == REVIEW_2_DATE
    assert timezone.localdate(second.opened_at) == REVIEW_2_DATE - timedelta(days=60)
    assert second.is_open
    ivan = User.objects.get(email=email("ivan")).pk
    # Weekly while overdue (the review date was a Thursday), until the review completed.
    assert _dates(actual, f"review:{first.pk}:{ivan}:", email("ivan")) == [
        date(2026, 1, 5),
        date(2026, 1, 8),
        date(2026, 1, 15),
        date(2026, 1, 22),
    ]
    assert _dates(actual, f"review:{second.pk}:{ivan}:", email("ivan")) == [
        date(2026, 12, 22),
        date(2027, 1, 21),
    ]


def test_grants_warn_seven_days_ahead_and_end_after_their_date(run) -> None:
    _, actual, _ = run
    emma_grant = PersonalUseGrant.objects.get(employee__email=email("emma"))
    assert _dates(actual, f"personal-use-expiring:{emma_grant.pk}:", email("emma")) == [
        date(2026, 5, 24)
    ]
    assert _dates(actual, f"personal-use-expiring:{emma_grant.pk}:", email("morgan")) == [
        date(2026, 5, 24)
    ]
    # Ended as at the end of its last day, by the first run after it.
    assert emma_grant.revoked_at == datetime(2026, 6, 1, tzinfo=LONDON)
    assert emma_grant.revocation_note == grants.EXPIRED_NOTE
    assert grants.history_row(emma_grant).state == "expired"
    assert not PersonalUseGrant.objects.filter(revoked_at__isnull=True).exists()
