"""HR reminds the overdue people a filter of the staff list shows: the count, then a confirm."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from acknowledgements import chasing
from acknowledgements.models import Policy
from acknowledgements.views.staff_status import filter_form
from portal import permissions as roles
from portal.idempotency import once

NOT_ALLOWED = "Only HR can remind the overdue people of a whole group."


@require_http_methods(["GET", "POST"])
@roles.role_required(chasing.may_remind_overdue, NOT_ALLOWED)
@once
def remind_overdue(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    form = filter_form(request, policy, request.POST if request.method == "POST" else None)
    filters = form.filters()
    if request.method == "GET":
        context = {
            "policy": policy,
            "form": form,
            "preview": chasing.preview(request.user, policy, filters),
        }
        return render(request, "acknowledgements/staff_status/remind_overdue.html", context)
    found = chasing.request_reminders(
        actor=request.user, policy=policy, filters=filters, request=request
    )
    if found.to_send:
        messages.success(request, chasing.queued_message(found))
    else:
        messages.info(request, chasing.nothing_message(found))
    url = reverse("acknowledgements:staff_list", args=[policy.slug])
    query = form.query_string()
    return redirect(f"{url}?{query}" if query else url)
