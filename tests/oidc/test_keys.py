"""The provider's keys: cached, and fetched again once when it signs with a new one."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import AuditEvent
from tests.oidc.provider import CLIENT_ID, OpenIDProvider, ProviderUser, sign_in_with_provider

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/oidc/callback/"


def test_a_rotated_signing_key_is_fetched_once_and_sign_in_goes_on(
    client: Client, employee, settings, tmp_path
) -> None:
    first = OpenIDProvider(tmp_path, [CALLBACK], kid="k1")
    settings.OIDC_ENABLED, settings.OIDC_CLIENT_ID = True, CLIENT_ID
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_SECRET = first.issuer, first.client_secret
    try:
        sign_in_with_provider(client, ProviderUser(first), "emma")  # keys k1 now cached
    finally:
        first.stop()
    client.logout()
    # The same provider, restarted with a new key: the cached keys do not know kid k2.
    second = OpenIDProvider(
        tmp_path, [CALLBACK], port=first.port, kid="k2", client_secret=first.client_secret
    )
    try:
        response, _ = sign_in_with_provider(client, ProviderUser(second), "emma")
    finally:
        second.stop()
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(employee.pk)
    assert not AuditEvent.objects.filter(action="auth.oidc_refused").exists()
