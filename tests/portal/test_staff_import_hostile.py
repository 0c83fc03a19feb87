"""Hostile staff files: NUL bytes, and one address written in several cases or with letters that
only look like others."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.models import User
from portal.staff_import import ImportFileError, RowError, import_staff
from tests.factories import UserFactory
from tests.portal.test_staff_import import counts, person, staff_csv

pytestmark = pytest.mark.django_db

NUL_FILE = staff_csv(
    person("E001", "sam@example.com"),
    person("E002", "ria@example.com", job_title="Cook\x00"),
)
NUL_MESSAGE = (
    "The file contains a NUL character (line 3), so it is not a plain CSV export. Save it "
    "from the spreadsheet as 'CSV UTF-8' and try again."
)


def test_a_nul_byte_is_refused_with_its_line_and_nothing_is_written(hr_user) -> None:
    before = counts()

    with pytest.raises(ImportFileError) as refused:
        import_staff(actor=hr_user, data=NUL_FILE)

    assert str(refused.value) == NUL_MESSAGE
    assert counts() == before


def test_a_nul_byte_is_a_message_on_the_page(client, hr_user) -> None:
    client.force_login(hr_user)
    before = counts()

    response = client.post(
        reverse("staff_import"), {"file": SimpleUploadedFile("staff.csv", NUL_FILE)}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [NUL_MESSAGE]
    assert counts() == before


def test_a_nul_byte_is_a_message_from_the_command(tmp_path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\x00" + NUL_FILE)

    with pytest.raises(CommandError) as refused:
        call_command("import_staff", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(refused.value) == (
        f"{path}: The file contains a NUL character (line 1), so it is not a plain CSV export. "
        "Save it from the spreadsheet as 'CSV UTF-8' and try again. Nothing was imported."
    )
    assert not User.objects.exists()


def test_an_address_on_file_in_another_case_is_the_same_person(hr_user) -> None:
    """An account whose address was stored before addresses were kept in lower case."""
    sam = UserFactory(email="placeholder@example.com", employee_number=None, job_title="Cook")
    User.objects.filter(pk=sam.pk).update(email="Sam.Patel@Example.com")

    result = import_staff(
        actor=hr_user,
        data=staff_csv(person("E001", "sam.patel@example.com", job_title="Head Cook")),
    )

    assert (result.created, result.updated, result.errors) == (0, 1, [])
    assert User.objects.filter(email__iexact="sam.patel@example.com").count() == 1
    sam.refresh_from_db()
    assert (sam.employee_number, sam.job_title) == ("E001", "Head Cook")


def test_a_line_manager_on_file_in_another_case_is_found(hr_user) -> None:
    boss = UserFactory(email="placeholder@example.com")
    User.objects.filter(pk=boss.pk).update(email="Ria.Khan@Example.com")

    result = import_staff(
        actor=hr_user,
        data=staff_csv(
            person("E001", "sam@example.com", line_manager_email="RIA.KHAN@example.com")
        ),
    )

    assert (result.created, result.errors) == (1, [])
    assert User.objects.get(email="sam@example.com").line_manager == boss


def test_two_rows_in_different_cases_are_one_person(hr_user) -> None:
    data = staff_csv(
        person("E001", "Sam.Patel@Example.com"),
        person("E002", "SAM.PATEL@EXAMPLE.COM"),
    )

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [RowError(3, "email sam.patel@example.com already on line 2")]
    assert User.objects.filter(email__iexact="sam.patel@example.com").count() == 1


@pytest.mark.parametrize(
    ("plain", "look_alike"),
    [
        ("sam@example.com", "\u017fam@example.com"),  # long s: its capital is S
        ("ian@example.com", "\u0131an@example.com"),  # dotless i: its capital is I
    ],
)
def test_letters_that_only_look_like_others_are_refused(hr_user, plain, look_alike) -> None:
    data = staff_csv(person("E001", plain), person("E002", look_alike))

    result = import_staff(actor=hr_user, data=data)

    assert result.errors == [
        RowError(
            3,
            f"email {look_alike!r} has a character before the @ that is not plain ASCII "
            "(a-z, 0-9 and . _ - +)",
        )
    ]
    assert result.created == 1
