"""Checking a receipt without a portal account: the public Verify page, what it shows to someone
signed out, the receipt's QR address (``?code=``), and the hourly limit on checks."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client
from django.urls import reverse

from acknowledgements.models import Acknowledgement
from portal.models import AuditEvent
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.helpers import receipt_url
from tests.acknowledgements.test_receipts import SIGNER_IP, behind_the_triggers, tamper
from tests.factories import UserFactory
from tests.helpers import signed_in

VERIFY_URL = reverse("acknowledgements:verify")
FORMAT_ERROR = (
    "Paste the record fingerprint (64 letters and digits) or the receipt code "
    "(four groups of four, like 1A2B-3C4D-5E6F-7A8B) from the receipt."
)
LIMIT = 3
AUDITOR = "198.51.100.7"
THROTTLED = "receipt.check_throttled"


@pytest.fixture
def ack(employee, version) -> Acknowledgement:
    return AcknowledgementFactory(user=employee, version=version, ip_address=SIGNER_IP)


@pytest.fixture
def limited(settings):
    settings.RECEIPT_CHECKS_PER_CLIENT_PER_HOUR = LIMIT
    return settings


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def by_code(client: Client, code: str):
    return client.get(VERIFY_URL, {"code": code})


# --- Open to anyone holding a receipt ----------------------------------------------------------
def test_the_page_opens_without_an_account(client, version) -> None:
    response = client.get(VERIFY_URL)
    assert response.status_code == 200
    assert response.context["result"] is None
    assert b"You do not need a portal account" in response.content
    assert b'data-testid="sealing-key"' in response.content


@pytest.mark.parametrize("parameter", ["code", "reference"])
def test_a_genuine_receipt_shows_only_what_the_receipt_shows(client, ack, parameter) -> None:
    response = client.get(VERIFY_URL, {parameter: ack.receipt_code})

    assert response.status_code == 200
    assert response.context["result"].genuine
    text = response.content.decode()
    assert "Genuine record" in text
    for shown in (ack.printed_name, ack.version.policy.title, ack.receipt_code):
        assert shown in text
    # On the receipt, but not needed to check it; and nothing the receipt does not show.
    for hidden in (ack.signer_email, SIGNER_IP, ack.signer_employee_number, receipt_url(ack)):
        assert hidden not in text
    assert "Open the full receipt" not in text


def test_the_qr_address_takes_the_code_as_printed(client, ack) -> None:
    response = by_code(client, ack.receipt_code.lower().replace("-", " "))
    assert response.context["result"].acknowledgement == ack


@pytest.mark.parametrize("typed", ["", "hello", "ABCD-EFGH-1234-5678", "0" * 63])
def test_a_code_of_the_wrong_form_gets_a_clear_message(client, ack, typed) -> None:
    response = by_code(client, typed)
    assert response.status_code == 200
    assert response.context["result"] is None
    message = FORMAT_ERROR if typed else "This field is required."
    assert response.context["form"].errors["reference"] == [message]


def test_an_unknown_code_says_no_more_than_that(client, ack) -> None:
    response = by_code(client, "0000-0000-0000-0000")
    assert response.status_code == 200
    assert not response.context["result"].found
    text = response.content.decode()
    assert 'data-testid="verify-not-found"' in text
    assert ack.printed_name not in text
    assert ack.receipt_code not in text


def test_a_failed_check_names_no_record_numbers_to_someone_signed_out(
    client, employee, outsider, ack
) -> None:
    AcknowledgementFactory(user=outsider, version=ack.version)
    # The record before the second one is altered behind the portal's back.
    second = Acknowledgement.objects.exclude(pk=ack.pk).get()
    behind_the_triggers(
        "UPDATE acknowledgements_acknowledgement SET record_hash = %s WHERE id = %s",
        ["f" * 64, ack.pk],
    )

    public = by_code(client, second.receipt_code)
    assert not public.context["result"].in_chain
    text = public.content.decode()
    assert "the record is not in its place in the chain of signature records." in text
    assert public.context["result"].chain_problem not in text

    colleague = by_code(signed_in(Client(), outsider), second.receipt_code)
    assert public.context["result"].chain_problem in colleague.content.decode()


def test_an_altered_record_shows_as_altered_to_anyone(client, ack) -> None:
    tamper(ack, "Someone Else")
    response = by_code(client, ack.receipt_code)
    assert not response.context["result"].genuine
    assert "Record found, but it does not check out" in response.content.decode()


def test_the_page_answers_only_get(client, ack) -> None:
    assert client.post(VERIFY_URL, {"code": ack.receipt_code}).status_code == 405


def test_a_check_changes_nothing_and_is_not_audited(client, ack) -> None:
    before = AuditEvent.objects.count()
    by_code(client, ack.receipt_code)
    assert AuditEvent.objects.count() == before


# --- The hourly limit --------------------------------------------------------------------------
def test_checks_past_the_limit_look_nothing_up(limited, ack) -> None:
    auditor = from_address(AUDITOR)
    for _ in range(LIMIT):
        assert by_code(auditor, ack.receipt_code).context["result"].genuine

    refused = by_code(auditor, ack.receipt_code)
    assert refused.status_code == 429
    assert refused.context["result"] is None
    text = refused.content.decode()
    assert f"You have reached the limit of {LIMIT} receipt checks an hour" in text
    assert "You can check again from" in text
    assert ack.printed_name not in text


def test_the_first_refusal_of_the_hour_is_audited_once(limited, ack) -> None:
    auditor = from_address(AUDITOR)
    for _ in range(LIMIT + 3):
        by_code(auditor, ack.receipt_code)
    (event,) = AuditEvent.objects.filter(action=THROTTLED)
    assert event.actor is None
    assert event.ip_address == AUDITOR
    assert event.data == {"signed_in": False}


def test_the_limit_counts_each_client_address(limited, ack) -> None:
    for _ in range(LIMIT + 1):
        by_code(from_address(AUDITOR), ack.receipt_code)
    assert by_code(from_address("198.51.100.8"), ack.receipt_code).status_code == 200


def test_a_forwarded_address_from_an_untrusted_peer_buys_no_more_checks(limited, ack) -> None:
    for number in range(LIMIT):
        forged = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{number}"}
        answer = from_address(AUDITOR).get(VERIFY_URL, {"code": ack.receipt_code}, **forged)
        assert answer.context["result"].genuine
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.99"}
    refused = from_address(AUDITOR).get(VERIFY_URL, {"code": ack.receipt_code}, **forged)
    assert refused.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_counted(limited, settings, ack) -> None:
    settings.PORTAL_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.2"),)
    proxy = from_address("10.0.0.2")
    for _ in range(LIMIT + 1):
        proxy.get(VERIFY_URL, {"code": ack.receipt_code}, HTTP_X_FORWARDED_FOR=AUDITOR)
    other = proxy.get(VERIFY_URL, {"code": ack.receipt_code}, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 200
    assert AuditEvent.objects.get(action=THROTTLED).ip_address == AUDITOR


def test_signed_in_people_are_counted_each_on_their_own(limited, outsider, ack) -> None:
    colleague = UserFactory()
    mine = signed_in(from_address(AUDITOR), outsider)
    for _ in range(LIMIT + 1):
        by_code(mine, ack.receipt_code)
    assert by_code(mine, ack.receipt_code).status_code == 429
    theirs = signed_in(from_address(AUDITOR), colleague)
    assert by_code(theirs, ack.receipt_code).status_code == 200
    assert by_code(from_address(AUDITOR), ack.receipt_code).status_code == 200
    event = AuditEvent.objects.get(action=THROTTLED)
    assert (event.actor, event.data) == (outsider, {"signed_in": True})


def test_a_code_of_the_wrong_form_is_not_counted(limited, ack) -> None:
    auditor = from_address(AUDITOR)
    for _ in range(LIMIT + 2):
        by_code(auditor, "not a code")
    assert by_code(auditor, ack.receipt_code).context["result"].genuine
