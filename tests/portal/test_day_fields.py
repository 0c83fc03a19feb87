"""Every form that asks for a day refuses one outside a working life's years with a message the
person can act on, so no rule that counts days from it can fail on the edge of the calendar."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from acknowledgements.forms.grants import GrantForm
from portal.day_fields import bounds
from portal.department_forms import DepartmentForm
from requests.forms.register import CatalogueItemForm
from requests.forms.requesting import SoftwareRequestForm
from requests.staff.forms import LeaverForm, MoverForm, StarterForm, TemporaryWorkerForm

FORMS = [
    (lambda: StarterForm, "start_date", {"hr": True}),
    (lambda: TemporaryWorkerForm, "end_date", {"hr": True}),
    (lambda: LeaverForm, "end_date", {"hr": True}),
    (lambda: MoverForm, "effective_date", {"hr": True}),
    (lambda: GrantForm, "expires_on", {}),
    (lambda: DepartmentForm, "deputy_to", {}),
    (lambda: CatalogueItemForm, "renewal_date", {}),
    (lambda: SoftwareRequestForm, "needed_by", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["30/12/9999", "9999-12-31", "01/01/0001", "0001-01-01"])
@pytest.mark.parametrize(("form_class", "field", "kwargs"), FORMS)
def test_a_day_at_the_edge_of_the_calendar_is_refused_with_the_range(
    form_class, field, kwargs, typed
):
    form = form_class()(data={field: typed}, **kwargs)
    assert not form.is_valid()
    earliest, latest = bounds()
    assert form.errors[field] == [
        f"Enter a date between {earliest:%d/%m/%Y} and {latest:%d/%m/%Y}."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_class", "field", "kwargs"), FORMS)
def test_a_day_inside_the_range_is_not_refused_for_its_year(form_class, field, kwargs):
    latest = bounds()[1]
    form = form_class()(data={field: f"{latest:%d/%m/%Y}"}, **kwargs)
    form.is_valid()
    assert field not in form.errors


def test_the_range_is_fifty_years_either_side_of_this_year():
    this_year = timezone.localdate().year
    assert bounds() == (date(this_year - 50, 1, 1), date(this_year + 50, 12, 31))
