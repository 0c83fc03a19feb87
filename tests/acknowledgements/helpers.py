"""Plain helpers the policy tests share: a real signature, the chain's check, a receipt's page."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from acknowledgements import signing
from acknowledgements.models import Acknowledgement, PolicyVersion
from portal.models import User
from tests.factories import PASSWORD


def sign(user: User, version: PolicyVersion) -> Acknowledgement:
    request = RequestFactory().post(
        "/policies/acceptable-use/sign/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Edge/120"
    )
    return signing.sign(
        user=user, version=version, printed_name=user.full_name, password=PASSWORD, request=request
    )


def verify(**options: object) -> str:
    out = StringIO()
    call_command("verify_acknowledgements", stdout=out, **options)
    return out.getvalue()


def receipt_url(ack: Acknowledgement) -> str:
    return reverse("acknowledgements:receipt", args=[ack.pk])
