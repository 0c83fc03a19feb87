"""The audit trail: every service records its state changes here, in its own transaction."""

from __future__ import annotations

from datetime import date
from typing import Any, Required, TypedDict, Unpack

from django.db import models
from django.http import HttpRequest

from portal.client import client_address
from portal.models import AuditEvent, User

# Never stored, whatever a caller passes in ``data``.
_SECRET_WORDS = ("password", "token", "secret", "session", "csrf")


def _scrub(value: Any) -> Any:
    """``value`` without secret-named keys, in dictionaries at any depth, lists included; dates
    and times are stored as ISO 8601 text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {
            key: _scrub(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in _SECRET_WORDS)
        }
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """An unsaved audit event; services writing many at once pass them to ``record_many``."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=_scrub(data or {}),
        ip_address=client_address(request),
    )


class EventFields(TypedDict, total=False):
    """The keywords of ``event``, which ``record`` passes on."""

    actor: Required[User | None]
    action: Required[str]
    obj: models.Model | None
    data: dict[str, Any] | None
    request: HttpRequest | None


def record(**fields: Unpack[EventFields]) -> AuditEvent:
    """``event(...)``, saved."""
    audit_event = event(**fields)
    audit_event.save()
    return audit_event


def record_many(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=1000)
