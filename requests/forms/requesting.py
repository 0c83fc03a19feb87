"""What an employee fills in to ask IT for authorisation: one form per kind of request.

Every kind shares ``RequestForm`` (labels, widgets, validation); each subclass lists only the
fields that matter to that kind, and which of them are required.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from portal.day_fields import DayField
from requests import catalogue
from requests.models import AuthorisationRequest, Kind

ZERO = Decimal("0.00")


class PoundsField(forms.DecimalField):
    """An amount in pounds; tolerates the “£” and thousands commas people type."""

    default_error_messages = {
        "invalid": "Enter an amount in pounds, for example 12.50, or leave it blank if there is "
        "no cost.",
        "min_value": "A cost cannot be negative: leave it blank if there is no cost.",
        "max_decimal_places": "Use at most 2 decimal places (pounds and pence), for example 12.50.",
        "max_digits": "That amount is too large: check it, or talk to the IT Department.",
        "max_whole_digits": "That amount is too large: check it, or talk to the IT Department.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", ZERO)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().removeprefix("£").replace(",", "").strip()
        return super().to_python(value)


class QuantityField(forms.IntegerField):
    default_error_messages = {
        "required": "Enter how many you need (at least 1).",
        "invalid": "Enter how many you need as a whole number, for example 1.",
        "min_value": "The quantity must be at least 1.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs["min_value"] = 1
        super().__init__(**kwargs)


class WebAddressField(forms.URLField):
    """A link people can open in a browser: http or https only."""

    default_error_messages = {
        "invalid": "Enter a web address starting with https:// or http://, "
        "for example https://www.example.com/product.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        cleaned = super().clean(value)
        if cleaned and not cleaned.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return cleaned


class RequestForm(forms.ModelForm):
    """The fields every kind may ask for; subclasses choose theirs in ``Meta.fields``."""

    kind: str = ""
    required_fields: tuple[str, ...] = ("item", "justification")
    cost_required: bool = False

    class Meta:
        model = AuthorisationRequest
        fields = (
            "item", "vendor", "version_or_model", "link", "quantity", "cost_one_off",
            "cost_recurring", "recurring_period", "licence_type", "justification", "device",
            "needed_by",
        )  # fmt: skip
        field_classes = {
            "link": WebAddressField,
            "quantity": QuantityField,
            "cost_one_off": PoundsField,
            "cost_recurring": PoundsField,
            "needed_by": DayField,
        }
        labels = {
            "item": "Item",
            "vendor": "Vendor or supplier",
            "version_or_model": "Version",
            "link": "Web page about it",
            "quantity": "How many",
            "cost_one_off": "One-off cost (£)",
            "cost_recurring": "Recurring cost (£)",
            "recurring_period": "How often the recurring cost is paid",
            "licence_type": "Licence type",
            "justification": "Why the business needs it",
            "device": "Device or asset tag",
            "needed_by": "Needed by",
        }
        help_texts = {
            "item": "Its name as the vendor gives it. Use the register's name if it is listed.",
            "vendor": "Who makes or sells it.",
            "link": "The vendor's page for it, so IT can check exactly what you mean.",
            "cost_one_off": "The total, including VAT. Leave blank if it is free.",
            "cost_recurring": "The total each month or year, including VAT. Leave blank if "
            "there is none.",
            "licence_type": "For example: per user, per device, site licence, free, open source.",
            "justification": "What you will use it for and who will use it. IT, and your "
            "budget holder if there is a cost, decide on this.",
            "device": "The computer or device it is for: its asset tag (on the label), or "
            "its name.",
            "needed_by": "Optional. Leave blank if there is no deadline.",
        }
        widgets = {
            "justification": forms.Textarea(attrs={"rows": 4}),
            "link": forms.URLInput(attrs={"placeholder": "https://"}),
            "cost_one_off": forms.TextInput(attrs={"inputmode": "decimal"}),
            "cost_recurring": forms.TextInput(attrs={"inputmode": "decimal"}),
        }
        error_messages = {
            "item": {"required": "Say what you are asking for."},
            "justification": {"required": "Explain why the business needs it."},
            "link": {"required": "Enter the address it will be downloaded from."},
            "needed_by": {"invalid": "Enter a date such as 25/12/2025, or leave it blank."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.kind:
            self.instance.kind = self.kind
        for name, field in self.fields.items():
            field.required = name in self.required_fields
            # No cost shows as an empty box, not "0.00" to be typed over.
            if isinstance(field, PoundsField) and not self.initial.get(name):
                self.initial[name] = None

    def _clean_cost(self, name: str) -> Decimal:
        value = self.cleaned_data.get(name)
        return ZERO if value is None else value

    def clean_cost_one_off(self) -> Decimal:
        return self._clean_cost("cost_one_off")

    def clean_cost_recurring(self) -> Decimal:
        return self._clean_cost("cost_recurring")

    def clean_needed_by(self) -> Any:
        needed_by = self.cleaned_data.get("needed_by")
        if needed_by and needed_by < timezone.localdate():
            raise forms.ValidationError(
                "The needed-by date is in the past: choose today or a later date, or leave it "
                "blank.",
                code="past",
            )
        return needed_by

    def _in_register(self, cleaned: dict[str, Any]) -> bool:
        # An extra seat on something already in the register (a company licence, say) has no
        # cost of its own: that is the fast track the register check offers.
        item = cleaned.get("item") or ""
        return catalogue.exact_match(item=item, kind=self.instance.kind) is not None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "cost_recurring" in self.fields and "recurring_period" in self.fields:
            recurring = cleaned.get("cost_recurring")
            period = cleaned.get("recurring_period")
            if recurring and not period and "recurring_period" not in self.errors:
                self.add_error(
                    "recurring_period",
                    "Choose how often the recurring cost is paid: monthly or yearly.",
                )
            if period and recurring == ZERO and "cost_recurring" not in self.errors:
                self.add_error(
                    "cost_recurring",
                    "Enter the recurring cost, or choose “No recurring cost” below.",
                )
        costs_typed = not {"cost_one_off", "cost_recurring"} & set(self.errors)
        no_cost = not cleaned.get("cost_one_off") and not cleaned.get("cost_recurring")
        if self.cost_required and costs_typed and no_cost and not self._in_register(cleaned):
            self.add_error(
                "cost_recurring",
                "Enter what it costs: a recurring cost with how often it is paid, a one-off "
                "cost, or both. Your budget holder must authorise a paid subscription before it "
                "is taken out (policy 4.11).",
            )
        return cleaned


class SoftwareRequestForm(RequestForm):
    kind = Kind.SOFTWARE
    required_fields = ("item", "justification", "quantity")

    class Meta(RequestForm.Meta):
        fields = (
            "item", "vendor", "version_or_model", "licence_type", "quantity", "cost_one_off",
            "cost_recurring", "recurring_period", "link", "justification", "device", "needed_by",
        )  # fmt: skip
        labels = {
            **RequestForm.Meta.labels,
            "item": "Software name",
            "vendor": "Publisher or vendor",
            "quantity": "Number of licences",
        }


class HardwareRequestForm(RequestForm):
    kind = Kind.HARDWARE
    required_fields = ("item", "justification", "quantity")

    class Meta(RequestForm.Meta):
        fields = (
            "item", "vendor", "version_or_model", "quantity", "cost_one_off", "justification",
            "needed_by",
        )  # fmt: skip
        labels = {
            **RequestForm.Meta.labels,
            "item": "Equipment",
            "vendor": "Manufacturer or supplier",
            "version_or_model": "Model",
            "cost_one_off": "Cost (£)",
        }
        help_texts = {
            **RequestForm.Meta.help_texts,
            "item": "What it is, for example “Laptop”, “Label printer” or “Headset”.",
            "cost_one_off": "The total, including VAT. Leave blank if there is no cost.",
        }


class DownloadRequestForm(RequestForm):
    kind = Kind.DOWNLOAD
    required_fields = ("item", "justification", "link")

    class Meta(RequestForm.Meta):
        fields = (
            "item", "vendor", "version_or_model", "link", "licence_type", "justification",
            "device",
        )  # fmt: skip
        labels = {
            **RequestForm.Meta.labels,
            "item": "What you want to download",
            "vendor": "Who publishes it",
            "link": "Where it is downloaded from",
        }
        help_texts = {
            **RequestForm.Meta.help_texts,
            "item": "The program or file, as its publisher names it.",
            "link": "The exact address of the download page, starting https://.",
        }


class SubscriptionRequestForm(RequestForm):
    kind = Kind.SUBSCRIPTION
    cost_required = True

    class Meta(RequestForm.Meta):
        fields = (
            "item", "vendor", "link", "cost_one_off", "cost_recurring", "recurring_period",
            "licence_type", "justification", "needed_by",
        )  # fmt: skip
        labels = {
            **RequestForm.Meta.labels,
            "item": "Service or website",
            "vendor": "Provider",
            "link": "Its web address",
            "cost_one_off": "One-off or set-up cost (£)",
            "cost_recurring": "Subscription cost (£)",
            "licence_type": "Plan or licence",
        }
        help_texts = {
            **RequestForm.Meta.help_texts,
            "licence_type": "For example: single user, team of 5, business plan.",
        }


FORMS: dict[str, type[RequestForm]] = {
    form.kind: form
    for form in (
        SoftwareRequestForm,
        HardwareRequestForm,
        DownloadRequestForm,
        SubscriptionRequestForm,
    )
}


def form_for(kind: str) -> type[RequestForm] | None:
    """The form for ``kind``, or None if there is no such kind."""
    return FORMS.get(kind)
