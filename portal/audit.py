"""The audit trail: every service records its state changes here, in its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from portal.models import AuditEvent, User

# Never stored, whatever a caller passes in ``data``.
_SECRET_WORDS = ("password", "token", "secret", "session", "csrf")


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _scrub(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if any(word in key.lower() for word in _SECRET_WORDS):
            continue
        clean[key] = _scrub(value) if isinstance(value, dict) else value
    return clean


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=_scrub(data or {}),
        ip_address=client_ip(request),
    )
