"""How much may be attached: files per request, their total, what one person uploads in a day,
and a body too large to read, refused before it is read."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests import attachments
from requests.models import Attachment
from tests.helpers import messages_of, signed_in
from tests.portal.test_settings import production_env, run
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.test_attachments import PDF, upload

KB = 1024


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_of(size: int, mark: int = 0) -> bytes:
    """A PDF of exactly ``size`` bytes; ``mark`` makes two of one size differ."""
    body = PDF + f"%{mark}\n".encode()
    return body + b"0" * (size - len(body))


def stored(media: Path) -> int:
    return sum(1 for path in media.rglob("*") if path.is_file())


# --- Per request ---------------------------------------------------------------------------------
def test_a_request_takes_at_most_its_number_of_files(
    client: Client, employee, media, settings
) -> None:
    settings.ATTACHMENTS_PER_REQUEST = 2
    ar = AuthorisationRequestFactory(requester=employee)
    signed_in(client, employee)
    for number in (1, 2):
        upload(client, ar, f"page{number}.pdf", pdf_of(KB, number))
    response = upload(client, ar, "page3.pdf", pdf_of(KB, 3))

    assert messages_of(response)[-1:] == [
        f"{ar.reference} already has 2 files, the most a request can have. Put several pages "
        "in one PDF, or say in a comment what else IT should see."
    ]
    assert Attachment.objects.filter(request=ar).count() == 2
    assert stored(media) == 2  # the refused file is not left on disk


def test_a_request_files_together_at_most_its_total(
    client: Client, employee, media, settings
) -> None:
    settings.ATTACHMENTS_REQUEST_MAX_BYTES = 10 * KB
    ar = AuthorisationRequestFactory(requester=employee)
    signed_in(client, employee)
    upload(client, ar, "first.pdf", pdf_of(6 * KB))
    response = upload(client, ar, "second.pdf", pdf_of(5 * KB, 2))

    assert messages_of(response)[-1:] == [
        f"second.pdf (5 KB) would take the files on {ar.reference} past 10 KB, the most one "
        "request can hold (6 KB already). Attach a smaller file."
    ]
    upload(client, ar, "smaller.pdf", pdf_of(4 * KB, 3))
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "first.pdf",
        "smaller.pdf",
    ]


# --- Per person, per day -------------------------------------------------------------------------
def test_a_person_uploads_at_most_their_daily_allowance_across_requests(
    client: Client, employee, media, settings
) -> None:
    settings.ATTACHMENTS_PERSON_DAY_MAX_BYTES = 10 * KB
    first, second = (AuthorisationRequestFactory(requester=employee) for _ in range(2))
    signed_in(client, employee)
    upload(client, first, "a.pdf", pdf_of(6 * KB))
    response = upload(client, second, "b.pdf", pdf_of(5 * KB, 2))

    assert messages_of(response)[-1:] == [
        "b.pdf (5 KB) would take what you have uploaded in the last 24 hours past 10 KB (6 KB "
        "so far). Try again tomorrow, or ask the IT Service Desk."
    ]
    assert not Attachment.objects.filter(request=second).exists()

    # A day later the allowance is whole again.
    Attachment.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    upload(client, second, "b.pdf", pdf_of(5 * KB, 3))
    assert Attachment.objects.filter(request=second).count() == 1


def test_what_others_upload_does_not_count_against_a_person(
    client: Client, employee, it_user, media, settings
) -> None:
    settings.ATTACHMENTS_PERSON_DAY_MAX_BYTES = 10 * KB
    ar = AuthorisationRequestFactory(requester=employee)
    upload(signed_in(client, it_user), ar, "it.pdf", pdf_of(8 * KB))
    upload(signed_in(client, employee), ar, "mine.pdf", pdf_of(8 * KB, 2))
    assert Attachment.objects.filter(request=ar).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_cannot_both_squeeze_under_the_limit(
    postgres, employee, settings, media
) -> None:
    settings.ATTACHMENTS_PER_REQUEST = 1
    ar = AuthorisationRequestFactory(requester=employee)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def add(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            upload_file = SimpleUploadedFile(f"scan{number}.pdf", pdf_of(KB, number))
            outcomes.append(
                attachments.add_attachment(uploader=employee, request=ar, upload=upload_file)
            )
        except BaseException as exc:  # the test reports whatever happened in the thread
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    refused = [o for o in outcomes if isinstance(o, attachments.AttachmentRefused)]
    assert len(refused) == 1, outcomes
    assert Attachment.objects.filter(request=ar).count() == 1
    assert stored(media) == 1


# --- The body, refused before it is read -------------------------------------------------------
def test_a_body_larger_than_the_limit_is_refused_without_being_read(
    client: Client, employee, settings
) -> None:
    ar = AuthorisationRequestFactory(requester=employee)
    signed_in(client, employee)
    # The test client's input holds one byte: reading more than that raises, so a 413 here
    # means nothing tried to read the body the header announced.
    response = client.generic(
        "POST",
        reverse("requests:upload", args=[ar.pk]),
        b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert "That is too large to send" in response.content.decode()
    assert "at most 11 MB at a time, and files of at most 10 MB" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_body_at_the_limit_is_read(client: Client, employee, settings) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 64 * KB
    ar = AuthorisationRequestFactory(requester=employee)
    signed_in(client, employee)
    response = upload(client, ar, "scan.pdf", pdf_of(60 * KB))
    assert response.status_code == 302
    assert Attachment.objects.count() == 1
    response = upload(client, ar, "bigger.pdf", pdf_of(64 * KB, 2))
    assert response.status_code == 413


def test_a_body_of_no_stated_length_is_refused(client: Client, employee) -> None:
    ar = AuthorisationRequestFactory(requester=employee)
    signed_in(client, employee)
    response = client.generic(
        "POST",
        reverse("requests:upload", args=[ar.pk]),
        b"",
        content_type="multipart/form-data; boundary=x",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert "without saying how large it is" in response.content.decode()


def test_the_body_limit_must_hold_a_whole_file(tmp_path: Path) -> None:
    env = production_env(tmp_path, PORTAL_ATTACHMENT_MAX_MB="20", PORTAL_MAX_BODY_MB="20")
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "PORTAL_MAX_BODY_MB must be larger than PORTAL_ATTACHMENT_MAX_MB" in result.stderr
    assert run(["manage.py", "check"], production_env(tmp_path)).returncode == 0
