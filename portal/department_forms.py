"""HR's forms for departments: a name, and who authorises the department's costs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from portal import departments
from portal.day_fields import DayField
from portal.models import Department, User

PERSON_HELP = "Their email address, or employee number if they have no work email."
NOBODY = "Nobody in the staff directory has that email address or employee number."


class DepartmentNameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)


class DepartmentForm(DepartmentNameForm):
    budget_holder = forms.CharField(
        label="Budget holder", required=False, max_length=254, help_text=PERSON_HELP
    )
    deputy = forms.CharField(
        label="Deputy while the budget holder is away",
        required=False,
        max_length=254,
        help_text=PERSON_HELP + " Leave empty for no deputy.",
    )
    deputy_from = DayField(label="Deputy decides from", required=False)
    deputy_to = DayField(label="Deputy decides until (inclusive)", required=False)

    @classmethod
    def initial_for(cls, department: Department) -> dict[str, Any]:
        def name(person: User | None) -> str:
            return person.sign_in_name if person is not None else ""

        initial = {"name": department.name, "budget_holder": name(department.budget_holder)}
        ended = department.deputy_to is not None and department.deputy_to < departments.today()
        if not ended:
            # A deputy whose dates have passed is not offered again: saving clears them.
            initial.update(
                deputy=name(department.deputy),
                deputy_from=department.deputy_from,
                deputy_to=department.deputy_to,
            )
        return initial

    def _person(self, field: str) -> User | None:
        typed = self.cleaned_data.get(field, "").strip()
        if not typed:
            return None
        person = departments.find_person(typed)
        if person is None:
            raise ValidationError(NOBODY)
        return person

    def clean_budget_holder(self) -> User | None:
        return self._person("budget_holder")

    def clean_deputy(self) -> User | None:
        return self._person("deputy")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            departments.check_authority(self.authority())
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def authority(self) -> departments.Authority:
        data = self.cleaned_data
        return departments.Authority(
            budget_holder=data.get("budget_holder"),
            deputy=data.get("deputy"),
            deputy_from=data.get("deputy_from"),
            deputy_to=data.get("deputy_to"),
        )
