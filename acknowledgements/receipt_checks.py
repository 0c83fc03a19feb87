"""Checking a receipt on the public Verify page: anyone holding a receipt, signed in or not.

Each check is counted (``portal.throttle``): per client address for someone signed out, as
``portal.client`` names it, and per person for someone signed in, so colleagues behind one
care home's connection do not use up each other's checks. Past the limit nothing is looked up;
the first refusal of each window is audited, not each one. A check itself is not audited, as
the Verify page never was: it changes nothing and shows only what the receipt shows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils import dateformat, timezone

from acknowledgements import receipts
from portal import audit, throttle
from portal.client import client_address
from portal.models import User


class TooManyChecks(Exception):
    """Past the hour's limit of checks; the message says when to try again."""


def _who(viewer: User | None, request: HttpRequest | None) -> str:
    if viewer is not None and viewer.is_authenticated:
        return f"user:{viewer.pk}"
    return f"client:{client_address(request) or ''}"


def _refusal(limit: throttle.Limit, now: datetime) -> TooManyChecks:
    window_ends = (int(now.timestamp()) // limit.seconds + 1) * limit.seconds
    at = dateformat.format(timezone.localtime(datetime.fromtimestamp(window_ends, tz=UTC)), "H:i")
    return TooManyChecks(
        f"You have reached the limit of {limit.most} receipt checks an hour, so nothing was "
        f"looked up. You can check again from {at} (UK time)."
    )


def check_receipt(
    reference: str, *, viewer: User | None, request: HttpRequest | None
) -> receipts.ReceiptVerification:
    """Look a normalised reference up for ``viewer`` (None or anonymous: signed out), within
    the limit; raises ``TooManyChecks`` past it."""
    limit = throttle.receipt_checks_per_client()
    now = timezone.now()
    hits = throttle.hit(limit, _who(viewer, request), now=now)
    if hits > limit.most:
        if hits == limit.most + 1:
            audit.record(
                actor=viewer,
                action="receipt.check_throttled",
                data={"signed_in": bool(viewer and viewer.is_authenticated)},
                request=request,
            )
        raise _refusal(limit, now)
    return receipts.verify_reference(reference)
