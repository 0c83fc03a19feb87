"""The staff import page: HR uploads the directory CSV in the browser."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.forms import MAX_IMPORT_BYTES
from portal.models import AuditEvent, User
from tests.portal.import_jobs_helpers import eager_imports, post_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_imports")]
__all__ = ["eager_imports"]

URL = reverse("staff_import")
HEADER = (
    b"Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    b"Employment type,Start date,End date\r\n"
)
GOOD_FILE = (
    HEADER
    + b"E001,Sam,Patel,sam@example.com,Day Services,Cook,ria@example.com,Permanent,15/01/2024,\r\n"
    + b"E002,,Hughes,tom@example.com,Day Services,Cook,,Permanent,15/01/2024,\r\n"
    + b"E003,Ria,Khan,ria@example.com,Day Services,Manager,,Permanent,2024-01-15,\r\n"
    + b"E004,Ann,Lee,ann@example.com,Day Services,Cook,,Seasonal,2024-01-15,\r\n"
)


def upload(content: bytes, name: str = "staff.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def imported_people() -> set[str]:
    return set(User.objects.filter(employee_number__startswith="E").values_list("email", flat=True))


def test_hr_sees_the_form(client, hr_user):
    client.force_login(hr_user)

    response = client.get(URL)

    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert b'data-testid="import-result"' not in response.content


def test_hr_upload_shows_counts_and_rejected_rows_by_line(client, hr_user):
    client.force_login(hr_user)

    response = post_import(client, GOOD_FILE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported 2 people: 2 new, 0 updated, 0 unchanged." in html
    for count in ("New: 2", "Updated: 0", "Unchanged: 0", "Rejected rows: 2"):
        assert f"<li>{count}</li>" in html
    assert "<tr><td>3</td><td>missing first name</td></tr>" in html
    assert (
        "<tr><td>5</td><td>employment type &#x27;Seasonal&#x27; is not one of Permanent, "
        "Fixed-term, Temporary, Contractor</td></tr>"
    ) in html
    assert imported_people() == {"sam@example.com", "ria@example.com"}
    assert User.objects.get(email="sam@example.com").line_manager.email == "ria@example.com"
    summary = AuditEvent.objects.get(action="staff.imported")
    assert summary.actor == hr_user
    assert summary.data["source"] == "upload"


def test_uploading_the_same_file_again_reports_everyone_unchanged(client, hr_user):
    client.force_login(hr_user)
    post_import(client, GOOD_FILE)

    response = post_import(client, GOOD_FILE)

    html = response.content.decode()
    assert "Imported 2 people: 0 new, 0 updated, 2 unchanged." in html
    assert "<li>Unchanged: 2</li>" in html
    assert User.objects.filter(employee_number__startswith="E").count() == 2


@pytest.mark.parametrize("method", ["get", "post"])
def test_people_outside_hr_are_refused(client, employee, it_user, method):
    for user in (employee, it_user):
        client.force_login(user)

        response = getattr(client, method)(URL, {"file": upload(GOOD_FILE)})

        assert response.status_code == 403
    assert imported_people() == set()
    assert not AuditEvent.objects.filter(action="staff.imported").exists()


def test_signed_out_visitor_is_sent_to_sign_in(client, db):
    response = client.post(URL, {"file": upload(GOOD_FILE)})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert imported_people() == set()


def test_file_that_is_not_utf_8_shows_the_error_on_the_form(client, hr_user):
    client.force_login(hr_user)
    content = HEADER + "E001,Zoë,Brown,zoe@example.com,Care,,,,15/01/2024,\r\n".encode("cp1252")

    response = client.post(URL, {"file": upload(content)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
    ]
    assert "The file is not UTF-8 text." in response.content.decode()
    assert imported_people() == set()
    assert not AuditEvent.objects.filter(action="staff.imported").exists()


def test_file_over_10_mb_is_refused(client, hr_user):
    client.force_login(hr_user)
    # A readable file padded with blank lines, which the import would otherwise skip.
    row = b"E001,Sam,Patel,sam@example.com,Care,,,,15/01/2024,\r\n"
    content = HEADER + row + b"\n" * (MAX_IMPORT_BYTES + 1 - len(HEADER) - len(row))
    assert len(content) == MAX_IMPORT_BYTES + 1

    response = client.post(URL, {"file": upload(content)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is larger than 10 MB. Split it and try again."
    ]
    assert "The file is larger than 10 MB. Split it and try again." in response.content.decode()
    assert imported_people() == set()


def test_posting_without_a_file_asks_for_one(client, hr_user):
    client.force_login(hr_user)

    response = client.post(URL, {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This field is required."]
    assert not AuditEvent.objects.filter(action="staff.imported").exists()


def test_other_methods_are_not_allowed(client, hr_user):
    client.force_login(hr_user)

    response = client.put(URL, GOOD_FILE, content_type="text/csv")

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "POST"]
    assert imported_people() == set()
