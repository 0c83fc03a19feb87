"""Receipts of signatures, as a page and a PDF, and the page that checks a receipt."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from acknowledgements import permissions, receipt_checks, receipts, selectors
from acknowledgements.forms.signing import VerifyForm
from acknowledgements.models import Acknowledgement
from portal import outbox
from portal.models import User


def _acknowledgement_for(user: User, pk: int) -> Acknowledgement:
    return permissions.visible_or_404(
        user, Acknowledgement.objects.select_related("user", "version__policy"), pk=pk
    )


@require_GET
def my_receipts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "acknowledgements/receipts/my_receipts.html",
        {"receipts": selectors.receipts_of(request.user)},
    )


@never_cache
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    ack = _acknowledgement_for(request.user, pk)
    return render(
        request,
        "acknowledgements/receipts/receipt.html",
        {"ack": ack, "facts": receipts.facts(ack), "own": ack.user_id == request.user.pk},
    )


@never_cache
@require_GET
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    ack = _acknowledgement_for(request.user, pk)
    pdf = receipts.build_pdf(
        ack, verify_url=outbox.absolute_url(reverse("acknowledgements:verify"))
    )
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{receipts.pdf_filename(ack)}"'},
    )


@login_not_required
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Open to anyone holding a receipt; ``?code=`` (a receipt's QR code) or ``?reference=``."""
    result, refused = None, ""
    form = VerifyForm.from_query(request.GET)
    if form.is_bound and form.is_valid():
        try:
            result = receipt_checks.check_receipt(
                form.cleaned_data["reference"], viewer=request.user, request=request
            )
        except receipt_checks.TooManyChecks as exc:
            refused = str(exc)
    may_see_receipt = bool(
        result
        and result.acknowledgement
        and request.user.is_authenticated
        and permissions.can_view_acknowledgement(request.user, result.acknowledgement)
    )
    context = {
        "form": form,
        "result": result,
        "refused": refused,
        "keys": receipts.published_keys(),
    }
    context["may_see_receipt"] = may_see_receipt
    return render(
        request, "acknowledgements/receipts/verify.html", context, status=429 if refused else 200
    )
