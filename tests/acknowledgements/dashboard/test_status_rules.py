"""The dashboard's status rules: who counts as signed, due, overdue or not yet assigned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from acknowledgements import compliance, publishing
from acknowledgements.models import Assignment, PolicyVersion
from tests.acknowledgements.dashboard.helpers import Company, _bulk_sign, _publish_next
from tests.acknowledgements.factories import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)
from tests.factories import DepartmentFactory, UserFactory


# The status rules ---------------------------------------------------------------------------
def test_totals_follow_the_status_rules(company: Company, django_assert_max_num_queries) -> None:
    # The counting versions, the grouped count, department and manager names.
    with django_assert_max_num_queries(4):
        found = compliance.totals(company.policy, timezone.localdate())
    # Signed: version 2, version 3, the person on their last day, Bob. Not yet assigned: the
    # version-1-only signer, the person with no department, Alice. Inactive and leaver: not counted.
    assert found == compliance.Totals(
        signed=4, due=2, overdue=2, unassigned=3, total=11, percent_signed=36.4
    )


def test_statuses_per_person(company: Company) -> None:
    rows = dict(compliance.people_with_status(company.policy).values_list("first_name", "status"))
    assert rows == {
        "Alice": "unassigned",
        "Bob": "signed",
        "SignedThree": "signed",
        "SignedTwo": "signed",
        "OldSigner": "unassigned",
        "DueSoon": "due",
        "LastDay": "signed",
        "DueToday": "due",
        "Overdue": "overdue",
        "OverdueTwo": "overdue",
        "Nowhere": "unassigned",
    }


def test_requirements_are_the_current_assignments_of_active_people(company: Company) -> None:
    found = set(compliance.requirements(company.policy).values_list("user__first_name", flat=True))
    assert found == {
        "Bob",
        "SignedThree",
        "SignedTwo",
        "DueSoon",
        "LastDay",
        "DueToday",
        "Overdue",
        "OverdueTwo",
    }


def test_two_requirements_at_or_above_the_baseline_count_once(company: Company) -> None:
    # Someone who signed the baseline (version 2) and then the minor version 3 as well. Signing
    # now keeps their first requirement, but records made before hold one for each version.
    person = company.people["signed_v2"]
    ack = AcknowledgementFactory(user=person, version=company.v3)
    Assignment.objects.get_or_create(
        user=person,
        version=company.v3,
        defaults={
            "reason": Assignment.Reason.PUBLISHED,
            "due_date": timezone.localdate(),
            "acknowledgement": ack,
        },
    )
    assert Assignment.objects.filter(user=person).count() == 2
    today = timezone.localdate()
    assert compliance.totals(company.policy, today) == compliance.Totals(
        signed=4, due=2, overdue=2, unassigned=3, total=11, percent_signed=36.4
    )
    departments = compliance.breakdown(company.policy, today).departments
    assert [r.total for r in departments] == [6, 4, 1]
    rows = compliance.people_with_status(company.policy).filter(first_name="SignedTwo")
    assert list(rows.values_list("status", "version_number")) == [("signed", 3)]
    assert compliance.requirements(company.policy).count() == 8
    assert compliance.current_requirement(company.policy, person).version == company.v3


def test_a_new_material_version_makes_everyone_unassigned_until_assigned(
    company: Company,
) -> None:
    _publish_next(company.policy, number=4, material=True, days_ago=0)
    found = compliance.totals(company.policy, timezone.localdate())
    assert (found.signed, found.unassigned, found.total) == (0, 11, 11)


def test_overdue_turns_on_the_day_after_the_due_date(company: Company) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    found = compliance.totals(company.policy, tomorrow)
    # Due today becomes overdue tomorrow; the person whose last day is today drops off.
    assert (found.due, found.overdue, found.signed, found.total) == (1, 3, 3, 10)


def test_breakdown_by_department(company: Company, django_assert_num_queries) -> None:
    # The counting versions, the grouped counts with managers' names, the departments' names.
    with django_assert_num_queries(3):
        rows = compliance.breakdown(company.policy, timezone.localdate()).departments
    table = [(r.pk, r.name, r.signed, r.due, r.overdue, r.unassigned, r.total) for r in rows]
    assert table == [
        (company.care.pk, "Care", 3, 1, 0, 2, 6),
        (company.finance.pk, "Finance", 1, 1, 2, 0, 4),
        (None, "No department", 0, 0, 0, 1, 1),
    ]
    assert [r.percent_signed for r in rows] == [50.0, 25.0, 0.0]


def test_breakdown_by_manager(company: Company, django_assert_num_queries) -> None:
    with django_assert_num_queries(3):
        rows = compliance.breakdown(company.policy, timezone.localdate()).managers
    table = [(r.pk, r.name, r.signed, r.due, r.overdue, r.unassigned, r.total) for r in rows]
    assert table == [
        (company.alice.pk, "Alice Archer", 4, 1, 0, 1, 6),
        (company.bob.pk, "Bob Baker", 0, 1, 2, 0, 3),
        (None, "No line manager", 0, 0, 0, 2, 2),
    ]


def test_breakdown_rows_come_in_name_order_whatever_order_they_were_made_in(db: None) -> None:
    policy = publishing.load_seed_policy().policy
    zed = UserFactory(first_name="Zed", last_name="Young", department=DepartmentFactory(name="Z"))
    amy = UserFactory(first_name="amy", last_name="Able", department=DepartmentFactory(name="a"))
    mid = UserFactory(first_name="Mo", last_name="Mid", department=DepartmentFactory(name="M"))
    for manager in (zed, mid, amy):
        UserFactory(line_manager=manager, department=manager.department)
    found = compliance.breakdown(policy)
    managers = [r.name for r in found.managers]
    assert managers == ["amy Able", "Mo Mid", "Zed Young", "No line manager"]
    assert [r.name for r in found.departments] == ["a", "M", "Z"]
    assert compliance.sort_rows(found.managers, "name")[0] == found.managers


def test_filter_people_by_link_parameters(company: Company) -> None:
    people = compliance.people_with_status(company.policy)

    def names(**params) -> set[str]:
        return set(compliance.filter_people(people, **params).values_list("first_name", flat=True))

    assert names(department=str(company.finance.pk), status="overdue") == {
        "Overdue",
        "OverdueTwo",
    }
    assert names(manager=compliance.NONE) == {"Alice", "Nowhere"}
    assert names(department=compliance.NONE, status="unassigned") == {"Nowhere"}
    assert len(names(department="nonsense", status="nonsense")) == 11


def test_signatures_per_day_counts_the_baseline_and_later(
    company: Company, django_assert_num_queries
) -> None:
    # The counting versions, the days before today (then cached) and today.
    with django_assert_num_queries(3):
        days = compliance.signatures_per_day(company.policy)
    # Version 2 once, version 3 three times; the version 1 signature is before the baseline.
    assert days == [compliance.DayCount(day=timezone.localdate(), count=4)]


def test_signatures_per_day_counts_earlier_days_once_a_day_and_the_last_two_every_time(
    db: None, django_assert_num_queries
) -> None:
    policy = PolicyFactory()
    version = PolicyVersionFactory(
        policy=policy,
        number=1,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )
    monday, tuesday, wednesday = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
    _bulk_sign(UserFactory.create_batch(2), version, signed_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 3, 10, tzinfo=UTC))
    with django_assert_num_queries(3):  # the counting versions, earlier days, the last two
        assert compliance.signatures_per_day(policy, wednesday) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 1),
        ]

    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 4, 8, tzinfo=UTC))
    # Stamped a moment before midnight, committed after the first look today.
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 3, 23, 59, 59, tzinfo=UTC))
    # Not the future: a day that has not come yet is not today's.
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 5, 9, tzinfo=UTC))
    with django_assert_num_queries(2):  # the days before yesterday from the cache
        assert compliance.signatures_per_day(policy, wednesday) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 2),
            compliance.DayCount(wednesday, 1),
        ]

    # A new day counts the earlier days afresh.
    with django_assert_num_queries(3):
        assert compliance.signatures_per_day(policy, date(2026, 3, 5)) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 2),
            compliance.DayCount(wednesday, 1),
            compliance.DayCount(date(2026, 3, 5), 1),
        ]

    # A new baseline counts afresh, from its own publication.
    PolicyVersion.objects.filter(pk=version.pk).update(status=PolicyVersion.Status.SUPERSEDED)
    newer = PolicyVersionFactory(
        policy=policy,
        number=2,
        material_change=True,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2026, 3, 4, 12, tzinfo=UTC),
    )
    _bulk_sign([UserFactory()], newer, signed_at=datetime(2026, 3, 4, 13, tzinfo=UTC))
    assert compliance.signatures_per_day(policy, wednesday) == [compliance.DayCount(wednesday, 1)]


def test_signatures_per_day_uses_the_london_date(db: None) -> None:
    policy = PolicyFactory()
    version = PolicyVersionFactory(
        policy=policy,
        number=1,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    late = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    _bulk_sign([UserFactory()], version, signed_at=late)
    assert compliance.signatures_per_day(policy) == [
        compliance.DayCount(day=date(2025, 7, 1), count=1)
    ]
