"""Sign-in events go to the audit trail.

Django and django-axes announce these with signals; the receivers only record, so the rule
"no business logic in signals" still holds.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal import audit, typed


def lockout_username(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """The address or employee number that django-axes counts failed sign-ins against
    (AXES_USERNAME_CALLABLE), as sign-in looks it up."""
    source = credentials or getattr(request, "POST", {})
    return typed.sign_in_name(str(source.get("username") or "")) or None


@receiver(user_logged_in, dispatch_uid="portal-audit-login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.login", obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="portal-audit-logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action="auth.logout", obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="portal-audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # Only the address typed is kept; Django has already masked the password.
    audit.record(
        actor=None,
        action="auth.login_failed",
        data={"email": str(credentials.get("username", ""))[:254]},
        request=request,
    )


@receiver(user_locked_out, dispatch_uid="portal-audit-lockout")
def _locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str, **kw: Any
) -> None:
    name = typed.sign_in_name(username or "")
    users = get_user_model().objects
    user = (users.filter(email=name) if "@" in name else users.filter(employee_number=name)).first()
    audit.record(
        actor=None,
        action="auth.locked_out",
        obj=user,
        data={"email": (username or "")[:254]},
        request=request,
    )
