from __future__ import annotations

from django.db.models import QuerySet

from portal.models import AuditEvent, Notification, User


def inbox_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).only(
        "id", "subject", "created_at", "read_at", "link", "kind"
    )


def audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if "\x00" in action:
        # No action holds a NUL, and PostgreSQL refuses one in a query.
        return events.none()
    if action.endswith("."):
        events = events.filter(action__startswith=action)  # every action of a group
    elif action:
        events = events.filter(action=action)
    return events
