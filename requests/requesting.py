"""The employee's side of a request: what each kind is for, and sending back a changed request."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from portal import departments
from portal.models import User
from requests import permissions, workflow
from requests.models import AuthorisationRequest, Kind, RequestEvent

State = AuthorisationRequest.State

# What the requester may change while more information is asked (as ``workflow.update_details``).
EDITABLE = (
    "item", "vendor", "version_or_model", "link", "quantity", "cost_one_off", "cost_recurring",
    "recurring_period", "licence_type", "justification", "device", "needed_by",
)  # fmt: skip


@dataclass(frozen=True)
class KindInfo:
    kind: str
    label: str
    noun: str  # for "Request ..."
    rule: str  # what the policy says, in one line
    policy: str  # the sections it comes from
    examples: str


KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        Kind.SOFTWARE,
        "Software",
        "software",
        "All software must be authorised by the IT Department before it is installed or used "
        "with company systems.",
        "4.6 and 5.3",
        "Programs, apps, plug-ins, screen savers, fonts, video or music files.",
    ),
    KindInfo(
        Kind.HARDWARE,
        "Hardware",
        "hardware",
        "All computing equipment must be authorised by the IT Department before it is used "
        "with company systems.",
        "4.6 and 5.3",
        "Desktop PCs, laptops, tablets, printers, headsets, storage devices.",
    ),
    KindInfo(
        Kind.DOWNLOAD,
        "Internet download",
        "an Internet download",
        "You may not download software or files from the Internet for use on company systems "
        "without the IT Department's prior approval.",
        "4.11",
        "Free tools, drivers, templates, add-ons, anything saved from a website to run.",
    ),
    KindInfo(
        Kind.SUBSCRIPTION,
        "Paid Internet subscription",
        "a paid Internet subscription",
        "Websites with a cost in their terms must not be subscribed to without the prior "
        "authority of your budget holder, then IT.",
        "4.11",
        "Online services, paid accounts, memberships, cloud storage plans.",
    ),
)

KIND_INFO: dict[str, KindInfo] = {info.kind: info for info in KINDS}


def _with_budget_holder(request: AuthorisationRequest) -> str:
    department = request.department
    who = permissions.current_authoriser(request)
    if who is None or department is None:
        name = department.name if department else "Your department"
        return (
            f"{name} has no budget holder at the moment, so your request waits on the list HR "
            "keeps of requests waiting for a budget holder. It goes to the budget holder as soon "
            "as HR names one; you do not need to do anything."
        )
    if departments.deputy_acting(department) and who.pk == department.deputy_id:
        until = f"{department.deputy_to:%-d %B %Y}"
        return (
            f"It is with {who.full_name}, who decides for the budget holder of {department.name} "
            f"until {until}, to authorise the cost first."
        )
    return f"It has gone to {who.full_name}, your budget holder, to authorise the cost first."


def cost_with(request: AuthorisationRequest) -> str:
    """Who a cost waiting for authority is with now, in words for its page ("" otherwise)."""
    if request.state != State.AWAITING_BUDGET_HOLDER or request.second_authority:
        return ""
    who, department = permissions.current_authoriser(request), request.department
    if who is None or department is None:
        return "Nobody yet: the department has no budget holder, so it waits on the list HR keeps."
    if departments.deputy_acting(department) and who.pk == department.deputy_id:
        until = f"{department.deputy_to:%-d %B %Y}"
        return f"{who.full_name}, deputy for the budget holder until {until}"
    return who.full_name


def where_next(request: AuthorisationRequest) -> str:
    """Where a (re)submitted request has gone, in words for the requester."""
    if request.state == State.AWAITING_BUDGET_HOLDER:
        if request.second_authority:
            limit = f"£{settings.REQUEST_SELF_AUTHORITY_LIMIT:,.2f}"
            own = (
                f"As the budget holder, your own authority covers costs up to {limit} in their "
                "first year; this one needs a second authoriser"
            )
            if request.budget_holder is None:
                return (
                    f"{own}. No line manager is recorded for you, so it has gone to HR to "
                    "authorise the cost."
                )
            return f"{own}: it has gone to {request.budget_holder.full_name}, your line manager."
        return _with_budget_holder(request)
    if request.state == State.AWAITING_IT:
        if request.fast_tracked:
            return (
                "It has gone to the IT Department, fast-tracked: already in the authorised "
                "register."
            )
        if (
            request.has_cost
            and request.budget_approved_at
            and request.authorised_by_id == request.requester_id
        ):
            return (
                "As the budget holder, your request is your authority for the cost; it has gone "
                "straight to the IT Department."
            )
        return "It has gone to the IT Department."
    return f"It is now “{request.get_state_display()}”."


def latest_question(request: AuthorisationRequest) -> RequestEvent | None:
    """The most recent request for more information, with who asked."""
    return (
        RequestEvent.objects.filter(request=request, action__in=["more_info", "budget_more_info"])
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


def draft_of(request: AuthorisationRequest) -> AuthorisationRequest:
    """An unsaved copy of the request's details, for a form to change without touching it."""
    return AuthorisationRequest(
        kind=request.kind,
        **{name: getattr(request, name) for name in EDITABLE},
    )


@transaction.atomic
def resubmit_with_changes(
    *, actor: User, request: AuthorisationRequest, changes: AuthorisationRequest
) -> AuthorisationRequest:
    """Save the requester's changes and send the request back, both or neither.

    If sending it back is refused (say the request was withdrawn meanwhile), the changes are not
    kept either: the requester sees the refusal and their form as they typed it.
    """
    workflow.update_details(actor=actor, request=request, changes=changes)
    return workflow.perform(actor=actor, request=request, action="resubmit")
