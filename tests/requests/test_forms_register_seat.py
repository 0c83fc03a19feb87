"""A subscription with no cost of its own is accepted only for an item already in the register."""

from __future__ import annotations

import pytest

from requests.forms.requesting import SubscriptionRequestForm
from requests.models import Kind
from tests.requests.factories import CatalogueItemFactory

pytestmark = pytest.mark.django_db

NO_COST = {
    "item": "Care Planner Pro",
    "vendor": "CarePlan Software Ltd",
    "link": "",
    "cost_one_off": "",
    "cost_recurring": "",
    "recurring_period": "",
    "licence_type": "",
    "justification": "An extra seat on the company licence.",
    "needed_by": "",
}


def test_an_extra_seat_on_an_authorised_subscription_needs_no_cost() -> None:
    CatalogueItemFactory(name="Care Planner Pro", kind=Kind.SUBSCRIPTION)

    # The register's name, in any case and with stray spaces, as the match in the workflow.
    form = SubscriptionRequestForm({**NO_COST, "item": "  care planner PRO "})

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("kind", "active"),
    [(Kind.SOFTWARE, True), (Kind.SUBSCRIPTION, False)],
    ids=["registered-as-another-kind", "withdrawn"],
)
def test_without_an_active_entry_of_that_kind_a_subscription_still_needs_a_cost(
    kind: str, active: bool
) -> None:
    CatalogueItemFactory(name="Care Planner Pro", kind=kind, active=active)

    form = SubscriptionRequestForm(NO_COST)

    assert not form.is_valid()
    assert "Enter what it costs" in form.errors["cost_recurring"][0]
