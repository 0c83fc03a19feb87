"""A request's page, its steps, assignment and comments: who sees what, who may do what, and
that a refused step changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Notification, User
from requests import comments, workflow
from requests.models import Attachment, AuthorisationRequest, CatalogueItem, Comment, RequestEvent
from tests.factories import UserFactory
from tests.helpers import messages_of, signed_in
from tests.requests.factories import (
    AuthorisationRequestFactory,
    CatalogueItemFactory,
    CommentFactory,
    RequestEventFactory,
)

State = AuthorisationRequest.State
FORBIDDEN = b"You do not have access to this page"

# Who may see a request: its requester, IT, and the budget holder asked.
MAY_SEE = ["employee", "manager", "it_user"]
MAY_NOT_SEE = ["outsider", "other_budget_holder", "hr_user"]


@pytest.fixture
def ar(employee, manager) -> AuthorisationRequest:
    """A paid request from the employee, its cost authorised, now with IT."""
    request = AuthorisationRequestFactory(
        requester=employee,
        item="Visio Plan 2",
        vendor="Microsoft",
        cost_one_off=Decimal("1250.00"),
        cost_recurring=Decimal("12.50"),
        recurring_period="monthly",
        state=State.AWAITING_IT,
        budget_approved_at=timezone.now(),
        authorised_by=manager,
    )
    request.authorised_terms = request.authority_terms()
    request.save(update_fields=["authorised_terms"])
    return request


def detail_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:detail", args=[ar.pk])


def snapshot(ar: AuthorisationRequest) -> tuple:
    """Everything a step could change on the request, and the traces it would leave."""
    ar = AuthorisationRequest.objects.get(pk=ar.pk)
    return (
        ar.state,
        ar.budget_approved_at,
        ar.decided_at,
        ar.fulfilled_at,
        ar.decision_reason,
        ar.conditions,
        ar.fulfilment_note,
        ar.catalogue_match_id,
        ar.assignee_id,
        RequestEvent.objects.filter(request=ar).count(),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),  # signing in is audited
        Notification.objects.count(),
        CatalogueItem.objects.count(),
    )


# --- The page: who may see it ---------------------------------------------------------------------
def test_anonymous_is_sent_to_sign_in(client: Client, ar) -> None:
    response = client.get(detail_url(ar))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("actor", MAY_SEE)
def test_requester_it_and_budget_holder_see_the_page(client: Client, ar, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    assert response.status_code == 200
    assert response.context["ar"] == ar
    assert b"AR-%06d" % ar.pk in response.content


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_anyone_else_gets_not_found(client: Client, ar, actor, request) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    assert response.status_code == 404
    assert b"Visio" not in response.content


def test_a_request_that_does_not_exist_is_not_found(client: Client, it_user) -> None:
    assert signed_in(client, it_user).get("/requests/999999/").status_code == 404


def test_the_page_is_read_only(client: Client, ar, employee) -> None:
    assert signed_in(client, employee).post(detail_url(ar)).status_code == 405


def test_budget_holder_of_the_old_department_no_longer_asked_cannot_see(
    client: Client, ar, manager, other_budget_holder
) -> None:
    AuthorisationRequest.objects.filter(pk=ar.pk).update(budget_holder=other_budget_holder)
    assert signed_in(client, manager).get(detail_url(ar)).status_code == 404
    assert signed_in(client, other_budget_holder).get(detail_url(ar)).status_code == 200


# --- The page: what it shows ----------------------------------------------------------------------
def test_page_shows_the_details_with_costs_in_pounds(client: Client, ar, employee) -> None:
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Visio Plan 2" in html
    assert "Microsoft" in html
    assert "£1,250.00" in html
    assert "£12.50 a month" in html
    assert "Awaiting IT" in html
    assert "Morgan Lee" in html  # the budget holder


def test_page_says_when_the_item_is_already_authorised(client: Client, employee) -> None:
    teams = CatalogueItemFactory(name="Microsoft Teams")
    ar = AuthorisationRequestFactory(
        requester=employee, item="Microsoft Teams", catalogue_match=teams, fast_tracked=True
    )
    response = signed_in(client, employee).get(detail_url(ar))
    html = response.content.decode()
    assert "Already authorised: Microsoft Teams (Software)" in html
    assert 'data-testid="fast-track"' in html


def test_page_without_a_match_says_nothing_of_the_register(client: Client, ar, employee) -> None:
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Already authorised" not in html
    assert 'data-testid="fast-track"' not in html


def test_page_shows_the_whole_history(client: Client, ar, employee, it_user) -> None:
    RequestEventFactory(request=ar, actor=employee, action="submitted", to_state=State.AWAITING_IT)
    RequestEventFactory(
        request=ar, actor=it_user, action="more_info", from_state=State.AWAITING_IT,
        to_state=State.MORE_INFO, note="Which laptop is it for?",
    )  # fmt: skip
    response = signed_in(client, employee).get(detail_url(ar))
    events = response.context["events"]
    assert [e.action for e in events] == ["submitted", "more_info"]
    html = response.content.decode()
    assert "More information asked" in html
    assert "Which laptop is it for?" in html
    assert it_user.full_name in html


def test_page_lists_attachments_with_a_download_link(client: Client, ar, employee) -> None:
    attachment = Attachment.objects.create(
        request=ar, uploaded_by=employee, token="a" * 32, file=f"requests/{ar.pk}/{'a' * 32}",
        original_name="quote.pdf", content_type="application/pdf", size=2048,
    )  # fmt: skip
    html = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "quote.pdf" in html
    assert "2.0\xa0KB" in html
    assert reverse("requests:download", args=[attachment.pk]) in html
    assert employee.full_name in html


def test_it_sees_its_steps_the_register_box_and_assign(client: Client, ar, it_user) -> None:
    response = signed_in(client, it_user).get(detail_url(ar))
    offered = [form.transition.action for form in response.context["action_forms"]]
    assert offered == ["approve", "reject", "more_info"]
    html = response.content.decode()
    assert "Assign to me" in html
    assert 'name="conditions"' in html
    assert "Add to the authorised register" in html
    assert "Reason for rejecting" in html
    assert "Your question" in html


def test_register_box_is_not_offered_when_the_item_is_already_there(
    client: Client, employee, it_user
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, catalogue_match=CatalogueItemFactory())
    html = signed_in(client, it_user).get(detail_url(ar)).content.decode()
    assert 'name="conditions"' in html
    assert "Add to the authorised register" not in html


def test_it_sees_what_to_record_when_fulfilling(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.APPROVED)
    response = signed_in(client, it_user).get(detail_url(ar))
    assert [f.transition.action for f in response.context["action_forms"]] == ["fulfil"]
    html = response.content.decode()
    assert "What was installed or issued, and where" in html
    assert "Assign to me" not in html  # decided requests are not taken


def test_requester_may_only_withdraw_while_it_decides(client: Client, ar, employee) -> None:
    response = signed_in(client, employee).get(detail_url(ar))
    assert [f.transition.action for f in response.context["action_forms"]] == ["withdraw"]
    html = response.content.decode()
    assert "Assign to me" not in html
    assert 'name="conditions"' not in html


def test_budget_holder_sees_authorise_and_refuse(client: Client, employee, manager) -> None:
    ar = AuthorisationRequestFactory(
        requester=employee, cost_one_off=Decimal("90"), state=State.AWAITING_BUDGET_HOLDER
    )
    response = signed_in(client, manager).get(detail_url(ar))
    offered = [f.transition.action for f in response.context["action_forms"]]
    assert offered == ["budget_approve", "budget_reject", "budget_more_info"]
    assert "Reason for refusing the cost" in response.content.decode()


def test_nothing_to_do_on_a_closed_request(client: Client, employee) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.REJECTED)
    response = signed_in(client, employee).get(detail_url(ar))
    assert response.context["action_forms"] == []
    assert b"Nothing for you to do on this request now." in response.content


# --- Comments on the page -------------------------------------------------------------------------
@pytest.fixture
def two_comments(ar, employee, it_user) -> tuple[Comment, Comment]:
    public = CommentFactory(request=ar, author=it_user, body="We will install it on Friday.")
    internal = CommentFactory(
        request=ar, author=it_user, body="Licence pool nearly empty: check first.", internal=True
    )
    return public, internal


@pytest.mark.parametrize("actor", ["employee", "manager"])
def test_internal_comments_are_not_in_the_page_for_others(
    client: Client, two_comments, ar, actor, request
) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    html = response.content.decode()
    assert "We will install it on Friday." in html
    assert "Licence pool nearly empty" not in html
    assert "Internal to IT" not in html  # neither the badge nor the checkbox
    assert [c.pk for c in response.context["comments"]] == [two_comments[0].pk]


def test_it_reads_internal_comments_and_may_write_them(
    client: Client, two_comments, ar, it_user
) -> None:
    response = signed_in(client, it_user).get(detail_url(ar))
    html = response.content.decode()
    assert "We will install it on Friday." in html
    assert "Licence pool nearly empty: check first." in html
    assert 'name="internal"' in html


# --- Steps through the page -----------------------------------------------------------------------
def act(client: Client, ar: AuthorisationRequest, action: str, **data: str):
    return client.post(reverse("requests:act", args=[ar.pk]), {"action": action, **data})


def test_it_approves_adds_to_the_register_and_the_requester_is_told(
    client: Client, ar, employee, it_user
) -> None:
    response = act(
        signed_in(client, it_user), ar, "approve",
        conditions="Only on the laptop CT-0042.", add_to_register="on",
    )  # fmt: skip
    assert response.status_code == 302
    assert response.url == detail_url(ar)
    ar.refresh_from_db()
    assert ar.state == State.APPROVED
    assert ar.conditions == "Only on the laptop CT-0042."
    item = CatalogueItem.objects.get()
    assert ar.catalogue_match == item
    assert (item.name, item.kind, item.vendor) == ("Visio Plan 2", ar.kind, "Microsoft")
    assert item.created_by == it_user
    event = RequestEvent.objects.get(request=ar, action="approve")
    assert (event.actor, event.note) == (it_user, "Only on the laptop CT-0042.")
    notice = Notification.objects.get(recipient=employee, kind="request-update")
    assert "Only on the laptop CT-0042." in notice.body_text
    assert messages_of(response) == [f"{ar.reference} is approved. The requester has been told."]


def test_approving_without_the_box_leaves_the_register_alone(
    client: Client, ar, employee, it_user
) -> None:
    act(signed_in(client, it_user), ar, "approve", conditions="")
    ar.refresh_from_db()
    assert ar.state == State.APPROVED
    assert ar.catalogue_match is None
    assert not CatalogueItem.objects.exists()
    assert Notification.objects.filter(recipient=employee, kind="request-update").exists()


def test_budget_holder_authorises_the_cost(client: Client, employee, manager) -> None:
    ar = AuthorisationRequestFactory(
        requester=employee, cost_one_off=Decimal("90"), state=State.AWAITING_BUDGET_HOLDER
    )
    response = act(signed_in(client, manager), ar, "budget_approve")
    ar.refresh_from_db()
    assert ar.state == State.AWAITING_IT
    assert ar.budget_approved_at is not None
    assert "It has gone to the IT Department" in messages_of(response)[0]


def test_a_missing_reason_keeps_what_was_typed(client: Client, ar, it_user) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, it_user), ar, "reject", note="   ")
    assert response.status_code == 200
    assert b"Give the reason for rejecting" in response.content
    assert snapshot(ar) == before


def test_too_long_conditions_are_shown_again(client: Client, ar, it_user) -> None:
    before = snapshot(ar)
    typed = "Only on CT-0042. " * 300
    response = act(signed_in(client, it_user), ar, "approve", conditions=typed)
    assert response.status_code == 200
    assert typed.strip().encode() in response.content
    assert b"Ensure this value has at most 5000 characters" in response.content
    assert snapshot(ar) == before


@pytest.mark.parametrize(
    ("actor", "action", "message"),
    [
        ("employee", "approve", "Only another member of the IT Department can approve."),
        ("manager", "reject", "Only another member of the IT Department can reject."),
        ("it_user", "withdraw", "Only the person who made the request can withdraw."),
        ("it_user", "budget_approve", "is awaiting IT: it cannot be sent to"),
        ("employee", "resubmit", "is awaiting IT: it cannot be sent to"),
        ("it_user", "nonsense", "There is no step called 'nonsense'."),
    ],
)
def test_a_refused_step_says_why_and_changes_nothing(
    client: Client, ar, actor, action, message, request
) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, request.getfixturevalue(actor)), ar, action, note="Because.")
    assert response.status_code == 302
    assert response.url == detail_url(ar)
    (text,) = messages_of(response)
    assert message in text
    assert snapshot(ar) == before


def test_a_step_on_a_decided_request_is_refused(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.APPROVED)
    before = snapshot(ar)
    response = act(signed_in(client, it_user), ar, "reject", note="Changed my mind.")
    assert "is approved: it cannot be sent to" in messages_of(response)[0]
    assert snapshot(ar) == before


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_steps_on_a_request_one_cannot_see_are_not_found(
    client: Client, ar, actor, request
) -> None:
    before = snapshot(ar)
    response = act(signed_in(client, request.getfixturevalue(actor)), ar, "approve")
    assert response.status_code == 404
    assert snapshot(ar) == before


def test_steps_need_a_post(client: Client, ar, it_user) -> None:
    assert signed_in(client, it_user).get(reverse("requests:act", args=[ar.pk])).status_code == 405


def test_anonymous_steps_go_to_sign_in(client: Client, ar) -> None:
    before = snapshot(ar)
    response = act(client, ar, "approve")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert snapshot(ar) == before


# --- Every step, every actor, every state: straight through the service ---------------------------
ACTORS = ["requester", "budget_holder", "other_budget_holder", "it", "hr", "outsider"]
ACTOR_FIXTURES = {
    "requester": "employee",
    "budget_holder": "manager",
    "other_budget_holder": "other_budget_holder",
    "it": "it_user",
    "hr": "hr_user",
    "outsider": "outsider",
}
OPEN = {State.AWAITING_BUDGET_HOLDER, State.AWAITING_IT, State.MORE_INFO}
# action: (states it starts from, who may take it, the state it leads to). The request has a cost
# not yet authorised, so sending it back goes to the budget holder first, and not even IT may
# approve it (written straight into "awaiting IT", as no step of the workflow would leave it).
EXPECTED = {
    "budget_approve": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.AWAITING_IT),
    "budget_reject": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.REJECTED),
    "approve": ({State.AWAITING_IT}, set(), State.APPROVED),
    "reject": ({State.AWAITING_IT}, {"it"}, State.REJECTED),
    "budget_more_info": ({State.AWAITING_BUDGET_HOLDER}, {"budget_holder"}, State.MORE_INFO),
    "more_info": ({State.AWAITING_IT}, {"it"}, State.MORE_INFO),
    "resubmit": ({State.MORE_INFO}, {"requester"}, State.AWAITING_BUDGET_HOLDER),
    "withdraw": (OPEN, {"requester"}, State.WITHDRAWN),
    "fulfil": ({State.APPROVED}, {"it"}, State.FULFILLED),
}


def test_the_table_covers_every_step() -> None:
    assert set(EXPECTED) == set(workflow.TRANSITIONS)


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_step_for_every_actor_in_every_state(
    employee, manager, action, actor, state, request
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, cost_one_off=Decimal("49.99"), state=state)
    person = request.getfixturevalue(ACTOR_FIXTURES[actor])
    sources, who, target = EXPECTED[action]
    before = snapshot(ar)
    if state in sources and actor in who:
        done = workflow.perform(actor=person, request=ar, action=action, note="Because.")
        assert done.state == target
        assert AuthorisationRequest.objects.get(pk=ar.pk).state == target
        event = RequestEvent.objects.get(request=ar)
        assert (event.actor, event.action, event.from_state, event.to_state) == (
            person, action, state, target,
        )  # fmt: skip
        assert AuditEvent.objects.filter(action=f"request.{action}").count() == 1
    else:
        with pytest.raises(workflow.TransitionRefused):
            workflow.perform(actor=person, request=ar, action=action, note="Because.")
        assert snapshot(ar) == before


@pytest.mark.parametrize(
    ("action", "state", "actor"),
    [
        ("budget_reject", State.AWAITING_BUDGET_HOLDER, "manager"),
        ("reject", State.AWAITING_IT, "it_user"),
        ("more_info", State.AWAITING_IT, "it_user"),
        ("fulfil", State.APPROVED, "it_user"),
    ],
)
def test_steps_that_need_a_note_are_refused_without_one(
    employee, manager, action, state, actor, request
) -> None:
    ar = AuthorisationRequestFactory(requester=employee, cost_one_off=Decimal("5"), state=state)
    before = snapshot(ar)
    with pytest.raises(workflow.TransitionRefused):
        workflow.perform(
            actor=request.getfixturevalue(actor), request=ar, action=action, note="  \n "
        )
    assert snapshot(ar) == before


# --- Assigning ------------------------------------------------------------------------------------
def assign(client: Client, ar: AuthorisationRequest):
    return client.post(reverse("requests:assign", args=[ar.pk]))


def test_it_takes_a_request(client: Client, ar, it_user) -> None:
    response = assign(signed_in(client, it_user), ar)
    assert response.status_code == 302
    ar.refresh_from_db()
    assert ar.assignee == it_user
    assert RequestEvent.objects.filter(request=ar, action="assigned", actor=it_user).exists()
    assert messages_of(response) == [f"{ar.reference} is now assigned to you."]
    page = signed_in(client, it_user).get(detail_url(ar)).content.decode()
    assert "This request is assigned to you." in page


@pytest.mark.parametrize("actor", ["employee", "manager"])
def test_others_who_see_it_cannot_take_it(client: Client, ar, actor, request) -> None:
    before = snapshot(ar)
    response = assign(signed_in(client, request.getfixturevalue(actor)), ar)
    assert messages_of(response) == ["Only the IT Department can take a request."]
    assert snapshot(ar) == before


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_assigning_a_request_one_cannot_see_is_not_found(
    client: Client, ar, actor, request
) -> None:
    before = snapshot(ar)
    assert assign(signed_in(client, request.getfixturevalue(actor)), ar).status_code == 404
    assert snapshot(ar) == before


def test_a_decided_request_cannot_be_taken(client: Client, employee, it_user) -> None:
    ar = AuthorisationRequestFactory(requester=employee, state=State.FULFILLED)
    before = snapshot(ar)
    response = assign(signed_in(client, it_user), ar)
    assert messages_of(response) == [f"{ar.reference} is already decided."]
    assert snapshot(ar) == before


def test_assigning_needs_a_post(client: Client, ar, it_user) -> None:
    response = signed_in(client, it_user).get(reverse("requests:assign", args=[ar.pk]))
    assert response.status_code == 405


def test_anonymous_assigning_goes_to_sign_in(client: Client, ar) -> None:
    response = assign(client, ar)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert AuthorisationRequest.objects.get(pk=ar.pk).assignee is None


# --- Commenting -----------------------------------------------------------------------------------
def comment(client: Client, ar: AuthorisationRequest, body: str, **extra: str):
    return client.post(reverse("requests:comment", args=[ar.pk]), {"body": body, **extra})


def comment_notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="request-comment"))


def test_it_comment_is_shown_and_the_requester_is_told(
    client: Client, ar, employee, it_user
) -> None:
    response = comment(signed_in(client, it_user), ar, "  Which laptop should it go on?  ")
    added = Comment.objects.get()
    assert (added.author, added.body, added.internal) == (
        it_user, "Which laptop should it go on?", False,
    )  # fmt: skip
    assert response.url == f"{detail_url(ar)}#comment-{added.pk}"
    (notice,) = comment_notices(employee)
    assert notice.dedupe_key == f"request-comment:{added.pk}:{employee.pk}"
    assert "Which laptop should it go on?" in notice.body_text
    assert ar.reference in notice.subject
    assert AuditEvent.objects.filter(action="request.commented", object_id=str(ar.pk)).exists()
    page = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Which laptop should it go on?" in page


def test_budget_holder_comment_tells_the_requester(client: Client, ar, employee, manager) -> None:
    comment(signed_in(client, manager), ar, "Is there a cheaper plan?")
    assert len(comment_notices(employee)) == 1


def test_internal_comment_is_hidden_and_tells_nobody(
    client: Client, ar, employee, manager, it_user
) -> None:
    comment(signed_in(client, it_user), ar, "Check the licence pool first.", internal="on")
    added = Comment.objects.get()
    assert added.internal is True
    assert not Notification.objects.filter(kind="request-comment").exists()
    for person in (employee, manager):
        page = signed_in(client, person).get(detail_url(ar)).content.decode()
        assert "Check the licence pool first." not in page


def test_requester_comment_tells_the_assignee(client: Client, ar, employee, it_user) -> None:
    AuthorisationRequest.objects.filter(pk=ar.pk).update(assignee=it_user)
    comment(signed_in(client, employee), ar, "It is for the laptop CT-0042.")
    (notice,) = comment_notices(it_user)
    assert "It is for the laptop CT-0042." in notice.body_text
    assert comment_notices(employee) == []


def test_requester_comment_on_an_unassigned_request_tells_nobody(
    client: Client, ar, employee, it_user
) -> None:
    comment(signed_in(client, employee), ar, "It is for the laptop CT-0042.")
    assert Comment.objects.filter(request=ar).count() == 1
    assert not Notification.objects.filter(kind="request-comment").exists()


def test_requester_cannot_make_a_comment_internal(client: Client, ar, employee) -> None:
    comment(signed_in(client, employee), ar, "Hidden?", internal="on")
    assert Comment.objects.get().internal is False


def test_only_it_may_write_internal_comments_in_the_service(ar, employee, manager) -> None:
    for person in (employee, manager):
        with pytest.raises(comments.CommentRefused, match="Only the IT Department"):
            comments.add_comment(author=person, request=ar, body="Hidden?", internal=True)
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused(client: Client, ar, it_user) -> None:
    response = comment(signed_in(client, it_user), ar, "   ")
    assert response.status_code == 200
    assert b"Write something before sending the comment." in response.content
    assert not Comment.objects.exists()
    with pytest.raises(comments.CommentRefused, match="Write something"):
        comments.add_comment(author=it_user, request=ar, body="\n\t ", internal=False)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_commenting_on_a_request_one_cannot_see_is_not_found(
    client: Client, ar, actor, request
) -> None:
    response = comment(signed_in(client, request.getfixturevalue(actor)), ar, "Hello")
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_commenting_needs_a_post(client: Client, ar, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:comment", args=[ar.pk]))
    assert response.status_code == 405


def test_anonymous_commenting_goes_to_sign_in(client: Client, ar) -> None:
    response = comment(client, ar, "Hello")
    assert response.url.startswith(reverse("login"))
    assert not Comment.objects.exists()


# --- The page's cost does not grow with its history -----------------------------------------------
@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize("actor", ["it_user", "employee"])
def test_page_queries_do_not_grow_with_history(
    client: Client, ar, it_user, employee, actor, size, request, django_assert_max_num_queries
) -> None:
    people = [employee, it_user, UserFactory()]
    for n in range(size):
        RequestEventFactory(request=ar, actor=people[n % 3], action="more_info", note=f"n{n}")
        CommentFactory(request=ar, author=people[n % 3], internal=n % 2 == 0)
        Attachment.objects.create(
            request=ar, uploaded_by=people[n % 3], token=f"{n:032d}", file=f"x/{n}",
            original_name=f"file-{n}.pdf", content_type="application/pdf", size=100,
        )  # fmt: skip
    signed_in(client, request.getfixturevalue(actor))
    with django_assert_max_num_queries(13):
        response = client.get(detail_url(ar))
    assert response.status_code == 200
    assert len(response.context["events"]) == size
    assert len(response.context["attachments"]) == size


# --- Segregation of duties through the page ------------------------------------------------------
@pytest.fixture
def own_cost(manager, settings) -> AuthorisationRequest:
    """The budget holder's own request above the self-authority limit, with their line manager."""
    settings.REQUEST_SELF_AUTHORITY_LIMIT = Decimal("100.00")
    manager.line_manager = UserFactory(email="director@example.com")
    manager.save()
    return workflow.submit(
        requester=manager,
        request=AuthorisationRequest(
            kind="hardware", item="Standing desk", cost_one_off=Decimal("450.00"),
            justification="For the office.",
        ),
    )  # fmt: skip


