"""Receipts of signatures, as a page and a PDF, and the page that checks a receipt."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from acknowledgements import permissions, receipts, selectors
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


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    result = None
    form = VerifyForm(request.GET) if "reference" in request.GET else VerifyForm()
    if form.is_bound and form.is_valid():
        result = receipts.verify_reference(form.cleaned_data["reference"])
    may_see_receipt = bool(
        result
        and result.acknowledgement
        and permissions.can_view_acknowledgement(request.user, result.acknowledgement)
    )
    return render(
        request,
        "acknowledgements/receipts/verify.html",
        {
            "form": form,
            "result": result,
            "may_see_receipt": may_see_receipt,
            "keys": receipts.published_keys(),
        },
    )
