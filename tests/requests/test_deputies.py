"""Who a cost goes to: the deputy within their dates, the budget holder outside them, HR's list
while a department has nobody. Whoever holds the authority when the decision is made may make
it, and nobody else; the page says who that is."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portal import departments
from portal.departments import Authority
from portal.models import Department, Notification, User
from requests import selectors, workflow
from requests.authority_jobs import deputy_dates_job
from requests.models import AuthorisationRequest, RequestEvent
from requests.todo import waiting_for_budget_holder
from requests.workflow import TransitionRefused
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in
from tests.requests.workflow.helpers import COST, State, fresh, new_request

LONDON = ZoneInfo("Europe/London")
# The deputy decides from the 10th to the 14th of June 2026, inclusive.
BEFORE = datetime(2026, 6, 9, 12, tzinfo=LONDON)
DURING = datetime(2026, 6, 12, 12, tzinfo=LONDON)
LAST_DAY = datetime(2026, 6, 14, 23, 30, tzinfo=LONDON)
AFTER = datetime(2026, 6, 15, 0, 30, tzinfo=LONDON)


@pytest.fixture
def kitchen(db) -> Department:
    kitchen = DepartmentFactory(name="Kitchen")
    kitchen.budget_holder = UserFactory(email="holder@example.com", department=kitchen)
    kitchen.deputy = UserFactory(email="deputy@example.com", department=kitchen)
    kitchen.deputy_from = BEFORE.date() + timedelta(days=1)
    kitchen.deputy_to = LAST_DAY.date()
    kitchen.save()
    return kitchen


@pytest.fixture
def cook(kitchen) -> User:
    return UserFactory(email="cook@example.com", department=kitchen)


def _submit(cook: User, at: datetime) -> AuthorisationRequest:
    with time_machine.travel(at, tick=False):
        return workflow.submit(requester=cook, request=new_request(cost_one_off=COST))


def _decide(actor: User, request: AuthorisationRequest, at: datetime) -> AuthorisationRequest:
    with time_machine.travel(at, tick=False):
        return workflow.perform(actor=actor, request=request, action="budget_approve")


def _asked(person: User, at: datetime) -> list[AuthorisationRequest]:
    with time_machine.travel(at, tick=False):
        return list(selectors.awaiting_authority(person))


# --- Routing --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("at", "who"), [(BEFORE, "holder"), (DURING, "deputy"), (LAST_DAY, "deputy"), (AFTER, "holder")]
)
def test_a_cost_goes_to_the_deputy_within_the_dates_and_the_holder_outside(
    kitchen, cook, at, who
) -> None:
    expected = {"holder": kitchen.budget_holder, "deputy": kitchen.deputy}[who]
    request = fresh(_submit(cook, at))
    assert request.budget_holder == expected
    asked = Notification.objects.filter(kind="request-budget").values_list("recipient", flat=True)
    assert list(asked) == [expected.pk]
    other = kitchen.deputy if who == "holder" else kitchen.budget_holder
    assert _asked(expected, at) == [request]
    assert _asked(other, at) == []


# --- Requests already waiting when the leave starts or ends -----------------------------------
def test_a_cost_waiting_when_the_leave_starts_is_the_deputys_and_not_the_holders(
    client: Client, kitchen, cook
) -> None:
    request = _submit(cook, BEFORE)  # asked of the budget holder
    with pytest.raises(TransitionRefused, match="Only the budget holder"):
        _decide(kitchen.budget_holder, request, DURING)
    assert _asked(kitchen.budget_holder, DURING) == []
    assert _asked(kitchen.deputy, DURING) == [request]
    with time_machine.travel(DURING, tick=False):
        page = signed_in(client, cook).get(reverse("requests:detail", args=[request.pk]))
    text = page.content.decode()
    assert f"{kitchen.deputy.full_name}, deputy for the budget holder until 14 June 2026" in text
    assert fresh(_decide(kitchen.deputy, request, DURING)).authorised_by == kitchen.deputy


def test_a_cost_waiting_when_the_leave_ends_is_the_holders_and_not_the_deputys(
    client: Client, kitchen, cook
) -> None:
    request = _submit(cook, DURING)  # asked of the deputy
    with pytest.raises(TransitionRefused, match="Only the budget holder"):
        _decide(kitchen.deputy, request, AFTER)
    assert _asked(kitchen.deputy, AFTER) == []
    # The deputy, who was asked, may still read it, but is offered no decision on it.
    with time_machine.travel(AFTER, tick=False):
        url = reverse("requests:detail", args=[request.pk])
        page = signed_in(client, kitchen.deputy).get(url)
    assert page.status_code == 200
    assert "Authorise the cost" not in page.content.decode()
    assert kitchen.budget_holder.full_name in page.content.decode()
    assert fresh(_decide(kitchen.budget_holder, request, AFTER)).state == State.AWAITING_IT


def test_the_holder_on_leave_cannot_see_a_cost_sent_to_the_deputy(
    client: Client, kitchen, cook
) -> None:
    request = _submit(cook, DURING)
    with time_machine.travel(DURING, tick=False):
        url = reverse("requests:detail", args=[request.pk])
        assert signed_in(client, kitchen.budget_holder).get(url).status_code == 404
        assert signed_in(Client(), kitchen.deputy).get(url).status_code == 200


def test_a_closed_deputy_account_hands_the_cost_back_to_the_holder(kitchen, cook) -> None:
    request = _submit(cook, DURING)
    User.objects.filter(pk=kitchen.deputy.pk).update(is_active=False)
    deputy = User.objects.get(pk=kitchen.deputy.pk)
    with pytest.raises(TransitionRefused):
        _decide(deputy, request, DURING)
    assert fresh(_decide(kitchen.budget_holder, request, DURING)).state == State.AWAITING_IT


def test_the_holders_own_cost_during_the_leave_goes_to_the_deputy(kitchen) -> None:
    request = fresh(
        _submit(kitchen.budget_holder, DURING)  # under the self-authority limit, but away
    )
    assert (request.state, request.budget_holder) == (State.AWAITING_BUDGET_HOLDER, kitchen.deputy)
    assert not request.second_authority


# --- A department with nobody: HR's list ------------------------------------------------------
@pytest.fixture
def garden(db) -> Department:
    return DepartmentFactory(name="Garden")


def test_a_cost_with_nobody_to_ask_waits_on_hrs_list_and_goes_to_the_holder_hr_names(
    client: Client, garden, hr_user
) -> None:
    gardener = UserFactory(email="gardener@example.com", department=garden)
    request = workflow.submit(requester=gardener, request=new_request(cost_one_off=COST))
    assert list(selectors.waiting_for_budget_holder()) == [request]
    receipt = Notification.objects.get(recipient=gardener, kind="request-received")
    assert "no budget holder at the moment, so it waits on the list HR keeps" in receipt.body_text
    [todo] = waiting_for_budget_holder(hr_user)
    assert todo.title == "1 request waiting for a budget holder"
    assert waiting_for_budget_holder(gardener) == []
    hr = signed_in(client, hr_user)
    listing = hr.get(reverse("requests:waiting_for_budget_holder")).content.decode()
    assert request.reference in listing
    assert hr.get(reverse("requests:detail", args=[request.pk])).status_code == 200
    # Nobody may decide it meanwhile, HR included.
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=hr_user, request=request, action="budget_approve")

    holder = UserFactory(email="head.gardener@example.com", department=garden)
    departments.set_authority(actor=hr_user, department=garden, authority=Authority(holder))

    request = fresh(request)
    assert request.budget_holder == holder
    assert list(selectors.waiting_for_budget_holder()) == []
    assert list(selectors.awaiting_authority(holder)) == [request]
    told = Notification.objects.filter(recipient=holder).values_list("kind", flat=True)
    assert list(told) == ["request-budget"]
    assert Notification.objects.filter(recipient=gardener, kind="request-update").count() == 1
    moved = RequestEvent.objects.get(request=request, action="authority_moved")
    assert (moved.actor, moved.note) == (hr_user, f"Now with {holder.full_name}.")
    # HR's view of it ends with the list.
    assert hr.get(reverse("requests:detail", args=[request.pk])).status_code == 404
    assert (
        fresh(workflow.perform(actor=holder, request=request, action="budget_approve")).state
        == State.AWAITING_IT
    )


def test_naming_the_requester_holder_makes_their_small_cost_their_own_authority(
    garden, hr_user
) -> None:
    gardener = UserFactory(email="gardener@example.com", department=garden)
    request = workflow.submit(requester=gardener, request=new_request(cost_one_off=COST))
    departments.set_authority(actor=hr_user, department=garden, authority=Authority(gardener))
    request = fresh(request)
    assert request.state == State.AWAITING_IT
    assert request.authorised_by == gardener


def test_a_closed_holder_account_sends_the_waiting_cost_to_hrs_list(kitchen, cook, hr_user) -> None:
    request = _submit(cook, BEFORE)
    User.objects.filter(pk=kitchen.budget_holder.pk).update(is_active=False)
    with time_machine.travel(BEFORE, tick=False):
        assert list(selectors.waiting_for_budget_holder()) == [request]


def test_removing_the_holder_sends_what_waits_back_to_hrs_list(hr_user) -> None:
    yard = DepartmentFactory(name="Yard")
    holder = UserFactory(department=yard)
    departments.set_authority(actor=hr_user, department=yard, authority=Authority(holder))
    worker = UserFactory(department=yard)
    request = workflow.submit(requester=worker, request=new_request(cost_one_off=Decimal("10.00")))
    departments.set_authority(actor=hr_user, department=yard, authority=Authority(None))
    assert fresh(request).budget_holder is None
    assert list(selectors.waiting_for_budget_holder()) == [request]
    with pytest.raises(TransitionRefused):
        workflow.perform(actor=holder, request=request, action="budget_approve")


# --- The job that tells whoever holds the authority when the dates change hands ----------------
def test_the_deputy_is_told_once_on_their_first_day_and_the_holder_after_the_last(
    kitchen, cook
) -> None:
    waiting = _submit(cook, BEFORE)  # asked of the budget holder, who was told then
    told = Notification.objects.filter(kind="request-budget")
    assert list(told.values_list("recipient", flat=True)) == [kitchen.budget_holder.pk]
    first_day = BEFORE + timedelta(days=1)
    with time_machine.travel(first_day, tick=False):
        assert deputy_dates_job(first_day).notices == 1
        assert deputy_dates_job(first_day).notices == 0  # twice: nothing again
    assert told.filter(recipient=kitchen.deputy).count() == 1
    with time_machine.travel(AFTER, tick=False):
        assert deputy_dates_job(AFTER).notices == 1
        assert deputy_dates_job(AFTER).notices == 0
    assert told.filter(recipient=kitchen.budget_holder).count() == 2
    keys = told.values_list("dedupe_key", flat=True)
    assert all(key.startswith(f"request-budget:{waiting.pk}:") for key in keys)


def test_a_deputys_own_cost_waiting_when_their_dates_begin_goes_on_as_a_budget_holders(
    kitchen,
) -> None:
    # Asked while the holder decided; from the first day the deputy holds the authority, and
    # may not authorise their own cost: the job sends it on as a budget holder's own cost
    # (within the self-authority limit: straight to IT), once.
    deputy = kitchen.deputy
    request = fresh(_submit(deputy, BEFORE))
    assert request.budget_holder == kitchen.budget_holder
    first_day = BEFORE + timedelta(days=1)
    with time_machine.travel(first_day, tick=False):
        assert deputy_dates_job(first_day).found == 1
        deputy_dates_job(first_day)
    request = fresh(request)
    assert request.state == State.AWAITING_IT
    assert request.authorised_by == deputy
    assert RequestEvent.objects.filter(request=request, action="authority_moved").count() == 1


def test_a_holders_own_cost_waiting_when_the_deputys_dates_end_goes_to_their_manager(
    kitchen,
) -> None:
    holder = kitchen.budget_holder
    holder.line_manager = UserFactory(email="director@example.com")
    holder.save()
    big = Decimal("500.00")
    with time_machine.travel(DURING, tick=False):
        request = workflow.submit(requester=holder, request=new_request(cost_one_off=big))
    assert fresh(request).budget_holder == kitchen.deputy
    with time_machine.travel(AFTER, tick=False):
        deputy_dates_job(AFTER)
        deputy_dates_job(AFTER)
        request = fresh(request)
        assert request.second_authority and request.budget_holder == holder.line_manager
        assert _asked(holder.line_manager, AFTER) == [request]
    assert RequestEvent.objects.filter(request=request, action="authority_moved").count() == 1


def test_a_holders_own_cost_with_a_deputy_whose_account_closes_goes_to_their_manager(
    kitchen,
) -> None:
    holder = kitchen.budget_holder
    holder.line_manager = UserFactory(email="director@example.com")
    holder.save()
    with time_machine.travel(DURING, tick=False):
        request = workflow.submit(
            requester=holder, request=new_request(cost_one_off=Decimal("500.00"))
        )
    kitchen.deputy.is_active = False
    kitchen.deputy.save()
    with time_machine.travel(DURING + timedelta(days=1), tick=False):
        assert deputy_dates_job(DURING + timedelta(days=1)).found == 1
        request = fresh(request)
    assert request.second_authority and request.budget_holder == holder.line_manager


def test_a_leaver_notice_given_to_it_limits_who_may_deputise_and_until_when(
    kitchen, hr_user
) -> None:
    from datetime import date

    from django.core.exceptions import ValidationError

    from tests.requests.staff import give, leaver_details

    deputy = kitchen.deputy
    give(hr_user, leaver_details(deputy, end_date=date(2026, 3, 27)))
    assert departments.last_day(deputy) == date(2026, 3, 27)
    with pytest.raises(ValidationError) as refused:
        departments.check_authority(
            Authority(kitchen.budget_holder, deputy, date(2026, 3, 20), date(2026, 4, 5)),
            on=date(2026, 3, 18),
        )
    assert "leaves on 27 March 2026" in refused.value.message_dict["deputy_to"][0]
    assert departments.eligible(deputy, on=date(2026, 3, 27))
    assert not departments.eligible(deputy, on=date(2026, 3, 28))
