"""``manage.py import_staff FILE.csv``: the staff directory import from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db

HEADER = (
    "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    "Employment type,Start date,End date\r\n"
)
SAM = "E001,Sam,Patel,sam@example.com,Day Services,Cook,,Permanent,15/01/2024,\r\n"
RIA = "E002,Ria,Khan,ria@example.com,Day Services,Manager,,Permanent,2024-01-15,\r\n"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_staff", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_summary(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + SAM + RIA, encoding="utf-8")

    out, err = run(str(path))

    assert out == "Imported 2 people: 2 new, 0 updated, 0 unchanged; 0 rows rejected.\n"
    assert err == ""
    assert set(User.objects.values_list("email", flat=True)) == {
        "sam@example.com",
        "ria@example.com",
    }
    summary = AuditEvent.objects.get(action="staff.imported")
    assert summary.actor is None
    assert summary.data["source"] == "command:staff.csv"

    out, _ = run(str(path))

    assert out == "Imported 2 people: 0 new, 0 updated, 2 unchanged; 0 rows rejected.\n"


def test_bad_rows_go_to_stderr_with_file_and_line_and_exit_status_is_1(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        HEADER
        + SAM
        + "E003,,Hughes,tom@example.com,Day Services,,,Permanent,15/01/2024,\r\n"
        + RIA
        + "E004,Ann,Lee,ann@example.com,Day Services,,,Permanent,31/02/2024,\r\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("import_staff", str(path), stdout=out, stderr=err)

    assert exited.value.code == 1
    assert err.getvalue().splitlines() == [
        f"{path}:3: missing first name",
        f"{path}:5: start date '31/02/2024' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    ]
    assert out.getvalue() == (
        "Imported 2 people: 2 new, 0 updated, 0 unchanged; 2 rows rejected.\n"
    )
    # The good rows are imported all the same.
    assert set(User.objects.values_list("employee_number", flat=True)) == {"E001", "E002"}


def test_a_row_with_several_problems_is_one_line_naming_them_all(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        HEADER + SAM + "E001,Tom,Hughes,tom@,Day Services,,,Seasonal,15/01/2024,\r\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    with pytest.raises(SystemExit):
        call_command("import_staff", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        f"{path}:3: email 'tom@' is not a valid address; employment type 'Seasonal' is not one "
        "of Permanent, Fixed-term, Temporary, Contractor; employee number E001 already on line 2"
    ]


def test_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "missing.csv"

    with pytest.raises(CommandError) as refused:
        run(str(path))

    assert str(refused.value) == f"Cannot read {path}: No such file or directory"
    assert not AuditEvent.objects.filter(action="staff.imported").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            (HEADER + "E001,Zoë,Brown,zoe@example.com,Care,,,,15/01/2024,\r\n").encode("cp1252"),
            "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.",
            id="not-utf-8",
        ),
        pytest.param(
            b"Employee number,First name,Last name,Email\r\nE001,Sam,Patel,sam@example.com\r\n",
            "The header row is missing: department, job title, line manager email, "
            "employment type, start date, end date.",
            id="missing-columns",
        ),
    ],
)
def test_unreadable_file_says_nothing_was_imported(tmp_path, content, reason):
    path = tmp_path / "staff.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError) as refused:
        run(str(path))

    assert str(refused.value) == f"{path}: {reason} Nothing was imported."
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()
