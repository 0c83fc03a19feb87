"""The request the tests of a request's page look at."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from requests.models import AuthorisationRequest
from tests.requests.factories import AuthorisationRequestFactory
from tests.requests.reviewing.helpers import State


@pytest.fixture
def ar(employee, manager) -> AuthorisationRequest:
    """A paid request from the employee, its cost authorised, now with IT."""
    request = AuthorisationRequestFactory(
        requester=employee,
        item="Visio Plan 2",
        vendor="Microsoft",
        cost_one_off=Decimal("1250.00"),
        cost_recurring=Decimal("12.50"),
        recurring_period="monthly",
        state=State.AWAITING_IT,
        budget_approved_at=timezone.now(),
        authorised_by=manager,
    )
    request.authorised_terms = request.authority_terms()
    request.save(update_fields=["authorised_terms"])
    return request
