"""The staff list's filters (read from the query string) and the reminder button's form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict

from acknowledgements import compliance, signature_status, staff_status
from acknowledgements.models import PolicyVersion
from portal.day_fields import DayInput
from portal.models import User

MAX_SEARCH_LENGTH = 100
MAX_BACK_LENGTH = 2000


def _id_or_none(value: str) -> int | str | None:
    if value == compliance.NONE:
        return compliance.NONE
    return int(value) if value else None


class StaffFilterForm(forms.Form):
    """A filter that does not validate is left out (and its error shown); the others apply."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, email or employee number"}
        ),
        error_messages={"max_length": "Search for at most %(limit_value)d characters."},
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *signature_status.LABELS.items()],
    )
    version = forms.TypedChoiceField(
        label="Assigned version", required=False, coerce=int, empty_value=None
    )
    department = forms.ChoiceField(label="Department", required=False)
    manager = forms.ChoiceField(
        label="Line manager",
        required=False,
        help_text="Choose a department first to list its line managers.",
    )
    employment_type = forms.ChoiceField(
        label="Employment type",
        required=False,
        choices=[("", "Any type"), *User.EmploymentType.choices],
    )
    started_from = forms.DateField(
        label="Started on or after",
        required=False,
        widget=DayInput(),
        error_messages={"invalid": "Enter a date such as 25/12/2025."},
    )
    started_to = forms.DateField(
        label="Started on or before",
        required=False,
        widget=DayInput(),
        error_messages={"invalid": "Enter a date such as 25/12/2025."},
    )

    def __init__(
        self,
        *args: Any,
        versions: list[PolicyVersion],
        departments: list[tuple[int, str]],
        managers: list[tuple[int, str]] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            ("", "Any version"),
            *((v.number, f"{v.label} ({v.get_status_display().lower()})") for v in versions),
        ]
        self.fields["department"].choices = [
            ("", "Any department"),
            (compliance.NONE, "No department"),
            *((str(pk), name) for pk, name in departments),
        ]
        if managers is None:
            # A line manager's list is their own reports: there is no one else to choose.
            del self.fields["manager"]
        else:
            self.fields["manager"].choices = [
                ("", "Any line manager"),
                (compliance.NONE, "No line manager"),
                *((str(pk), name) for pk, name in managers),
            ]
        for field in self.fields.values():
            select = isinstance(field, forms.ChoiceField)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("started_from"), cleaned.get("started_to")
        if start and end and start > end:
            self.add_error("started_to", "This date is before the “started on or after” date.")
        return cleaned

    def shows_filters(self) -> bool:
        """Whether to open the filters: one is in use, or one has an error to read."""
        in_use = any(self.data.get(name) for name in self.fields if name != "q")
        return in_use or bool(self.errors)

    def in_use(self) -> list[tuple[str, str]]:
        """The filters set that validated, as ``(name, value)`` as they were sent."""
        self.is_valid()
        return [
            (name, str(self.data.get(name)))
            for name in self.fields
            if self.data.get(name) and name not in self.errors
        ]

    def query_string(self) -> str:
        return urlencode(self.in_use())

    def filters(self) -> staff_status.Filters:
        """The filters that validated; anything else falls back to 'any'."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return staff_status.Filters(
            q=(data.get("q") or "").strip(),
            version=data.get("version"),
            status=data.get("status") or "",
            department=_id_or_none(data.get("department") or ""),
            manager=_id_or_none(data.get("manager") or ""),
            employment_type=data.get("employment_type") or "",
            started_from=data.get("started_from"),
            started_to=data.get("started_to"),
        )


class ReminderForm(forms.Form):
    """The reminder button: ``back`` is the list's query string, to return to the same page."""

    back = forms.CharField(required=False, max_length=MAX_BACK_LENGTH)

    def back_query(self) -> str:
        if not self.is_valid():
            return ""
        # Parsed and encoded again, so only a well-formed query string goes into the redirect.
        return QueryDict(self.cleaned_data["back"]).urlencode()
