"""Line managers in the staff import never form a loop: a file that would make A manage B and B
manage A (or any longer loop, the directory on file included) has those rows refused, named."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import User
from portal.staff_import import RowError, import_staff
from tests.factories import UserFactory
from tests.portal.test_staff_import import DATE_HELP, person, staff_csv

pytestmark = pytest.mark.django_db


def managers() -> dict[str, str | None]:
    return {
        u.email: (u.line_manager.email if u.line_manager else None)
        for u in User.objects.filter(email__endswith="@example.com").select_related("line_manager")
    }


def test_two_people_managing_each_other_are_refused_and_named(hr_user) -> None:
    data = staff_csv(
        person("E001", "ann@example.com", line_manager_email="bob@example.com"),
        person("E002", "bob@example.com", line_manager_email="ann@example.com"),
        person("E003", "cat@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    loop = "line managers would form a loop: "
    chain = "ann@example.com (line 2) manages bob@example.com (line 3) manages ann@example.com"
    assert result.errors == [
        RowError(2, f"{loop}{chain} (line 2)"),
        RowError(3, f"{loop}{chain} (line 2)"),
    ]
    assert result.created == 1
    assert not User.objects.filter(email__in=["ann@example.com", "bob@example.com"]).exists()


def test_a_longer_loop_is_refused_and_its_reports_with_it(hr_user) -> None:
    data = staff_csv(
        person("E001", "ann@example.com", line_manager_email="bob@example.com"),
        person("E002", "bob@example.com", line_manager_email="cat@example.com"),
        person("E003", "cat@example.com", line_manager_email="ann@example.com"),
        person("E004", "dan@example.com", line_manager_email="cat@example.com"),
        person("E005", "eve@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    looped = [e for e in result.errors if "loop" in e.message]
    assert [e.line for e in looped] == [2, 3, 4]
    assert all(
        "ann@example.com (line 2) manages cat@example.com (line 4) manages bob@example.com "
        "(line 3) manages ann@example.com (line 2)" in e.message
        for e in looped
    )
    assert RowError(5, "line manager cat@example.com is not in the directory") in result.errors
    assert (result.created, set(managers())) == (1, {"eve@example.com", "hr@example.com"})


def test_a_loop_through_someone_already_on_file_is_refused(hr_user, manager, employee) -> None:
    """On file, Emma reports to Morgan; the file makes Morgan report to Emma."""
    data = staff_csv(
        person(
            manager.employee_number,
            manager.email,
            first_name=manager.first_name,
            last_name=manager.last_name,
            line_manager_email=employee.email,
        )
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(
            2,
            "line managers would form a loop: manager@example.com (line 2) manages "
            "employee@example.com manages manager@example.com (line 2)",
        )
    ]
    manager.refresh_from_db()
    assert (manager.line_manager, manager.first_name) == (None, "Morgan")


def test_a_loop_through_people_the_file_does_not_name_is_refused(hr_user) -> None:
    """On file, Bob reports to Cat and Cat to Ann; the file puts Ann under Bob."""
    ann = UserFactory(email="ann@example.com", employee_number="E001")
    cat = UserFactory(email="cat@example.com", line_manager=ann)
    UserFactory(email="bob@example.com", line_manager=cat)

    result = import_staff(
        actor=hr_user,
        data=staff_csv(person("E001", "ann@example.com", line_manager_email="bob@example.com")),
    )

    assert result.errors == [
        RowError(
            2,
            "line managers would form a loop: ann@example.com (line 2) manages cat@example.com "
            "manages bob@example.com manages ann@example.com (line 2)",
        )
    ]
    ann.refresh_from_db()
    assert ann.line_manager is None


def test_managing_oneself_under_an_old_address_is_refused(hr_user) -> None:
    sam = UserFactory(email="sam@old.example.com", employee_number="E001")

    result = import_staff(
        actor=hr_user,
        data=staff_csv(person("E001", "sam@example.com", line_manager_email="sam@old.example.com")),
    )

    assert [(e.line, "loop" in e.message) for e in result.errors] == [(2, True)]
    sam.refresh_from_db()
    assert (sam.email, sam.line_manager) == ("sam@old.example.com", None)


def test_a_loop_closed_by_a_row_left_out_is_refused_too(hr_user) -> None:
    """Bob reports to Ann on file. The file moves Bob under Cat and Ann under Bob; Bob's row
    is bad, so Bob keeps Ann, and Ann under Bob would close a loop."""
    ann = UserFactory(email="ann@example.com", employee_number="E001")
    UserFactory(email="bob@example.com", employee_number="E002", line_manager=ann)
    data = staff_csv(
        person("E001", "ann@example.com", line_manager_email="bob@example.com"),
        person("E002", "bob@example.com", line_manager_email="cat@example.com", start_date="x"),
        person("E003", "cat@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert [e.line for e in result.errors] == [2, 3]
    assert result.errors[1] == RowError(3, f"start date 'x' {DATE_HELP}")
    assert "loop" in result.errors[0].message
    assert managers() == {
        "ann@example.com": None,
        "bob@example.com": "ann@example.com",
        "cat@example.com": None,
        "hr@example.com": None,
    }


def test_a_chain_without_a_loop_imports(hr_user, manager, employee) -> None:
    data = staff_csv(
        person("E001", "ann@example.com", line_manager_email="bob@example.com"),
        person("E002", "bob@example.com", line_manager_email=employee.email),
    )

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.errors) == (2, [])
    assert managers()["bob@example.com"] == "employee@example.com"


# Any file, over any directory: afterwards nobody's line of managers leads back to them, and
# every row not refused is imported as written.
PEOPLE = 6


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    # Each example undoes its own writes, so sharing the actor between examples is deliberate.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    on_file=st.lists(st.one_of(st.none(), st.integers(0, PEOPLE - 1)), min_size=3, max_size=3),
    rows=st.dictionaries(
        st.integers(0, PEOPLE - 1),
        st.one_of(st.none(), st.integers(0, PEOPLE - 1)),
        max_size=PEOPLE,
    ),
)
def test_no_import_leaves_a_loop(hr_user, on_file, rows) -> None:
    def email(i: int) -> str:
        return f"p{i}@example.com"

    with transaction.atomic():
        # People 0-2 are on file, each with the drawn manager unless that closes a loop there.
        people = [UserFactory(email=email(i), employee_number=f"E{i}") for i in range(3)]
        for i, boss in enumerate(on_file):
            if boss is not None and boss < 3:
                User.objects.filter(pk=people[i].pk).update(line_manager=people[boss])
                if _loops():
                    User.objects.filter(pk=people[i].pk).update(line_manager=None)
        data = staff_csv(
            *(
                person(
                    f"E{i}",
                    email(i),
                    line_manager_email=email(boss) if boss is not None and boss != i else "",
                )
                for i, boss in rows.items()
            )
        )

        result = import_staff(actor=hr_user, data=data)

        assert not _loops()
        refused = {e.line for e in result.errors}
        for line, (i, boss) in enumerate(rows.items(), start=2):
            if line in refused:
                continue
            user = User.objects.get(email=email(i))
            wanted = email(boss) if boss is not None and boss != i else None
            assert (user.line_manager.email if user.line_manager else None) == wanted
        transaction.set_rollback(True)


def _loops() -> bool:
    manager_of = dict(User.objects.values_list("pk", "line_manager_id"))
    for start in manager_of:
        seen, node = set(), start
        while node is not None:
            if node in seen:
                return True
            seen.add(node)
            node = manager_of.get(node)
    return False
