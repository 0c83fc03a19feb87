"""The staff import as a background job: queued from the page, run by the task, followed on its
own page, one at a time, with the rows not imported to download."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import import_jobs
from portal.models import AuditEvent, StaffImport, User
from portal.staff_import import ImportProgress, import_staff
from tests.portal.import_jobs_helpers import eager_imports, post_import
from tests.portal.test_staff_import import person, staff_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_imports")]
__all__ = ["eager_imports"]

MIXED = staff_csv(
    person("E001", "sam@example.com"),
    person("E002", "kim@example.com", first_name="=HYPERLINK(1)", department=""),
    person("E003", "ria@example.com", employment_type="Seasonal"),
    person("E004", "ann@example.com"),
)


def people(count: int, start: int = 0) -> bytes:
    return staff_csv(*(person(f"N{i:05d}", f"n{i}@example.com") for i in range(start, count)))


def test_upload_queues_a_job_that_the_worker_imports_and_the_page_reports(client, hr_user):
    client.force_login(hr_user)

    page = post_import(client, MIXED)

    job = StaffImport.objects.get()
    assert (job.status, job.owner, job.filename) == (StaffImport.Status.DONE, hr_user, "staff.csv")
    assert (job.rows_total, job.rows_read, job.created, job.refused) == (4, 4, 2, 2)
    assert job.live is None
    html = page.content.decode()
    assert "Imported 2 people: 2 new, 0 updated, 0 unchanged." in html
    assert '<progress id="import-progress" class="w-100 mb-2" max="100" value="100">' in html
    assert "<li>Rows read: 4 of 4</li>" in html
    assert "import-progress.js" not in html, "a finished import's page stops following it"
    assert AuditEvent.objects.filter(action="staff.import_queued", actor=hr_user).count() == 1


def test_the_report_lists_each_row_not_imported_as_it_was_with_its_problems(client, hr_user):
    client.force_login(hr_user)
    post_import(client, MIXED)
    job = StaffImport.objects.get()

    response = client.get(reverse("staff_import_problems", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Line", "Problems", "Employee number", "First name"]
    assert [row[:3] for row in rows[1:]] == [
        ["3", "missing department", "E002"],
        [
            "4",
            "employment type 'Seasonal' is not one of Permanent, Fixed-term, Temporary, Contractor",
            "E003",
        ],
    ]
    assert rows[1][3] == "'=HYPERLINK(1)", "a formula from the file is made inert"


def test_a_file_that_cannot_be_read_is_refused_on_the_form_and_nothing_is_queued(client, hr_user):
    client.force_login(hr_user)

    response = post_import(client, b"name,email\r\nSam,sam@example.com\r\n")

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("The header row is missing:")
    assert not StaffImport.objects.exists()


def test_a_second_import_is_refused_while_one_waits(client, hr_user, django_user_model):
    waiting = StaffImport.objects.create(owner=hr_user, filename="first.csv", data=MIXED)
    client.force_login(hr_user)

    response = post_import(client, people(2))

    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("Another import is already waiting for the worker (first.csv,")
    assert list(StaffImport.objects.all()) == [waiting]
    assert not User.objects.filter(email="n0@example.com").exists()


def test_a_waiting_import_can_be_cancelled_and_then_another_runs(client, hr_user):
    waiting = StaffImport.objects.create(owner=hr_user, filename="first.csv", data=MIXED)
    client.force_login(hr_user)

    client.post(reverse("staff_import_cancel", args=[waiting.pk]))
    page = post_import(client, people(2))

    waiting.refresh_from_db()
    assert (waiting.status, waiting.live) == (StaffImport.Status.FAILED, None)
    assert "Cancelled by hr@example.com before it started" in waiting.message
    assert "Imported 2 people: 2 new" in page.content.decode()


def test_a_job_left_running_by_a_worker_that_died_shows_interrupted(client, hr_user):
    # Running, but no worker holds the import's lock: its worker died and its transaction was
    # rolled back.
    job = StaffImport.objects.create(
        owner=hr_user, filename="big.csv", data=MIXED, status=StaffImport.Status.RUNNING
    )
    client.force_login(hr_user)

    page = client.get(reverse("staff_import_job", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.live) == (StaffImport.Status.INTERRUPTED, None)
    assert "Interrupted" in page.content.decode()
    assert "nothing from it was kept. Upload the file again" in page.content.decode()
    # And the redelivered message of that job does not run it again.
    assert import_jobs.run_import(job.pk) == StaffImport.Status.INTERRUPTED
    assert not User.objects.filter(email="sam@example.com").exists()


def test_a_failure_keeps_nothing_and_says_so(client, hr_user, monkeypatch):
    from portal import staff_import

    def broken(user_ids: list[int]) -> None:
        raise RuntimeError("the policy could not be assigned")

    monkeypatch.setattr(staff_import, "PEOPLE_ADDED_HOOKS", [broken])
    client.force_login(hr_user)

    page = post_import(client, people(3))

    job = StaffImport.objects.get()
    assert (job.status, job.created) == (StaffImport.Status.FAILED, 0)
    assert "nothing from it was kept" in page.content.decode()
    assert "Imported" not in page.content.decode()
    assert not User.objects.filter(email__startswith="n").exists()
    assert not AuditEvent.objects.filter(action="staff.imported").exists()


def test_progress_is_reported_a_chunk_at_a_time(hr_user):
    seen: list[ImportProgress] = []

    import_staff(
        actor=hr_user,
        data=people(25),
        progress=lambda state: seen.append(ImportProgress(**vars(state))),
        chunk_rows=10,
    )

    # Read, checked, then one report per chunk of 10: never one per row.
    assert [(s.read, s.done, s.created) for s in seen] == [
        (25, 0, 0),
        (25, 0, 0),
        (25, 10, 10),
        (25, 20, 20),
        (25, 25, 25),
    ]


def test_each_chunk_costs_the_same_queries_however_long_the_file(hr_user):
    def queries(rows: int) -> int:
        User.objects.filter(email__startswith="n").delete()
        with CaptureQueriesContext(connection) as context:
            result = import_staff(actor=hr_user, data=people(rows), chunk_rows=5)
        assert result.created == rows
        return len(context.captured_queries)

    queries(5)  # the first import also creates the department
    one, two, four = queries(5), queries(10), queries(20)

    assert two - one == (four - two) / 2 > 0


@pytest.mark.parametrize("name", ["staff_import_job", "staff_import_problems"])
def test_another_hr_member_can_read_the_result(client, hr_user, name, django_user_model):
    from tests.factories import UserFactory

    client.force_login(hr_user)
    post_import(client, MIXED)
    colleague = UserFactory(email="hr2@example.com")
    colleague.groups.set(hr_user.groups.all())
    client.force_login(colleague)

    response = client.get(reverse(name, args=[StaffImport.objects.get().pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["staff_import_job", "staff_import_problems"])
def test_people_outside_hr_cannot_see_or_download_a_result(
    client, hr_user, employee, manager, it_user, name
):
    client.force_login(hr_user)
    post_import(client, MIXED)
    url = reverse(name, args=[StaffImport.objects.get().pk])
    for user in (employee, manager, it_user):
        client.force_login(user)

        response = client.get(url)

        assert response.status_code == 403
        assert b"sam@example.com" not in response.content
        assert b"E002" not in response.content


def test_people_outside_hr_cannot_cancel(client, hr_user, employee):
    waiting = StaffImport.objects.create(owner=hr_user, filename="first.csv", data=MIXED)
    client.force_login(employee)

    response = client.post(reverse("staff_import_cancel", args=[waiting.pk]))

    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == StaffImport.Status.QUEUED


def test_an_unknown_import_is_not_found(client, hr_user):
    client.force_login(hr_user)

    assert client.get(reverse("staff_import_job", args=[999999])).status_code == 404
    assert client.get(reverse("staff_import_problems", args=[999999])).status_code == 404


def test_the_job_pages_take_only_their_methods(client, hr_user):
    job = StaffImport.objects.create(owner=hr_user, filename="first.csv", data=MIXED)
    client.force_login(hr_user)

    assert client.post(reverse("staff_import_job", args=[job.pk])).status_code == 405
    assert client.post(reverse("staff_import_problems", args=[job.pk])).status_code == 405
    assert client.get(reverse("staff_import_cancel", args=[job.pk])).status_code == 405


def test_a_waiting_job_page_refreshes_itself_without_javascript(client, hr_user):
    job = StaffImport.objects.create(owner=hr_user, filename="first.csv", data=MIXED)
    client.force_login(hr_user)

    html = client.get(reverse("staff_import_job", args=[job.pk])).content.decode()

    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert "/static/portal/import-progress.js" in html
    assert "Waiting for the worker" in html
    # The report exists only once the import has finished.
    assert client.get(reverse("staff_import_problems", args=[job.pk])).status_code == 404


def test_a_row_with_several_problems_is_reported_with_every_one(client, hr_user):
    client.force_login(hr_user)
    bad = person("E009", "not an address", employment_type="Seasonal", start_date="31/31/2024")
    post_import(client, staff_csv(bad))
    job = StaffImport.objects.get()

    text = b"".join(
        client.get(reverse("staff_import_problems", args=[job.pk])).streaming_content
    ).decode("utf-8-sig")

    (row,) = list(csv.reader(io.StringIO(text)))[1:]
    assert row[:2] == [
        "2",
        "email 'not an address' is not a valid address; employment type 'Seasonal' is not "
        "one of Permanent, Fixed-term, Temporary, Contractor; start date '31/31/2024' is not "
        "a date (use YYYY-MM-DD or DD/MM/YYYY)",
    ]


def test_the_page_names_every_problem_of_a_refused_row(client, hr_user):
    client.force_login(hr_user)
    data = staff_csv(
        person("E001", "sam@example.com"),
        person("E001", "bad address", end_date="2020-01-01", start_date="2024-13-01"),
    )

    html = post_import(client, data).content.decode()

    assert (
        "<tr><td>3</td><td>email &#x27;bad address&#x27; is not a valid address; start date "
        "&#x27;2024-13-01&#x27; is not a date (use YYYY-MM-DD or DD/MM/YYYY); employee number "
        "E001 already on line 2</td></tr>"
    ) in html


@pytest.mark.parametrize("problems", [1, 250])
def test_the_result_page_costs_the_same_queries_however_many_rows_were_refused(
    client, hr_user, problems
):
    client.force_login(hr_user)
    job = StaffImport.objects.create(
        owner=hr_user,
        filename="staff.csv",
        data=MIXED,
        status=StaffImport.Status.DONE,
        refused=problems,
        problems=[
            {"line": n, "message": "missing first name", "held": n % 2 == 0}
            for n in range(2, problems + 2)
        ],
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("staff_import_job", args=[job.pk]))
    assert page.status_code == 200
    assert page.content.decode().count("<td>missing first name</td>") == min(problems, 100)
    assert len(queries) == QUERIES_FOR_THE_RESULT, [q["sql"][:80] for q in queries.captured_queries]


# Session, user and role check; the job; the menu (line manager? budget holder?) and the unread
# count; the session's last activity saved (savepoint, update, release).
QUERIES_FOR_THE_RESULT = 10
