"""The register's authorisation, licences and renewals: when and by which request each item was
authorised, IT's licence counts and renewal dates, and the renewal reminders' job."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal import scheduling
from portal.models import AuditEvent, Notification, User
from requests import renewals, workflow
from requests.models import AuthorisationRequest, CatalogueItem, Kind
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in
from tests.requests.factories import AuthorisationRequestFactory, CatalogueItemFactory

State = AuthorisationRequest.State
LONDON = ZoneInfo("Europe/London")
REGISTER = reverse("requests:register")
TODAY = date(2026, 6, 1)


def morning(day: date) -> datetime:
    return datetime.combine(day, time(7, 30), tzinfo=LONDON)


def reminder_keys() -> set[str]:
    return set(Notification.objects.filter(kind=renewals.KIND).values_list("dedupe_key", flat=True))


def item_form(**changes: object) -> dict[str, object]:
    data = {"name": "Adobe Acrobat Pro", "kind": Kind.SOFTWARE, "vendor": "Adobe", "active": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Authorised by a request ------------------------------------------------------------------
@pytest.fixture
def approved_item(employee, it_user) -> CatalogueItem:
    ar = AuthorisationRequestFactory(requester=employee, item="Visio", state=State.AWAITING_IT)
    workflow.perform(actor=it_user, request=ar, action="approve", add_to_register=True)
    ar.refresh_from_db()
    return ar.catalogue_match


def test_an_approved_request_is_the_items_authority(approved_item, employee) -> None:
    ar = AuthorisationRequest.objects.get(item="Visio")
    assert approved_item.source_request == ar
    assert approved_item.source_reference == ar.reference
    assert approved_item.department == employee.department
    assert approved_item.created_at == ar.decided_at  # authorised when the request was approved


def test_it_sees_when_and_a_link_to_the_request(client: Client, it_user, approved_item) -> None:
    html = signed_in(client, it_user).get(REGISTER).content.decode()
    ar = approved_item.source_request
    assert f'href="{reverse("requests:detail", args=[ar.pk])}"' in html
    assert ar.reference in html
    assert approved_item.created_at.astimezone(LONDON).strftime("%-d %b %Y") in html


def test_others_see_the_reference_but_no_link_to_a_request_they_cannot_open(
    client: Client, outsider, approved_item
) -> None:
    html = signed_in(client, outsider).get(REGISTER).content.decode()
    ar = approved_item.source_request
    assert f"by request {ar.reference}" in html
    assert reverse("requests:detail", args=[ar.pk]) not in html
    assert (
        signed_in(client, outsider).get(reverse("requests:detail", args=[ar.pk])).status_code == 404
    )


# --- Licences and renewal dates ---------------------------------------------------------------
def test_it_records_licences_renewal_and_who_pays(client: Client, it_user, department) -> None:
    response = signed_in(client, it_user).post(
        reverse("requests:register_add"),
        item_form(licence_count="25", renewal_date="2026-09-30", department=str(department.pk)),
    )
    assert response.status_code == 302
    item = CatalogueItem.objects.get(name="Adobe Acrobat Pro")
    assert (item.licence_count, item.renewal_date, item.department) == (
        25, date(2026, 9, 30), department,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="catalogue.item_added")
    assert event.data["licence_count"] == 25
    assert event.data["renewal_date"] == "2026-09-30"
    html = client.get(REGISTER).content.decode()
    assert "25 licences" in html and "renews 30 Sep 2026" in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"kind": Kind.HARDWARE, "licence_count": "3"},
            "licence_count",
            "Only software and paid subscriptions have licences or a renewal date.",
        ),
        (
            {"kind": Kind.DOWNLOAD, "renewal_date": "2026-09-30"},
            "renewal_date",
            "Only software and paid subscriptions have licences or a renewal date.",
        ),
        ({"licence_count": "0"}, "licence_count", "greater than or equal to 1"),
        ({"licence_count": "-4"}, "licence_count", "greater than or equal to"),
        ({"licence_count": "many"}, "licence_count", "Enter a whole number."),
        ({"renewal_date": "31/02/2026"}, "renewal_date", "Enter a real date, for example"),
        ({"department": "999999"}, "department", "Select a valid choice."),
    ],
)
def test_bad_licence_details_are_refused_where_they_were_typed(
    client: Client, it_user, changes, field, message
) -> None:
    response = signed_in(client, it_user).post(
        reverse("requests:register_add"), item_form(**changes)
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert response.context["form"].data["name"] == "Adobe Acrobat Pro"  # nothing typed is lost
    assert not CatalogueItem.objects.exists()


@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "superuser"])
def test_only_it_changes_licences_and_renewals(client: Client, db, request, actor) -> None:
    item = CatalogueItemFactory(licence_count=5, renewal_date=TODAY)
    response = signed_in(client, request.getfixturevalue(actor)).post(
        reverse("requests:register_edit", args=[item.pk]),
        item_form(name=item.name, licence_count="500", renewal_date="2030-01-01"),
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert (item.licence_count, item.renewal_date) == (5, TODAY)


def test_renews_soon_is_marked(client: Client, employee) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    CatalogueItemFactory(name="Soon", renewal_date=today + timedelta(days=10))
    CatalogueItemFactory(name="Later", renewal_date=today + timedelta(days=90))
    response = signed_in(client, employee).get(REGISTER)
    rows = response.content.decode().split('data-testid="register-row"')[1:]
    marked = {row.split("register-name\">")[1].split("<")[0].strip(): "renews-soon" in row
              for row in rows}  # fmt: skip
    assert marked == {"Later": False, "Soon": True}


@pytest.mark.parametrize("count", [5, 60])
def test_the_register_costs_the_same_at_any_size(
    client: Client, it_user, employee, department, count, django_assert_num_queries
) -> None:
    for n in range(count):
        ar = AuthorisationRequestFactory(requester=employee, item=f"Item {n}")
        CatalogueItemFactory(
            name=f"Item {n:03d}", source_request=ar, department=department,
            licence_count=n + 1, renewal_date=TODAY,
        )  # fmt: skip
    signed_in(client, it_user)
    with django_assert_num_queries(REGISTER_QUERIES):
        response = client.get(REGISTER)
    assert len(response.context["page"].object_list) == min(count, 50)


# The same at any size: the session and its user, their roles (for the page and the menu), the
# count, and one page with each item's department.
REGISTER_QUERIES = 11


# --- The reminders ----------------------------------------------------------------------------
@pytest.fixture
def payer(department, manager) -> User:
    """The paying department's budget holder (the conftest's manager)."""
    return manager


@pytest.fixture
def it_team(it_user) -> list[User]:
    return [it_user, UserFactory(email="it2@example.com", groups=["IT"])]


def licence(department, **fields: object) -> CatalogueItem:
    fields.setdefault("kind", Kind.SOFTWARE)
    return CatalogueItemFactory(department=department, licence_count=10, **fields)


def test_each_person_is_reminded_once_per_renewal_date(department, payer, it_team) -> None:
    item = licence(department, renewal_date=TODAY + timedelta(days=30))
    first = renewals.renewals_job(morning(TODAY))
    expected = {f"register-renewal:{item.pk}:2026-07-01:{p.pk}" for p in [payer, *it_team]}
    assert reminder_keys() == expected
    assert (first.found, first.notices) == (1, 3)
    # Run twice, and on each of the following days: nothing more for that date.
    again = renewals.renewals_job(morning(TODAY))
    assert again.notices == 0
    for days in range(1, 31):
        assert renewals.renewals_job(morning(TODAY + timedelta(days=days))).notices == 0
    assert reminder_keys() == expected
    # Renewed for another year: the new date is a new occasion, reminded when it comes near.
    item.renewal_date = date(2027, 7, 1)
    item.save()
    assert renewals.renewals_job(morning(date(2027, 5, 31))).notices == 0
    assert renewals.renewals_job(morning(date(2027, 6, 1))).notices == 3
    assert len(reminder_keys()) == 6


def test_a_missed_day_is_made_up(department, payer, it_team) -> None:
    licence(department, renewal_date=TODAY + timedelta(days=20))
    assert renewals.renewals_job(morning(TODAY)).notices == 3


def test_what_is_not_reminded(department, payer, it_team) -> None:
    licence(department, renewal_date=TODAY + timedelta(days=31), name="Too far")
    licence(department, renewal_date=TODAY - timedelta(days=1), name="Already renewed or lapsed")
    licence(department, renewal_date=TODAY, name="Withdrawn", active=False)
    CatalogueItemFactory(kind=Kind.HARDWARE, department=department, renewal_date=TODAY)
    CatalogueItemFactory(kind=Kind.SOFTWARE, department=department)  # no renewal date
    assert renewals.renewals_job(morning(TODAY)).notices == 0
    assert not reminder_keys()


def test_a_subscription_with_no_budget_holder_goes_to_it_alone(it_team) -> None:
    department = DepartmentFactory(name="No holder")
    item = licence(department, kind=Kind.SUBSCRIPTION, renewal_date=TODAY)
    renewals.renewals_job(morning(TODAY))
    assert reminder_keys() == {f"register-renewal:{item.pk}:2026-06-01:{p.pk}" for p in it_team}


def test_an_inactive_budget_holder_or_it_member_is_not_reminded(department, payer, it_team) -> None:
    item = licence(department, renewal_date=TODAY)
    payer.is_active = False
    payer.save()
    it_team[1].is_active = False
    it_team[1].save()
    renewals.renewals_job(morning(TODAY))
    assert reminder_keys() == {f"register-renewal:{item.pk}:2026-06-01:{it_team[0].pk}"}


def test_a_budget_holder_in_it_gets_one_reminder(department, it_user) -> None:
    department.budget_holder = it_user
    department.save()
    item = licence(department, renewal_date=TODAY)
    renewals.renewals_job(morning(TODAY))
    assert reminder_keys() == {f"register-renewal:{item.pk}:2026-06-01:{it_user.pk}"}


def test_while_a_deputy_decides_the_deputy_is_reminded_not_the_holder_on_leave(
    department, payer, it_user
) -> None:
    deputy = UserFactory(email="deputy@example.com")
    department.deputy = deputy
    department.deputy_from = TODAY - timedelta(days=1)
    department.deputy_to = TODAY + timedelta(days=7)
    department.save()
    item = licence(department, renewal_date=TODAY + timedelta(days=3))
    renewals.renewals_job(morning(TODAY))
    assert reminder_keys() == {
        f"register-renewal:{item.pk}:2026-06-04:{p.pk}" for p in (deputy, it_user)
    }


def test_the_reminder_says_what_renews_and_when(department, payer, it_team) -> None:
    licence(department, renewal_date=TODAY + timedelta(days=12), name="Adobe Acrobat Pro")
    renewals.renewals_job(morning(TODAY))
    notice = Notification.objects.get(recipient=payer, kind=renewals.KIND)
    assert notice.subject == "Adobe Acrobat Pro renews on 13 June 2026"
    assert "10 licences" in notice.body_text
    assert f"paid for by {department.name}" in notice.body_text
    assert "in 12 days" in notice.body_text
    assert "/register/?q=Adobe+Acrobat+Pro" in notice.link


def test_the_renewals_job_is_registered_and_scheduled() -> None:
    assert "register-renewals" in scheduling.JOBS
    assert settings.CELERY_BEAT_SCHEDULE["register-renewals"]["args"] == ["register-renewals"]