@pytest.mark.parametrize("action", ["budget_approve", "budget_reject", "budget_more_info"])
def test_the_budget_holder_cannot_post_an_authority_step_on_their_own_request(
    client: Client, own_cost, manager, action
) -> None:
    before = snapshot(own_cost)
    response = act(signed_in(client, manager), own_cost, action, note="Mine.")
    assert response.status_code == 302
    assert messages_of(response) == [
        "Only the budget holder or second authoriser asked can "
        f"{workflow.TRANSITIONS[action].label.lower()}."
    ]
    assert snapshot(own_cost) == before
    page = signed_in(client, manager).get(detail_url(own_cost))
    assert [f.transition.action for f in page.context["action_forms"]] == ["withdraw"]


@pytest.mark.parametrize("actor", ["other_budget_holder", "employee_line_manager", "hr_user"])
def test_a_manager_who_is_not_the_authoriser_gets_not_found(
    client: Client, own_cost, request, actor
) -> None:
    if actor == "employee_line_manager":
        # A line manager, of someone else: not the budget holder's.
        person = UserFactory(email="another.manager@example.com")
        UserFactory(line_manager=person)
    else:
        person = request.getfixturevalue(actor)
    before = snapshot(own_cost)
    client = signed_in(client, person)
    assert client.get(detail_url(own_cost)).status_code == 404
    assert act(client, own_cost, "budget_approve").status_code == 404
    assert snapshot(own_cost) == before


def test_the_second_authoriser_finds_it_in_their_approvals_and_authorises_it(
    client: Client, own_cost, manager, it_user
) -> None:
    director = manager.line_manager
    approvals = signed_in(client, director).get(reverse("requests:approvals"))
    assert approvals.status_code == 200
    assert list(approvals.context["page"].object_list) == [own_cost]
    assert "Approvals" in [item.label for item in approvals.context["nav_items"]]
    # The budget holder's own approvals list never offers their own request.
    mine = signed_in(client, manager).get(reverse("requests:approvals"))
    assert list(mine.context["page"].object_list) == []

    response = act(signed_in(client, director), own_cost, "budget_approve")
    assert messages_of(response) == [
        f"You authorised the cost of {own_cost.reference}. It has gone to the IT Department."
    ]
    own_cost.refresh_from_db()
    assert (own_cost.state, own_cost.authorised_by) == (State.AWAITING_IT, director)
    html = signed_in(client, it_user).get(detail_url(own_cost)).content.decode()
    assert "Second authoriser" in html
    assert f"By {director.full_name} on" in html
