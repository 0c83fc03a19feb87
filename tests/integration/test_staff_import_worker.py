"""A real Celery worker imports the staff directory uploaded on the page; a worker killed
mid-import leaves nothing imported and the job marked interrupted, safe to run again."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.celery import app as celery_app
from portal.models import StaffImport, User
from tests.integration.processes import WorkerProcess, wait_for
from tests.portal.test_staff_import import person, staff_csv

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

DEADLINE = 180.0


def directory(count: int) -> bytes:
    rows = [
        person(
            f"W{i:06d}",
            f"w{i}@example.com",
            department=f"Team {i % 7}",
            line_manager_email="" if i % 20 == 0 else f"w{i - i % 20}@example.com",
        )
        for i in range(count)
    ]
    rows[3]["email"] = "not an address"
    return staff_csv(*rows)


@pytest.fixture
def workers(redis_broker: str) -> Iterator[Callable[[str], WorkerProcess]]:
    celery_app.control.purge()
    redis.Redis.from_url(redis_broker).delete("unacked", "unacked_index", "unacked_mutex")
    started: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        started.append(WorkerProcess(name, redis_broker))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
    celery_app.control.purge()


def upload(client, content: bytes) -> StaffImport:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("staff_import"),
        {"file": SimpleUploadedFile("directory.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    return StaffImport.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def status_of(job: StaffImport) -> StaffImport:
    return StaffImport.objects.defer("data").get(pk=job.pk)


def test_worker_imports_the_upload_and_the_page_follows_it(client, hr_user, workers) -> None:
    workers("imports")
    client.force_login(hr_user)

    job = upload(client, directory(3000))
    wait_for(lambda: status_of(job).finished, deadline=DEADLINE, what="import")

    job = status_of(job)
    assert job.status == StaffImport.Status.DONE, job.message
    assert (job.rows_total, job.created, job.refused, job.updated) == (3000, 2999, 1, 0)
    assert [p["line"] for p in job.problems] == [5]
    assert User.objects.filter(email__startswith="w").count() == 2999
    assert User.objects.get(email="w21@example.com").line_manager.email == "w20@example.com"
    page = client.get(reverse("staff_import_job", args=[job.pk])).content.decode()
    assert "Imported 2999 people: 2999 new, 0 updated, 0 unchanged." in page
    assert 'value="100"' in page


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_interrupted(
    client, hr_user, workers
) -> None:
    first = workers("dies")
    client.force_login(hr_user)

    job = upload(client, directory(30000))
    # Killed once it has read the file and is writing it.
    wait_for(
        lambda: status_of(job).rows_read > 0,
        deadline=DEADLINE,
        what="the import to start",
        every=0.02,
    )
    first.kill()

    page = client.get(reverse("staff_import_job", args=[job.pk])).content.decode()

    assert status_of(job).status == StaffImport.Status.INTERRUPTED
    assert "Interrupted" in page and "Upload the file again" in page
    assert not User.objects.filter(email__startswith="w").exists()

    # Safe to run again: the same file, uploaded again, imports in full.
    workers("again")
    again = upload(client, directory(30000))
    wait_for(lambda: status_of(again).finished, deadline=DEADLINE, what="import")
    assert status_of(again).status == StaffImport.Status.DONE
    assert User.objects.filter(email__startswith="w").count() == 29999
    assert status_of(job).status == StaffImport.Status.INTERRUPTED
