"""Organisation sign-in: start at the provider, come back to the callback.

Both are GET: the portal's CSP (``form-action 'self'``) stops a form from being redirected to
another site, so sign-in starts with a link.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from portal.forms import SignInForm
from portal.oidc import client, people, sessions

UNAVAILABLE = (
    "We cannot reach your organisation's sign-in service at the moment. Please try again in a "
    "few minutes."
)
REAUTH_REFUSED = {
    "cancelled": "You cancelled confirming it is you at your organisation's sign-in. "
    "Nothing has been signed.",
    "another_person": "Someone else signed in at your organisation's sign-in. Only you can sign "
    "for yourself. Nothing has been signed.",
    "stale_auth_time": "Your organisation's sign-in did not ask for your password just now, so "
    "it did not confirm it is you. Please try again. Nothing has been signed.",
}
REAUTH_OTHER = "We could not confirm it is you. Please try again. Nothing has been signed."


def _enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404("Organisation sign-in is not switched on.")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    candidate = request.GET.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def sign_in_page_context() -> dict[str, object]:
    """What the sign-in page shows besides the password form."""
    return {
        "oidc_enabled": settings.OIDC_ENABLED,
        "oidc_button_label": settings.OIDC_BUTTON_LABEL,
        "password_sign_in": settings.PASSWORD_SIGN_IN,
    }


def _unavailable(request: HttpRequest) -> HttpResponse:
    context = {"form": SignInForm(request), "oidc_error": UNAVAILABLE, **sign_in_page_context()}
    return render(request, "registration/login.html", context, status=503)


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    _enabled()
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    try:
        url = client.authorisation_url(request, purpose="sign-in", next_url=next_url)
    except client.ProviderUnavailable:
        return _unavailable(request)
    return redirect(url)


@require_GET
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Ask the provider to confirm it is the signed-in person, now (signing a policy)."""
    _enabled()
    next_url = _safe_next(request, "home")
    if sessions.identity(request) is None:
        raise Http404("This session did not sign in with the organisation's account.")
    try:
        url = client.authorisation_url(
            request, purpose="reauthenticate", next_url=next_url, reauthenticate=True
        )
    except client.ProviderUnavailable:
        messages.error(request, UNAVAILABLE + " Nothing has been signed.")
        return redirect(next_url)
    return redirect(url)


@login_not_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    _enabled()
    try:
        answer = client.complete(request)
    except client.ProviderUnavailable:
        return _unavailable(request)
    except client.Refused as refused:
        return _refused(request, refused, flow=refused.flow)
    if answer.flow["purpose"] == "reauthenticate":
        return _reauthenticated(request, answer)
    try:
        user = people.person_for(answer.claims, request=request)
    except client.Refused as refused:
        return _refused(request, refused, flow=answer.flow)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.remember_identity(request, issuer=answer.claims["iss"], subject=answer.claims["sub"])
    return redirect(answer.flow["next"])


def _reauthenticated(request: HttpRequest, answer: client.Answer) -> HttpResponse:
    try:
        reauth = sessions.check_reauthentication(
            answer.claims, flow=answer.flow, signed_in_as=sessions.identity(request)
        )
    except client.Refused as refused:
        people.record_refusal(refused, request=request, user=request.user)
        messages.error(request, REAUTH_REFUSED.get(refused.reason, REAUTH_OTHER))
        return redirect(answer.flow["next"])
    sessions.keep_reauthentication(request, reauth)
    return redirect(answer.flow["next"])


def _refused(
    request: HttpRequest, refused: client.Refused, *, flow: dict[str, Any] | None
) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    people.record_refusal(refused, request=request, user=user)
    if user is not None and flow is not None and flow["purpose"] == "reauthenticate":
        messages.error(request, REAUTH_REFUSED.get(refused.reason, REAUTH_OTHER))
        return redirect(flow["next"])
    context = {"reason": refused.reason, **sign_in_page_context()}
    return render(request, "portal/oidc_refused.html", context, status=403)
