"""The CSV export of who has signed: the same people and filters as the list, streamed, safe to
open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import compliance, publishing, staff_status
from acknowledgements.models import Assignment, Policy
from portal import csv_cells
from portal.models import AuditEvent, User
from tests.acknowledgements.dashboard.helpers import _bulk_sign
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.staff_status.helpers import bulk_staff
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in

LONDON = ZoneInfo("Europe/London")
HEADER = [
    "Employee number",
    "First name",
    "Last name",
    "Email",
    "Department",
    "Line manager email",
    "Employment type",
    "Start date",
    "Status",
    "Version",
    "Due date",
    "Signed at (UTC)",
    "Printed name",
    "Policy text SHA-256",
    "Record hash",
    "IP address",
]


def export_url(policy: Policy) -> str:
    return reverse("acknowledgements:staff_export", args=[policy.slug])


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def rows(response) -> list[dict[str, str]]:
    """The data rows, keyed by the header (the BOM removed first)."""
    text = body(response)
    assert text.startswith(staff_status.BOM)
    reader = csv.reader(io.StringIO(text.removeprefix(staff_status.BOM), newline=""))
    header = next(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


# --- Who may export ---------------------------------------------------------------------------
def test_export_needs_signing_in(client: Client, policy) -> None:
    response = client.get(export_url(policy))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["employee", "it_user", "reviewer", "outsider"])
def test_people_without_reports_or_hr_cannot_export(client: Client, policy, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(export_url(policy))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="policy.status_exported").exists()


def test_export_needs_a_get(client: Client, policy, hr_user) -> None:
    assert signed_in(client, hr_user).post(export_url(policy)).status_code == 405


# --- The file ---------------------------------------------------------------------------------
def test_the_file_streams_with_a_bom_header_and_a_dated_name(
    client: Client, policy, hr_user
) -> None:
    response = signed_in(client, hr_user).get(export_url(policy))
    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="acknowledgements-acceptable-use-{today}.csv"'
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so that Excel reads UTF-8
    first_line = raw.decode("utf-8").removeprefix(staff_status.BOM).split("\r\n", 1)[0]
    assert first_line == ",".join(HEADER)


def test_hr_gets_one_row_per_active_person(client: Client, policy, employee, outsider, hr_user):
    publishing.assign_outstanding(policy=policy)
    UserFactory(first_name="Lee", last_name="Left", is_active=False)
    found = rows(signed_in(client, hr_user).get(export_url(policy)))
    expected = set(compliance.active_people().values_list("email", flat=True))
    assert sorted(row["Email"] for row in found) == sorted(expected)
    assert "outsider@example.com" in expected


def test_a_manager_exports_only_their_own_reports(
    client: Client, policy, manager, employee, outsider
) -> None:
    second = UserFactory(line_manager=manager)
    found = rows(signed_in(client, manager).get(export_url(policy), {"manager": outsider.pk}))
    assert sorted(row["Email"] for row in found) == sorted([employee.email, second.email])


def test_the_columns_of_a_signed_record(client: Client, policy, version, employee, hr_user):
    publishing.assign_outstanding(policy=policy)
    ack = AcknowledgementFactory(user=employee, version=version, ip_address="203.0.113.7")
    found = rows(signed_in(client, hr_user).get(export_url(policy), {"status": "signed"}))
    assert len(found) == 1
    row = found[0]
    assignment = ack.assignment
    assert row == {
        "Employee number": employee.employee_number,
        "First name": "Emma",
        "Last name": "Jones",
        "Email": "employee@example.com",
        "Department": "Residential Care",
        "Line manager email": "manager@example.com",
        "Employment type": "Permanent",
        "Start date": "2024-01-15",
        "Status": "Signed",
        "Version": "1",
        "Due date": assignment.due_date.isoformat(),
        "Signed at (UTC)": ack.signed_at.astimezone(UTC).isoformat(),
        "Printed name": "Emma Jones",
        "Policy text SHA-256": version.body_sha256,
        "Record hash": ack.record_hash,
        "IP address": "203.0.113.7",
    }
    assert datetime.fromisoformat(row["Signed at (UTC)"]).utcoffset().total_seconds() == 0


def test_unsigned_and_unassigned_people_have_blank_evidence(
    client: Client, policy, manager, employee
) -> None:
    publishing.assign_outstanding(policy=policy)
    newcomer = UserFactory(line_manager=manager, employment_type=User.EmploymentType.TEMPORARY)
    found = {row["Email"]: row for row in rows(signed_in(client, manager).get(export_url(policy)))}
    due = found[employee.email]
    assert (due["Status"], due["Version"], due["Signed at (UTC)"], due["Record hash"]) == (
        "Due", "1", "", "",
    )  # fmt: skip
    assert due["Due date"]
    unassigned = found[newcomer.email]
    assert unassigned["Status"] == "Not yet assigned"
    assert unassigned["Employment type"] == "Temporary"
    assert (unassigned["Version"], unassigned["Due date"], unassigned["IP address"]) == ("", "", "")


def test_the_filters_of_the_list_apply(client: Client, policy, version, manager, employee):
    publishing.assign_outstanding(policy=policy)
    AcknowledgementFactory(user=employee, version=version)
    others = [UserFactory(line_manager=manager) for _ in range(3)]
    publishing.assign_outstanding(policy=policy)
    client = signed_in(client, manager)
    assert [r["Email"] for r in rows(client.get(export_url(policy), {"status": "signed"}))] == [
        employee.email
    ]
    due = rows(client.get(export_url(policy), {"status": "due"}))
    assert sorted(r["Email"] for r in due) == sorted(p.email for p in others)
    searched = rows(client.get(export_url(policy), {"q": others[0].employee_number}))
    assert [r["Email"] for r in searched] == [others[0].email]
    # The list's page cursor does not cut the export short.
    assert len(rows(client.get(export_url(policy), {"after": "Aaa|Aaa|1"}))) == 4


def test_a_5000_person_filter_yields_exactly_5000_rows(client: Client, policy, hr_user):
    big = DepartmentFactory(name="Domiciliary Care")
    bulk_staff(5000, prefix="dom", department=big)
    bulk_staff(25, prefix="day", department=DepartmentFactory(name="Day Services"))
    publishing.assign_outstanding(policy=policy)
    response = signed_in(client, hr_user).get(export_url(policy), {"department": big.pk})
    found = rows(response)
    assert len(found) == 5000
    assert len({row["Email"] for row in found}) == 5000
    assert {row["Department"] for row in found} == {"Domiciliary Care"}
    assert {row["Status"] for row in found} == {"Due"}


def test_cells_a_spreadsheet_would_run_are_made_inert(client: Client, policy, hr_user):
    manager = UserFactory(email="boss@example.com")
    UserFactory(
        first_name='=HYPERLINK("http://evil.example","click")',
        last_name="+SUM(A1:A9)",
        employee_number="-2+3",
        email="formula@example.com",
        department=DepartmentFactory(name="@Risk"),
        line_manager=manager,
    )
    found = rows(signed_in(client, hr_user).get(export_url(policy), {"q": "formula@"}))
    assert len(found) == 1
    row = found[0]
    assert row["First name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Last name"] == "'+SUM(A1:A9)"
    assert row["Employee number"] == "'-2+3"
    assert row["Department"] == "'@Risk"
    assert row["Email"] == "formula@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Jones", "Jones"),
        ("O'Neill", "O'Neill"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_cell_is_made_inert_exactly_when_it_starts_like_a_formula(
    client: Client, policy, hr_user, value: str, expected: str
) -> None:
    UserFactory(first_name=value, email="cell@example.com")
    found = rows(signed_in(client, hr_user).get(export_url(policy), {"q": "cell@"}))
    assert [row["First name"] for row in found] == [expected]
    assert csv_cells.inert(value) == expected


# Cells that hide a formula behind what a spreadsheet skips, and cells that only look alike.
HIDDEN_FORMULAS = [
    ("\u200b=1+1", "'\u200b=1+1"),  # zero-width space
    ("\u200c-1", "'\u200c-1"),  # zero-width non-joiner
    ("\u200d+1", "'\u200d+1"),  # zero-width joiner
    ("\ufeff=1", "'\ufeff=1"),  # byte order mark
    ("\u2060@SUM(A1)", "'\u2060@SUM(A1)"),  # word joiner
    ("\u00a0=1", "'\u00a0=1"),  # no-break space
    ("\u202f\u3000=1", "'\u202f\u3000=1"),  # narrow no-break and ideographic spaces
    (" =1", "' =1"),
    ("\nx", "'\nx"),  # a line feed first
    ("\n", "'\n"),
    (";=1+1", "';=1+1"),  # a semicolon-separated spreadsheet starts a new cell there
    ("; \u200b-1", "'; \u200b-1"),
    ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
    ("\u200bJones", "\u200bJones"),
    ("\u00a0Jones", "\u00a0Jones"),
    (";Jones", ";Jones"),
    ("Jones;=1", "Jones;=1"),
    (" ", " "),
    ("\u200b", "\u200b"),
]


@pytest.mark.parametrize(("value", "expected"), HIDDEN_FORMULAS)
def test_a_formula_behind_invisible_characters_is_made_inert(
    client: Client, policy, hr_user, postgres, value: str, expected: str
) -> None:
    """The database's form of the rule (``csv_cells.inert_sql``) on PostgreSQL, and the Python
    form, give the same cell."""
    UserFactory(first_name=value, last_name=value, email="cell@example.com")
    found = rows(signed_in(client, hr_user).get(export_url(policy), {"q": "cell@"}))
    assert [(row["First name"], row["Last name"]) for row in found] == [(expected, expected)]
    assert csv_cells.inert(value) == expected


@pytest.mark.parametrize(
    ("signed_at", "written"),
    [
        (datetime(2026, 3, 2, 9, 0, 5, 123456, tzinfo=UTC), "2026-03-02T09:00:05.123456+00:00"),
        (datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), "2026-03-02T09:00:05+00:00"),
        # Summer time in London; the file speaks UTC.
        (datetime(2026, 7, 1, 0, 30, tzinfo=LONDON), "2026-06-30T23:30:00+00:00"),
    ],
)
def test_signed_at_is_written_in_utc_as_isoformat_writes_it(
    client: Client, policy, version, hr_user, signed_at: datetime, written: str
) -> None:
    person = UserFactory(email="signer@example.com", start_date=date(2025, 4, 1))
    _bulk_sign([person], version, signed_at=signed_at)
    Assignment.objects.filter(user=person).update(due_date=date(2026, 3, 9))
    [row] = rows(signed_in(client, hr_user).get(export_url(policy), {"q": "signer@"}))
    assert row["Signed at (UTC)"] == written == signed_at.astimezone(UTC).isoformat()
    assert (row["Start date"], row["Due date"]) == ("2025-04-01", "2026-03-09")


def test_an_export_is_recorded(client: Client, policy, hr_user) -> None:
    signed_in(client, hr_user).get(export_url(policy), {"status": "overdue", "q": "Jones"})
    event = AuditEvent.objects.get(action="policy.status_exported")
    assert event.actor == hr_user
    assert event.data == {"filters": {"status": "overdue", "q": "Jones"}}


def test_an_unknown_policy_is_404(client: Client, hr_user, db) -> None:
    response = signed_in(client, hr_user).get(
        reverse("acknowledgements:staff_export", args=["no-such-policy"])
    )
    assert response.status_code == 404
