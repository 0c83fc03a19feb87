"""One post, one result: the creating forms' one-time token (``portal.idempotency``).

Ten identical posts at once make one request; a double click on every other creating form makes
one thing; forms with a natural rule of their own (one signature per version, one draft per
policy, one reminder a day, one answer per question) keep to it.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import idempotency
from portal.models import FormSubmission, User
from requests.models import AuthorisationRequest, Kind
from tests.portal.test_outbox import queued_tasks  # noqa: F401  (a fixture)
from tests.requests.requesting.helpers import form_data

TOKEN = re.compile(r'name="form_token" value="([A-Za-z0-9_-]+)"')


def token_on(client: Client, url: str) -> str:
    """The form token the page at ``url`` hands out, as a browser would find it."""
    response = client.get(url)
    assert response.status_code == 200
    found = TOKEN.findall(response.content.decode())
    assert found, f"no form token on {url}"
    return found[0]


def post_together(user: User, url: str, data: dict[str, str], times: int) -> list[object]:
    """``times`` identical posts by ``user``, each on its own connection, released at once."""
    barrier = threading.Barrier(times)
    results: list[object] = [None] * times

    def post(index: int) -> None:
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=30)
            results[index] = client.post(url, data)
        except BaseException as exc:  # the test reports whatever happened in the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a post never finished"
    return results


@pytest.mark.django_db(transaction=True)
def test_ten_identical_new_request_posts_at_once_file_one_request(postgres, employee) -> None:
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    client = Client()
    client.force_login(employee)
    token = token_on(client, url)

    results = post_together(employee, url, {**form_data(Kind.SOFTWARE), "form_token": token}, 10)

    assert AuthorisationRequest.objects.count() == 1
    filed = AuthorisationRequest.objects.get()
    detail = reverse("requests:detail", args=[filed.pk])
    for response in results:
        assert not isinstance(response, BaseException), response
        assert response.status_code == 302, response.status_code
        assert response["Location"] == detail
    assert FormSubmission.objects.filter(user=employee, token=token).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_identical_posts_without_a_token_file_one_request(postgres, employee) -> None:
    # A script that leaves the token out is keyed by what it posts.
    url = reverse("requests:new", args=[Kind.HARDWARE])

    results = post_together(employee, url, form_data(Kind.HARDWARE), 10)

    assert AuthorisationRequest.objects.count() == 1
    assert {r.status_code for r in results if not isinstance(r, BaseException)} == {302}
    assert not [r for r in results if isinstance(r, BaseException)]


def test_a_second_post_with_the_same_token_is_sent_to_the_first_result(
    client: Client, employee
) -> None:
    client.force_login(employee)
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    data = {**form_data(Kind.SOFTWARE), "form_token": token_on(client, url)}

    first = client.post(url, data)
    second = client.post(url, data)

    assert AuthorisationRequest.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    told = [str(m) for m in get_messages(second.wsgi_request)]
    assert idempotency.ALREADY_SENT in told


def test_a_form_sent_back_for_correction_keeps_its_token_and_then_goes_through(
    client: Client, employee
) -> None:
    client.force_login(employee)
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    token = token_on(client, url)

    refused = client.post(url, {**form_data(Kind.SOFTWARE, item=""), "form_token": token})
    assert refused.status_code == 200
    assert TOKEN.findall(refused.content.decode())[0] == token
    assert not FormSubmission.objects.exists()

    accepted = client.post(url, {**form_data(Kind.SOFTWARE), "form_token": token})
    assert accepted.status_code == 302
    assert AuthorisationRequest.objects.count() == 1


def test_two_different_forms_make_two_requests(client: Client, employee) -> None:
    client.force_login(employee)
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    for _ in range(2):
        client.post(url, {**form_data(Kind.SOFTWARE), "form_token": token_on(client, url)})
    assert AuthorisationRequest.objects.count() == 2


def test_another_person_with_the_same_token_is_not_sent_to_the_first_result(
    client: Client, employee, outsider
) -> None:
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    data = {**form_data(Kind.SOFTWARE), "form_token": "x" * 32}
    client.force_login(employee)
    client.post(url, data)
    client.force_login(outsider)
    client.post(url, data)
    assert AuthorisationRequest.objects.filter(requester=outsider).count() == 1
    assert AuthorisationRequest.objects.filter(requester=employee).count() == 1


def test_old_claims_are_removed_when_a_form_is_sent(
    client: Client, employee, django_capture_on_commit_callbacks
) -> None:
    old = FormSubmission.objects.create(
        user=employee,
        token="o" * 32,
        path="/requests/new/software/",
        result_url="/requests/1/",
        created_at=timezone.now() - idempotency.KEEP - timedelta(minutes=1),
    )
    recent = FormSubmission.objects.create(
        user=employee, token="r" * 32, path="/requests/new/software/", result_url="/requests/1/"
    )
    client.force_login(employee)
    url = reverse("requests:new", args=[Kind.SOFTWARE])
    data = {**form_data(Kind.SOFTWARE), "form_token": token_on(client, url)}
    # The prune runs after commit; in a test's rolled-back transaction, when the test says.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, data)
    assert not FormSubmission.objects.filter(pk=old.pk).exists()
    assert FormSubmission.objects.filter(pk=recent.pk).exists()


# --- A double click on every other creating form -----------------------------------------------
def token_for(client: Client, page: str, action: str | None = None) -> str:
    """The token of the form on ``page`` that posts to ``action`` (the page itself if None)."""
    html = client.get(page).content.decode()
    if action is not None:
        html = html[html.index(f'action="{action}"') :]
    found = TOKEN.findall(html)
    assert found, f"no form token on {page} for {action}"
    return found[0]


def double_click(client: Client, url: str, data: dict, *, page: str | None = None) -> list:
    """The same form sent twice, as a double click sends it; the two responses."""
    token = token_for(client, page or url, url if page else None)
    responses = []
    for _ in range(2):
        sent = {k: (v() if callable(v) else v) for k, v in data.items()}  # files are read once
        responses.append(client.post(url, {**sent, "form_token": token}))
    first, second = responses
    assert first.status_code == second.status_code == 302, [r.status_code for r in responses]
    assert second["Location"] == first["Location"]
    return responses


def test_a_comment_sent_twice_is_added_once(client: Client, employee) -> None:
    from requests.models import Comment
    from tests.requests.factories import AuthorisationRequestFactory

    ar = AuthorisationRequestFactory(requester=employee)
    client.force_login(employee)
    page = reverse("requests:detail", args=[ar.pk])
    double_click(
        client, reverse("requests:comment", args=[ar.pk]), {"body": "Any news?"}, page=page
    )
    assert Comment.objects.filter(request=ar).count() == 1


def test_a_file_sent_twice_is_attached_once(client: Client, employee) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from requests.models import Attachment
    from tests.requests.factories import AuthorisationRequestFactory
    from tests.security.world import PDF

    ar = AuthorisationRequestFactory(requester=employee)
    client.force_login(employee)
    double_click(
        client,
        reverse("requests:upload", args=[ar.pk]),
        {"file": lambda: SimpleUploadedFile("quote.pdf", PDF, "application/pdf")},
        page=reverse("requests:detail", args=[ar.pk]),
    )
    assert Attachment.objects.filter(request=ar).count() == 1


def test_a_register_entry_sent_twice_is_added_once(client: Client, it_user) -> None:
    from requests.models import CatalogueItem
    from tests.requests.test_register import item_form

    client.force_login(it_user)
    double_click(client, reverse("requests:register_add"), item_form())
    assert CatalogueItem.objects.count() == 1


def test_a_starter_notice_sent_twice_is_given_once(
    client: Client, hr_user, manager, department, it_user
) -> None:
    from requests.staff.models import StaffChange

    client.force_login(hr_user)
    start = timezone.localdate() + timedelta(days=14)
    double_click(
        client,
        reverse("requests:staff_change_new", args=[StaffChange.Kind.STARTER]),
        {
            "first_name": "Sam",
            "last_name": "Taylor",
            "email": "sam.taylor@example.com",
            "department": department.pk,
            "line_manager_email": manager.email,
            "start_date": start.strftime("%d/%m/%Y"),
            "systems": "Care records",
        },
    )
    assert StaffChange.objects.count() == 1


def test_an_invitation_sent_again_twice_goes_once(
    client: Client, hr_user, manager, department, it_user
) -> None:
    from portal.models import Notification
    from requests.staff.models import StaffChangeTask
    from tests.requests.staff import give, starter_details, tick

    start = timezone.localdate() + timedelta(days=14)
    notice = give(hr_user, starter_details(department, manager, start_date=start))
    tick(it_user, notice, StaffChangeTask.Kind.ACCOUNT_CREATED)
    client.force_login(it_user)
    double_click(
        client,
        reverse("requests:staff_change_invite", args=[notice.pk]),
        {},
        page=reverse("requests:staff_change", args=[notice.pk]),
    )
    # The first invitation, when the account was made, and one sent again.
    assert Notification.objects.filter(kind="sign-in-invitation").count() == 2


def test_a_question_sent_twice_is_asked_once(client: Client, employee, manager) -> None:
    from acknowledgements import publishing
    from acknowledgements.models import Question

    version = publishing.load_seed_policy()
    client.force_login(employee)
    double_click(
        client,
        reverse("acknowledgements:ask", args=[version.policy.slug]),
        {"section": "", "text": "May I use my own phone for the rota app?"},
    )
    assert Question.objects.count() == 1


def test_personal_use_granted_twice_is_granted_once(client: Client, manager, employee) -> None:
    from acknowledgements.models import PersonalUseGrant

    client.force_login(manager)
    double_click(
        client,
        reverse("acknowledgements:team_personal_use", args=[employee.pk]),
        {"email": "on"},
    )
    assert PersonalUseGrant.objects.filter(employee=employee).count() == 1


def test_run_now_clicked_twice_queues_the_job_once(
    client: Client,
    it_user,
    queued_tasks,  # noqa: F811
) -> None:
    from portal.models import AuditEvent

    client.force_login(it_user)
    double_click(
        client,
        reverse("run_job", args=["password-age"]),
        {},
        page=reverse("operations"),
    )
    assert AuditEvent.objects.filter(action="job.run_requested").count() == 1
    assert queued_tasks() == [("portal.tasks.run_scheduled_job", ["password-age", it_user.pk])]
