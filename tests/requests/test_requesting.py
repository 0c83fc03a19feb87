"""The employee's side of requests: choosing a kind, the form for each kind, where a request goes
when it is submitted and who is told, my requests, and answering a request for more information."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from portal.models import Notification, User
from requests import workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.factories import AuthorisationRequestFactory, CatalogueItemFactory
from tests.requests.test_forms import GOOD

State = AuthorisationRequest.State
FORBIDDEN = b"You do not have access to this page"
QUESTION = "Which computer is it for? Please add its asset tag."


def new_url(kind: str) -> str:
    return reverse("requests:new", args=[kind])


def edit_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:edit", args=[ar.pk])


def detail_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:detail", args=[ar.pk])


def form_data(kind: str, **changes: str) -> dict[str, str]:
    return {**GOOD[kind], **changes}


def fresh(ar: AuthorisationRequest) -> AuthorisationRequest:
    return AuthorisationRequest.objects.get(pk=ar.pk)


def submitted(requester: User, **fields: object) -> AuthorisationRequest:
    values: dict[str, object] = {
        "kind": Kind.SOFTWARE,
        "item": "Rota Planner",
        "vendor": "Shift Tools Ltd",
        "version_or_model": "4.2",
        "quantity": 1,
        "justification": "Plan the night shifts for the home.",
    }
    values.update(fields)
    return workflow.submit(requester=requester, request=AuthorisationRequest(**values))


def asked_for_more(requester: User, it_user: User, **fields: object) -> AuthorisationRequest:
    """A request the IT Department has sent back with a question."""
    ar = submitted(requester, **fields)
    if ar.state == State.AWAITING_BUDGET_HOLDER:
        ar = workflow.perform(actor=ar.budget_holder, request=ar, action="budget_approve")
    return workflow.perform(actor=it_user, request=ar, action="more_info", note=QUESTION)


# --- Who may open the pages -------------------------------------------------------------------
def test_pages_need_sign_in(client: Client, employee) -> None:
    ar = submitted(employee)
    urls = [
        reverse("requests:choose_kind"),
        new_url(Kind.SOFTWARE),
        reverse("requests:mine"),
        edit_url(ar),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["employee", "manager", "it_user", "hr_user", "outsider"])
def test_everyone_may_ask_and_see_their_own_requests(client: Client, who: str, request) -> None:
    client = signed_in(client, request.getfixturevalue(who))
    assert client.get(reverse("requests:choose_kind")).status_code == 200
    assert client.get(new_url(Kind.DOWNLOAD)).status_code == 200
    response = client.get(reverse("requests:mine"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_wrong_methods_are_refused(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    client = signed_in(client, employee)
    assert client.post(reverse("requests:choose_kind")).status_code == 405
    assert client.post(reverse("requests:mine")).status_code == 405
    assert client.put(new_url(Kind.SOFTWARE)).status_code == 405
    assert client.delete(edit_url(ar)).status_code == 405
    assert fresh(ar).state == State.MORE_INFO


def test_an_unknown_kind_is_not_found(client: Client, employee) -> None:
    client = signed_in(client, employee)
    assert client.get(new_url("printer-ink")).status_code == 404
    response = client.post(new_url("printer-ink"), form_data(Kind.SOFTWARE))
    assert response.status_code == 404
    assert not AuthorisationRequest.objects.exists()


# --- Choosing the kind ------------------------------------------------------------------------
def test_choose_kind_offers_the_four_kinds_with_the_policy(client: Client, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:choose_kind"))
    assert response.status_code == 200
    content = response.content.decode()
    for kind, label in Kind.choices:
        assert f'data-testid="kind-{kind}"' in content
        assert f'href="{new_url(kind)}"' in content
        assert label in content
    assert "must be authorised by the IT Department before it is installed" in content
    assert "must be authorised by the IT Department before it is used" in content
    assert "without the IT Department&#x27;s prior approval" in content
    assert "prior authority of your budget holder" in content
    assert "Policy 4.6 and 5.3" in content
    assert "Policy 4.11" in content


# --- The form for each kind -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (Kind.SOFTWARE, "Number of licences"),
        (Kind.HARDWARE, "Model"),
        (Kind.DOWNLOAD, "Where it is downloaded from"),
        (Kind.SUBSCRIPTION, "Subscription cost (£)"),
    ],
)
def test_each_kind_has_its_page(client: Client, employee, kind: str, label: str) -> None:
    response = signed_in(client, employee).get(new_url(kind))
    assert response.status_code == 200
    assert response.context["form"].kind == kind
    assert label in response.content.decode()
    assert b'data-testid="register-check"' in response.content


def test_page_says_who_authorises_a_cost(client: Client, employee, manager) -> None:
    response = signed_in(client, employee).get(new_url(Kind.HARDWARE))
    assert "first to <strong>Morgan Lee</strong>" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (Kind.SOFTWARE, State.AWAITING_IT),  # no cost
        (Kind.HARDWARE, State.AWAITING_BUDGET_HOLDER),  # £149.99
        (Kind.DOWNLOAD, State.AWAITING_IT),
        (Kind.SUBSCRIPTION, State.AWAITING_BUDGET_HOLDER),  # £12.50 a month
    ],
)
def test_a_good_request_is_filed_and_sent_on(
    client: Client, employee, manager, it_user, kind: str, state: str
) -> None:
    response = signed_in(client, employee).post(new_url(kind), form_data(kind))

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    assert ar.kind == kind
    assert ar.state == state
    assert ar.requester == employee
    assert ar.department == employee.department
    assert ar.budget_holder == manager
    assert ar.item == GOOD[kind]["item"]
    assert ar.justification == GOOD[kind]["justification"]
    assert RequestEvent.objects.filter(request=ar, action="submitted", actor=employee).exists()
    [message] = messages_of(response)
    assert message.startswith(f"Your request {ar.reference} has been submitted.")
    if state == State.AWAITING_BUDGET_HOLDER:
        assert "It has gone to Morgan Lee, your budget holder, to authorise the cost" in message
    else:
        assert message.endswith("It has gone to the IT Department.")


def test_what_was_typed_is_what_is_filed(client: Client, employee, manager) -> None:
    soon = timezone.localdate() + timedelta(days=14)
    signed_in(client, employee).post(
        new_url(Kind.SOFTWARE),
        form_data(
            Kind.SOFTWARE,
            cost_one_off="£1,200.00",
            cost_recurring="30.5",
            recurring_period="yearly",
            needed_by=soon.isoformat(),
        ),
    )
    ar = AuthorisationRequest.objects.get()
    assert ar.vendor == "Shift Tools Ltd"
    assert ar.version_or_model == "4.2"
    assert ar.licence_type == "Per user"
    assert ar.quantity == 3
    assert ar.cost_one_off == Decimal("1200.00")
    assert ar.cost_recurring == Decimal("30.50")
    assert ar.recurring_period == "yearly"
    assert ar.link == "https://shifttools.example/rota"
    assert ar.device == "LT-0042"
    assert ar.needed_by == soon
    assert ar.state == State.AWAITING_BUDGET_HOLDER


def test_a_budget_holder_asking_within_the_limit_goes_straight_to_it(
    client: Client, manager, it_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="99.99")
    )

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert ar.state == State.AWAITING_IT
    assert ar.budget_holder == manager
    assert ar.budget_approved_at is not None
    assert not Notification.objects.filter(kind="request-budget").exists()
    assert Notification.objects.filter(kind="request-for-it", recipient=it_user).exists()
    assert "As the budget holder" in messages_of(response)[0]


def test_a_budget_holder_asking_above_the_limit_is_told_it_goes_to_their_line_manager(
    client: Client, manager, it_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    director = UserFactory(first_name="Dana", last_name="Cole")
    manager.line_manager = director
    manager.save()
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="149.99")
    )

    ar = AuthorisationRequest.objects.get()
    assert response.status_code == 302
    assert (ar.state, ar.budget_holder, ar.budget_approved_at) == (
        State.AWAITING_BUDGET_HOLDER, director, None,
    )  # fmt: skip
    [message] = messages_of(response)
    assert "your own authority covers costs up to £100.00 in their first year" in message
    assert "it has gone to Dana Cole, your line manager." in message
    assert Notification.objects.get(kind="request-budget").recipient == director
    page = signed_in(client, director).get(detail_url(ar)).content.decode()
    assert "Second authoriser" in page
    assert "line manager of the budget holder" in page


def test_a_budget_holder_with_no_line_manager_is_told_hr_will_authorise(
    client: Client, manager, hr_user, settings
) -> None:
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    response = signed_in(client, manager).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, cost_one_off="149.99")
    )
    ar = AuthorisationRequest.objects.get()
    assert (ar.state, ar.budget_holder, ar.second_authority) == (
        State.AWAITING_BUDGET_HOLDER, None, True,
    )  # fmt: skip
    assert "No line manager is recorded for you, so it has gone to HR" in messages_of(response)[0]
    page = signed_in(client, hr_user).get(detail_url(ar))
    assert page.status_code == 200
    assert "HR: no line manager is recorded for the budget holder" in page.content.decode()
    offered = [f.transition.action for f in page.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]
    approvals = client.get(reverse("requests:approvals"))
    assert approvals.status_code == 200
    assert list(approvals.context["page"].object_list) == [ar]
    assert "Approvals" in [item.label for item in approvals.context["nav_items"]]


def test_a_cost_with_nobody_to_authorise_it_is_refused_and_nothing_is_saved(
    client: Client, outsider, it_user
) -> None:
    assert outsider.department.budget_holder is None
    response = signed_in(client, outsider).post(
        new_url(Kind.HARDWARE), form_data(Kind.HARDWARE, item="Standing desk")
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Your department has no budget holder to authorise this cost" in content
    assert 'value="Standing desk"' in content
    assert 'value="149.99"' in content
    assert "Print medication labels in the office." in content
    assert not AuthorisationRequest.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("kind", "changes", "message", "typed"),
    [
        (
            Kind.HARDWARE,
            {"cost_one_off": "-5"},
            "A cost cannot be negative: leave it blank if there is no cost.",
            'value="-5"',
        ),
        (
            Kind.SOFTWARE,
            {"cost_one_off": "10.505"},
            "Use at most 2 decimal places (pounds and pence), for example 12.50.",
            'value="10.505"',
        ),
        (
            Kind.HARDWARE,
            {"needed_by": "2020-01-31"},
            "The needed-by date is in the past: choose today or a later date",
            'value="2020-01-31"',
        ),
        (
            Kind.SOFTWARE,
            {"cost_recurring": "25", "recurring_period": ""},
            "Choose how often the recurring cost is paid: monthly or yearly.",
            'value="25"',
        ),
        (
            Kind.HARDWARE,
            {"quantity": "0"},
            "The quantity must be at least 1.",
            'value="0"',
        ),
        (
            Kind.DOWNLOAD,
            {"link": "ftp://example.com/pdf-reader.exe"},
            "Enter a web address starting with https:// or http://",
            'value="ftp://example.com/pdf-reader.exe"',
        ),
        (
            Kind.SUBSCRIPTION,
            {"cost_recurring": "", "recurring_period": ""},
            "Enter what it costs: a recurring cost with how often it is paid",
            'value="https://learning.example/care"',
        ),
    ],
)
def test_bad_input_is_shown_with_what_was_typed(
    client: Client, employee, manager, it_user, kind, changes, message, typed
) -> None:
    response = signed_in(client, employee).post(new_url(kind), form_data(kind, **changes))

    assert response.status_code == 200
    content = response.content.decode()
    assert escape(message) in content
    assert typed in content
    assert f'value="{GOOD[kind]["item"]}"' in content
    assert escape(GOOD[kind]["justification"]) in content
    assert not AuthorisationRequest.objects.exists()
    assert not Notification.objects.exists()


# --- The register, as the item is typed -------------------------------------------------------
def test_matching_active_register_items_are_shown_as_already_authorised(
    client: Client, employee
) -> None:
    CatalogueItemFactory(name="Rota Planner Pro", kind=Kind.SOFTWARE, vendor="Shift Tools Ltd")
    CatalogueItemFactory(name="Rota Planner Classic", kind=Kind.SOFTWARE, active=False)
    CatalogueItemFactory(name="Rota whiteboard", kind=Kind.HARDWARE)

    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "rota"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Already authorised" in content
    assert "Rota Planner Pro" in content
    assert "Rota Planner Classic" not in content  # withdrawn from the register
    assert "Rota whiteboard" not in content  # another kind
    assert [item.name for item in response.context["matches"]] == ["Rota Planner Pro"]
    # What was looked up becomes the item in the form.
    assert response.context["form"]["item"].value() == "rota"


def test_an_inactive_item_alone_is_not_suggested(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner Classic", kind=Kind.SOFTWARE, active=False)
    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "Rota Planner"})
    content = response.content.decode()
    assert "Already authorised" not in content
    assert "Rota Planner Classic" not in content
    assert 'data-testid="no-register-match"' in content


def test_no_lookup_without_a_name(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner Pro", kind=Kind.SOFTWARE)
    response = signed_in(client, employee).get(new_url(Kind.SOFTWARE), {"q": "   "})
    assert response.context["matches"] == []
    assert "Rota Planner Pro" not in response.content.decode()


def test_matches_are_shown_again_when_the_form_comes_back(client: Client, employee) -> None:
    CatalogueItemFactory(name="Rota Planner", kind=Kind.SOFTWARE)
    response = signed_in(client, employee).post(
        new_url(Kind.SOFTWARE), form_data(Kind.SOFTWARE, justification="")
    )
    assert response.status_code == 200
    assert "Already authorised" in response.content.decode()
    assert "Explain why the business needs it." in response.content.decode()


def test_an_item_in_the_register_with_no_cost_is_fast_tracked(
    client: Client, employee, it_user
) -> None:
    listed = CatalogueItemFactory(name="PDF Reader", kind=Kind.DOWNLOAD)
    response = signed_in(client, employee).post(
        new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD, item="pdf reader")
    )

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match == listed
    assert ar.fast_tracked
    assert ar.state == State.AWAITING_IT
    assert "fast-tracked: already in the authorised register" in messages_of(response)[0]
    received = Notification.objects.get(kind="request-received")
    assert "fast-tracked" in received.body_text


def test_an_item_in_the_register_with_a_cost_still_needs_the_budget_holder(
    client: Client, employee, manager
) -> None:
    listed = CatalogueItemFactory(name="Label printer", kind=Kind.HARDWARE)
    signed_in(client, employee).post(new_url(Kind.HARDWARE), form_data(Kind.HARDWARE))

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match == listed
    assert not ar.fast_tracked
    assert ar.state == State.AWAITING_BUDGET_HOLDER


def test_an_inactive_register_item_is_not_fast_tracked(client: Client, employee) -> None:
    CatalogueItemFactory(name="PDF Reader", kind=Kind.DOWNLOAD, active=False)
    signed_in(client, employee).post(new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD))

    ar = AuthorisationRequest.objects.get()
    assert ar.catalogue_match is None
    assert not ar.fast_tracked


# --- Who is told ------------------------------------------------------------------------------
def assert_rendered(notice: Notification, *phrases: str) -> None:
    """The subject and both bodies rendered fully, and say the reference."""
    ar = AuthorisationRequest.objects.get()
    for text in (notice.subject, notice.body_text, notice.body_html):
        assert ar.reference in text
        assert "{{" not in text
        assert "{%" not in text
    assert notice.body_text.startswith(f"Dear {notice.recipient.first_name},")
    assert "\n" not in notice.subject
    assert notice.link == detail_url(ar)
    for phrase in phrases:
        assert phrase in notice.subject + notice.body_text, phrase
        assert escape(phrase) in notice.body_html or phrase in notice.subject, phrase


def test_with_a_cost_the_requester_and_the_budget_holder_are_told(
    client: Client, employee, manager, it_user
) -> None:
    signed_in(client, employee).post(new_url(Kind.HARDWARE), form_data(Kind.HARDWARE))

    received = Notification.objects.get(kind="request-received")
    budget = Notification.objects.get(kind="request-budget")
    assert received.recipient == employee
    assert budget.recipient == manager
    assert not Notification.objects.filter(kind="request-for-it").exists()
    assert_rendered(received, "Label printer", "Morgan Lee", "£149.99 one-off")
    assert_rendered(
        budget,
        "Emma Jones",
        "Label printer",
        "£149.99",
        "Print medication labels in the office.",
        "Please authorise or refuse the cost",
    )


def test_without_a_cost_the_requester_and_it_are_told(
    client: Client, employee, manager, it_user
) -> None:
    other_it = UserFactory(email="it2@example.com", groups=["IT"])
    signed_in(client, employee).post(new_url(Kind.DOWNLOAD), form_data(Kind.DOWNLOAD))

    assert Notification.objects.get(kind="request-received").recipient == employee
    for_it = Notification.objects.filter(kind="request-for-it").order_by("pk")
    assert {n.recipient for n in for_it} == {it_user, other_it}
    assert len(for_it) == 2
    assert not Notification.objects.filter(kind="request-budget").exists()
    assert_rendered(Notification.objects.get(kind="request-received"), "the IT Department")
    assert_rendered(
        for_it[0],
        "PDF Reader",
        "Emma Jones",
        "https://example.com/pdf-reader",
        "Open care plans sent by the council.",
        "Please approve it",
    )


@pytest.mark.parametrize(
    ("steps", "subject", "phrase"),
    [
        ([("budget_approve", "manager", "")], "Cost authorised:", "authorised the cost"),
        ([("budget_reject", "manager", "Over budget")], "Cost not authorised:", "Over budget"),
        (
            [("budget_approve", "manager", ""), ("more_info", "it", QUESTION)],
            "More information needed:",
            QUESTION,
        ),
        (
            [("budget_approve", "manager", ""), ("approve", "it", "")],
            "Approved:",
            "IT will arrange it",
        ),
        (
            [("budget_approve", "manager", ""), ("reject", "it", "Use the shared printer")],
            "Not approved:",
            "Use the shared printer",
        ),
        (
            [
                ("budget_approve", "manager", ""),
                ("approve", "it", ""),
                ("fulfil", "it", "Issued with asset tag PR-7"),
            ],
            "Ready:",
            "Issued with asset tag PR-7",
        ),
    ],
)
def test_the_requester_is_told_of_each_step(
    employee, manager, it_user, steps, subject, phrase
) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    actors = {"manager": manager, "it": it_user}
    for action, who, note in steps:
        ar = workflow.perform(actor=actors[who], request=ar, action=action, note=note)

    update = Notification.objects.filter(kind="request-update").order_by("-pk").first()
    assert update.recipient == employee
    assert update.subject.startswith(subject)
    assert_rendered(update, phrase)


def test_it_emails_say_when_the_cost_was_authorised(employee, manager, it_user) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    workflow.perform(actor=manager, request=ar, action="budget_approve")

    notice = Notification.objects.get(kind="request-for-it")
    assert notice.recipient == it_user
    assert "Cost authorised by Morgan Lee on " in notice.body_text


# --- My requests ------------------------------------------------------------------------------
def test_my_requests_lists_only_my_own_newest_first(client: Client, employee, outsider) -> None:
    now = timezone.now()
    older = AuthorisationRequestFactory(
        requester=employee, item="Older item", submitted_at=now - timedelta(days=40)
    )
    newer = AuthorisationRequestFactory(
        requester=employee, item="Newer item", kind=Kind.HARDWARE, state=State.MORE_INFO
    )
    AuthorisationRequestFactory(requester=outsider, item="Someone else's item")

    response = signed_in(client, employee).get(reverse("requests:mine"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    content = response.content.decode()
    assert "Someone else" not in content
    assert content.index("Newer item") < content.index("Older item")
    assert newer.reference in content
    assert "Hardware" in content
    assert "More information needed" in content
    assert timezone.localtime(older.submitted_at).strftime("%-d %B %Y") in content
    # Only a request waiting for the requester offers "Answer".
    assert f'href="{edit_url(newer)}"' in content
    assert f'href="{edit_url(older)}"' not in content


def test_my_requests_can_be_filtered_by_state(client: Client, employee) -> None:
    waiting = AuthorisationRequestFactory(requester=employee, state=State.MORE_INFO)
    AuthorisationRequestFactory(requester=employee, state=State.AWAITING_IT)
    client = signed_in(client, employee)

    response = client.get(reverse("requests:mine"), {"state": "more_info"})
    assert list(response.context["page"].object_list) == [waiting]
    assert response.context["state"] == "more_info"

    response = client.get(reverse("requests:mine"), {"state": "nonsense"})
    assert response.context["page"].paginator.count == 2
    assert response.context["state"] == ""

    response = client.get(reverse("requests:mine"), {"state": "approved"})
    assert response.context["page"].paginator.count == 0
    assert "You have no requests marked “Approved”." in response.content.decode()
    assert '<option value="approved" selected>' in response.content.decode()


def test_my_requests_with_none_yet_says_how_to_ask(client: Client, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:mine"))
    assert b"You have not made any requests yet" in response.content
    assert reverse("requests:choose_kind").encode() in response.content


def test_my_requests_come_25_to_a_page(client: Client, employee) -> None:
    AuthorisationRequestFactory.create_batch(27, requester=employee, state=State.AWAITING_IT)
    AuthorisationRequestFactory.create_batch(3, requester=employee, state=State.APPROVED)
    client = signed_in(client, employee)

    first = client.get(reverse("requests:mine"))
    assert len(first.context["page"].object_list) == 25
    assert b"Page 1 of 2" in first.content

    second = client.get(reverse("requests:mine"), {"page": 2})
    assert len(second.context["page"].object_list) == 5

    filtered = client.get(reverse("requests:mine"), {"state": "awaiting_it"})
    assert filtered.context["page"].paginator.count == 27
    assert b"?state=awaiting_it&amp;page=2" in filtered.content


@pytest.mark.parametrize("count", [3, 40])
def test_my_requests_takes_the_same_queries_whatever_the_number(
    client: Client, employee, django_assert_max_num_queries, count: int
) -> None:
    AuthorisationRequestFactory.create_batch(count, requester=employee, state=State.MORE_INFO)
    client = signed_in(client, employee)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("requests:mine"))
    assert len(response.context["page"].object_list) == min(count, 25)


# --- Answering a request for more information -------------------------------------------------
def test_edit_page_shows_the_question_and_the_request_as_it_is(
    client: Client, employee, it_user
) -> None:
    ar = asked_for_more(employee, it_user)
    response = signed_in(client, employee).get(edit_url(ar))

    assert response.status_code == 200
    content = response.content.decode()
    assert escape(QUESTION) in content
    assert escape(it_user.full_name) in content  # a name may hold an apostrophe
    form = response.context["form"]
    assert form.kind == Kind.SOFTWARE
    assert form["item"].value() == "Rota Planner"
    assert form["version_or_model"].value() == "4.2"


def test_the_latest_question_is_shown(client: Client, employee, manager, it_user) -> None:
    ar = submitted(employee, kind=Kind.HARDWARE, item="Label printer", cost_one_off=Decimal("90"))
    ar = workflow.perform(actor=manager, request=ar, action="budget_more_info", note="Which model?")
    ar = workflow.perform(actor=employee, request=ar, action="resubmit")
    ar = workflow.perform(
        actor=manager, request=ar, action="budget_more_info", note="And which shop?"
    )

    content = signed_in(client, employee).get(edit_url(ar)).content.decode()
    assert "And which shop?" in content
    assert "Which model?" not in content
    assert f"{manager.full_name} asked" in content


def test_answering_saves_the_changes_and_sends_it_back(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    data = form_data(Kind.SOFTWARE, device="LT-0099", justification="For the night shift rota.")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    ar = fresh(ar)
    assert ar.state == State.AWAITING_IT
    assert ar.device == "LT-0099"
    assert ar.justification == "For the night shift rota."
    assert ar.quantity == 3
    assert RequestEvent.objects.filter(request=ar, action="resubmit", actor=employee).exists()
    # IT is told again, on a new key, that it is back with them.
    assert Notification.objects.filter(kind="request-for-it", recipient=it_user).count() == 2
    [message] = messages_of(response)
    assert message.startswith(f"Your changes to {ar.reference} are saved")
    assert "It has gone to the IT Department." in message


def test_raising_the_cost_asks_the_budget_holder_again(
    client: Client, employee, manager, it_user
) -> None:
    ar = asked_for_more(employee, it_user, cost_one_off=Decimal("50"))
    assert fresh(ar).budget_approved_at is not None
    data = form_data(Kind.SOFTWARE, cost_one_off="75")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    ar = fresh(ar)
    assert ar.state == State.AWAITING_BUDGET_HOLDER
    assert ar.cost_one_off == Decimal("75.00")
    assert ar.budget_approved_at is None
    assert Notification.objects.filter(kind="request-budget", recipient=manager).count() == 2
    assert "Morgan Lee, your budget holder" in messages_of(response)[0]


def test_another_product_at_another_price_goes_back_and_the_budget_holder_sees_what_changed(
    client: Client, employee, manager, it_user
) -> None:
    """The attack, through the pages: the requester answers IT's question by changing the item."""
    ar = asked_for_more(
        employee, it_user, kind=Kind.SUBSCRIPTION, item="Rota Cloud Lite",
        cost_recurring=Decimal("10.00"), recurring_period="yearly",
    )  # fmt: skip
    assert fresh(ar).authority_holds
    data = {
        **form_data(Kind.SUBSCRIPTION),
        "item": "Completely Different Product",
        "cost_one_off": "",
        "cost_recurring": "10.00",
        "recurring_period": "monthly",
    }
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 302
    ar = fresh(ar)
    assert ar.state == State.AWAITING_BUDGET_HOLDER
    assert (ar.budget_holder, ar.budget_approved_at) == (manager, None)
    assert "Morgan Lee, your budget holder" in messages_of(response)[0]

    page = signed_in(client, manager).get(detail_url(ar))
    changes = page.context["authority_changes"]
    assert ("Item", "Rota Cloud Lite", "Completely Different Product") in changes
    assert ("How often the recurring cost is paid", "Yearly", "Monthly") in changes
    html = page.content.decode()
    assert "Changed since the cost was authorised" in html
    assert "<del>Rota Cloud Lite</del>" in html
    assert "<ins>Completely Different Product</ins>" in html
    assert "Cost authority voided" in html  # the history says so
    offered = [f.transition.action for f in page.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]

    # IT cannot approve it until it is authorised again.
    response = signed_in(client, it_user).post(
        reverse("requests:act", args=[ar.pk]), {"action": "approve"}
    )
    assert fresh(ar).state == State.AWAITING_BUDGET_HOLDER
    signed_in(client, manager).post(
        reverse("requests:act", args=[ar.pk]), {"action": "budget_approve"}
    )
    ar = fresh(ar)
    assert (ar.state, ar.authority_holds) == (State.AWAITING_IT, True)
    assert signed_in(client, manager).get(detail_url(ar)).context["authority_changes"] == []


