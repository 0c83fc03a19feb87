"""Files on a request: only listed types whose content matches their name, within the size limit,
stored under generated names, and handed back only to people who may see the request."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from requests import attachments
from requests.models import Attachment, AuthorisationRequest
from tests.helpers import messages_of, signed_in
from tests.requests.factories import AuthorisationRequestFactory

State = AuthorisationRequest.State

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def office_file(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


DOCX = office_file("word/document.xml")
XLSX = office_file("xl/workbook.xml")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MAY_SEE = ["employee", "manager", "it_user"]
MAY_NOT_SEE = ["outsider", "other_budget_holder", "hr_user"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ar(employee, manager) -> AuthorisationRequest:
    return AuthorisationRequestFactory(
        requester=employee, cost_one_off=Decimal("300"), state=State.AWAITING_BUDGET_HOLDER
    )


def upload(client: Client, ar: AuthorisationRequest, name: str, content: bytes, **kwargs):
    file = SimpleUploadedFile(name, content, content_type=kwargs.pop("content_type", "x/any"))
    return client.post(reverse("requests:upload", args=[ar.pk]), {"file": file})


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def nothing_saved(media: Path) -> bool:
    return not Attachment.objects.exists() and stored_files(media) == []


# --- What is accepted -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("quote.pdf", PDF, "application/pdf"),
        ("screenshot.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("notes.txt", "Licence key arrives by email — £40.\n".encode(), "text/plain"),
        ("prices.csv", b"item,price\nVisio,1250.00\n", "text/csv"),
        ("specification.docx", DOCX, DOCX_TYPE),
        ("costs.xlsx", XLSX, XLSX_TYPE),
    ],
)
def test_allowed_files_are_stored_under_a_generated_name(
    client: Client, ar, employee, media, name, content, content_type
) -> None:
    # The browser's claimed type is ignored: the stored one comes from the checked content.
    response = upload(signed_in(client, employee), ar, name, content, content_type="text/html")
    assert response.status_code == 302
    assert response.url == reverse("requests:detail", args=[ar.pk])
    attachment = Attachment.objects.get()
    assert attachment.request == ar
    assert attachment.uploaded_by == employee
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert len(attachment.token) == 32
    assert attachment.file.name == f"requests/{ar.pk}/{attachment.token}"
    (stored,) = stored_files(media)
    assert stored.name == attachment.token
    assert stored.read_bytes() == content
    assert messages_of(response) == [f"{name} has been attached."]
    audit = AuditEvent.objects.get(action="request.attachment_added")
    assert audit.data["name"] == name


@pytest.mark.parametrize("actor", ["manager", "it_user"])
def test_budget_holder_and_it_may_attach(client: Client, ar, media, actor, request) -> None:
    person = request.getfixturevalue(actor)
    upload(signed_in(client, person), ar, "quote.pdf", PDF)
    assert Attachment.objects.get().uploaded_by == person


def test_files_may_be_added_after_a_decision(client: Client, employee, it_user, media) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.FULFILLED)
    upload(signed_in(client, it_user), ar, "installation-record.pdf", PDF)
    assert Attachment.objects.filter(request=ar).count() == 1


# --- What is refused ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("page.html", HTML),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("archive.zip", DOCX),
        ("quote.pdf.exe", PDF),
        ("macro.docm", DOCX),
        ("README", b"plain words"),
    ],
)
def test_types_not_on_the_list_are_refused(client: Client, ar, employee, media, name, content):
    response = upload(signed_in(client, employee), ar, name, content)
    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "is not a type of file the portal accepts" in message
    assert nothing_saved(media)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", HTML),  # a web page dressed as a PDF
        ("invoice.pdf", b"  %PDF-1.7 not at the start"),
        ("photo.png", JPEG),
        ("photo.jpg", PNG),
        ("letter.docx", b"Just some text, not a document."),
        ("letter.docx", XLSX),  # a workbook renamed
        ("sheet.xlsx", DOCX),
        ("sheet.xlsx", b"PK\x03\x04 but not really a zip file"),
        ("notes.txt", b"\xff\xfe\x00h\x00i"),  # UTF-16, not UTF-8
        ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("data.csv", b"a,b\n1,\x00\x01\x02\n"),
    ],
)
def test_content_that_does_not_match_the_name_is_refused(
    client: Client, ar, employee, media, name, content
) -> None:
    response = upload(signed_in(client, employee), ar, name, content)
    (message,) = messages_of(response)
    assert message.startswith(f"{name} does not contain what its name says")
    assert nothing_saved(media)


def test_files_over_the_limit_are_refused(client: Client, ar, employee, media, settings) -> None:
    assert settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024
    too_big = PDF + b"0" * (settings.ATTACHMENT_MAX_BYTES - len(PDF) + 1)
    response = upload(signed_in(client, employee), ar, "scan.pdf", too_big)
    (message,) = messages_of(response)
    assert message == "scan.pdf is 10.0 MB; files can be at most 10.0 MB."
    assert nothing_saved(media)


def test_a_file_exactly_at_the_limit_is_accepted(
    client: Client, ar, employee, media, settings
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 4096
    upload(signed_in(client, employee), ar, "scan.pdf", PDF + b"0" * (4096 - len(PDF)))
    assert Attachment.objects.get().size == 4096
    upload(client, ar, "scan2.pdf", PDF + b"0" * (4097 - len(PDF)))
    assert Attachment.objects.count() == 1


def test_an_empty_file_is_refused(client: Client, ar, employee, media) -> None:
    response = upload(signed_in(client, employee), ar, "empty.txt", b"")
    assert messages_of(response)  # Django's form or the service, either says why
    assert nothing_saved(media)


def test_no_file_at_all_is_refused(client: Client, ar, employee, media) -> None:
    response = signed_in(client, employee).post(reverse("requests:upload", args=[ar.pk]), {})
    assert messages_of(response) == ["Choose a file to attach."]
    assert nothing_saved(media)


def test_nothing_is_added_to_a_withdrawn_request(client: Client, employee, media) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.WITHDRAWN)
    response = upload(signed_in(client, employee), ar, "quote.pdf", PDF)
    assert messages_of(response) == [
        f"{ar.reference} has been withdrawn: no more files can be added."
    ]
    assert nothing_saved(media)
    page = client.get(reverse("requests:detail", args=[ar.pk]))
    assert page.context["upload_form"] is None


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_uploading_to_a_request_one_cannot_see_is_not_found(
    client: Client, ar, media, actor, request
) -> None:
    response = upload(signed_in(client, request.getfixturevalue(actor)), ar, "quote.pdf", PDF)
    assert response.status_code == 404
    assert nothing_saved(media)


def test_uploading_needs_a_post(client: Client, ar, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:upload", args=[ar.pk]))
    assert response.status_code == 405


def test_anonymous_upload_goes_to_sign_in(client: Client, ar, media) -> None:
    response = upload(client, ar, "quote.pdf", PDF)
    assert response.url.startswith(reverse("login"))
    assert nothing_saved(media)


# --- Names ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\emma\\Desktop\\quote.pdf", "quote.pdf"),
        ("quote\x00\x1b[31m.pdf", "quote[31m.pdf"),
        ('what?<is>"this"|.pdf', "what__is__this__.pdf"),
        ("  ..hidden quote  .pdf ", "hidden quote .pdf"),
        ("\uff51\uff55\uff4f\uff54\uff45.pdf", "quote.pdf"),  # full-width letters
        ("Café menu 2026.pdf", "Café menu 2026.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_names_are_cleaned(given: str, kept: str) -> None:
    assert attachments.clean_name(given) == kept


def test_the_original_name_is_data_not_a_path(client: Client, ar, employee, media) -> None:
    upload(signed_in(client, employee), ar, "../../../outside.pdf", PDF)
    attachment = Attachment.objects.get()
    assert attachment.original_name == "outside.pdf"
    (stored,) = stored_files(media)
    assert stored.parent == media / "requests" / str(ar.pk)
    assert stored.name == attachment.token


# --- Downloads ------------------------------------------------------------------------------------
@pytest.fixture
def attachment(ar, employee, media) -> Attachment:
    file = SimpleUploadedFile("Visio quote (final).pdf", PDF, content_type="application/pdf")
    return attachments.add_attachment(uploader=employee, request=ar, upload=file)


def download_url(attachment: Attachment) -> str:
    return reverse("requests:download", args=[attachment.pk])


@pytest.mark.parametrize("actor", MAY_SEE)
def test_people_who_see_the_request_may_download(
    client: Client, attachment, actor, request
) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Visio quote (final).pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_text_file_is_still_a_download(client: Client, ar, employee, media) -> None:
    file = SimpleUploadedFile("notes.txt", b"<script>alert(1)</script>", content_type="text/html")
    attachment = attachments.add_attachment(uploader=employee, request=ar, upload=file)
    response = signed_in(client, employee).get(download_url(attachment))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_anyone_else_gets_not_found(client: Client, attachment, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(download_url(attachment))
    assert response.status_code == 404
    assert PDF not in response.content


def test_a_missing_attachment_is_not_found(client: Client, it_user) -> None:
    response = signed_in(client, it_user).get(reverse("requests:download", args=[987654]))
    assert response.status_code == 404


def test_a_file_gone_from_the_disk_is_not_found(client: Client, attachment, employee) -> None:
    Path(attachment.file.path).unlink()
    assert signed_in(client, employee).get(download_url(attachment)).status_code == 404


def test_downloading_is_a_get(client: Client, attachment, employee) -> None:
    assert signed_in(client, employee).post(download_url(attachment)).status_code == 405


def test_anonymous_download_goes_to_sign_in(client: Client, attachment) -> None:
    response = client.get(download_url(attachment))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_service_refuses_people_who_cannot_see_the_request(ar, outsider, media) -> None:
    file = SimpleUploadedFile("quote.pdf", PDF)
    with pytest.raises(attachments.AttachmentRefused):
        attachments.add_attachment(uploader=outsider, request=ar, upload=file)
    assert nothing_saved(media)
