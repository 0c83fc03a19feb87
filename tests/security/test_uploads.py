"""Uploads that must be refused, through the real pages: request attachments and the staff import.

Too big, a type the portal does not take, content that is not what the name says, a name that
climbs out of its folder: each is refused with a message the uploader can act on, and nothing
is stored, neither a row nor a file. Hypothesis then sends names and contents of its own.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import strategies as st

from portal.celery import app as celery_app
from portal.forms import MAX_IMPORT_BYTES
from portal.models import AuditEvent, StaffImport, User
from requests import attachments
from requests.models import Attachment
from tests.security.fuzzing import CHARACTERS, example, fuzz, last_event
from tests.security.world import PDF, World, changed_tables, state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def zipped(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


def raw_upload(client: Client, url: str, name: str, content: bytes, **extra: object):
    """Post a file under exactly ``name``, as a browser or a script would send it.

    The test client would drop the folders from the name itself; a real request need not.
    """
    boundary = "portal-upload-boundary"
    quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(url, body, content_type=f"multipart/form-data; boundary={boundary}", **extra)


def employee_client(world: World) -> Client:
    client = Client()
    client.force_login(world.team.employee)
    return client


def upload(world: World, client: Client, name: str, content: bytes):
    url = reverse("requests:upload", args=[world.team.request.pk])
    return raw_upload(client, url, name, content, follow=True)


TOO_BIG = settings.ATTACHMENT_MAX_BYTES + 1
REFUSED_ATTACHMENTS = [
    # Too big: one byte over the limit.
    ("quote.pdf", PDF + b"0" * (TOO_BIG - len(PDF)), "files can be at most 10.0 MB"),
    ("quote.pdf", b"", "The submitted file is empty."),
    # Types the portal does not take.
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "is not a type of file the portal accepts"),
    ("page.html", HTML, "is not a type of file the portal accepts"),
    ("drawing.svg", b"<svg onload='alert(1)'/>", "is not a type of file the portal accepts"),
    ("archive.zip", zipped("a.txt"), "is not a type of file the portal accepts"),
    ("README", b"Just some text.", "is not a type of file the portal accepts"),
    # Content that is not what the name says.
    ("quote.pdf", HTML, "does not contain what its name says: it is not a PDF file"),
    ("photo.png", JPEG, "it is not a PNG image file"),
    ("photo.jpg", PNG, "it is not a JPEG image file"),
    ("report.docx", zipped("[Content_Types].xml"), "it is not a Word document file"),
    ("budget.xlsx", zipped("[Content_Types].xml", "word/document.xml"), "not a Excel workbook"),
    ("notes.txt", b"\xff\xfe\xfa not UTF-8", "it is not a plain text file"),
    ("data.csv", b"a,b\x00,c", "it is not a CSV file"),
    # Names that climb out of their folder. Django's parser keeps only the last part of a path
    # (either slash), so what is left must stand on its own; what it lets through and still
    # climbs, once normalised, is refused outright.
    ("../../../../etc/passwd", b"root:x:0:0", "passwd is not a type of file the portal accepts"),
    ("..\\..\\windows\\win.ini", b"[fonts]", "win.ini is not a type of file the portal"),
    ("\uff0e\uff0e\uff0fquote.pdf", PDF, "points to other folders"),  # full-width "../"
    ("quote\uff0f\uff0e\uff0e", PDF, "points to other folders"),
    ("..", PDF, "Choose a file to attach."),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    REFUSED_ATTACHMENTS,
    ids=[f"{i}-{name[:20]}" for i, (name, _, _) in enumerate(REFUSED_ATTACHMENTS)],
)
def test_an_attachment_is_refused_with_a_message(world: World, name, content, message) -> None:
    client = employee_client(world)
    files, before, since = stored_files(), state(), last_event()

    response = upload(world, client, name, content)

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(message in m for m in shown), shown
    assert changed_tables(before, state()) == []
    assert stored_files() == files
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


@pytest.mark.parametrize("name", ["../../../outside.pdf", "..\\..\\outside.pdf"])
def test_a_path_in_a_good_files_name_never_becomes_a_path(world: World, name: str) -> None:
    files = stored_files()

    response = upload(world, employee_client(world), name, PDF)

    assert "outside.pdf has been attached." in [str(m) for m in response.context["messages"]]
    attachment = Attachment.objects.latest("pk")
    assert attachment.original_name == "outside.pdf"
    (stored,) = stored_files() - files
    assert stored.parent == Path(settings.MEDIA_ROOT) / "requests" / str(world.team.request.pk)
    assert stored.name == attachment.token


def test_the_service_refuses_a_name_that_climbs_folders_whoever_calls_it(world: World) -> None:
    """Django's parser drops a POSIX path before the page sees it; a caller that does not
    (an import, a script) meets the same refusal."""
    upload = SimpleUploadedFile("quote.pdf", PDF)
    upload._name = "..\\..\\quote.pdf"  # as a non-browser caller could pass it
    with pytest.raises(attachments.AttachmentRefused, match="points to other folders"):
        attachments.add_attachment(
            uploader=world.team.employee, request=world.team.request, upload=upload
        )


# --- The staff directory import --------------------------------------------------------------
HEADER = (
    b"Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    b"Employment type,Start date,End date\r\n"
)
GOOD_ROW = b"E900,Nia,Rees,nia.rees@example.com,Day Services,Cook,,permanent,2024-01-15,\r\n"
REFUSED_IMPORTS = [
    ("staff.csv", HEADER + GOOD_ROW * (MAX_IMPORT_BYTES // len(GOOD_ROW)), "larger than 10 MB"),
    ("staff.csv", b"", "The submitted file is empty."),
    ("staff.png", PNG, "The file is not UTF-8 text."),
    ("staff.csv", zipped("xl/workbook.xml"), "The file is not UTF-8 text."),  # a workbook
    ("staff.csv", PDF, "The header row is missing"),
    ("staff.csv", HEADER.decode().encode("utf-16"), "The file is not UTF-8 text."),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    REFUSED_IMPORTS,
    ids=[f"{i}-{name}" for i, (name, _, _) in enumerate(REFUSED_IMPORTS)],
)
def test_a_staff_file_is_refused_with_a_message(world: World, name, content, message) -> None:
    client = Client()
    client.force_login(world.users["hr"])
    files, before = stored_files(), state()

    response = client.post(reverse("staff_import"), {"file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200
    errors = response.context["form"].errors.get("file", [])
    assert any(message in error for error in errors), errors
    assert changed_tables(before, state()) == []
    assert stored_files() == files


def test_a_staff_files_name_is_never_used(world: World) -> None:
    """The import reads the content only: a name with a path in it stores nothing anywhere."""
    import portal.tasks  # noqa: F401  (registers the import's task, so that it runs eagerly)

    client = Client()
    client.force_login(world.users["hr"])
    files = stored_files()

    celery_app.conf.task_always_eager = True
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                reverse("staff_import"),
                {"file": SimpleUploadedFile("..\\..\\..\\staff.csv", HEADER + GOOD_ROW)},
            )
    finally:
        celery_app.conf.task_always_eager = False

    assert response.status_code == 302
    job = StaffImport.objects.latest("pk")
    assert (job.status, job.created, job.filename) == (StaffImport.Status.DONE, 1, "staff.csv")
    assert User.objects.filter(email="nia.rees@example.com").exists()
    assert stored_files() == files


# --- Names and contents of Hypothesis's choosing ---------------------------------------------
@fuzz(
    name=st.one_of(
        st.text(CHARACTERS, min_size=1, max_size=80),
        st.sampled_from(["../x.pdf", "..\\x.pdf", "x.pdf\x00.exe", "CON.pdf", ".pdf", "x." * 60]),
    ),
    content=st.one_of(st.binary(max_size=2000), st.sampled_from([PDF, PNG, JPEG, HTML])),
)
def test_any_upload_is_stored_whole_or_not_at_all(
    world: World, name: str, content: bytes
) -> bool | None:
    with example(world.team.employee) as client:
        files, before = stored_files(), state()
        url = reverse("requests:upload", args=[world.team.request.pk])
        response = raw_upload(client, url, name, content)
        assert response.status_code == 302
        added = list(
            Attachment.objects.filter(request=world.team.request).exclude(
                pk=world.team.attachment.pk
            )
        )
        if not added:
            assert changed_tables(before, state()) == []
            assert stored_files() == files
            return False
        (attachment,) = added
        (stored,) = stored_files() - files
        assert stored.read_bytes() == content
        assert stored.name == attachment.token
        assert "/" not in attachment.original_name and "\\" not in attachment.original_name
        stored.unlink()  # the row goes with the example's rollback; the file with it
        return True
