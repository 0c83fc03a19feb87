"""Who may see a request, its address and snapshots, for the tests of a request's page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent, Notification
from requests.models import AuthorisationRequest, CatalogueItem, RequestEvent

State = AuthorisationRequest.State


MAY_NOT_SEE = ["outsider", "other_budget_holder", "hr_user"]


def detail_url(ar: AuthorisationRequest) -> str:
    return reverse("requests:detail", args=[ar.pk])


def snapshot(ar: AuthorisationRequest) -> tuple:
    """Everything a step could change on the request, and the traces it would leave."""
    ar = AuthorisationRequest.objects.get(pk=ar.pk)
    return (
        ar.state,
        ar.budget_approved_at,
        ar.decided_at,
        ar.fulfilled_at,
        ar.decision_reason,
        ar.conditions,
        ar.fulfilment_note,
        ar.catalogue_match_id,
        ar.assignee_id,
        RequestEvent.objects.filter(request=ar).count(),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),  # signing in is audited
        Notification.objects.count(),
        CatalogueItem.objects.count(),
    )


def act(client: Client, ar: AuthorisationRequest, action: str, **data: str):
    return client.post(reverse("requests:act", args=[ar.pk]), {"action": action, **data})
