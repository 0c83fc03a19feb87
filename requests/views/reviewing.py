"""One request's page: its details and history, the steps the viewer may take, comments and files.

Only the requester, IT and whoever is asked to authorise its cost may see a request; for anyone
else every address here is a 404, so a request's existence is not disclosed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.idempotency import once
from portal.models import User
from requests import attachments, comments, permissions, requesting, workflow
from requests.forms.reviewing import ActionForm, CommentForm, UploadForm
from requests.models import Attachment, AuthorisationRequest

SUCCESS = {
    "budget_approve": "You authorised the cost of {ref}. It has gone to the IT Department.",
    "budget_reject": "You refused the cost of {ref}. The requester has been told why.",
    "approve": "{ref} is approved. The requester has been told.",
    "reject": "{ref} is rejected. The requester has been told why.",
    "more_info": "Your question on {ref} has been sent to the requester.",
    "budget_more_info": "Your question on {ref} has been sent to the requester.",
    "resubmit": "{ref} has been sent back with your information.",
    "withdraw": "{ref} has been withdrawn.",
    "fulfil": "{ref} is recorded as installed or issued. The requester has been told.",
}

# How each recorded step reads in the history.
EVENT_LABELS = {
    "submitted": "Submitted",
    "budget_approve": "Cost authorised",
    "budget_reject": "Cost refused",
    "approve": "Approved",
    "reject": "Rejected",
    "more_info": "More information asked",
    "budget_more_info": "More information asked by the budget holder",
    "edited": "Details changed",
    "authority_voided": "Cost authority voided: what was authorised changed",
    "resubmit": "Sent back with information",
    "withdraw": "Withdrawn",
    "fulfil": "Installed or issued",
    "assigned": "Assigned",
}
STATE_LABELS = dict(AuthorisationRequest.State.choices)

Done = TypeVar("Done")


def _visible_request(user: User, pk: int) -> AuthorisationRequest:
    return permissions.visible_or_404(
        user,
        AuthorisationRequest.objects.select_related(
            "requester",
            "department",
            "budget_holder",
            "assignee",
            "catalogue_match",
            "authorised_by",
        ),
        pk=pk,
    )


def _action_forms(
    user: User, ar: AuthorisationRequest, bound: ActionForm | None = None
) -> list[ActionForm]:
    forms = []
    for transition in workflow.available_actions(user, ar):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            forms.append(
                ActionForm(transition=transition, offer_register=ar.catalogue_match_id is None)
            )
    return forms


def _history(ar: AuthorisationRequest) -> list:
    events = list(ar.events.select_related("actor").order_by("created_at", "pk"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action.replace("_", " ").capitalize())
        moved = event.to_state != event.from_state
        event.state_label = STATE_LABELS.get(event.to_state, "") if moved else ""
    return events


def _render(
    request: HttpRequest,
    ar: AuthorisationRequest,
    *,
    action_form: ActionForm | None = None,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    is_it = permissions.can_see_internal(user)
    context = {
        "ar": ar,
        "events": _history(ar),
        "comments": [
            c for c in comments.visible_comments(user, ar) if permissions.can_view_comment(user, c)
        ],
        "attachments": list(ar.attachments.select_related("uploaded_by").order_by("created_at")),
        "action_forms": _action_forms(user, ar, action_form),
        "can_assign": permissions.can_work_queue(user)
        and ar.is_open
        and not permissions.is_requester(user, ar),
        "decision_note": workflow.it_decision_note(user, ar),
        "can_edit": ar.state == AuthorisationRequest.State.MORE_INFO
        and permissions.is_requester(user, ar),
        "is_it": is_it,
        # What changed since the cost was last authorised, for whoever authorises it again.
        "authority_changes": [] if ar.authority_holds else ar.authority_changes(),
        "self_authority_limit": settings.REQUEST_SELF_AUTHORITY_LIMIT,
        "cost_with": requesting.cost_with(ar),
        "where_now": requesting.where_next(ar) if permissions.is_requester(user, ar) else "",
        "comment_form": comment_form or CommentForm(may_be_internal=is_it),
        "upload_form": UploadForm() if attachments.can_upload(user, ar) else None,
    }
    return render(request, "requests/reviewing/detail.html", context, status=status)


def _step(
    request: HttpRequest,
    ar: AuthorisationRequest,
    take: Callable[[], Done],
    refused: type[Exception],
    success: Callable[[Done], str],
) -> HttpResponse:
    """Take one step on the request through its service, say how it went (``success`` of what
    the step returns, or why it was refused), and go back to the request."""
    try:
        done = take()
    except refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success(done))
    return redirect("requests:detail", ar.pk)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _visible_request(request.user, pk))


@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    ar = _visible_request(request.user, pk)
    action = request.POST.get("action", "")
    available = {t.action: t for t in workflow.available_actions(request.user, ar)}
    given: dict[str, Any] = {}
    if action in available:
        form = ActionForm(
            request.POST,
            transition=available[action],
            offer_register=ar.catalogue_match_id is None,
        )
        if not form.is_valid():
            # Keep what was typed, with the reason next to it.
            return _render(request, ar, action_form=form)
        given = form.cleaned_data
    # Steps not on offer still go to the service, which says why they are refused.
    details = _action_details(given)
    perform = partial(workflow.perform, actor=request.user, request=ar, action=action, **details)
    said = SUCCESS.get(action, "Done.")
    return _step(
        request,
        ar,
        perform,
        workflow.TransitionRefused,
        lambda done: said.format(ref=done.reference),
    )


def _action_details(given: dict[str, Any]) -> dict[str, Any]:
    """What the step's form gave the service; for a step not on offer, nothing."""
    return {
        "note": given.get("note", ""),
        "conditions": given.get("conditions", ""),
        "add_to_register": given.get("add_to_register", False),
    }


@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    ar = _visible_request(request.user, pk)
    assign_me = partial(workflow.assign_to_me, actor=request.user, request=ar)
    return _step(
        request,
        ar,
        assign_me,
        workflow.TransitionRefused,
        lambda _: f"{ar.reference} is now assigned to you.",
    )


@require_POST
@once
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    ar = _visible_request(request.user, pk)
    form = CommentForm(request.POST, may_be_internal=permissions.can_see_internal(request.user))
    if not form.is_valid():
        return _render(request, ar, comment_form=form)
    try:
        added = comments.add_comment(
            author=request.user,
            request=ar,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data.get("internal", False),
        )
    except comments.CommentRefused as exc:
        form.add_error("body", str(exc))
        return _render(request, ar, comment_form=form)
    kind = "internal comment" if added.internal else "comment"
    messages.success(request, f"Your {kind} has been added.")
    return redirect(reverse("requests:detail", args=[ar.pk]) + f"#comment-{added.pk}")


@require_POST
@once
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    ar = _visible_request(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("file", ["The file could not be read."])))
        return redirect("requests:detail", ar.pk)
    add = partial(
        attachments.add_attachment,
        uploader=request.user,
        request=ar,
        upload=form.cleaned_data["file"],
    )
    return _step(
        request,
        ar,
        add,
        attachments.AttachmentRefused,
        lambda added: f"{added.original_name} has been attached.",
    )


@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = permissions.visible_or_404(
        request.user, Attachment.objects.select_related("request"), pk=pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer available.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
