"""Account events with side effects beyond Django's own: audit, the owner's notices, and the
limits on sign-in failures and password-reset e-mails (``portal.throttle``)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal import audit, outbox, throttle, typed
from portal.client import client_address
from portal.models import AuditEvent, Notification, User

EMAIL_CHANGED_KIND = "email-changed"
PASSWORD_RESET_KIND = "password-reset"  # a kind of notice  # noqa: S105  # nosec B105


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
    old_email: str | None  # None: the account had no address


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
    changes = [c for c in changes if (c.old_email or "").lower() != (c.user.email or "").lower()]
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
            address=change.old_email or "",
        )


# --- "Forgotten your password?" ----------------------------------------------------------------
def password_reset_link(user: User) -> str:
    """A one-time link to choose a password, made when the e-mail is sent and never stored
    (``outbox.SEND_TIME_SECRETS``, registered in ``apps.py``).

    Django's password-reset token: it stops working once a password is chosen (the hash it
    covers changes) and ``PASSWORD_RESET_TIMEOUT`` after the e-mail was sent.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return outbox.absolute_url(reverse("password_reset_confirm", args=[uid, token]))


def password_reset_requested(
    *, email: str, users: Iterable[User], request: HttpRequest | None = None
) -> int:
    """Send a link to choose a password to ``users`` (the active accounts with ``email``), through
    the outbox; returns how many messages were queued.

    At most ``PASSWORD_RESETS_PER_CLIENT_PER_HOUR`` requests from one client address and
    ``PASSWORD_RESETS_PER_ADDRESS_PER_HOUR`` for one e-mail address are acted on; beyond
    either nothing is sent, and the first refusal of each hour is audited. Whoever asks sees
    the same page either way, and for an address with no account. The mail goes through the
    outbox, so a mail server that is down delays it instead of losing it, and its link is made
    when it is sent.
    """
    client = client_address(request) or ""
    for limit, who, counted in (
        (throttle.password_resets_per_client(), client, "client address"),
        (throttle.password_resets_per_address(), email.strip().casefold(), "e-mail address"),
    ):
        hits = throttle.hit(limit, who)
        if hits > limit.most:
            if hits == limit.most + 1:
                audit.record(
                    actor=None,
                    action="auth.password_reset_throttled",
                    data={"email": email[:254], "limit": counted, "per_hour": limit.most},
                    request=request,
                )
            return 0
    queued = 0
    with transaction.atomic():
        for user in users:
            outbox.notify(
                recipient=user,
                kind=PASSWORD_RESET_KIND,
                dedupe_key=f"{PASSWORD_RESET_KIND}:{user.pk}:{uuid.uuid4().hex}",
                context={
                    "reset_link": outbox.SECRET_PLACEHOLDER,
                    "link_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
                },
            )
            audit.record(
                actor=None, action="auth.password_reset_requested", obj=user, request=request
            )
            queued += 1
    return queued


# --- Sign-in failures from one client address ---------------------------------------------------
def _signed_in_from(name: str, client: str) -> bool:
    """Whether the account ``name`` (an address or employee number) has signed in from
    ``client`` before."""
    name = typed.sign_in_name(name)
    whose = Q(actor__email=name) if "@" in name else Q(actor__employee_number=name)
    return AuditEvent.objects.filter(whose, action="auth.login", ip_address=client).exists()


def _address_throttled(email: str, request: HttpRequest | None) -> None:
    audit.record(
        actor=None,
        action="auth.address_throttled",
        data={"email": email[:254]},
        request=request,
    )


def sign_in_refused(*, email: str, request: HttpRequest | None) -> bool:
    """Whether to refuse a sign-in before its password is checked (audited when refused).

    Once a client address has had ``SIGN_IN_FAILURES_PER_CLIENT`` failures in its window, across
    any accounts, only accounts that have signed in from that address before may try their
    password there. Colleagues who share a care home's connection sign in from it every day,
    so they still get in; someone trying many accounts from one address is refused without
    learning anything about the passwords. A refusal counts as a failure: the address stays
    limited while the attempts go on.
    """
    client = client_address(request) or ""
    limit = throttle.sign_in_failures_per_client()
    if throttle.count(limit, client) < limit.most or _signed_in_from(email, client):
        return False
    throttle.hit(limit, client)
    _address_throttled(email, request)
    return True


def sign_in_failed(*, email: str, request: HttpRequest | None) -> bool:
    """Count a failed sign-in against the client address; True once the address is over its
    limit, when the answer is the same as a refusal's (so a wrong password there reads like
    one nobody checked)."""
    limit = throttle.sign_in_failures_per_client()
    if throttle.hit(limit, client_address(request) or "") <= limit.most:
        return False
    _address_throttled(email, request)
    return True
