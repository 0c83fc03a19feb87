"""Files attached to a request: what is accepted, where it is kept, and who may have it.

An upload is trusted by neither its name nor the type the browser sent: the extension must be on
the list AND the content must look like that kind of file, so a web page renamed ``.pdf`` is
refused. The file is stored under a random name; the uploader's name is kept only as data and is
given back in the download's Content-Disposition, never used as a path.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import zipfile
from codecs import getincrementaldecoder
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal import audit
from portal.models import User
from requests import permissions
from requests.models import Attachment, AuthorisationRequest

MAX_NAME_LENGTH = 200
_HEAD_BYTES = 16
_CHUNK = 64 * 1024


class AttachmentRefused(Exception):
    """The file cannot be attached; the message says why, in words the uploader can act on."""


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    upload.seek(0)
    return head


def _is_pdf(upload: UploadedFile) -> bool:
    return _head(upload).startswith(b"%PDF-")


def _is_png(upload: UploadedFile) -> bool:
    return _head(upload).startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(upload: UploadedFile) -> bool:
    return _head(upload).startswith(b"\xff\xd8\xff")


def _is_utf8_text(upload: UploadedFile) -> bool:
    decoder = getincrementaldecoder("utf-8")()
    upload.seek(0)
    try:
        for chunk in upload.chunks(_CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True


def _office_document(part: str) -> Callable[[UploadedFile], bool]:
    """An Office Open XML file: a zip holding ``[Content_Types].xml`` and its main ``part``."""

    def check(upload: UploadedFile) -> bool:
        if not _head(upload).startswith(b"PK\x03\x04"):
            return False
        upload.seek(0)
        try:
            # Only the directory is read; nothing is extracted.
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and part in names

    return check


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    looks_right: Callable[[UploadedFile], bool]


_PDF = FileType("PDF", "application/pdf", _is_pdf)
_JPEG = FileType("JPEG image", "image/jpeg", _is_jpeg)

ALLOWED_TYPES: dict[str, FileType] = {
    "pdf": _PDF,
    "png": FileType("PNG image", "image/png", _is_png),
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "txt": FileType("plain text", "text/plain", _is_utf8_text),
    "csv": FileType("CSV", "text/csv", _is_utf8_text),
    "docx": FileType(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _office_document("word/document.xml"),
    ),
    "xlsx": FileType(
        "Excel workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _office_document("xl/workbook.xml"),
    ),
}
ALLOWED_EXTENSIONS = tuple(ALLOWED_TYPES)
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, plain text (.txt), CSV, Word (.docx) or Excel (.xlsx)"

# Characters Windows refuses in file names, and path separators on any system.
_UNSAFE = set('<>:"/\\|?*')


def clean_name(name: str) -> str:
    """The uploader's file name, safe to show and to offer back in a download."""
    name = unicodedata.normalize("NFKC", name or "")
    # A browser may send a full path (older Internet Explorer did); keep the last part only.
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(
        "_" if ch in _UNSAFE else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C"  # control, format, unassigned characters
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(ext) - 1]}.{ext}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _climbs_folders(name: str) -> bool:
    # After NFKC, as in ``clean_name``: full-width dots and slashes count as the real ones.
    return ".." in re.split(r"[/\\]", unicodedata.normalize("NFKC", name))


def check_upload(upload: UploadedFile) -> tuple[str, FileType]:
    """The cleaned name and type of an acceptable upload; ``AttachmentRefused`` otherwise."""
    if _climbs_folders(upload.name or ""):
        # Never used as a path, but a name that tries to leave its folder is refused outright.
        raise AttachmentRefused(
            "The file's name points to other folders (“..”). Rename the file and upload it again."
        )
    name = clean_name(upload.name or "")
    if not name:
        raise AttachmentRefused("The file has no name. Rename it and upload it again.")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise AttachmentRefused(
            f"{name} is {human_size(upload.size or 0)}; files can be at most {human_size(limit)}."
        )
    if upload.size == 0:
        raise AttachmentRefused(f"{name} is empty.")
    file_type = ALLOWED_TYPES.get(extension_of(name))
    if file_type is None:
        raise AttachmentRefused(
            f"{name} is not a type of file the portal accepts. Attach a {ALLOWED_DESCRIPTION} file."
        )
    if not file_type.looks_right(upload):
        raise AttachmentRefused(
            f"{name} does not contain what its name says: it is not a {file_type.label} file."
        )
    return name, file_type


def can_upload(user: User, request: AuthorisationRequest) -> bool:
    """Anyone who may see the request, until it is withdrawn."""
    return (
        permissions.can_view(user, request)
        and request.state != AuthorisationRequest.State.WITHDRAWN
    )


def _check_allowance(
    *, uploader: User, request: AuthorisationRequest, name: str, size: int
) -> None:
    """Refuse a file past the request's or the person's allowance.

    The request's row and the person's are locked first (always in that order), so two uploads
    at once are counted one after the other and cannot both squeeze under a limit.
    """
    AuthorisationRequest.objects.select_for_update().filter(pk=request.pk).exists()
    User.objects.select_for_update().filter(pk=uploader.pk).exists()
    on_request = Attachment.objects.filter(request=request).aggregate(
        count=Count("pk"), size=Coalesce(Sum("size"), 0)
    )
    if on_request["count"] >= settings.ATTACHMENTS_PER_REQUEST:
        raise AttachmentRefused(
            f"{request.reference} already has {on_request['count']} files, the most a request "
            "can have. Put several pages in one PDF, or say in a comment what else IT should "
            "see."
        )
    request_limit = settings.ATTACHMENTS_REQUEST_MAX_BYTES
    if on_request["size"] + size > request_limit:
        raise AttachmentRefused(
            f"{name} ({human_size(size)}) would take the files on {request.reference} past "
            f"{human_size(request_limit)}, the most one request can hold "
            f"({human_size(on_request['size'])} already). Attach a smaller file."
        )
    since = timezone.now() - timedelta(hours=24)
    today = Attachment.objects.filter(uploaded_by=uploader, created_at__gte=since).aggregate(
        size=Coalesce(Sum("size"), 0)
    )["size"]
    day_limit = settings.ATTACHMENTS_PERSON_DAY_MAX_BYTES
    if today + size > day_limit:
        raise AttachmentRefused(
            f"{name} ({human_size(size)}) would take what you have uploaded in the last 24 hours "
            f"past {human_size(day_limit)} ({human_size(today)} so far). Try again tomorrow, or "
            "ask the IT Service Desk."
        )


def add_attachment(
    *, uploader: User, request: AuthorisationRequest, upload: UploadedFile
) -> Attachment:
    """Check ``upload`` and keep it with ``request``; nothing is stored if it is refused."""
    if not permissions.can_view(uploader, request):
        raise AttachmentRefused("You cannot add files to this request.")
    if request.state == AuthorisationRequest.State.WITHDRAWN:
        raise AttachmentRefused(
            f"{request.reference} has been withdrawn: no more files can be added."
        )
    name, file_type = check_upload(upload)
    attachment = Attachment(
        request=request,
        uploaded_by=uploader,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=file_type.content_type,
        size=upload.size,
    )
    upload.seek(0)
    # The storage name comes from ``attachment_path``: the token, never the uploader's name.
    attachment.file.save(attachment.token, upload, save=False)
    try:
        with transaction.atomic():
            _check_allowance(uploader=uploader, request=request, name=name, size=upload.size)
            attachment.full_clean()
            attachment.save()
            audit.record(
                actor=uploader,
                action="request.attachment_added",
                obj=request,
                data={"attachment": attachment.pk, "name": name, "size": attachment.size},
            )
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment
