"""Lists of requests waiting for someone: a budget holder's approvals and the IT queue."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import permissions as roles
from portal.models import Department
from requests import permissions, selectors
from requests import queue as request_queue
from requests.forms.reviewing import QueueFilterForm


@require_GET
@roles.role_required(
    selectors.may_authorise,
    "Only a budget holder, or someone asked to authorise a cost, has approvals to give.",
)
def approvals(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.awaiting_authority(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "requests/queue/approvals.html", {"page": page})


@require_GET
@roles.role_required(permissions.can_work_queue, "Only the IT Department works the request queue.")
def it_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = _filter_form(request)
    filters = form.filters()
    after = request_queue.parse_cursor(request.GET.get("after"))
    found = request_queue.page(filters, user, after=after)
    counts = request_queue.state_counts(filters, user)
    return render(
        request,
        "requests/queue/it_queue.html",
        {
            "form": form,
            "filters": filters,
            "page": found,
            "counts": [
                (value, label, counts[value]) for value, label in request_queue.state_choices()
            ],
            "next_after": found.next_cursor.encode() if found.next_cursor else "",
        },
    )


@never_cache
@require_GET
@roles.role_required(permissions.can_work_queue, "Only the IT Department works the request queue.")
def it_queue_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every request the queue shows under its filters, all pages, as a spreadsheet."""
    filters = _filter_form(request).filters()
    request_queue.record_export(actor=request.user, filters=filters, request=request)
    return StreamingHttpResponse(
        request_queue.csv_lines(filters, request.user),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{request_queue.csv_filename()}"'},
    )


def _filter_form(request: HttpRequest) -> QueueFilterForm:
    """The queue's filters, offering every department and every active member of IT."""
    it_members = list(
        roles.it_staff()
        .order_by("first_name", "last_name", "pk")
        .values_list("pk", "first_name", "last_name", "email")
    )
    return QueueFilterForm(
        request.GET,
        departments=list(Department.objects.order_by("name").values_list("pk", "name")),
        it_members=[
            (pk, f"{first} {last}".strip() or email) for pk, first, last, email in it_members
        ],
    )


@require_GET
@roles.role_required(
    permissions.can_see_waiting_for_budget_holder,
    "Only HR sees the requests waiting for a budget holder.",
)
def waiting_for_budget_holder(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.waiting_for_budget_holder(), 50).get_page(request.GET.get("page"))
    return render(request, "requests/queue/waiting_for_budget_holder.html", {"page": page})
