"""Signing a policy after organisation sign-in: re-authentication at the real provider."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from acknowledgements import publishing
from acknowledgements.models import Acknowledgement
from portal.models import AuditEvent, User
from requests.staff import lifecycle as staff_lifecycle
from tests.helpers import messages_of
from tests.oidc.provider import ProviderUser, sign_in_with_provider
from tests.requests.staff import give, leaver_details

pytestmark = pytest.mark.django_db

SLUG = publishing.SEED_SLUG
SIGN_URL = reverse("acknowledgements:sign", args=[SLUG])
CONFIRM_URL = reverse("acknowledgements:sign_confirm", args=[SLUG])
COMPLETE_URL = reverse("acknowledgements:sign_complete", args=[SLUG])


@pytest.fixture
def signed_in_at_work(client: Client, at_provider: ProviderUser, employee, version) -> Client:
    response, _ = sign_in_with_provider(client, at_provider, "emma")
    assert response.status_code == 302
    return client


def reauthenticate(client: Client, at_provider: ProviderUser, username: str, **kw) -> object:
    """Type the name and tick, go to the provider and sign in there again as ``username``;
    the portal's answer to the provider's redirect back, followed to its end."""
    response = client.post(SIGN_URL, {"version": 1, "printed_name": "Emma Jones", "agree": "on"})
    assert response.status_code == 302
    assert response["Location"] == CONFIRM_URL
    confirm = client.get(CONFIRM_URL)
    assert b"Confirm with your work account and sign" in confirm.content
    start = client.get(reverse("oidc:reauthenticate"), {"next": COMPLETE_URL})
    assert "prompt=login" in start["Location"]
    assert "max_age=0" in start["Location"]
    callback = at_provider.sign_in(start["Location"], username, **kw)
    return client.get(callback, follow=True)


def test_the_sign_form_asks_for_no_password_after_organisation_sign_in(signed_in_at_work) -> None:
    page = signed_in_at_work.get(SIGN_URL)
    assert page.status_code == 200
    assert b'name="password"' not in page.content
    assert b'name="printed_name"' in page.content


def test_re_authenticating_at_the_provider_signs_and_the_receipt_says_how(
    signed_in_at_work: Client, at_provider: ProviderUser, employee
) -> None:
    response = reauthenticate(signed_in_at_work, at_provider, "emma")

    ack = Acknowledgement.objects.get(user=employee)
    assert response.redirect_chain[-1][0] == reverse("acknowledgements:receipt", args=[ack.pk])
    identity = employee.external_identities.get()
    assert ack.auth_method.startswith("organisation sign-in re-authentication at ")
    assert identity.issuer in ack.auth_method
    assert f"subject {identity.subject}" in ack.auth_method
    assert timezone.now().strftime("%Y-%m-%d") in ack.auth_method
    assert ack.auth_method.encode() in response.content
    pdf = signed_in_at_work.get(reverse("acknowledgements:receipt_pdf", args=[ack.pk]))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert identity.subject in text.replace("\n", "")


def refused_nothing_signed(response, employee: User, reason: str, message: str) -> None:
    assert not Acknowledgement.objects.filter(user=employee).exists()
    assert not AuditEvent.objects.filter(action="policy.signed").exists()
    assert (
        AuditEvent.objects.filter(
            action="auth.oidc_refused", actor=employee, data__reason=reason
        ).count()
        == 1
    )
    assert response.redirect_chain[-1][0] == SIGN_URL
    assert any(message in text for text in messages_of(response))
    # What was typed is still there.
    assert b'value="Emma Jones"' in response.content


def test_a_stale_re_authentication_signs_nothing(
    signed_in_at_work: Client, at_provider: ProviderUser, employee
) -> None:
    at_provider.provider.tamper("stale_auth_time")
    response = reauthenticate(signed_in_at_work, at_provider, "emma")
    refused_nothing_signed(response, employee, "stale_auth_time", "did not ask for your password")


def test_another_persons_re_authentication_signs_nothing(
    signed_in_at_work: Client, at_provider: ProviderUser, employee, manager
) -> None:
    response = reauthenticate(signed_in_at_work, at_provider, "morgan")
    refused_nothing_signed(response, employee, "another_person", "Someone else signed in")


def test_cancelling_the_re_authentication_signs_nothing(
    signed_in_at_work: Client, at_provider: ProviderUser, employee
) -> None:
    response = reauthenticate(signed_in_at_work, at_provider, "emma", cancel=True)
    refused_nothing_signed(response, employee, "cancelled", "You cancelled")


def test_a_forged_re_authentication_signs_nothing(
    signed_in_at_work: Client, at_provider: ProviderUser, employee
) -> None:
    at_provider.provider.tamper("forged")
    response = reauthenticate(signed_in_at_work, at_provider, "emma")
    refused_nothing_signed(response, employee, "bad_signature", "could not confirm it is you")


def test_coming_back_without_a_re_authentication_signs_nothing(
    signed_in_at_work: Client, employee
) -> None:
    signed_in_at_work.post(SIGN_URL, {"version": 1, "printed_name": "Emma Jones", "agree": "on"})
    response = signed_in_at_work.get(COMPLETE_URL, follow=True)
    assert not Acknowledgement.objects.filter(user=employee).exists()
    assert any("Confirm it is you" in text for text in messages_of(response))


def test_a_wrong_name_is_refused_before_going_to_the_provider(signed_in_at_work: Client) -> None:
    response = signed_in_at_work.post(
        SIGN_URL, {"version": 1, "printed_name": "Someone Else", "agree": "on"}
    )
    assert response.status_code == 200
    assert b"Type your full name as it appears on your record" in response.content


def test_ending_a_leavers_access_ends_their_organisation_sign_in_session(
    signed_in_at_work: Client, manager, employee
) -> None:
    last_day = timezone.localdate() + timedelta(days=2)
    give(manager, leaver_details(employee, end_date=last_day), today=timezone.localdate())
    assert signed_in_at_work.get("/").status_code == 200
    session_key = signed_in_at_work.session.session_key

    staff_lifecycle.end_expired_access(now=timezone.now() + timedelta(days=4))

    response = signed_in_at_work.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    # Reopened by hand, the session still does not come back: the password hash it was tied to
    # (an unusable one, for an organisation-only account) has changed.
    User.objects.filter(pk=employee.pk).update(is_active=True)
    assert signed_in_at_work.get("/").status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()


def test_a_password_session_types_its_password_and_cannot_use_the_provider_step(
    client: Client, oidc, employee, version
) -> None:
    client.force_login(employee)
    assert b'name="password"' in client.get(SIGN_URL).content
    response = client.get(reverse("oidc:reauthenticate"), {"next": COMPLETE_URL})
    assert response.status_code == 404
