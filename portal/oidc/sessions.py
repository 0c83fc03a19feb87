"""What a session remembers about organisation sign-in, and the rule for a fresh
re-authentication at signing (one home for both)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from portal.oidc.client import LEEWAY_SECONDS, Refused

IDENTITY = "oidc_identity"
REAUTHENTICATION = "oidc_reauthentication"
# A re-authentication older than this does not sign anything.
FRESH_SECONDS = 5 * 60


@dataclass(frozen=True)
class Reauthentication:
    """The provider's proof that the person signed in again there, just now."""

    issuer: str
    subject: str
    auth_time: int

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.auth_time, tz=UTC)

    def describe(self) -> str:
        """The authentication method as the signature record, receipt and PDF state it."""
        return (
            f"organisation sign-in re-authentication at {self.issuer}, subject {self.subject}, "
            f"at {self.at:%Y-%m-%d %H:%M:%S} UTC"
        )


def remember_identity(request: HttpRequest, *, issuer: str, subject: str) -> None:
    """Called after ``login``: this session came from the provider, for this subject."""
    request.session[IDENTITY] = {"issuer": issuer, "subject": subject}


def identity(request: HttpRequest) -> dict[str, str] | None:
    """The provider account this session signed in with, or None for a password session."""
    value = request.session.get(IDENTITY)
    return value if isinstance(value, dict) else None


def check_reauthentication(
    claims: dict[str, Any], *, flow: dict[str, Any], signed_in_as: dict[str, str] | None
) -> Reauthentication:
    """The re-authentication ``claims`` prove, or ``Refused``: it must be the same subject as
    the session's, and ``auth_time`` must fall after the request was sent and within
    ``FRESH_SECONDS`` of now."""
    if signed_in_as is None:
        raise Refused("not_signed_in_with_provider", claims=claims)
    if claims["iss"] != signed_in_as["issuer"] or claims["sub"] != signed_in_as["subject"]:
        raise Refused("another_person", claims=claims)
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int) or isinstance(auth_time, bool):
        # max_age was sent, so a provider that leaves auth_time out has not proved anything.
        raise Refused("missing_auth_time", claims=claims)
    reauth = Reauthentication(issuer=claims["iss"], subject=claims["sub"], auth_time=auth_time)
    if not is_fresh(reauth) or auth_time < flow["started_at"] - LEEWAY_SECONDS:
        raise Refused("stale_auth_time", claims=claims)
    return reauth


def is_fresh(reauth: Reauthentication) -> bool:
    age = time.time() - reauth.auth_time
    return -LEEWAY_SECONDS <= age <= FRESH_SECONDS


def keep_reauthentication(request: HttpRequest, reauth: Reauthentication) -> None:
    request.session[REAUTHENTICATION] = {
        "issuer": reauth.issuer,
        "subject": reauth.subject,
        "auth_time": reauth.auth_time,
    }


def take_reauthentication(request: HttpRequest) -> Reauthentication | None:
    """The re-authentication the callback kept, removed: it signs one thing at most."""
    value = request.session.pop(REAUTHENTICATION, None)
    if not isinstance(value, dict):
        return None
    return Reauthentication(**value)
