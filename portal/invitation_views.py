"""HR's and IT's invitations page: who cannot sign in yet, one button to invite them all, and
today's invitations as the outbox sends them (the page refreshes itself while any are waiting,
and a small script updates the counts from ``invitation_progress`` in between)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import invitations, permissions

hr_and_it_only = permissions.role_required(
    permissions.can_invite_staff, "Only HR and IT can invite people to the portal."
)


@never_cache
@require_GET
@hr_and_it_only
def invitations_page(request: HttpRequest) -> HttpResponse:
    progress = invitations.progress()
    return render(
        request,
        "portal/invitations.html",
        {
            "progress": progress,
            "refresh": progress.moving,
            "oidc_enabled": settings.OIDC_ENABLED,
            "oidc_label": settings.OIDC_BUTTON_LABEL,
        },
    )


@require_POST
@hr_and_it_only
def invite_staff(request: HttpRequest) -> HttpResponse:
    # Inviting twice the same day sends nothing twice (one key per person per day): no form
    # token is needed to make a second click harmless.
    people = invitations.request_invitations(actor=request.user, request=request)
    if people == 0:
        messages.info(
            request,
            "Nobody is waiting for an invitation: everyone has signed in or been invited today.",
        )
    else:
        noun = "person" if people == 1 else "people"
        messages.success(
            request,
            f"Inviting {people} {noun}: the counts below update as the invitations are sent.",
        )
    return redirect("invitations")


@never_cache
@require_GET
@hr_and_it_only
def invitation_progress(request: HttpRequest) -> JsonResponse:
    return JsonResponse(invitations.progress().as_data())
