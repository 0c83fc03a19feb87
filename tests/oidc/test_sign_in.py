"""Organisation sign-in against a real OpenID provider process: matching people, refusals."""

from __future__ import annotations

import socket

import pytest
from django.test import Client

from portal.models import AuditEvent, ExternalIdentity
from portal.oidc import client as oidc_client
from tests.factories import PASSWORD
from tests.helpers import free_port
from tests.oidc.provider import ENTRA_TENANT, ProviderUser, sign_in_with_provider

pytestmark = pytest.mark.django_db


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def refusals(reason: str) -> int:
    return AuditEvent.objects.filter(action="auth.oidc_refused", data__reason=reason).count()


def test_the_sign_in_page_offers_the_work_account_as_a_link(client: Client, oidc) -> None:
    response = client.get("/accounts/login/")
    assert b'data-testid="oidc-sign-in"' in response.content
    assert b"Sign in with your work account" in response.content
    assert b'name="password"' in response.content  # password sign-in stays on by default


def test_with_no_provider_the_sign_in_page_is_as_before(client: Client, settings) -> None:
    settings.OIDC_ENABLED = False
    response = client.get("/accounts/login/")
    assert b"oidc-sign-in" not in response.content
    assert client.get("/accounts/oidc/start/").status_code == 404


def test_the_request_to_the_provider_uses_pkce_state_and_nonce(client: Client, oidc) -> None:
    location = client.get("/accounts/oidc/start/")["Location"]
    assert location.startswith(f"{oidc.issuer}/")
    for part in (
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid",
    ):
        assert part in location
    assert "prompt=login" not in location


def test_the_first_sign_in_links_the_person_by_verified_email(
    client: Client, at_provider: ProviderUser, employee
) -> None:
    response, _ = sign_in_with_provider(client, at_provider, "emma", next="/policies/")
    assert response.status_code == 302
    assert response["Location"] == "/policies/"
    assert signed_in_user_id(client) == str(employee.pk)
    identity = ExternalIdentity.objects.get(user=employee)
    assert identity.issuer == at_provider.provider.issuer
    assert AuditEvent.objects.filter(action="auth.oidc_linked", actor=employee).count() == 1
    assert AuditEvent.objects.filter(action="auth.login", actor=employee).count() == 1
    assert client.get("/").status_code == 200


def test_later_sign_ins_go_by_the_subject_even_after_the_email_changes(
    client: Client, at_provider: ProviderUser, employee
) -> None:
    sign_in_with_provider(client, at_provider, "emma")
    client.logout()
    employee.email = "emma.jones@example.com"
    employee.save()

    sign_in_with_provider(client, at_provider, "emma")

    assert signed_in_user_id(client) == str(employee.pk)
    assert ExternalIdentity.objects.count() == 1


def test_a_configured_claim_such_as_the_employee_number_finds_the_person(
    client: Client, at_provider: ProviderUser, employee, settings
) -> None:
    settings.OIDC_MATCH_CLAIM = "employee_number"
    employee.employee_number = "E1001"
    employee.email = "someone.else@example.com"
    employee.save()
    sign_in_with_provider(client, at_provider, "emma")
    assert signed_in_user_id(client) == str(employee.pk)


@pytest.mark.parametrize("username", ["stranger", "unverified", "entra"])
def test_someone_the_directory_does_not_know_is_refused_and_told_to_ask_hr(
    client: Client, at_provider: ProviderUser, employee, username: str
) -> None:
    response, _ = sign_in_with_provider(client, at_provider, username)
    assert response.status_code == 403
    assert b"ask <strong>HR</strong>" in response.content
    assert signed_in_user_id(client) is None
    assert ExternalIdentity.objects.count() == 0
    assert refusals("unknown_person") == 1


def test_an_address_nobody_says_is_verified_is_trusted_only_from_the_configured_tenant(
    client: Client, at_provider: ProviderUser, employee, settings
) -> None:
    # Entra ID sends no ``email_verified``: its addresses are the organisation's own only when
    # the token comes from the one tenant configured (checked by ``tid``).
    settings.OIDC_TENANT_ID = ENTRA_TENANT
    response, _ = sign_in_with_provider(client, at_provider, "entra")
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(employee.pk)


def test_a_closed_account_is_refused(client: Client, at_provider: ProviderUser, employee) -> None:
    employee.is_active = False
    employee.save()
    response, _ = sign_in_with_provider(client, at_provider, "emma")
    assert response.status_code == 403
    assert b"Your access to the portal has ended." in response.content
    assert signed_in_user_id(client) is None
    assert refusals("account_closed") == 1