def test_a_refused_resubmission_changes_nothing_and_keeps_what_was_typed(
    client: Client, outsider, it_user
) -> None:
    ar = asked_for_more(outsider, it_user)
    data = form_data(Kind.SOFTWARE, cost_one_off="300", justification="Now with a cost.")
    response = signed_in(client, outsider).post(edit_url(ar), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Your department has no budget holder to authorise this cost" in content
    assert 'value="300"' in content
    assert "Now with a cost." in content
    ar = fresh(ar)
    assert ar.state == State.MORE_INFO
    assert ar.cost_one_off == Decimal("0.00")
    assert ar.justification == "Plan the night shifts for the home."


def test_bad_input_on_the_edit_page_changes_nothing(client: Client, employee, it_user) -> None:
    ar = asked_for_more(employee, it_user)
    data = form_data(Kind.SOFTWARE, quantity="0", item="Rota Planner 5")
    response = signed_in(client, employee).post(edit_url(ar), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "The quantity must be at least 1." in content
    assert 'value="Rota Planner 5"' in content
    assert escape(QUESTION) in content
    ar = fresh(ar)
    assert ar.state == State.MORE_INFO
    assert ar.item == "Rota Planner"


def test_people_who_may_not_see_the_request_get_not_found(
    client: Client, employee, outsider, it_user
) -> None:
    ar = asked_for_more(employee, it_user)
    client = signed_in(client, outsider)
    assert client.get(edit_url(ar)).status_code == 404
    assert client.post(edit_url(ar), form_data(Kind.SOFTWARE)).status_code == 404
    assert client.get(reverse("requests:edit", args=[ar.pk + 1000])).status_code == 404
    assert fresh(ar).state == State.MORE_INFO


@pytest.mark.parametrize("who", ["manager", "it_user"])
def test_others_who_see_the_request_may_not_change_it(
    client: Client, employee, manager, it_user, who: str, request
) -> None:
    ar = asked_for_more(employee, it_user, cost_one_off=Decimal("20"))
    client = signed_in(client, request.getfixturevalue(who))
    response = client.get(edit_url(ar))
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert b"Only the person who made a request can change it." in response.content
    response = client.post(edit_url(ar), form_data(Kind.SOFTWARE, item="Changed"))
    assert response.status_code == 403
    assert fresh(ar).item == "Rota Planner"


def test_a_request_not_waiting_for_answers_cannot_be_changed(
    client: Client, employee, it_user
) -> None:
    ar = submitted(employee)
    client = signed_in(client, employee)
    response = client.get(edit_url(ar))
    assert response.status_code == 302
    assert response["Location"] == detail_url(ar)
    assert messages_of(response) == [
        f"{ar.reference} is “Awaiting IT”. A request can be changed only while more "
        "information is asked for."
    ]
    response = client.post(edit_url(ar), form_data(Kind.SOFTWARE, item="Changed"))
    assert response.status_code == 302
    assert fresh(ar).item == "Rota Planner"
