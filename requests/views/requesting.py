"""The employee's pages: make a request, follow one's requests, answer IT's questions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal.idempotency import once
from portal.models import User
from requests import catalogue, permissions, requesting, selectors, workflow
from requests.forms.requesting import form_for
from requests.models import AuthorisationRequest, CatalogueItem
from requests.workflow import TransitionRefused

State = AuthorisationRequest.State

PAGE_SIZE = 25
MATCHES_SHOWN = 8
SUBMITTED = "Your request {ref} has been submitted."
CHANGES_SENT = "Your changes to {ref} are saved and the request has been sent back."


def _register_matches(text: str, kind: str) -> list[CatalogueItem]:
    text = text.strip()[:200]
    return list(catalogue.search(text, kind=kind)[:MATCHES_SHOWN]) if text else []


@require_GET
def choose_kind(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/requesting/choose_kind.html", {"kinds": requesting.KINDS})


@require_http_methods(["GET", "POST"])
@once
def new_request(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = form_for(kind)
    if form_class is None:
        raise Http404("There is no such kind of request.")
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            draft = form.save(commit=False)
            send = partial(workflow.submit, requester=request.user, request=draft)
            filed = _sent(request, form, send, done=SUBMITTED)
            if filed is not None:
                return filed
        looked_up = str(form["item"].value() or "")
    else:
        looked_up = request.GET.get("q", "").strip()[:200]
        form = form_class(initial={"item": looked_up} if looked_up else None)
    return render(
        request,
        "requests/requesting/new_request.html",
        _new_request_page(request.user, form, kind, looked_up),
    )


def _new_request_page(user: User, form: ModelForm, kind: str, looked_up: str) -> dict[str, Any]:
    """The form, what the register already holds like it, and who authorises the cost."""
    department = user.department
    return {
        "form": form,
        "info": requesting.KIND_INFO[kind],
        "q": looked_up,
        "matches": _register_matches(looked_up, kind),
        "department": department,
        "budget_holder": department.budget_holder if department else None,
    }


def _sent(
    request: HttpRequest,
    form: ModelForm,
    send: Callable[[], AuthorisationRequest],
    *,
    done: str,
) -> HttpResponse | None:
    """Send the request through the service and go to it, saying ``done`` and what happens
    next; None when the form now says why it was refused."""
    try:
        sent = send()
    except TransitionRefused as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(request, f"{done.format(ref=sent.reference)} {requesting.where_next(sent)}")
    return redirect("requests:detail", sent.pk)


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    rows = selectors.mine(request.user)
    if state:
        rows = rows.filter(state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    label = State(state).label if state else ""
    return render(
        request,
        "requests/requesting/my_requests.html",
        {"page": page, "state": state, "state_label": label, "states": State.choices},
    )


@require_http_methods(["GET", "POST"])
def edit_request(request: HttpRequest, pk: int) -> HttpResponse:
    ar = permissions.visible_or_404(
        request.user, AuthorisationRequest.objects.select_related("budget_holder"), pk=pk
    )
    if not permissions.is_requester(request.user, ar):
        raise PermissionDenied("Only the person who made a request can change it.")
    if ar.state != State.MORE_INFO:
        return _not_open_to_changes(request, ar)
    form = _change_form(request, ar)
    if request.method == "POST" and form.is_valid():
        send = partial(
            requesting.resubmit_with_changes, actor=request.user, request=ar, changes=form.instance
        )
        sent = _sent(request, form, send, done=CHANGES_SENT)
        if sent is not None:
            return sent
    return render(
        request,
        "requests/requesting/edit_request.html",
        {
            "ar": ar,
            "form": form,
            "info": requesting.KIND_INFO[ar.kind],
            "question": requesting.latest_question(ar),
        },
    )


def _change_form(request: HttpRequest, ar: AuthorisationRequest) -> ModelForm:
    """The request's form over a draft of it: the request itself changes only when sent back."""
    form_class = form_for(ar.kind)
    if form_class is None:
        raise Http404("No such request.")
    data = request.POST if request.method == "POST" else None
    return form_class(data, instance=requesting.draft_of(ar))


def _not_open_to_changes(request: HttpRequest, ar: AuthorisationRequest) -> HttpResponse:
    messages.info(
        request,
        f"{ar.reference} is “{ar.get_state_display()}”. A request can be changed only "
        "while more information is asked for.",
    )
    return redirect("requests:detail", ar.pk)
