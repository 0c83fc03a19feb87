"""Fetching a request or its file only for someone who may see the request: a 404 otherwise."""

from __future__ import annotations

import pytest
from django.http import Http404

from requests import permissions
from requests.models import AuthorisationRequest
from tests.requests.factories import AuthorisationRequestFactory


def test_the_requester_and_it_see_the_request(employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee)
    for viewer in (employee, it_user):
        found = permissions.visible_or_404(viewer, AuthorisationRequest.objects.all(), pk=ar.pk)
        assert found == ar


def test_someone_else_gets_the_same_404_as_for_a_missing_request(employee, outsider) -> None:
    ar = AuthorisationRequestFactory(requester=employee)
    for pk in (ar.pk, 0):
        with pytest.raises(Http404) as refused:
            permissions.visible_or_404(outsider, AuthorisationRequest.objects.all(), pk=pk)
        assert str(refused.value) == "No such request."
