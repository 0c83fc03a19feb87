"""A page that fails while handling a signing form full of personal data: the Sentry test
(tests/portal/test_sentry.py) requests it in a portal process of its own and watches what leaves."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("portal.signing")


class SealingProbeError(RuntimeError):
    pass


@csrf_exempt
@login_not_required
def failing_signature(request: HttpRequest) -> HttpResponse:
    printed_name = request.POST["printed_name"]
    email = request.POST["email"]
    address = request.META["REMOTE_ADDR"]
    logger.warning("Sealing is slow for %s at %s", email, address)
    raise SealingProbeError(
        f"probe-marker: no seal for {email} from {address} ({len(printed_name)})"
    )


urlpatterns = [path("probe/sign/", failing_signature)]
