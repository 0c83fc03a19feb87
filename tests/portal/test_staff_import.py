"""The staff directory import service: ``portal.staff_import.import_staff``."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from acknowledgements.models import Assignment
from acknowledgements.publishing import load_seed_policy
from portal.models import AuditEvent, Department, User
from portal.staff_import import COLUMNS, ImportFileError, RowError, import_staff
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# The header as the HR system exports it.
HEADER = [
    "Employee number",
    "First name",
    "Last name",
    "Email",
    "Department",
    "Job title",
    "Line manager email",
    "Employment type",
    "Start date",
    "End date",
]
DATE_HELP = "is not a date (use YYYY-MM-DD or DD/MM/YYYY)"
# Reading, matching, checking the line managers for loops, writing and auditing the whole file,
# and asking the new people to sign the policy, takes a fixed number of queries, however many
# rows it has (up to CHUNK_ROWS; each further chunk costs the same few more, tested below).
QUERY_BUDGET = 19
# A file that moves people (a new department or line manager) costs a fixed few more: the
# listeners of the move raise IT's mover notices and their checklists, tell IT, and look for
# personal-use grants made by the old managers.
MOVES_QUERY_BUDGET = 5


def person(number: str, email: str, /, **fields: str) -> dict[str, str]:
    row = {
        "employee_number": number,
        "first_name": "Alex",
        "last_name": "Smith",
        "email": email,
        "department": "Residential Care",
        "job_title": "Support Worker",
        "line_manager_email": "",
        "employment_type": "Permanent",
        "start_date": "15/01/2024",
        "end_date": "",
    }
    row.update(fields)
    return row


def staff_csv(*people: dict[str, str] | None, header: list[str] = HEADER) -> bytes:
    """The rows as CSV the way a spreadsheet writes it; ``None`` is a blank line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in people:
        writer.writerow([] if row is None else [row[column] for column in COLUMNS])
    return out.getvalue().encode("utf-8")


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Department.objects.count(), AuditEvent.objects.count()


def test_good_rows_create_people_departments_and_line_managers(hr_user, department):
    data = staff_csv(
        # The report comes before the manager's own row.
        person(
            "E001",
            "Sam.Patel@Example.com",
            first_name="Sam",
            last_name="Patel",
            department="residential care",
            line_manager_email="RIA.KHAN@example.com",
            employment_type="Fixed-term",
            start_date="01/04/2024",
            end_date="31/03/2025",
        ),
        person(
            "E002",
            "ria.khan@example.com",
            first_name="Ria",
            last_name="Khan",
            department="Day Services",
            job_title="Service Manager",
        ),
        person("E003", "tom.hughes@example.com", department="Day Services", employment_type=""),
    )

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.updated, result.unchanged, result.errors) == (3, 0, 0, [])
    sam = User.objects.get(email="sam.patel@example.com")
    ria = User.objects.get(email="ria.khan@example.com")
    tom = User.objects.get(email="tom.hughes@example.com")
    assert (sam.employee_number, sam.first_name, sam.last_name) == ("E001", "Sam", "Patel")
    assert sam.line_manager == ria
    assert ria.line_manager is None
    # Departments are matched regardless of case, and new ones are created once.
    assert sam.department == department
    assert ria.department.name == "Day Services"
    assert tom.department == ria.department
    assert Department.objects.filter(name__iexact="day services").count() == 1
    assert Department.objects.filter(name__iexact="residential care").count() == 1
    assert sam.employment_type == User.EmploymentType.FIXED_TERM
    assert (sam.start_date, sam.end_date) == (date(2024, 4, 1), date(2025, 3, 31))
    assert ria.job_title == "Service Manager"
    # A blank employment type means permanent.
    assert tom.employment_type == User.EmploymentType.PERMANENT


def test_line_manager_already_in_the_directory_is_linked(hr_user, manager):
    data = staff_csv(person("E001", "sam@example.com", line_manager_email="Manager@Example.com"))

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == []
    assert User.objects.get(email="sam@example.com").line_manager == manager


