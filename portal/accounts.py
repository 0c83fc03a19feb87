"""Account events with side effects beyond Django's own: audit and the owner's notice."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from portal import audit, outbox
from portal.models import User


def password_changed(*, user: User, how: str, request: HttpRequest | None = None) -> None:
    """Record a password change and tell the owner, in case it was not them."""
    audit.record(actor=user, action=f"auth.password_{how}", obj=user, request=request)
    outbox.notify(
        recipient=user,
        kind="password-changed",
        dedupe_key=f"password-changed:{user.pk}:{user.password_changed_at.isoformat()}",
        context={"changed_at": user.password_changed_at, "how": how},
        link=reverse("password_change"),
    )
