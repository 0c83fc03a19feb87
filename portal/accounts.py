"""Account events with side effects beyond Django's own: audit and the owner's notice."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from portal import audit, outbox
from portal.models import Notification, User

EMAIL_CHANGED_KIND = "email-changed"


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


@dataclass(frozen=True)
class EmailChange:
    user: User  # saved with its new address
    old_email: str


def emails_changed(
    *,
    actor: User | None,
    changes: Sequence[EmailChange],
    source: str,
    request: HttpRequest | None = None,
) -> None:
    """What follows every change of an account's e-mail address, whoever made it.

    An address is how an account is recovered, so a change is treated like a password change:
    the old address is told (its owner may not know), every session of the account ends (a new
    session stamp; ``update_session_auth_hash`` keeps the changer's own), and the one-time links
    already made or queued for it stop working. Django's password-reset token covers the
    address, so a link made before the change is refused after it; an invitation still waiting
    in the outbox is not sent. Call inside the transaction that saved the new addresses.
    """
    # Another case of the same address reaches the same mailbox: not a change of address.
    changes = [c for c in changes if c.old_email.lower() != c.user.email.lower()]
    if not changes:
        return
    users = [c.user for c in changes]
    for user in users:
        user.session_stamp = secrets.token_hex(16)
    User.objects.bulk_update(users, ["session_stamp"])
    Notification.objects.filter(
        recipient__in=users,
        kind__in=list(outbox.SEND_TIME_SECRETS),
        status__in=Notification.WAITING,
    ).update(
        status=Notification.Status.FAILED,
        last_error="Not sent: the account's e-mail address changed after it was written.",
    )
    now = timezone.now()
    audit.record_many(
        [
            audit.event(
                actor=actor,
                action="user.email_changed",
                obj=change.user,
                data={"from": change.old_email, "to": change.user.email, "source": source},
                request=request,
            )
            for change in changes
        ]
    )
    for change in changes:
        outbox.notify(
            recipient=change.user,
            kind=EMAIL_CHANGED_KIND,
            dedupe_key=f"{EMAIL_CHANGED_KIND}:{change.user.pk}:{change.user.session_stamp}",
            context={
                "old_email": change.old_email,
                "new_email": change.user.email,
                "changed_at": now,
            },
            to_address=change.old_email,
        )