def test_headers_ignore_case_and_spacing(hr_user):
    header = [
        "  EMPLOYEE NUMBER ",
        "first  name",
        "Last-Name",
        "EMAIL",
        " department",
        "Job Title",
        "Line Manager Email",
        "employment_type",
        "Start Date",
        "END DATE ",
    ]
    data = staff_csv(person("E001", "sam@example.com", job_title="Cook"), header=header)

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.errors) == (1, [])
    assert User.objects.get(email="sam@example.com").job_title == "Cook"


@pytest.mark.parametrize(
    ("start", "end"),
    [("15/01/2024", "31/12/2025"), ("2024-01-15", "2025-12-31"), ("15/01/2024", "2025-12-31")],
)
def test_uk_and_iso_dates_are_both_accepted(hr_user, start, end):
    data = staff_csv(person("E001", "sam@example.com", start_date=start, end_date=end))

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == []
    sam = User.objects.get(email="sam@example.com")
    assert (sam.start_date, sam.end_date) == (date(2024, 1, 15), date(2025, 12, 31))


def three_people() -> list[dict[str, str]]:
    return [
        person("E001", "sam@example.com", line_manager_email="ria@example.com"),
        person("E002", "ria@example.com", department="Day Services"),
        person("E003", "tom@example.com", line_manager_email="ria@example.com"),
    ]


def test_importing_the_same_file_again_changes_nothing(hr_user):
    data = staff_csv(*three_people())
    first = import_staff(actor=hr_user, data=data)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    users = User.objects.count()
    departments = Department.objects.count()
    updates = AuditEvent.objects.filter(
        action__in=["user.updated", "user.line_manager_changed"]
    ).count()

    again = import_staff(actor=hr_user, data=data)

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 3, [])
    assert User.objects.count() == users
    assert Department.objects.count() == departments
    assert (
        AuditEvent.objects.filter(action__in=["user.updated", "user.line_manager_changed"]).count()
        == updates
    )


def test_reimport_with_a_changed_job_title_updates_that_person_only(hr_user):
    people = three_people()
    import_staff(actor=hr_user, data=staff_csv(*people))
    people[2]["job_title"] = "Senior Support Worker"

    result = import_staff(actor=hr_user, data=staff_csv(*people))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    titles = dict(User.objects.exclude(pk=hr_user.pk).values_list("email", "job_title"))
    assert titles == {
        "sam@example.com": "Support Worker",
        "ria@example.com": "Support Worker",
        "tom@example.com": "Senior Support Worker",
    }
    tom = User.objects.get(email="tom@example.com")
    updated = AuditEvent.objects.get(action="user.updated")
    assert updated.object_id == str(tom.pk)
    assert updated.data == {"source": "upload", "changed": ["job_title"]}


