"""Finding the person an organisation sign-in belongs to: never a new account.

The first sign-in links the provider's subject to the person in the staff directory, by
verified e-mail or by the claim ``OIDC_MATCH_CLAIM`` names (an employee number, say); later
sign-ins go by the stored subject, so a changed address does not make a second person.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal import audit, typed
from portal.models import ExternalIdentity, User
from portal.oidc.client import Refused


def _email(claims: dict[str, Any]) -> str:
    """The verified address in ``claims``: one the provider says is verified. Entra ID sends no
    ``email_verified``; with one tenant configured (and the token's ``tid`` checked against it)
    its address, or failing that ``preferred_username`` (the sign-in name, UPN), is the
    organisation's own. With no tenant configured an address nobody vouches for matches nobody."""
    verified = claims.get("email_verified")
    if verified is not True and not (verified is None and settings.OIDC_TENANT_ID):
        return ""
    address = claims.get("email")
    if not address and settings.OIDC_TENANT_ID:
        address = claims.get("preferred_username") or claims.get("upn")
    return typed.email(address) if isinstance(address, str) else ""


def _by_claim(claims: dict[str, Any]) -> User | None:
    claim = settings.OIDC_MATCH_CLAIM
    if claim == "email":
        address = _email(claims)
        return User.objects.filter(email=address).first() if address else None
    value = claims.get(claim)
    if not isinstance(value, str | int) or not str(value).strip():
        return None
    return User.objects.filter(employee_number=str(value).strip()).first()


def _check_may_sign_in(user: User, claims: dict[str, Any]) -> None:
    if not user.is_active:
        raise Refused("account_closed", claims=claims)
    if user.end_date is not None and user.end_date < timezone.localdate():
        raise Refused("left", claims=claims)


def person_for(claims: dict[str, Any], *, request: HttpRequest) -> User:
    """The person whose sign-in ``claims`` are, linking the subject at the first sign-in."""
    issuer, subject = claims["iss"], claims["sub"]
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is not None:
            _check_may_sign_in(identity.user, claims)
            identity.last_sign_in_at = timezone.now()
            identity.save(update_fields=["last_sign_in_at"])
            return identity.user
        user = _by_claim(claims)
        if user is None:
            raise Refused("unknown_person", claims=claims)
        _check_may_sign_in(user, claims)
        if ExternalIdentity.objects.filter(issuer=issuer, user=user).exists():
            # Another account at the provider already signs this person in.
            raise Refused("linked_to_another_account", claims=claims)
        identity = ExternalIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, last_sign_in_at=timezone.now()
        )
        audit.record(
            actor=user,
            action="auth.oidc_linked",
            obj=user,
            data={"issuer": issuer, "subject": subject, "matched_by": settings.OIDC_MATCH_CLAIM},
            request=request,
        )
    return user


def record_refusal(refused: Refused, *, request: HttpRequest, user: User | None = None) -> None:
    """Every refused organisation sign-in or re-authentication leaves an audit event."""
    claims = refused.claims
    audit.record(
        actor=user,
        action="auth.oidc_refused",
        obj=user,
        data={
            "reason": refused.reason,
            "issuer": str(claims.get("iss", ""))[:300],
            "subject": str(claims.get("sub", ""))[:255],
            "email": str(claims.get("email", ""))[:254],
        },
        request=request,
    )
