"""The operations page for IT and admins: the portal's health, scheduled jobs and the outbox."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal import health, operations, permissions, scheduling
from portal.idempotency import once
from portal.models import Notification

operators_only = permissions.role_required(
    permissions.can_view_operations, "Only IT and administrators can see the portal's operations."
)


@require_GET
@operators_only
def operations_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/operations.html",
        {
            "health": health.report(),
            "jobs": operations.job_rows(),
            "runs": operations.recent_runs(),
            "outbox": operations.outbox_state(),
            "accounts": operations.sign_in_methods(),
            "pending": operations.pending_notifications(),
            "failed": operations.failed_notifications(),
        },
    )


@require_POST
@once
@operators_only
def run_job(request: HttpRequest, name: str) -> HttpResponse:
    if name not in scheduling.JOBS:
        raise Http404("No such job.")
    try:
        queued = operations.run_job_now(actor=request.user, name=name, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("operations")
    title = scheduling.get(name).title
    if queued:
        messages.success(
            request, f"“{title}” is queued: a worker runs it in a moment. Refresh to see the run."
        )
    else:
        messages.warning(
            request,
            f"The worker queue cannot be reached, so “{title}” could not be queued now; it "
            "still runs at its scheduled time.",
        )
    return redirect("operations")


@require_POST
@operators_only
def retry_notification(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = operations.retry_notification(
            actor=request.user, notification_id=pk, request=request
        )
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    except operations.NotRetryable as exc:
        messages.info(request, str(exc))
    else:
        messages.success(
            request,
            f"“{notification.subject}” to {notification.to_email} is being sent again.",
        )
    return redirect("operations")


@require_POST
@operators_only
def retry_failed(request: HttpRequest) -> HttpResponse:
    count = operations.retry_all_failed(actor=request.user, request=request)
    noun = "notification" if count == 1 else "notifications"
    messages.success(request, f"{count} failed {noun} will be sent again.")
    return redirect("operations")
