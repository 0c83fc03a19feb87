"""Signing the current version of a policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from acknowledgements import publishing, selectors, signing
from acknowledgements.forms.signing import SignForm
from acknowledgements.models import Acknowledgement, Policy, PolicyVersion

ALREADY_SIGNED = "You had already signed this version. Your receipt is below."
NEWER_VERSION = (
    "A new version of the {title} was published while you were reading. Please read it before "
    "signing. Nothing has been signed."
)
SIGNED = (
    "Thank you: you have signed the {title}, {label}. This is your receipt; a copy has been "
    "sent to your inbox."
)


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    version = publishing.current_version(policy)
    if version is None:
        raise Http404("This policy has no published version.")

    if request.method == "POST":
        form = SignForm(request.POST)
        if form.is_valid():
            signed = _sign(request, form, policy, version)
            if signed is not None:
                return signed
    else:
        signed = Acknowledgement.objects.filter(user=request.user, version=version).first()
        if signed is not None:
            return _already_signed(request, signed)
        form = SignForm(initial={"version": version.number})

    return render(
        request,
        "acknowledgements/signing/sign.html",
        {
            "form": form,
            "policy": policy,
            "version": version,
            "statement": signing.statement_for(version),
            "status": selectors.status_for(request.user, policy),
        },
    )


def _sign(
    request: HttpRequest, form: SignForm, policy: Policy, version: PolicyVersion
) -> HttpResponse | None:
    """Sign through the service and go to the receipt; None when the form now says why not."""
    if form.cleaned_data["version"] != version.number:
        messages.warning(request, NEWER_VERSION.format(title=policy.title))
        return redirect("acknowledgements:policy_detail", slug=policy.slug)
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
    # Re-authenticated: a new session key, as at sign-in, against session fixation.
    request.session.cycle_key()
    messages.success(request, SIGNED.format(title=policy.title, label=version.label))
    return redirect("acknowledgements:receipt", pk=ack.pk)


def _already_signed(request: HttpRequest, ack: Acknowledgement) -> HttpResponse:
    messages.info(request, ALREADY_SIGNED)
    return redirect("acknowledgements:receipt", pk=ack.pk)