def test_existing_user_without_employee_number_is_matched_by_email(hr_user):
    existing = UserFactory(
        email="sam@example.com", employee_number=None, first_name="Sam", job_title="Cook"
    )
    data = staff_csv(
        person("E001", "SAM@example.com", first_name="Sam", job_title="Head Cook"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.updated, result.errors) == (0, 1, [])
    assert User.objects.filter(email="sam@example.com").count() == 1
    existing.refresh_from_db()
    assert (existing.employee_number, existing.job_title) == ("E001", "Head Cook")
    # The import owns directory fields only: the password is left alone.
    assert existing.check_password(PASSWORD)


BAD_ROWS = [
    pytest.param({"first_name": ""}, "missing first name", id="missing-first-name"),
    pytest.param(
        {"email": "not-an-email"},
        "email 'not-an-email' is not a valid address",
        id="invalid-email",
    ),
    pytest.param(
        {"email": "a" * 243 + "@example.com"},
        "email is longer than 254 characters",
        id="email-too-long",
    ),
    pytest.param(
        {"start_date": "31/02/2024"}, f"start date '31/02/2024' {DATE_HELP}", id="bad-start-date"
    ),
    pytest.param({"end_date": "next week"}, f"end date 'next week' {DATE_HELP}", id="bad-end-date"),
    pytest.param(
        {"start_date": "01/06/2024", "end_date": "2024-05-31"},
        "end date is before start date",
        id="end-before-start",
    ),
    pytest.param(
        {"employment_type": "Zero hours"},
        "employment type 'Zero hours' is not one of Permanent, Fixed-term, Temporary, Contractor",
        id="unknown-employment-type",
    ),
    pytest.param(
        {"line_manager_email": "Bad@Example.com"},
        "a person cannot be their own line manager",
        id="own-line-manager",
    ),
    pytest.param(
        {"line_manager_email": "nobody@example.com"},
        "line manager nobody@example.com is not in the directory",
        id="line-manager-not-in-directory",
    ),
]


@pytest.mark.parametrize(("fields", "reason"), BAD_ROWS)
def test_bad_row_is_reported_with_its_line_and_good_rows_still_import(hr_user, fields, reason):
    data = staff_csv(
        person("E001", "first@example.com"),
        person("E002", "bad@example.com", **fields),
        person("E003", "third@example.com", line_manager_email="first@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(3, reason)]
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert not User.objects.filter(employee_number="E002").exists()
    third = User.objects.get(email="third@example.com")
    assert third.line_manager.email == "first@example.com"


def test_duplicate_employee_number_in_the_file_rejects_the_later_row(hr_user):
    data = staff_csv(
        person("E001", "first@example.com"),
        person("E002", "second@example.com"),
        person("E001", "again@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(4, "employee number E001 already on line 2")]
    assert result.created == 2
    assert User.objects.get(employee_number="E001").email == "first@example.com"
    assert not User.objects.filter(email="again@example.com").exists()


def test_a_row_is_refused_with_every_problem_it_has(hr_user):
    data = staff_csv(
        person("E001", "first@example.com"),
        person("E002", "second@example.com"),
        # A repeated number, a repeated address, a bad address domain and a bad date at once.
        person("E001", "Second@Example.com", start_date="31/02/2024"),
        person("E001", "not an address", start_date="someday"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(
            4,
            f"start date '31/02/2024' {DATE_HELP}; employee number E001 already on line 2; "
            "email second@example.com already on line 3",
        ),
        RowError(
            5,
            f"email 'not an address' is not a valid address; start date 'someday' {DATE_HELP}; "
            "employee number E001 already on line 2",
        ),
    ]
    assert result.created == 2


def test_a_refused_row_is_told_its_line_manager_is_missing_too(hr_user):
    UserFactory(email="taken@example.com", employee_number="E900")
    UserFactory(email="boss@example.com", employee_number="E901")
    data = staff_csv(
        person("E001", "sam@example.com", start_date="someday", line_manager_email="nobody@x.org"),
        person("E002", "taken@example.com", line_manager_email="Nobody@x.org"),
        # A manager on file, or in a row that is imported, is no problem.
        person(
            "E003", "ria@example.com", end_date="2000-01-01", line_manager_email="boss@example.com"
        ),
        person(
            "E004", "ann@example.com", employment_type="Seasonal", line_manager_email="kim@x.org"
        ),
        person("E005", "kim@x.org"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(
            2,
            f"start date 'someday' {DATE_HELP}; line manager nobody@x.org is not in the directory",
        ),
        RowError(
            3,
            "email taken@example.com belongs to employee E900; line manager nobody@x.org is not "
            "in the directory",
        ),
        RowError(4, "end date is before start date"),
        RowError(
            5,
            "employment type 'Seasonal' is not one of Permanent, Fixed-term, Temporary, Contractor",
        ),
    ]
    assert result.created == 1


def test_duplicate_email_in_the_file_rejects_the_later_row(hr_user):
    data = staff_csv(
        person("E001", "first@example.com", first_name="First"),
        person("E002", "second@example.com"),
        person("E003", "First@Example.com", first_name="Again"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(4, "email first@example.com already on line 2")]
    assert result.created == 2
    assert User.objects.get(email="first@example.com").first_name == "First"
    assert not User.objects.filter(employee_number="E003").exists()


def test_email_belonging_to_another_employee_is_rejected(hr_user):
    holder = UserFactory(email="taken@example.com", employee_number="E900", first_name="Jo")
    data = staff_csv(
        person("E001", "taken@example.com", first_name="Someone"),
        person("E002", "free@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(2, "email taken@example.com belongs to employee E900")]
    assert result.created == 1
    holder.refresh_from_db()
    assert (holder.employee_number, holder.first_name) == ("E900", "Jo")
    assert not User.objects.filter(employee_number="E001").exists()


def test_changing_someones_email_to_another_persons_address_is_rejected(hr_user):
    first = UserFactory(email="first@example.com", employee_number="E001")
    UserFactory(email="second@example.com", employee_number="E002")
    data = staff_csv(person("E001", "second@example.com"))

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(2, "email second@example.com belongs to another person")]
    first.refresh_from_db()
    assert first.email == "first@example.com"


def test_line_numbers_are_physical_lines_when_a_quoted_field_spans_lines(hr_user):
    data = staff_csv(
        person("E001", "first@example.com", job_title="Senior\nSupport Worker"),  # lines 2-3
        None,  # line 4, blank
        person("E002", "second@example.com", start_date="yesterday"),  # line 5
        person(  # lines 6-7
            "E003", "third@example.com", job_title="Team\nLeader", employment_type="Zero hours"
        ),
        person("E004", "nobody@example.com", first_name=""),  # line 8
        person("E005", "fifth@example.com"),  # line 9
        person("E005", "sixth@example.com"),  # line 10
    )
    assert data.decode().count("\n") == 10

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(5, f"start date 'yesterday' {DATE_HELP}"),
        RowError(
            6,
            "employment type 'Zero hours' is not one of "
            "Permanent, Fixed-term, Temporary, Contractor",
        ),
        RowError(8, "missing first name"),
        RowError(10, "employee number E005 already on line 9"),
    ]
    assert result.created == 2
    assert User.objects.get(email="first@example.com").job_title == "Senior\nSupport Worker"


def test_reports_of_a_rejected_manager_are_rejected_too(hr_user):
    data = staff_csv(
        person("E001", "junior@example.com", line_manager_email="middle@example.com"),
        person("E002", "middle@example.com", line_manager_email="boss@example.com"),
        person("E003", "boss@example.com", start_date="not a date"),
        person("E004", "other@example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(2, "line manager middle@example.com is not in the directory"),
        RowError(3, "line manager boss@example.com is not in the directory"),
        RowError(4, f"start date 'not a date' {DATE_HELP}"),
    ]
    assert result.created == 1
    assert not User.objects.filter(employee_number__in=["E001", "E002", "E003"]).exists()
    assert User.objects.filter(employee_number="E004").exists()


def test_report_naming_the_old_address_of_a_manager_whose_address_changes(hr_user):
    boss = UserFactory(email="boss@old.example.com", employee_number="E001")
    data = staff_csv(
        person("E001", "boss@example.com"),
        person("E002", "report@example.com", line_manager_email="boss@old.example.com"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == []
    assert (result.created, result.updated) == (1, 1)
    boss.refresh_from_db()
    assert boss.email == "boss@example.com"
    assert User.objects.get(email="report@example.com").line_manager == boss


def good_then(extra: bytes) -> bytes:
    return staff_csv(person("E001", "first@example.com"), person("E002", "second@example.com")) + (
        extra
    )


UNREADABLE = [
    pytest.param(
        good_then("E003,Zoë,Brown,zoe@example.com,Care,,,,15/01/2024,\r\n".encode("cp1252")),
        "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.",
        id="not-utf-8",
    ),
    pytest.param(b"", "The file is empty.", id="empty"),
    pytest.param(b" , ,\r\n", "The file is empty.", id="blank-header"),
    pytest.param(
        b"Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
        b"Employment type\r\nE001,Sam,Patel,sam@example.com,Care,,,Permanent\r\n",
        "The header row is missing: start date, end date.",
        id="missing-columns",
    ),
    pytest.param(
        good_then(b'E003,Sam,Patel,sam@example.com,Care,"' + b"x" * 200_000 + b'",,,,\r\n'),
        "The file is not valid CSV (line 4): field larger than field limit (131072).",
        id="invalid-csv",
    ),
]


@pytest.mark.parametrize(("data", "message"), UNREADABLE)
def test_unreadable_file_is_refused_and_nothing_is_written(hr_user, data, message):
    before = counts()

    with pytest.raises(ImportFileError) as refused:
        import_staff(actor=hr_user, data=data)

    assert str(refused.value) == message
    assert counts() == before


def test_byte_order_mark_from_excel_is_accepted(hr_user):
    data = b"\xef\xbb\xbf" + staff_csv(person("E001", "sam@example.com"))

    result = import_staff(actor=hr_user, data=data)

    assert (result.created, result.errors) == (1, [])
    assert User.objects.get(email="sam@example.com").employee_number == "E001"


def test_imported_people_get_an_unusable_password(hr_user):
    import_staff(actor=hr_user, data=staff_csv(person("E001", "sam@example.com")))

    sam = User.objects.get(email="sam@example.com")
    assert sam.password
    assert not sam.has_usable_password()


def test_audit_trail_records_each_change_and_the_import(hr_user):
    existing = UserFactory(
        email="ria@example.com",
        employee_number="E002",
        first_name="Alex",
        last_name="Smith",
        job_title="Cook",
    )
    data = staff_csv(
        person("E001", "sam@example.com", department="Day Services"),
        person("E002", "ria@example.com", job_title="Head Cook"),
        person("E003", "nobody@example.com", first_name=""),
        person("E004", "tom@example.com", line_manager_email="ria@example.com"),
    )

    result = import_staff(actor=hr_user, data=data, source="command:staff.csv")

    assert (result.created, result.updated, len(result.errors)) == (2, 1, 1)
    events = AuditEvent.objects.exclude(action__startswith="auth.")
    assert {e.actor for e in events} == {hr_user}
    imported = events.filter(action="user.imported")
    assert sorted(imported.values_list("object_repr", flat=True)) == sorted(
        str(u) for u in User.objects.filter(email__in=["sam@example.com", "tom@example.com"])
    )
    assert all(e.data == {"source": "command:staff.csv"} for e in imported)
    updated = events.get(action="user.updated")
    assert (updated.object_type, updated.object_id) == ("portal.user", str(existing.pk))
    assert updated.data == {"source": "command:staff.csv", "changed": ["job_title"]}
    relinked = events.get(action="user.line_manager_changed")
    assert relinked.object_id == str(User.objects.get(email="tom@example.com").pk)
    assert relinked.data == {"line_manager": "ria@example.com"}
    assert events.get(action="department.created").object_repr == "Day Services"
    summary = events.get(action="staff.imported")
    assert summary.data == {
        "source": "command:staff.csv",
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "rejected": 1,
        "held": 0,
    }


@pytest.mark.parametrize("size", [10, 40])
def test_query_count_does_not_grow_with_the_number_of_rows(
    hr_user, django_assert_max_num_queries, size
):
    UserFactory(email="director@example.com", employee_number="D001")
    policy = load_seed_policy().policy
    people = [
        person(
            f"E{i:03d}",
            f"person{i}@example.com",
            department=f"Team {i}",
            # Each person's manager is on the next line; the last reports to the director.
            line_manager_email=f"person{i + 1}@example.com" if i + 1 < size else "",
        )
        for i in range(size)
    ]
    people[-1]["line_manager_email"] = "director@example.com"

    with django_assert_max_num_queries(QUERY_BUDGET):
        created = import_staff(actor=hr_user, data=staff_csv(*people))

    assert (created.created, created.errors) == (size, [])
    assert (
        Assignment.objects.filter(version__policy=policy, user__email__startswith="person").count()
        == size
    ), "every new person is asked to sign the policy"
    for row in people:
        row["job_title"] = "Senior Support Worker"
        row["department"] = "Day Services"
        row["line_manager_email"] = "director@example.com"

    with django_assert_max_num_queries(QUERY_BUDGET + MOVES_QUERY_BUDGET):
        updated = import_staff(actor=hr_user, data=staff_csv(*people))

    assert (updated.updated, updated.errors) == (size, [])
    assert (
        User.objects.filter(
            job_title="Senior Support Worker",
            department__name="Day Services",
            line_manager__email="director@example.com",
        ).count()
        == size
    )
