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
from tests.requests.test_requesting import form_data

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
