"""Running the staff import's job at once in tests: the task runs eagerly when queued."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.test.testcases import TestCase

from portal.celery import app as celery_app

URL = "/staff/import/"


@pytest.fixture
def eager_imports() -> Iterator[None]:
    """The import task runs inside the request that queues it, as soon as the job is saved."""
    import portal.tasks  # noqa: F401  (registers the task, so that it runs rather than is sent)

    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False


def post_import(client: Client, content: bytes, name: str = "staff.csv") -> HttpResponse:
    """Upload ``content`` as the staff file, run the job's queued task, and follow to its page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
        )
    if response.status_code != 302:
        return response
    return client.get(response["Location"])
