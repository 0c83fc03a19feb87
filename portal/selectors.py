from __future__ import annotations

from django.db.models import QuerySet

from portal.models import AuditEvent, Notification, User


def inbox_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).only(
        "id", "subject", "created_at", "read_at", "link", "kind"
    )


def team_of(manager: User) -> QuerySet[User]:
    return (
        User.objects.filter(line_manager=manager, is_active=True)
        .select_related("department")
        .order_by("last_name", "first_name")
    )


def audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if action:
        events = events.filter(action__startswith=action)
    return events
