"""The life of an authorisation request. Every change of state goes through ``perform``.

submitted ─▶ awaiting budget holder (only with a cost) ─▶ awaiting IT ─▶ approved ─▶ fulfilled
                     │                                        │  ╰──▶ rejected
                     ╰──▶ rejected                            ╰──▶ more information ─▶ (resubmit)
Any open request can be withdrawn by its requester before a decision.

Segregation of duties: nobody authorises, approves or rejects their own request, and whoever
authorised the cost does not also approve or reject it for IT. A budget holder's own request is
their authority only up to ``REQUEST_SELF_AUTHORITY_LIMIT`` (its first-year cost); above it the
cost waits for their line manager, or HR if they have none. Authority covers the request's
``AUTHORITY_TERMS``: changing any of them voids it, and the request goes back to be authorised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import audit, departments, outbox
from portal import permissions as roles
from portal.models import Department, User
from requests import catalogue
from requests import permissions as rules
from requests.models import AuthorisationRequest, CatalogueItem, RequestEvent

State = AuthorisationRequest.State


class TransitionRefused(Exception):
    """The step is not allowed for this person or in this state; the message says why."""


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    allowed: Callable[[User, AuthorisationRequest], bool]
    who: str  # for the refusal message
    note_required: str = ""  # the message when a required note is missing


def _it(user: User, request: AuthorisationRequest) -> bool:
    return roles.is_it(user)


AUTHORISER = "the budget holder or second authoriser asked"
# Separation of duties: another member of IT decides an IT colleague's own request, and one who
# authorised the cost as its budget holder leaves the IT decision to a colleague
# (``permissions.may_decide_for_it``, which also names who else a company may allow).
IT_DECIDER = "another member of the IT Department"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "budget_approve",
            "Authorise the cost",
            (State.AWAITING_BUDGET_HOLDER,),
            rules.is_authoriser_for,
            AUTHORISER,
        ),
        Transition(
            "budget_reject",
            "Refuse the cost",
            (State.AWAITING_BUDGET_HOLDER,),
            rules.is_authoriser_for,
            AUTHORISER,
            note_required="Give the reason for refusing, so the requester knows what to do.",
        ),
        Transition(
            "approve",
            "Approve",
            (State.AWAITING_IT,),
            rules.may_decide_for_it,
            IT_DECIDER,
        ),
        Transition(
            "reject",
            "Reject",
            (State.AWAITING_IT,),
            rules.may_decide_for_it,
            IT_DECIDER,
            note_required="Give the reason for rejecting, so the requester knows what to do.",
        ),
        Transition(
            "budget_more_info",
            "Ask for more information",
            (State.AWAITING_BUDGET_HOLDER,),
            rules.is_authoriser_for,
            AUTHORISER,
            note_required="Say what information you need.",
        ),
        Transition(
            "more_info",
            "Ask for more information",
            (State.AWAITING_IT,),
            rules.may_decide_for_it,
            IT_DECIDER,
            note_required="Say what information you need.",
        ),
        Transition(
            "resubmit",
            "Send back with the information",
            (State.MORE_INFO,),
            rules.is_requester,
            "the person who made the request",
        ),
        Transition(
            "withdraw",
            "Withdraw",
            AuthorisationRequest.OPEN_STATES,
            rules.is_requester,
            "the person who made the request",
        ),
        Transition(
            "fulfil",
            "Record as installed or issued",
            (State.APPROVED,),
            _it,
            "the IT Department",
            note_required="Record what was installed or issued, and where.",
        ),
    )
}


def available_actions(user: User, request: AuthorisationRequest) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values() if request.state in t.sources and t.allowed(user, request)
    ]


def it_decision_note(user: User, request: AuthorisationRequest) -> str:
    """Why a member of IT looking at a request waiting for IT cannot decide it, said on its page
    in place of steps they could not complete; "" when they can, or it is not theirs to."""
    if request.state != State.AWAITING_IT or not roles.is_it(user):
        return ""
    who = rules.who_decides_for_it()
    if rules.is_requester(user, request):
        note = OWN_REQUEST.format(who=who)
        if rules.it_deciders(request).exists():
            return note
        if settings.REQUEST_ADMIN_DECIDES_IT_REQUESTS:
            return f"{note} There is nobody else in IT, and no active administrator, to decide it."
        return (
            f"{note} You are the only member of the IT Department, so nobody can decide it yet: "
            "an administrator can be allowed to decide IT's own requests "
            "(PORTAL_ADMIN_DECIDES_IT_REQUESTS), or another member added to IT."
        )
    if request.authorised_by_id == user.pk:
        return f"You authorised its cost as budget holder, so {who} decides it for IT."
    return ""


def _link(request: AuthorisationRequest) -> str:
    return reverse("requests:detail", args=[request.pk])


OWN_REQUEST = "This is your own request: {who} decides it."

NO_DEPARTMENT = (
    "You are not recorded in a department, so there is no budget holder to authorise this cost. "
    "Ask HR to record your department, then submit the request again."
)


def second_authoriser(requester: User) -> User | None:
    """Who authorises a budget holder's own cost above the limit: their line manager, if active.

    None means HR (there is no deputy in the directory to ask instead).
    """
    manager = requester.line_manager
    if manager is not None and manager.is_active and manager.pk != requester.pk:
        return manager
    return None


def authorisers(request: AuthorisationRequest) -> list[User]:
    """Everyone who may authorise the cost now: whoever holds the authority, or HR when nobody
    could be asked. Nobody while the department has no budget holder: HR's list shows it."""
    if rules.is_hr_authority(request):
        return list(roles.hr_staff().exclude(pk=request.requester_id))
    who = rules.current_authoriser(request)
    return [] if who is None else [who]


