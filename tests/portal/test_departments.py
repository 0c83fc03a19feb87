"""HR's departments: who authorises each one's costs on a day, what HR may name, every change
audited and told in words, and the pages, refused to everyone but HR."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import departments
from portal.departments import Authority
from portal.models import AuditEvent, Department, User
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import messages_of, signed_in

TODAY = date(2026, 6, 10)


@pytest.fixture
def kitchen(db) -> Department:
    return DepartmentFactory(name="Kitchen")


@pytest.fixture
def holder(kitchen) -> User:
    return UserFactory(email="holder@example.com", first_name="Hal", last_name="Holder")


@pytest.fixture
def deputy(kitchen) -> User:
    return UserFactory(email="deputy@example.com", first_name="Dee", last_name="Deputy")


def only(kitchen: Department):
    return Department.objects.filter(pk=kitchen.pk)


def _on_leave(department: Department, holder: User, deputy: User, start: date, end: date) -> None:
    department.budget_holder, department.deputy = holder, deputy
    department.deputy_from, department.deputy_to = start, end
    department.save()


# --- The rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "who"),
    [
        (TODAY - timedelta(days=1), "holder"),  # before the leave
        (TODAY, "deputy"),  # its first day
        (TODAY + timedelta(days=4), "deputy"),  # its last day
        (TODAY + timedelta(days=5), "holder"),  # after it
    ],
)
def test_the_deputy_decides_within_their_dates_and_the_holder_outside(
    kitchen, holder, deputy, day, who
) -> None:
    _on_leave(kitchen, holder, deputy, TODAY, TODAY + timedelta(days=4))
    expected = {"holder": holder, "deputy": deputy}[who]
    assert departments.authoriser(kitchen, day) == expected
    # The query form of the rule says the same, for each of them.
    for person in (holder, deputy):
        found = Department.objects.filter(departments.authorised_by(person, day))
        assert list(found) == ([kitchen] if person == expected else [])
    assert not only(kitchen).filter(departments.without_authoriser(day)).exists()


def test_a_closed_account_authorises_nothing_and_the_department_has_nobody(
    kitchen, holder, deputy
) -> None:
    _on_leave(kitchen, holder, deputy, TODAY, TODAY + timedelta(days=4))
    User.objects.filter(pk=deputy.pk).update(is_active=False)
    kitchen.refresh_from_db()
    assert departments.authoriser(kitchen, TODAY) == holder  # the holder again
    User.objects.filter(pk=holder.pk).update(is_active=False)
    kitchen.refresh_from_db()
    assert departments.authoriser(kitchen, TODAY) is None
    assert list(only(kitchen).filter(departments.without_authoriser(TODAY))) == [kitchen]
    assert not Department.objects.filter(departments.authorised_by(holder, TODAY)).exists()


def test_a_department_with_nobody_is_listed_as_such(kitchen, holder) -> None:
    DepartmentFactory(name="Garden")
    kitchen.budget_holder = holder
    kitchen.save()
    # Residential Care is where the people made for the tests work; nobody holds its budget.
    assert [d.name for d in departments.for_list(missing_only=True)] == [
        "Garden",
        "Residential Care",
    ]
    assert [d.name for d in departments.for_list()] == ["Garden", "Kitchen", "Residential Care"]


# --- What HR may name -------------------------------------------------------------------------
def _refused(authority: Authority) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        departments.check_authority(authority, TODAY)
    return refused.value.message_dict


def test_a_leaver_cannot_hold_a_budget(holder) -> None:
    holder.end_date = TODAY - timedelta(days=1)
    assert "budget_holder" in _refused(Authority(holder))
    holder.end_date, holder.is_active = None, False
    assert "budget_holder" in _refused(Authority(holder))


@pytest.mark.parametrize("kind", [User.EmploymentType.CONTRACTOR, User.EmploymentType.TEMPORARY])
def test_someone_who_is_not_staff_cannot_hold_a_budget_or_deputise(holder, deputy, kind) -> None:
    holder.employment_type = deputy.employment_type = kind
    assert "budget_holder" in _refused(Authority(holder))
    other = UserFactory()
    end = TODAY + timedelta(days=2)
    assert "deputy" in _refused(Authority(other, deputy, TODAY, end))


def test_the_deputy_is_someone_else_with_dates_in_order_not_past(holder, deputy) -> None:
    end = TODAY + timedelta(days=2)
    assert "deputy" in _refused(Authority(holder, holder, TODAY, end))
    assert "deputy_to" in _refused(Authority(holder, deputy, end, TODAY))
    assert "deputy_to" in _refused(Authority(holder, deputy, None, end))
    past = TODAY - timedelta(days=1)
    assert "deputy_to" in _refused(Authority(holder, deputy, past - timedelta(days=3), past))
    assert "deputy" in _refused(Authority(holder, None, TODAY, end))
    deputy.end_date = TODAY + timedelta(days=1)  # leaves before the cover ends
    assert "deputy_to" in _refused(Authority(holder, deputy, TODAY, end))


def test_the_database_refuses_a_deputy_who_is_the_holder_or_dates_out_of_order(
    kitchen, holder
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=kitchen.pk).update(budget_holder=holder, deputy=holder)
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=kitchen.pk).update(
            deputy_from=TODAY, deputy_to=TODAY - timedelta(days=1)
        )


# --- Changes, audited and told in words -------------------------------------------------------
def test_every_change_is_audited_once_and_the_history_tells_it(hr_user, holder, deputy) -> None:
    today = timezone.localdate()
    made = departments.create(actor=hr_user, name="  Laundry ")
    assert made.name == "Laundry"
    departments.rename(actor=hr_user, department=made, name="Laundry and Linen")
    departments.set_authority(actor=hr_user, department=made, authority=Authority(holder))
    departments.set_authority(
        actor=hr_user,
        department=made,
        authority=Authority(holder, deputy, today, today + timedelta(days=3)),
    )
    departments.set_authority(actor=hr_user, department=made, authority=Authority(holder))
    # Saving what is already recorded changes nothing and records nothing.
    departments.set_authority(actor=hr_user, department=made, authority=Authority(holder))
    departments.rename(actor=hr_user, department=made, name="Laundry and Linen")

    words = [departments.describe(e) for e in reversed(departments.history(made))]
    start, end = f"{today:%d %B %Y}", f"{today + timedelta(days=3):%d %B %Y}"
    assert words == [
        "Department added as “Laundry”.",
        "Renamed from “Laundry” to “Laundry and Linen”.",
        "Budget holder changed from nobody to Hal Holder.",
        f"Deputy changed from no deputy to Dee Deputy from {start} to {end}.",
        f"Deputy changed from Dee Deputy from {start} to {end} to no deputy.",
    ]
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {hr_user.pk}


def test_a_name_is_needed_and_two_departments_cannot_share_one(hr_user, kitchen) -> None:
    with pytest.raises(ValidationError, match="Give the department a name"):
        departments.create(actor=hr_user, name="   ")
    with pytest.raises(ValidationError, match="already a department called"):
        departments.create(actor=hr_user, name="KITCHEN")
    garden = departments.create(actor=hr_user, name="Garden")
    with pytest.raises(ValidationError, match="already a department called"):
        departments.rename(actor=hr_user, department=garden, name="kitchen")
    names = Department.objects.filter(name__iregex="^(garden|kitchen)$").values_list("name")
    assert sorted(name for (name,) in names) == ["Garden", "Kitchen"]


# --- The pages --------------------------------------------------------------------------------
PAGES = ("departments", "department_add", "department_edit", "department_history")


def _url(name: str, department: Department) -> str:
    about_one = name in {"department_edit", "department_history"}
    return reverse(name, args=[department.pk] if about_one else [])


@pytest.mark.parametrize("role", ["employee", "manager", "it_user", "reviewer"])
def test_nobody_but_hr_reads_or_changes_departments(
    request, client: Client, kitchen, holder, role
) -> None:
    person = request.getfixturevalue(role)
    client = signed_in(client, person)
    for name in PAGES:
        assert client.get(_url(name, kitchen)).status_code == 403
    before = list(Department.objects.values())
    form = {"name": "Mine now", "budget_holder": person.email}
    assert client.post(reverse("department_add"), form).status_code == 403
    assert client.post(_url("department_edit", kitchen), form).status_code == 403
    assert list(Department.objects.values()) == before
    assert not AuditEvent.objects.filter(action__startswith="department.").exists()


def test_hr_adds_names_a_holder_and_deputy_and_reads_the_history(
    client: Client, hr_user, holder, deputy
) -> None:
    client = signed_in(client, hr_user)
    response = client.post(reverse("department_add"), {"name": "Transport"})
    transport = Department.objects.get(name="Transport")
    assert response.url == _url("department_edit", transport)
    today = timezone.localdate()
    response = client.post(
        _url("department_edit", transport),
        {
            "name": "Transport",
            "budget_holder": "HOLDER@example.com",
            "deputy": deputy.employee_number,
            "deputy_from": today.isoformat(),
            "deputy_to": (today + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    transport.refresh_from_db()
    assert (transport.budget_holder, transport.deputy) == (holder, deputy)
    listing = client.get(reverse("departments")).content.decode()
    assert 'data-testid="deputy-now"' in listing
    history = client.get(_url("department_history", transport)).content.decode()
    assert "Budget holder changed from nobody to Hal Holder." in history
    assert "department.deputy_changed" in history


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("budget_holder", "nobody@example.com", "Nobody in the staff directory"),
        ("budget_holder", "leaver@example.com", "cannot hold a budget"),
        ("budget_holder", "agency@example.com", "cannot hold a budget"),
    ],
)
def test_hr_cannot_make_a_leaver_or_non_staff_account_holder(
    client: Client, hr_user, kitchen, field, typed, message
) -> None:
    UserFactory(email="leaver@example.com", is_active=False)
    UserFactory(email="agency@example.com", employment_type=User.EmploymentType.TEMPORARY)
    response = signed_in(client, hr_user).post(
        _url("department_edit", kitchen), {"name": "Kitchen", field: typed}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert typed in response.content.decode()  # what was typed is kept
    kitchen.refresh_from_db()
    assert kitchen.budget_holder is None
    assert not AuditEvent.objects.filter(action__startswith="department.").exists()


def test_a_saved_change_is_confirmed(client: Client, hr_user, kitchen) -> None:
    response = signed_in(client, hr_user).post(
        _url("department_edit", kitchen), {"name": "Kitchens"}
    )
    assert messages_of(response) == ["Your changes to Kitchens are saved."]


# --- Query counts -----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [5, 80])
def test_the_list_reads_the_same_number_of_queries_at_two_sizes(
    client: Client, hr_user, django_assert_num_queries, size: int
) -> None:
    people = User.objects.bulk_create(
        [
            User(
                email=f"bulk{n}@example.com",
                first_name="Bulk",
                last_name=str(n),
                employee_number=f"B{n:05d}",
            )
            for n in range(size * 2)
        ]
    )
    today = timezone.localdate()
    Department.objects.bulk_create(
        [
            Department(
                name=f"Home {n:03d}",
                budget_holder=people[2 * n] if n % 3 else None,
                deputy=people[2 * n + 1] if n % 2 else None,
                deputy_from=today if n % 2 else None,
                deputy_to=today + timedelta(days=3) if n % 2 else None,
            )
            for n in range(size)
        ]
    )
    client = signed_in(client, hr_user)
    client.get(reverse("home"))  # the session's first save is not the page's
    # Session (read and idle-expiry save: three), user, groups, the menu's checks and unread
    # count, then the page's count and its rows with holders and deputies.
    with django_assert_num_queries(11):
        response = client.get(reverse("departments"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="department-row"') == size + 1  # and HR's


# --- The demo company ---------------------------------------------------------------------------
def test_the_demo_has_departments_with_and_without_budget_holders_and_a_deputy_now(db) -> None:
    from portal import demo_data

    demo_data.seed_demo()
    demo_data.seed_demo()  # a second run changes nothing
    community = Department.objects.get(name="Community Support")
    assert departments.deputy_acting(community)
    assert departments.authoriser(community) == community.deputy
    care = Department.objects.get(name="Residential Care")
    assert care.budget_holder is not None
    assert departments.authoriser(care) == care.budget_holder
    nobody = {d.name for d in departments.for_list(missing_only=True)}
    assert {"Finance", "Human Resources", "IT Department", "Company Secretariat"} <= nobody
    assert not {"Community Support", "Residential Care"} & nobody
    assert AuditEvent.objects.filter(action="department.deputy_changed").count() == 1


def test_a_deputy_whose_dates_have_passed_does_not_stop_a_rename(
    client: Client, hr_user, kitchen, holder, deputy
) -> None:
    past = timezone.localdate() - timedelta(days=10)
    _on_leave(kitchen, holder, deputy, past, past + timedelta(days=3))
    client = signed_in(client, hr_user)
    page = client.get(_url("department_edit", kitchen))
    assert page.context["form"].initial.get("deputy") is None
    assert page.context["form"].initial["budget_holder"] == holder.email
    response = client.post(
        _url("department_edit", kitchen), {"name": "Kitchens", "budget_holder": holder.email}
    )
    assert response.status_code == 302
    kitchen.refresh_from_db()
    assert (kitchen.name, kitchen.deputy) == ("Kitchens", None)


# --- Nobody gives themselves authority ----------------------------------------------------------
def test_hr_cannot_name_themselves_holder_or_deputy(client: Client, hr_user, kitchen) -> None:
    end = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError) as refused:
        departments.set_authority(actor=hr_user, department=kitchen, authority=Authority(hr_user))
    assert refused.value.message_dict["budget_holder"] == [departments.NOT_ONESELF]
    holder = UserFactory(email="holder2@example.com")
    with pytest.raises(ValidationError) as refused:
        departments.set_authority(
            actor=hr_user,
            department=kitchen,
            authority=Authority(holder, hr_user, timezone.localdate(), end),
        )
    assert refused.value.message_dict["deputy"] == [departments.NOT_ONESELF]
    response = signed_in(client, hr_user).post(
        _url("department_edit", kitchen), {"name": "Kitchen", "budget_holder": hr_user.email}
    )
    assert response.status_code == 200
    assert "You cannot give yourself authority over costs" in response.content.decode()
    kitchen.refresh_from_db()
    assert kitchen.budget_holder is None and kitchen.deputy is None
    assert not AuditEvent.objects.filter(action__startswith="department.").exists()


def test_another_member_of_hr_names_them_and_they_may_then_edit_the_rest(hr_user, kitchen) -> None:
    colleague = UserFactory(email="hr2@example.com", groups=["HR"])
    departments.set_authority(actor=colleague, department=kitchen, authority=Authority(hr_user))
    deputy = UserFactory(email="deputy2@example.com")
    today = timezone.localdate()
    departments.set_authority(
        actor=hr_user,
        department=kitchen,
        authority=Authority(hr_user, deputy, today, today + timedelta(days=2)),
    )
    kitchen.refresh_from_db()
    assert kitchen.budget_holder == hr_user and kitchen.deputy == deputy


def test_the_admin_site_cannot_change_who_authorises_costs(
    client: Client, superuser, kitchen
) -> None:
    holder = UserFactory(email="holder3@example.com")
    client.force_login(superuser)
    page = client.get(reverse("admin:portal_department_change", args=[kitchen.pk]))
    assert page.status_code == 200
    assert b'name="budget_holder"' not in page.content
    assert b'name="deputy"' not in page.content
    client.post(
        reverse("admin:portal_department_change", args=[kitchen.pk]),
        {"name": "Renamed", "budget_holder": holder.pk},
    )
    kitchen.refresh_from_db()
    assert kitchen.name == "Kitchen" and kitchen.budget_holder is None
    assert client.get(reverse("admin:portal_department_add")).status_code == 403
