"""The request forms: what each kind asks, what it requires, and the messages for bad input."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from requests.forms.requesting import (
    DownloadRequestForm,
    HardwareRequestForm,
    SoftwareRequestForm,
    SubscriptionRequestForm,
    form_for,
)
from requests.models import AuthorisationRequest, Kind

# Validating a model form checks the model's constraints, which Django asks the database about.
pytestmark = pytest.mark.django_db

GOOD = {
    Kind.SOFTWARE: {
        "item": "Rota Planner",
        "vendor": "Shift Tools Ltd",
        "version_or_model": "4.2",
        "licence_type": "Per user",
        "quantity": "3",
        "cost_one_off": "0",
        "cost_recurring": "",
        "recurring_period": "",
        "link": "https://shifttools.example/rota",
        "justification": "Plan the night shifts for the home.",
        "device": "LT-0042",
        "needed_by": "",
    },
    Kind.HARDWARE: {
        "item": "Label printer",
        "vendor": "Brother",
        "version_or_model": "QL-820NWB",
        "quantity": "1",
        "cost_one_off": "149.99",
        "justification": "Print medication labels in the office.",
        "needed_by": "",
    },
    Kind.DOWNLOAD: {
        "item": "PDF Reader",
        "vendor": "Example Software",
        "version_or_model": "2024.1",
        "link": "https://example.com/pdf-reader",
        "licence_type": "Free",
        "justification": "Open care plans sent by the council.",
        "device": "PC-0101",
    },
    Kind.SUBSCRIPTION: {
        "item": "Care Training Online",
        "vendor": "Learning Co",
        "link": "https://learning.example/care",
        "cost_one_off": "",
        "cost_recurring": "12.50",
        "recurring_period": "monthly",
        "licence_type": "Single user",
        "justification": "Mandatory refresher training for new starters.",
        "needed_by": "",
    },
}


def data(kind: str, **changes: str) -> dict[str, str]:
    return {**GOOD[kind], **changes}


def errors_of(kind: str, **changes: str) -> dict[str, list[str]]:
    form = form_for(kind)(data(kind, **changes))
    assert not form.is_valid()
    return form.errors


# --- What each kind asks ----------------------------------------------------------------------
def test_each_kind_has_its_own_form() -> None:
    assert form_for(Kind.SOFTWARE) is SoftwareRequestForm
    assert form_for(Kind.HARDWARE) is HardwareRequestForm
    assert form_for(Kind.DOWNLOAD) is DownloadRequestForm
    assert form_for(Kind.SUBSCRIPTION) is SubscriptionRequestForm
    assert form_for("printer-ink") is None
    assert form_for("") is None


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (
            Kind.SOFTWARE,
            [
                "item", "vendor", "version_or_model", "licence_type", "quantity",
                "cost_one_off", "cost_recurring", "recurring_period", "link", "justification",
                "device", "needed_by",
            ],
        ),
        (
            Kind.HARDWARE,
            [
                "item", "vendor", "version_or_model", "quantity", "cost_one_off",
                "justification", "needed_by",
            ],
        ),
        (
            Kind.DOWNLOAD,
            [
                "item", "vendor", "version_or_model", "link", "licence_type", "justification",
                "device",
            ],
        ),
        (
            Kind.SUBSCRIPTION,
            [
                "item", "vendor", "link", "cost_one_off", "cost_recurring", "recurring_period",
                "licence_type", "justification", "needed_by",
            ],
        ),
    ],
)  # fmt: skip
def test_each_kind_asks_what_matters_to_it(kind: str, fields: list[str]) -> None:
    assert list(form_for(kind)().fields) == fields


@pytest.mark.parametrize(
    ("kind", "required", "refused"),
    [
        (Kind.SOFTWARE, {"item", "justification", "quantity"}, set()),
        (Kind.HARDWARE, {"item", "justification", "quantity"}, set()),
        (Kind.DOWNLOAD, {"item", "justification", "link"}, set()),
        # A subscription needs a cost, one-off or recurring: one message on the costs.
        (Kind.SUBSCRIPTION, {"item", "justification"}, {"cost_recurring"}),
    ],
)
def test_an_empty_form_names_each_required_field(
    kind: str, required: set[str], refused: set[str]
) -> None:
    form = form_for(kind)({})
    assert {name for name, field in form.fields.items() if field.required} == required
    assert not form.is_valid()
    assert set(form.errors) == required | refused


def test_labels_follow_the_kind() -> None:
    assert SoftwareRequestForm().fields["version_or_model"].label == "Version"
    assert HardwareRequestForm().fields["version_or_model"].label == "Model"
    assert HardwareRequestForm().fields["item"].label == "Equipment"
    assert DownloadRequestForm().fields["link"].label == "Where it is downloaded from"
    assert SubscriptionRequestForm().fields["item"].label == "Service or website"


@pytest.mark.parametrize("kind", list(GOOD))
def test_a_good_form_makes_an_unsaved_request_of_its_kind(kind: str) -> None:
    form = form_for(kind)(data(kind))
    assert form.is_valid(), form.errors
    draft = form.save(commit=False)
    assert isinstance(draft, AuthorisationRequest)
    assert draft.pk is None
    assert draft.kind == kind
    assert draft.item == GOOD[kind]["item"]


def test_blank_costs_mean_no_cost() -> None:
    form = SoftwareRequestForm(data(Kind.SOFTWARE, cost_one_off="", cost_recurring=""))
    assert form.is_valid(), form.errors
    draft = form.save(commit=False)
    assert draft.cost_one_off == Decimal("0.00")
    assert draft.cost_recurring == Decimal("0.00")
    assert not draft.has_cost


def test_pounds_may_be_typed_with_the_sign_and_commas() -> None:
    form = HardwareRequestForm(data(Kind.HARDWARE, cost_one_off="£1,249.50"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["cost_one_off"] == Decimal("1249.50")


def test_a_link_without_a_scheme_is_taken_as_https() -> None:
    form = DownloadRequestForm(data(Kind.DOWNLOAD, link="example.com/pdf-reader"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["link"] == "https://example.com/pdf-reader"


def test_a_uk_date_is_accepted_for_needed_by() -> None:
    soon = timezone.localdate() + timedelta(days=10)
    form = HardwareRequestForm(data(Kind.HARDWARE, needed_by=soon.strftime("%d/%m/%Y")))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["needed_by"] == soon


def test_needed_by_today_is_fine() -> None:
    form = HardwareRequestForm(data(Kind.HARDWARE, needed_by=timezone.localdate().isoformat()))
    assert form.is_valid(), form.errors


def test_a_subscription_with_only_a_one_off_cost_is_fine() -> None:
    form = SubscriptionRequestForm(
        data(Kind.SUBSCRIPTION, cost_one_off="99", cost_recurring="", recurring_period="")
    )
    assert form.is_valid(), form.errors


# --- Bad input and what the messages say ------------------------------------------------------
def test_a_negative_cost_is_refused() -> None:
    errors = errors_of(Kind.HARDWARE, cost_one_off="-5")
    assert errors["cost_one_off"] == [
        "A cost cannot be negative: leave it blank if there is no cost."
    ]


def test_more_than_two_decimal_places_is_refused() -> None:
    errors = errors_of(Kind.SOFTWARE, cost_one_off="10.505")
    assert errors["cost_one_off"] == [
        "Use at most 2 decimal places (pounds and pence), for example 12.50."
    ]


def test_a_cost_that_is_not_a_number_is_refused() -> None:
    errors = errors_of(Kind.HARDWARE, cost_one_off="about fifty")
    assert "Enter an amount in pounds" in errors["cost_one_off"][0]


def test_a_recurring_cost_needs_its_period() -> None:
    errors = errors_of(Kind.SOFTWARE, cost_recurring="20", recurring_period="")
    assert errors["recurring_period"] == [
        "Choose how often the recurring cost is paid: monthly or yearly."
    ]


def test_a_period_needs_a_recurring_cost() -> None:
    errors = errors_of(Kind.SOFTWARE, cost_recurring="", recurring_period="yearly")
    assert errors["cost_recurring"] == [
        "Enter the recurring cost, or choose “No recurring cost” below."
    ]


def test_a_subscription_needs_a_cost() -> None:
    errors = errors_of(Kind.SUBSCRIPTION, cost_one_off="0", cost_recurring="", recurring_period="")
    assert "Enter what it costs" in errors["cost_recurring"][0]
    assert "policy 4.11" in errors["cost_recurring"][0]


def test_needed_by_in_the_past_is_refused() -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    errors = errors_of(Kind.HARDWARE, needed_by=yesterday.isoformat())
    assert errors["needed_by"] == [
        "The needed-by date is in the past: choose today or a later date, or leave it blank."
    ]


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_quantity_must_be_at_least_one(quantity: str) -> None:
    errors = errors_of(Kind.HARDWARE, quantity=quantity)
    assert errors["quantity"] == ["The quantity must be at least 1."]


@pytest.mark.parametrize(
    "link", ["ftp://example.com/pdf-reader.exe", "javascript:alert(1)", "not a web address"]
)
def test_a_link_must_be_a_web_address(link: str) -> None:
    errors = errors_of(Kind.DOWNLOAD, link=link)
    assert errors["link"] == [
        "Enter a web address starting with https:// or http://, "
        "for example https://www.example.com/product."
    ]


def test_a_download_needs_its_link() -> None:
    errors = errors_of(Kind.DOWNLOAD, link="")
    assert errors["link"] == ["Enter the address it will be downloaded from."]
