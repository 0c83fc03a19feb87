"""Fetching a record only for someone who may see it: a 404 otherwise, as for a missing one."""

from __future__ import annotations

import pytest
from django.http import Http404

from acknowledgements import permissions
from acknowledgements.models import PolicyVersion
from portal.models import User
from tests.acknowledgements.factories import PolicyVersionFactory


def test_a_record_the_person_may_see_is_returned(db, reviewer) -> None:
    draft = PolicyVersionFactory()
    found = permissions.visible_or_404(reviewer, PolicyVersion.objects.all(), pk=draft.pk)
    assert found == draft


def test_a_record_the_person_may_not_see_is_a_404(db, employee) -> None:
    draft = PolicyVersionFactory()
    with pytest.raises(Http404) as refused:
        permissions.visible_or_404(employee, PolicyVersion.objects.all(), pk=draft.pk)
    assert str(refused.value) == "No such version."


def test_a_missing_record_is_the_same_404(db, reviewer) -> None:
    with pytest.raises(Http404) as refused:
        permissions.visible_or_404(reviewer, PolicyVersion.objects.all(), pk=0)
    assert str(refused.value) == "No such version."


def test_a_page_may_ask_more_than_seeing_the_record(employee, manager, hr_user) -> None:
    # HR sees every person's record, but reminds nobody: only their line manager does.
    records = User.objects.all()
    assert permissions.visible_or_404(hr_user, records, pk=employee.pk) == employee
    with pytest.raises(Http404):
        permissions.visible_or_404(hr_user, records, may_see=permissions.can_remind, pk=employee.pk)
    found = permissions.visible_or_404(
        manager, records, may_see=permissions.can_remind, pk=employee.pk
    )
    assert found == employee