def _give_authority(request: AuthorisationRequest, actor: User) -> None:
    request.budget_approved_at = timezone.now()
    request.authorised_by = actor
    request.authorised_terms = request.authority_terms()


def _notify_it(request: AuthorisationRequest, event: RequestEvent) -> None:
    """The member of IT it is assigned to, or everyone who may decide it."""
    assignee = request.assignee
    if assignee is not None and rules.may_decide_for_it(assignee, request):
        recipients = [assignee]
    else:
        recipients = list(rules.it_deciders(request))
    for member in recipients:
        outbox.notify(
            recipient=member,
            kind="request-for-it",
            dedupe_key=f"request-it:{request.pk}:{event.pk}:{member.pk}",
            context={"request": request, "reason": event.action, "event": event},
            link=_link(request),
        )


def _notify(request: AuthorisationRequest, recipient: User, kind: str, key: str, **ctx) -> None:
    outbox.notify(
        recipient=recipient,
        kind=kind,
        dedupe_key=f"{kind}:{request.pk}:{key}",
        context={"request": request, **ctx},
        link=_link(request),
    )


def _route(request: AuthorisationRequest) -> str:
    """Where a submitted (or resubmitted) request goes next, and who is asked for its cost."""
    if not request.has_cost or request.authority_holds:
        return State.AWAITING_IT
    if request.department is None:
        raise TransitionRefused(NO_DEPARTMENT)
    # An authority that no longer covers the request (changed by some other path) is no authority.
    request.budget_approved_at, request.authorised_by = None, None
    holder = departments.authoriser(request.department)
    if holder is None:
        # Nobody to ask: it waits on HR's list until HR names a budget holder.
        request.budget_holder, request.second_authority = None, False
        return State.AWAITING_BUDGET_HOLDER
    request.second_authority = holder.pk == request.requester_id
    if not request.second_authority:
        request.budget_holder = holder
        return State.AWAITING_BUDGET_HOLDER
    if request.first_year_cost <= settings.REQUEST_SELF_AUTHORITY_LIMIT:
        # The budget holder asking is the budget holder's prior authority (policy 4.11).
        request.budget_holder, request.second_authority = holder, False
        _give_authority(request, holder)
        return State.AWAITING_IT
    request.budget_holder = second_authoriser(request.requester)
    return State.AWAITING_BUDGET_HOLDER


def _record(
    request: AuthorisationRequest, actor: User | None, action: str, old: str, note: str = ""
) -> RequestEvent:
    event = RequestEvent.objects.create(
        request=request, actor=actor, action=action, from_state=old, to_state=request.state,
        note=note,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action=f"request.{action}",
        obj=request,
        data={"from": old, "to": request.state},
    )
    return event


def _announce(request: AuthorisationRequest, event: RequestEvent) -> None:
    """Tell whoever must act next, and the requester of every decision."""
    key = str(event.pk)
    if request.state == State.AWAITING_BUDGET_HOLDER:
        changes = [] if request.authority_holds else request.authority_changes()
        for person in authorisers(request):
            _notify(
                request, person, "request-budget", _person_key(request, key, person),
                changes=changes, limit=settings.REQUEST_SELF_AUTHORITY_LIMIT,
            )  # fmt: skip
    elif request.state == State.AWAITING_IT:
        _notify_it(request, event)
    elif event.action == "withdraw" and event.from_state == State.AWAITING_BUDGET_HOLDER:
        for person in authorisers(request):
            key_for = _person_key(request, key, person)
            _notify(request, person, "request-update", key_for, event=event)
    elif event.action == "withdraw" and request.assignee_id:
        _notify(request, request.assignee, "request-update", key, event=event)
    if event.action != "submitted" and request.requester_id != event.actor_id:
        _notify(request, request.requester, "request-update", key, event=event)


