"""Who may take each step of the request workflow, and the people and requests its tests use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.models import AuditEvent, Notification, User
from requests import workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent

State = AuthorisationRequest.State
COST = Decimal("49.99")


TO = {
    "budget_approve": State.AWAITING_IT,
    "budget_reject": State.REJECTED,
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "budget_more_info": State.MORE_INFO,
    "more_info": State.MORE_INFO,
    "resubmit": State.AWAITING_IT,  # the cost was authorised before IT asked
    "withdraw": State.WITHDRAWN,
    "fulfil": State.FULFILLED,
}


def new_request(**fields: object) -> AuthorisationRequest:
    """An unsaved request, as a valid form would hand it to ``submit``."""
    values: dict[str, object] = {
        "kind": Kind.SOFTWARE,
        "item": "Notepad++",
        "vendor": "Don Ho",
        "version_or_model": "8.6",
        "justification": "To edit the rota export before it is uploaded.",
    }
    values.update(fields)
    return AuthorisationRequest(**values)


@dataclass
class People:
    requester: User
    colleague: User
    budget_holder: User
    other_budget_holder: User
    it: User
    it_colleague: User
    hr: User

    def actor(self, role: str) -> User:
        return getattr(self, role)


def fresh(request: AuthorisationRequest) -> AuthorisationRequest:
    return AuthorisationRequest.objects.get(pk=request.pk)


def in_state(people: People, state: str) -> AuthorisationRequest:
    """A request with a cost, taken by the proper people to ``state``."""
    request = workflow.submit(requester=people.requester, request=new_request(cost_one_off=COST))
    steps = {
        State.AWAITING_BUDGET_HOLDER: [],
        State.AWAITING_IT: [("budget_approve", people.budget_holder)],
        State.MORE_INFO: [("budget_approve", people.budget_holder), ("more_info", people.it)],
        State.APPROVED: [("budget_approve", people.budget_holder), ("approve", people.it)],
        State.REJECTED: [("budget_approve", people.budget_holder), ("reject", people.it)],
        State.FULFILLED: [
            ("budget_approve", people.budget_holder),
            ("approve", people.it),
            ("fulfil", people.it),
        ],
        State.WITHDRAWN: [("budget_approve", people.budget_holder), ("withdraw", people.requester)],
    }[state]
    for action, actor in steps:
        request = workflow.perform(actor=actor, request=request, action=action, note="Noted.")
    assert request.state == state
    return request


@dataclass(frozen=True)
class Snapshot:
    request: dict[str, object]
    events: int
    audit: int
    notifications: frozenset[tuple[str, str, str]]


def snapshot(request: AuthorisationRequest) -> Snapshot:
    row = AuthorisationRequest.objects.filter(pk=request.pk).values().get()
    return Snapshot(
        request=row,
        events=RequestEvent.objects.filter(request=request).count(),
        audit=AuditEvent.objects.count(),
        notifications=frozenset(
            Notification.objects.values_list("recipient__email", "kind", "dedupe_key")
        ),
    )


def told(before: Snapshot, after: Snapshot) -> set[tuple[str, str]]:
    """Who was told what between two snapshots."""
    return {(email, kind) for email, kind, _ in after.notifications - before.notifications}


def it_members(people: People) -> set[tuple[str, str]]:
    return {(people.it.email, "request-for-it"), (people.it_colleague.email, "request-for-it")}


def lowered(label: str) -> str:
    """A state's name inside a sentence: "awaiting IT", not "awaiting it"."""
    return label[0].lower() + label[1:]


def with_changes(request: AuthorisationRequest, **fields: object) -> AuthorisationRequest:
    changes = fresh(request)
    for name, value in fields.items():
        setattr(changes, name, value)
    return changes
