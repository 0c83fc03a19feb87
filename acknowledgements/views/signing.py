"""Signing the current version of a policy.

A person signed in with a password types it again. A person signed in with the organisation's
account confirms it is them there instead: the typed name and the tick are kept in the session
(``PENDING``) while they go to their organisation's sign-in and back (``sign_confirm``, then
``sign_complete``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from acknowledgements import publishing, selectors, signing
from acknowledgements.forms.signing import ProviderSignForm, SignForm
from acknowledgements.models import Acknowledgement, Policy, PolicyVersion
from portal.oidc import sessions

ALREADY_SIGNED = "You had already signed this version. Your receipt is below."
NEWER_VERSION = (
    "A new version of the {title} was published while you were reading. Please read it before "
    "signing. Nothing has been signed."
)
SIGNED = (
    "Thank you: you have signed the {title}, {label}. This is your receipt; a copy has been "
    "sent to your inbox."
)
NOT_CONFIRMED = "Confirm it is you at your organisation's sign-in to sign. Nothing has been signed."
PENDING = "signing_pending"


def _current(slug: str) -> tuple[Policy, PolicyVersion]:
    policy = get_object_or_404(Policy, slug=slug)
    version = publishing.current_version(policy)
    if version is None:
        raise Http404("This policy has no published version.")
    return policy, version


def _form_class(request: HttpRequest) -> type[SignForm]:
    return ProviderSignForm if sessions.identity(request) else SignForm


def _pending(request: HttpRequest, policy: Policy) -> dict[str, Any] | None:
    value = request.session.get(PENDING)
    return value if isinstance(value, dict) and value.get("policy") == policy.pk else None


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    policy, version = _current(slug)
    form_class = _form_class(request)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            signed = _sign(request, form, policy, version)
            if signed is not None:
                return signed
    else:
        signed = Acknowledgement.objects.filter(user=request.user, version=version).first()
        if signed is not None:
            return _already_signed(request, signed)
        initial = {"version": version.number}
        if kept := _pending(request, policy):
            initial["printed_name"] = kept["printed_name"]  # back from the provider
        form = form_class(initial=initial)
    return render(
        request,
        "acknowledgements/signing/sign.html",
        {
            "form": form,
            "policy": policy,
            "version": version,
            "statement": signing.statement_for(version),
            "status": selectors.status_for(request.user, policy),
            "by_provider": form_class is ProviderSignForm,
            "last_attempt": _last_attempt(request, form),
        },
    )


def _last_attempt(request: HttpRequest, form: SignForm) -> str | None:
    """The warning before the last password the lockout allows, once a password was refused."""
    if request.method == "POST" and form.has_error("password"):
        return signing.lockout_warning(request, request.user)
    return None


def _sign(
    request: HttpRequest, form: SignForm, policy: Policy, version: PolicyVersion
) -> HttpResponse | None:
    """Sign through the service and go to the receipt; None when the form now says why not."""
    if form.cleaned_data["version"] != version.number:
        messages.warning(request, NEWER_VERSION.format(title=policy.title))
        return redirect("acknowledgements:policy_detail", slug=policy.slug)
    if isinstance(form, ProviderSignForm):
        return _confirm_at_provider(request, form, policy, version)
    try:
        ack = signing.sign(
            user=request.user,
            version=version,
            printed_name=form.cleaned_data["printed_name"],
            password=form.cleaned_data["password"],
            request=request,
        )
    except signing.AlreadySigned as exc:
        return _already_signed(request, exc.acknowledgement)
    except signing.SigningError as exc:
        form.add_error(exc.field, str(exc))
        return None
    return _signed(request, ack)


def _confirm_at_provider(
    request: HttpRequest, form: SignForm, policy: Policy, version: PolicyVersion
) -> HttpResponse | None:
    """The name is checked now, so nobody goes to their provider only to be told it is wrong."""
    try:
        signing.check_printed_name(request.user, form.cleaned_data["printed_name"])
    except signing.SigningError as exc:
        form.add_error(exc.field, str(exc))
        return None
    request.session[PENDING] = {
        "policy": policy.pk,
        "version": version.number,
        "printed_name": form.cleaned_data["printed_name"],
    }
    return redirect("acknowledgements:sign_confirm", slug=policy.slug)


@require_GET
def sign_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """The step before the provider: a link, because the CSP stops a form going to another site."""
    policy, version = _current(slug)
    pending = _pending(request, policy)
    if pending is None or sessions.identity(request) is None:
        return redirect("acknowledgements:sign", slug=slug)
    complete = reverse("acknowledgements:sign_complete", args=[slug])
    return render(
        request,
        "acknowledgements/signing/confirm.html",
        {"policy": policy, "version": version, "pending": pending, "complete_url": complete},
    )


@require_GET
def sign_complete(request: HttpRequest, slug: str) -> HttpResponse:
    """Back from the provider: sign with the re-authentication the callback checked."""
    policy, version = _current(slug)
    reauthentication = sessions.take_reauthentication(request)
    pending = _pending(request, policy)
    if reauthentication is None or pending is None:
        if reauthentication is None and not messages.get_messages(request):
            messages.error(request, NOT_CONFIRMED)
        return redirect("acknowledgements:sign", slug=slug)
    if pending["version"] != version.number:
        messages.warning(request, NEWER_VERSION.format(title=policy.title))
        return redirect("acknowledgements:policy_detail", slug=policy.slug)
    try:
        ack = signing.sign(
            user=request.user,
            version=version,
            printed_name=pending["printed_name"],
            reauthentication=reauthentication,
            request=request,
        )
    except signing.AlreadySigned as exc:
        return _already_signed(request, exc.acknowledgement)
    except signing.SigningError as exc:
        messages.error(request, str(exc))
        return redirect("acknowledgements:sign", slug=slug)
    request.session.pop(PENDING, None)
    return _signed(request, ack)


def _signed(request: HttpRequest, ack: Acknowledgement) -> HttpResponse:
    # Re-authenticated: a new session key, as at sign-in, against session fixation.
    request.session.cycle_key()
    version = ack.version
    messages.success(request, SIGNED.format(title=version.policy.title, label=version.label))
    return redirect("acknowledgements:receipt", pk=ack.pk)


def _already_signed(request: HttpRequest, ack: Acknowledgement) -> HttpResponse:
    messages.info(request, ALREADY_SIGNED)
    return redirect("acknowledgements:receipt", pk=ack.pk)