def _person_key(request: AuthorisationRequest, key: str, person: User) -> str:
    # HR members are told one by one, each under a key of their own.
    return key if request.budget_holder_id else f"{key}:{person.pk}"


@transaction.atomic
def submit(*, requester: User, request: AuthorisationRequest) -> AuthorisationRequest:
    """File a new request (already validated by its form) and send it on its way."""
    department = requester.department
    request.requester = requester
    request.department = department
    request.budget_holder = departments.authoriser(department)
    match = catalogue.exact_match(item=request.item, kind=request.kind)
    request.catalogue_match = match
    request.fast_tracked = match is not None and not request.has_cost
    request.state = _route(request)
    request.submitted_at = request.updated_at = timezone.now()
    request.full_clean()
    request.save()
    event = _record(request, requester, "submitted", "", "")
    _notify(request, requester, "request-received", "submitted")
    _announce(request, event)
    return request


def _check(
    transition: Transition, action: str, actor: User, request: AuthorisationRequest, note: str
) -> None:
    """Refuse the step unless ``actor`` may make it from the (locked) request's state."""
    if request.state not in transition.sources:
        state = request.get_state_display()
        raise TransitionRefused(
            f"{request.reference} is {state[0].lower()}{state[1:]}: "
            f"it cannot be sent to “{transition.label.lower()}” now."
        )
    if not transition.allowed(actor, request):
        who = rules.who_decides_for_it() if transition.who == IT_DECIDER else transition.who
        raise TransitionRefused(f"Only {who} can {transition.label.lower()}.")
    if transition.note_required and not note:
        raise TransitionRefused(transition.note_required)
    if action == "approve" and request.has_cost and not request.authority_holds:
        # However the details came to differ from what was authorised, IT cannot approve them.
        raise TransitionRefused(
            f"The cost of {request.reference} is not authorised for its details as they stand: "
            "ask for more information, so that it goes back to be authorised."
        )


def _add_to_register(request: AuthorisationRequest, actor: User) -> None:
    request.catalogue_match = catalogue.save_item(
        actor=actor,
        item=CatalogueItem(
            name=request.item,
            kind=request.kind,
            vendor=request.vendor,
            versions=request.version_or_model,
            notes=request.conditions,
            source_request=request,
            department=request.department,
            created_at=request.decided_at or timezone.now(),
        ),
    )


def _apply(
    request: AuthorisationRequest,
    action: str,
    *,
    actor: User,
    note: str,
    conditions: str,
    add_to_register: bool,
) -> None:
    """Move the request to the step's state, with what the step records on it."""
    now = timezone.now()
    if action == "budget_approve":
        _give_authority(request, actor)
        request.state = State.AWAITING_IT
    elif action in {"budget_reject", "reject"}:
        request.state = State.REJECTED
        request.decision_reason = note
        request.decided_at = now
    elif action == "approve":
        request.state = State.APPROVED
        request.conditions = conditions.strip()
        request.decided_at = now
        if add_to_register and request.catalogue_match is None:
            _add_to_register(request, actor)
    elif action in {"more_info", "budget_more_info"}:
        request.state = State.MORE_INFO
    elif action == "resubmit":
        request.state = _route(request)
    elif action == "withdraw":
        request.state = State.WITHDRAWN
        request.decided_at = now
    elif action == "fulfil":
        request.state = State.FULFILLED
        request.fulfilment_note = note
        request.fulfilled_at = now
    request.updated_at = now