def test_a_leaver_after_the_last_day_is_refused(
    client: Client, at_provider: ProviderUser, employee
) -> None:
    sign_in_with_provider(client, at_provider, "emma")  # linked while still employed
    client.logout()
    employee.start_date = employee.end_date = None
    employee.end_date = employee.date_joined.date().replace(year=2000)
    employee.save()
    response, _ = sign_in_with_provider(client, at_provider, "emma")
    assert response.status_code == 403
    assert b"Your access to the portal has ended." in response.content
    assert signed_in_user_id(client) is None
    assert refusals("left") == 1


TAMPERED = [
    ("forged", "bad_signature"),
    ("aud", "wrong_aud"),
    ("iss", "wrong_iss"),
    ("expired", "expired_token"),
    ("nonce", "wrong_nonce"),
]


@pytest.mark.parametrize(("change", "reason"), TAMPERED)
def test_a_bad_id_token_signs_nobody_in(
    client: Client, at_provider: ProviderUser, employee, change: str, reason: str
) -> None:
    at_provider.provider.tamper(change)
    response, _ = sign_in_with_provider(client, at_provider, "emma")
    assert response.status_code == 403
    assert b"answered in a way the portal cannot trust" in response.content
    assert signed_in_user_id(client) is None
    assert ExternalIdentity.objects.count() == 0
    assert refusals(reason) == 1


def test_a_replayed_answer_is_refused(client: Client, at_provider: ProviderUser, employee) -> None:
    _, callback = sign_in_with_provider(client, at_provider, "emma")
    client.logout()
    response = client.get(callback)
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert refusals("unknown_state") == 1


def test_an_answer_for_another_browser_is_refused(
    client: Client, at_provider: ProviderUser, employee
) -> None:
    # The state lives in the session of the browser that started: an attacker's answer, fed
    # to a victim's browser, finds no flow there.
    started = Client().get("/accounts/oidc/start/")["Location"]
    callback = at_provider.sign_in(started, "emma")
    response = client.get(callback)
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert refusals("unknown_state") == 1


def test_an_answer_without_state_is_refused(client: Client, oidc) -> None:
    response = client.get("/accounts/oidc/callback/", {"code": "made-up"})
    assert response.status_code == 403
    assert b"We could not sign you in" in response.content
    assert refusals("missing_state") == 1


def test_cancelling_at_the_provider_signs_nobody_in(
    client: Client, at_provider: ProviderUser, employee
) -> None:
    location = client.get("/accounts/oidc/start/")["Location"]
    response = client.get(at_provider.sign_in(location, "emma", cancel=True))
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert refusals("cancelled") == 1


def test_a_token_from_another_entra_tenant_is_refused(
    client: Client, at_provider: ProviderUser, employee, settings
) -> None:
    settings.OIDC_TENANT_ID = ENTRA_TENANT
    response, _ = sign_in_with_provider(client, at_provider, "emma")
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert refusals("wrong_tid") == 1


def test_with_the_provider_down_the_page_answers_quickly_and_passwords_still_work(
    client: Client, oidc, settings, employee
) -> None:
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"
    response = client.get("/accounts/oidc/start/")
    assert response.status_code == 503
    assert b"We cannot reach your organisation&#x27;s sign-in service" in response.content
    response = client.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(employee.pk)


def test_a_provider_that_never_answers_costs_the_page_seconds_not_minutes(
    client: Client, oidc, settings
) -> None:
    # Accepts connections (the kernel's backlog) and never says a word.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.OIDC_ISSUER = f"http://127.0.0.1:{silent.getsockname()[1]}"
        response = client.get("/accounts/oidc/start/")
    assert response.status_code == 503
    assert b'data-testid="oidc-error"' in response.content
    # The page makes one request to the provider (discovery), so its answer comes within the
    # time allowed to connect and to read: under the 5 s the sign-in page may take.
    assert oidc_client.TIMEOUT.connect + oidc_client.TIMEOUT.read < 5


def test_with_password_sign_in_off_a_password_signs_nobody_in(
    client: Client, oidc, settings, employee
) -> None:
    settings.PASSWORD_SIGN_IN = False
    assert b'name="password"' not in client.get("/accounts/login/").content
    response = client.post("/accounts/login/", {"username": employee.email, "password": PASSWORD})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
