"""The sign-in lockout, as pages explain it: how many wrong passwords someone has left before
signing in to their account is paused, and for how long.

The rule itself is django-axes' (``AXES_FAILURE_LIMIT`` wrong passwords for an account from one
address pause signing in to it for ``AXES_COOLOFF_TIME``); this module only reads it, so a page
that asks for a password again (the signing form) can warn before the last attempt.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.http import HttpRequest


def attempts_left(request: HttpRequest, sign_in_name: str) -> int:
    """Wrong passwords ``sign_in_name`` may still type from this address before the pause."""
    credentials = {"username": sign_in_name}
    limit = get_failure_limit(request, credentials)
    return max(limit - AxesProxyHandler.get_failures(request, credentials), 0)


def pause_minutes() -> int:
    return max(int(settings.AXES_COOLOFF_TIME.total_seconds() // 60), 1)


def pause_text() -> str:
    """How long the pause lasts, in words: '15 minutes'."""
    minutes = pause_minutes()
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
