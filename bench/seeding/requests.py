"""IT requests for the company: one per five people, in every state, each with its latest
history row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bench.seeding.people import BATCH, Company, Person
from portal.models import Department
from requests.models import AuthorisationRequest, Kind, RequestEvent

State = AuthorisationRequest.State
REQUEST_ITEMS = (
    (Kind.SOFTWARE, "Microsoft Visio", "Microsoft", (0, 0, 280)),
    (Kind.SOFTWARE, "Adobe Acrobat Pro", "Adobe", (0, 180)),
    (Kind.SOFTWARE, "Care planning app", "Nourish", (0,)),
    (Kind.HARDWARE, "Dell Latitude 5440 laptop", "Dell", (0, 899)),
    (Kind.HARDWARE, "Wireless headset", "Jabra", (0, 89)),
    (Kind.HARDWARE, "Second monitor", "Iiyama", (0, 149)),
    (Kind.DOWNLOAD, "7-Zip", "Igor Pavlov", (0,)),
    (Kind.DOWNLOAD, "Zoom Workplace client", "Zoom", (0,)),
    (Kind.SUBSCRIPTION, "Zoom Pro subscription", "Zoom", (120,)),
    (Kind.SUBSCRIPTION, "Canva Pro", "Canva", (99,)),
)
# Relative frequency of each final state of a request.
REQUEST_STATES = (
    (State.AWAITING_BUDGET_HOLDER, 5),
    (State.AWAITING_IT, 15),
    (State.MORE_INFO, 3),
    (State.APPROVED, 10),
    (State.REJECTED, 7),
    (State.FULFILLED, 55),
    (State.WITHDRAWN, 5),
)

Event = tuple[str, str, int | None]  # action, from state, actor


def seed_requests(company: Company, departments: list[Department], count: int) -> int:
    """``count`` requests from active people, in batches; how many were made."""
    holders = {d.pk: d.budget_holder_id for d in departments}
    active = [p for p in company.people if p.active]
    it_people = company.it_staff or [None]
    made = 0
    for start in range(0, count, BATCH):
        batch: list[AuthorisationRequest] = []
        events: list[Event] = []
        for _ in range(min(BATCH, count - start)):
            person = company.rng.choice(active)
            request = _request(company, person, holders)
            it_person = company.rng.choice(it_people)
            events.append(_last_step(request, person, it_person))
            batch.append(request)
        made += _save(batch, events)
    return made


def _request(
    company: Company, person: Person, holders: dict[int, int | None]
) -> AuthorisationRequest:
    """A request in a state drawn by its frequency, submitted in the last two years."""
    rng = company.rng
    kind, item, vendor, costs = rng.choice(REQUEST_ITEMS)
    states, weights = zip(*REQUEST_STATES, strict=True)
    state = rng.choices(states, weights=weights)[0]
    cost = Decimal(rng.choice(costs))
    if state == State.AWAITING_BUDGET_HOLDER and not cost:
        cost = Decimal(149)
    submitted = company.now - timedelta(minutes=rng.randint(60, 730 * 24 * 60))
    moved = min(company.now, submitted + timedelta(hours=rng.randint(1, 24 * 14)))
    holder = holders.get(person.department_id) if cost else None
    request = AuthorisationRequest(
        requester_id=person.pk,
        department_id=person.department_id,
        kind=kind,
        item=item,
        vendor=vendor,
        quantity=1,
        cost_one_off=cost if kind != Kind.SUBSCRIPTION else Decimal(0),
        cost_recurring=cost if kind == Kind.SUBSCRIPTION else Decimal(0),
        recurring_period="yearly" if kind == Kind.SUBSCRIPTION else "",
        justification="Needed for my work with the people we support.",
        state=state,
        budget_holder_id=holder,
        budget_approved_at=moved if holder and state != State.AWAITING_BUDGET_HOLDER else None,
        submitted_at=submitted,
        updated_at=moved if state != State.AWAITING_IT else submitted,
    )
    if request.budget_approved_at is not None:
        request.authorised_by_id = holder
        request.authorised_terms = request.authority_terms()
    return request


def _last_step(request: AuthorisationRequest, person: Person, it_person: int | None) -> Event:
    """The step that brought the request to its state, with the dates and the IT person it
    leaves on the request."""
    state, moved = request.state, request.updated_at
    action, source, actor = "submitted", "", person.pk
    if state == State.MORE_INFO:
        action, source, actor = "more_info", State.AWAITING_IT, it_person
    elif state in (State.APPROVED, State.REJECTED):
        action = "approve" if state == State.APPROVED else "reject"
        source, actor = State.AWAITING_IT, it_person
        request.decided_at = moved
    elif state == State.FULFILLED:
        action, source, actor = "fulfil", State.APPROVED, it_person
        request.decided_at = moved - timedelta(minutes=30)
        request.fulfilled_at = moved
    elif state == State.WITHDRAWN:
        action, source = "withdraw", State.AWAITING_IT
    if actor == it_person:
        request.assignee_id = it_person
    return action, source, actor


def _save(batch: list[AuthorisationRequest], events: list[Event]) -> int:
    created = AuthorisationRequest.objects.bulk_create(batch)
    RequestEvent.objects.bulk_create(
        [
            RequestEvent(
                request=r,
                actor_id=actor,
                action=action,
                from_state=source,
                to_state=r.state,
                created_at=r.updated_at,
            )
            for r, (action, source, actor) in zip(created, events, strict=True)
        ],
        batch_size=BATCH,
    )
    return len(created)
