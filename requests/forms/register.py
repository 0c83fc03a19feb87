from __future__ import annotations

from typing import Any

from django import forms

from portal.day_fields import DayField
from portal.models import Department
from requests.models import CatalogueItem, Kind


class SearchForm(forms.Form):
    """The register's search box; unknown values are dropped rather than refused."""

    q = forms.CharField(label="Name or vendor", required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *Kind.choices]
    )
    withdrawn = forms.BooleanField(label="Include withdrawn items", required=False)

    def filters(self) -> dict[str, Any]:
        # A field with a bad value (an unknown kind, say) is left out; the others still apply.
        self.is_valid()
        return {
            "q": self.cleaned_data.get("q", "").strip()[:100],
            "kind": self.cleaned_data.get("kind", ""),
            "withdrawn": self.cleaned_data.get("withdrawn", False),
        }


class CatalogueItemForm(forms.ModelForm):
    class Meta:
        model = CatalogueItem
        fields = [
            "name", "kind", "vendor", "versions", "notes", "licence_count", "renewal_date",
            "department", "active",
        ]  # fmt: skip
        field_classes = {"renewal_date": DayField}
        labels = {
            "name": "Name",
            "versions": "Versions or models",
            "active": "Authorised (untick to withdraw the item from the register)",
        }
        help_texts = {
            "name": "As people will type it when they ask for it, e.g. “Microsoft Teams”.",
            "versions": "For example “2024 or later” or “Latitude 5440”. Optional.",
            "notes": "Conditions of use, licence details, who may have it. Everyone can read this.",
            "licence_count": "Software and subscriptions only: how many licences or seats are "
            "held. Optional.",
            "renewal_date": "Software and subscriptions only: when the licence or subscription "
            "renews. The budget holder and IT are reminded 30 days before.",
            "department": "The department whose budget pays for it; its budget holder is "
            "reminded of renewals.",
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("name")
        self.fields["department"].empty_label = "No department"

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name, kind = cleaned.get("name"), cleaned.get("kind")
        if name and kind and cleaned.get("active"):
            # Requests are matched to the register by name and kind; two active entries for the
            # same thing would make the match ambiguous.
            twins = CatalogueItem.objects.filter(active=True, kind=kind, name__iexact=name)
            if self.instance.pk is not None:
                twins = twins.exclude(pk=self.instance.pk)
            if twins.exists():
                self.add_error(
                    "name",
                    f"“{name}” is already in the register as {Kind(kind).label.lower()}. "
                    "Edit that entry instead.",
                )
        return cleaned