@transaction.atomic
def perform(
    *,
    actor: User,
    request: AuthorisationRequest,
    action: str,
    note: str = "",
    conditions: str = "",
    add_to_register: bool = False,
) -> AuthorisationRequest:
    """Make one step of the workflow, if ``actor`` may make it from the request's state."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"There is no step called {action!r}.")
    if action.startswith("budget_") and request.department_id is not None:
        # Who holds the cost authority is read under the department's lock, the one HR's
        # changes take first (``departments.set_authority``): never decided by someone HR has
        # just replaced.
        list(Department.objects.select_for_update().filter(pk=request.department_id).values("pk"))
    request = AuthorisationRequest.objects.select_for_update().get(pk=request.pk)
    note = note.strip()
    _check(transition, action, actor, request, note)
    old = request.state
    _apply(
        request,
        action,
        actor=actor,
        note=note,
        conditions=conditions,
        add_to_register=add_to_register,
    )
    request.save()
    event = _record(request, actor, action, old, note or conditions.strip())
    _announce(request, event)
    return request


@transaction.atomic
def assign_to_me(*, actor: User, request: AuthorisationRequest) -> AuthorisationRequest:
    if not roles.is_it(actor):
        raise TransitionRefused("Only the IT Department can take a request.")
    if rules.is_requester(actor, request):
        raise TransitionRefused(OWN_REQUEST.format(who=rules.who_decides_for_it()))
    request = AuthorisationRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise TransitionRefused(f"{request.reference} is already decided.")
    request.assignee = actor
    request.updated_at = timezone.now()
    request.save(update_fields=["assignee", "updated_at"])
    _record(request, actor, "assigned", request.state, actor.full_name)
    return request


@transaction.atomic
def update_details(
    *, actor: User, request: AuthorisationRequest, changes: AuthorisationRequest
) -> AuthorisationRequest:
    """The requester edits their request while IT waits for more information."""
    request = AuthorisationRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != State.MORE_INFO or not rules.is_requester(actor, request):
        raise TransitionRefused("You can change a request only when more information is asked.")
    editable = (
        "item", "vendor", "version_or_model", "link", "quantity", "cost_one_off",
        "cost_recurring", "recurring_period", "licence_type", "justification", "device",
        "needed_by",
    )  # fmt: skip
    authorised = request.budget_approved_at is not None
    for name in editable:
        setattr(request, name, getattr(changes, name))
    if request.has_cost and request.department is None:
        raise TransitionRefused(NO_DEPARTMENT)
    # Any change to what was authorised voids the authority, whoever asks and whatever the
    # change (a cheaper price, another product, monthly instead of yearly): it goes back.
    void = authorised and not request.authority_holds
    changed = request.authority_changes()
    if void:
        request.budget_approved_at = None
        request.authorised_by = None
    request.full_clean()
    request.save()
    audit.record(actor=actor, action="request.edited", obj=request)
    if void:
        RequestEvent.objects.create(
            request=request, actor=actor, action="authority_voided", from_state=request.state,
            to_state=request.state,
            note="; ".join(f"{what}: {before} → {after}" for what, before, after in changed),
        )  # fmt: skip
        audit.record(
            actor=actor,
            action="request.authority_voided",
            obj=request,
            data={"changes": {what: [before, after] for what, before, after in changed}},
        )
    return request


def authority_moved(department: Department, actor: User | None) -> int:
    """HR changed who authorises ``department``'s costs: the costs waiting there go to whoever
    holds the authority now, who is told through the outbox (a cost of their own goes on as if
    just submitted). Returns how many moved."""
    waiting = AuthorisationRequest.objects.select_for_update(of=("self",)).filter(
        department=department, state=State.AWAITING_BUDGET_HOLDER, second_authority=False
    )
    moved = 0
    for request in waiting.select_related("department", "requester"):
        _move_authority(request, departments.authoriser(department), actor)
        moved += 1
    return moved


def _move_authority(request: AuthorisationRequest, who: User | None, actor: User | None) -> None:
    old = request.state
    if who is not None and who.pk == request.requester_id:
        request.state = _route(request)
    else:
        request.budget_holder = who
    request.updated_at = timezone.now()
    request.save()
    name = who.full_name if who is not None else "HR's list, until a budget holder is named"
    event = _record(request, actor, "authority_moved", old, f"Now with {name}.")
    _announce(request, event)


@transaction.atomic
def own_cost_by_dates(request_id: int) -> bool:
    """A deputy's dates have made the requester the authority for their own waiting cost (a
    deputy asking while the holder decided, or the holder while the deputy did): it goes on as
    a budget holder's own cost, as if just submitted, so it never waits for nobody. False when
    that no longer applies (run twice: nothing more)."""
    request = (
        AuthorisationRequest.objects.select_for_update(of=("self",))
        .select_related("department", "requester")
        .get(pk=request_id)
    )
    if request.state != State.AWAITING_BUDGET_HOLDER or request.second_authority:
        return False
    who = departments.authoriser(request.department)
    if who is None or who.pk != request.requester_id:
        return False
    _move_authority(request, who, None)
    return True
