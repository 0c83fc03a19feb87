"""Wrong passwords on the signing form: a warning before the last attempt the sign-in lockout
allows, and a lockout page that says it is signing in that is paused, not the signing."""

from __future__ import annotations

from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from acknowledgements.models import Acknowledgement
from tests.acknowledgements.test_signing_views import SIGN_URL, form_data
from tests.factories import UserFactory
from tests.helpers import signed_in

LAST_ATTEMPT = 'data-testid="last-attempt"'
NOT_PAUSED = 'data-testid="signing-not-paused"'


def wrong(client: Client, user) -> str:
    response = client.post(SIGN_URL, form_data(user, password="not-my-password"))
    return response.content.decode()


def test_the_page_warns_before_the_last_attempt_only(client: Client, employee, assigned) -> None:
    signed_in(client, employee)
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 2):
        html = wrong(client, employee)
        assert "That password is not right" in html
        assert LAST_ATTEMPT not in html

    html = wrong(client, employee)  # one attempt left now
    assert LAST_ATTEMPT in html
    assert "One attempt left" in html
    assert "signing in to your account is paused for 15 minutes" in html
    assert "That pauses signing in, not the signing" in html
    assert f'href="{reverse("password_reset")}"' in html


def test_the_lockout_page_says_sign_in_is_paused_not_the_signing(
    client: Client, employee, assigned
) -> None:
    signed_in(client, employee)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong(client, employee)
    locked = client.post(SIGN_URL, form_data(employee, password="not-my-password"))
    assert locked.status_code == 429
    html = locked.content.decode()
    assert NOT_PAUSED in html
    assert "It is signing in\nthat is paused (for 15 minutes), not the signing" in html
    assert not Acknowledgement.objects.filter(user=employee).exists()


def test_the_sign_in_page_lockout_does_not_talk_about_signing(db) -> None:
    person = UserFactory(email="guess@example.com")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": person.email, "password": "bad"})
    assert response.status_code == 429
    assert NOT_PAUSED not in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=1)
def test_with_a_limit_of_one_the_first_wrong_password_pauses_without_a_warning(
    client: Client, employee, assigned
) -> None:
    response = signed_in(client, employee).post(
        SIGN_URL, form_data(employee, password="not-my-password")
    )
    assert response.status_code == 429
    assert NOT_PAUSED in response.content.decode()


def test_a_wrong_name_with_the_right_password_does_not_warn(
    client: Client, employee, assigned
) -> None:
    signed_in(client, employee)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong(client, employee)
    # The last attempt, with the right password: it resets the count; the name is wrong.
    response = client.post(SIGN_URL, form_data(employee, name="Someone Else"))
    html = response.content.decode()
    assert "Type your full name" in html
    assert LAST_ATTEMPT not in html
