"""Receipts (page and PDF), the list of one's own, and checking a receipt on the verify page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pypdf
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from acknowledgements import receipts, signing
from acknowledgements.models import Acknowledgement
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.helpers import receipt_url
from tests.factories import UserFactory
from tests.helpers import signed_in

NOT_FOUND = b"The page may have moved, or you may not have access to it."
MY_RECEIPTS_URL = reverse("acknowledgements:my_receipts")
VERIFY_URL = reverse("acknowledgements:verify")
SIGNER_IP = "192.0.2.10"
# Written as escapes: the curly apostrophe and dashes are the point of these tests.
APOSTROPHE = "\u2019"
EN_DASH = "\u2013"
ZOE_FIRST, ZOE_LAST = "Zo\u00eb", f"O{APOSTROPHE}Brien"
ZOE = f"{ZOE_FIRST} {ZOE_LAST}"  # Zoë O, right single quote, Brien
ZOE_LATIN1 = "Zo\u00eb O'Brien".encode("latin-1")


def pdf_url(ack: Acknowledgement) -> str:
    return reverse("acknowledgements:receipt_pdf", args=[ack.pk])


def pdf_text(pdf: bytes) -> str:
    """The text drawn on a PDF's pages, as a reader copies it (through each embedded font's
    map back to Unicode)."""
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_lines(pdf: bytes) -> str:
    """The text drawn on a PDF's pages, line after line, joined by single spaces."""
    return " ".join(pdf_text(pdf).split())


def behind_the_triggers(sql: str, params: list) -> None:
    """Run ``sql`` with PostgreSQL's guard triggers set aside, as direct database access could.

    The triggers stay aside for this statement only, inside the test's own transaction, which
    is rolled back afterwards.
    """
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def tamper(ack: Acknowledgement, printed_name: str) -> None:
    """Change a stored record behind the portal's back (the model refuses, so does a trigger)."""
    behind_the_triggers(
        "UPDATE acknowledgements_acknowledgement SET printed_name = %s WHERE id = %s",
        [printed_name, ack.pk],
    )
    assert Acknowledgement.objects.get(pk=ack.pk).printed_name == printed_name


@pytest.fixture
def ack(employee, version) -> Acknowledgement:
    return AcknowledgementFactory(user=employee, version=version, ip_address=SIGNER_IP)


# --- My receipts ------------------------------------------------------------------------------
def test_my_receipts_lists_only_mine(client, employee, outsider, ack) -> None:
    theirs = AcknowledgementFactory(user=outsider, version=ack.version)
    response = signed_in(client, employee).get(MY_RECEIPTS_URL)
    assert response.status_code == 200
    assert list(response.context["receipts"]) == [ack]
    text = response.content.decode()
    assert ack.receipt_code in text
    assert receipt_url(ack) in text
    assert pdf_url(ack) in text
    assert theirs.receipt_code not in text
    assert receipt_url(theirs) not in text


def test_my_receipts_when_nothing_is_signed(client, employee, version) -> None:
    response = signed_in(client, employee).get(MY_RECEIPTS_URL)
    assert response.status_code == 200
    assert b'data-testid="no-receipts"' in response.content


def test_my_receipts_needs_sign_in(client, version) -> None:
    response = client.get(MY_RECEIPTS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_receipts_is_get_only(client, employee, version) -> None:
    assert signed_in(client, employee).post(MY_RECEIPTS_URL).status_code == 405


# --- One receipt ------------------------------------------------------------------------------
def test_receipt_shows_every_fact(client, employee, ack) -> None:
    response = signed_in(client, employee).get(receipt_url(ack))
    assert response.status_code == 200
    text = response.content.decode()
    local = timezone.localtime(ack.signed_at)
    for expected in (
        "Emma Jones",
        "employee@example.com",
        f"{local:%-d %B %Y} at {local:%H:%M:%S} {local.tzname()}",
        ack.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        escape(signing.statement_for(ack.version)),
        "Acceptable Use of ICT Policy and Procedure",
        "Version 1",
        ack.body_sha256,
        ack.record_hash,
        ack.receipt_code,
        SIGNER_IP,
        signing.AUTH_METHOD,
    ):
        assert expected in text, expected
    assert f'href="{pdf_url(ack)}">Download PDF</a>' in text
    assert re.search(r"<button[^>]*data-print[^>]*>Print</button>", text)
    assert "/static/acknowledgements/print.js" in text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["manager", "hr_user"])
def test_receipt_is_visible_to_the_line_manager_and_hr(client, request, ack, who) -> None:
    response = signed_in(client, request.getfixturevalue(who)).get(receipt_url(ack))
    assert response.status_code == 200
    assert ack.record_hash.encode() in response.content


@pytest.mark.parametrize("who", ["outsider", "it_user", "reviewer", "other_manager"])
def test_receipt_is_not_found_for_anyone_else(client, request, outsider, ack, who) -> None:
    person = outsider.line_manager if who == "other_manager" else request.getfixturevalue(who)
    response = signed_in(client, person).get(receipt_url(ack))
    assert response.status_code == 404
    assert NOT_FOUND in response.content
    assert ack.record_hash.encode() not in response.content


def test_unknown_receipt_is_not_found(client, employee, version) -> None:
    assert signed_in(client, employee).get("/receipts/999999/").status_code == 404


def test_receipt_needs_sign_in(client, ack) -> None:
    response = client.get(receipt_url(ack))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_receipt_is_get_only(client, employee, ack) -> None:
    assert signed_in(client, employee).post(receipt_url(ack)).status_code == 405


def test_times_are_shown_in_uk_time_and_utc() -> None:
    summer = Acknowledgement(signed_at=datetime(2025, 7, 1, 12, 0, 5, tzinfo=UTC))
    winter = Acknowledgement(signed_at=datetime(2025, 1, 15, 12, 0, 5, tzinfo=UTC))
    assert receipts.signed_uk(summer) == "1 July 2025 at 13:00:05 BST"
    assert receipts.signed_utc(summer) == "2025-07-01 12:00:05 UTC"
    assert receipts.signed_uk(winter) == "15 January 2025 at 12:00:05 GMT"
    assert receipts.signed_utc(winter) == "2025-01-15 12:00:05 UTC"


# --- PDF --------------------------------------------------------------------------------------
def test_pdf_download(client, employee, ack) -> None:
    response = signed_in(client, employee).get(pdf_url(ack))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-acceptable-use-v1-{ack.receipt_code}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    content = pdf_text(response.content)
    assert ack.record_hash in content
    assert ack.receipt_code in content


def test_pdf_states_the_same_facts(ack) -> None:
    content = receipts.build_pdf(ack, verify_url="https://portal.example/verify/", compress=False)
    assert content.startswith(b"%PDF")
    text = pdf_lines(content)
    for expected in (
        ack.record_hash,
        ack.body_sha256,
        ack.receipt_code,
        "Emma Jones",
        "employee@example.com",
        receipts.signed_uk(ack),
        receipts.signed_utc(ack),
        "Acceptable Use of ICT Policy and Procedure",
        "Version 1",
        SIGNER_IP,
        signing.AUTH_METHOD,
        "https://portal.example/verify/",
        "What the signature means",
    ):
        assert expected in text, expected
    # The statement wraps over several lines; read together they are the words agreed to.
    assert ack.statement in text


def test_pdf_handles_names_beyond_latin_1(version) -> None:
    zoe = UserFactory(first_name=ZOE_FIRST, last_name=ZOE_LAST)
    ack = AcknowledgementFactory(user=zoe, version=version, printed_name=f"  {ZOE} ")
    assert ack.printed_name == ZOE

    content = receipts.build_pdf(ack, compress=False)

    text = pdf_text(content)
    # The e with diaeresis is Latin-1; the curly apostrophe is not.
    assert ZOE_LATIN1.decode("latin-1") in text
    assert ack.record_hash in text


def test_pdf_download_with_a_curly_apostrophe(client, version) -> None:
    zoe = UserFactory(first_name=ZOE_FIRST, last_name=ZOE_LAST)
    ack = AcknowledgementFactory(user=zoe, version=version)
    response = signed_in(client, zoe).get(pdf_url(ack))
    assert response.status_code == 200
    assert ZOE_LATIN1.decode("latin-1") in pdf_text(response.content)


def test_latin1_safe() -> None:
    assert receipts.latin1_safe(ZOE) == ZOE_LATIN1.decode("latin-1")
    typographic = "\u201cYes\u201d \u2013 and\u2026 no \u2014 \u2018maybe\u2019"
    assert receipts.latin1_safe(typographic) == "\"Yes\" - and... no - 'maybe'"
    assert receipts.latin1_safe("Łukasz Žák, Œuvre") == "Lukasz Zák, OEuvre"
    assert receipts.latin1_safe("李雷") == "??"
    assert receipts.latin1_safe("Åse Ørsted") == "Åse Ørsted"


@pytest.mark.parametrize("who", ["manager", "hr_user"])
def test_pdf_for_the_line_manager_and_hr(client, request, ack, who) -> None:
    response = signed_in(client, request.getfixturevalue(who)).get(pdf_url(ack))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["outsider", "it_user", "reviewer"])
def test_pdf_is_not_found_for_anyone_else(client, request, ack, who) -> None:
    response = signed_in(client, request.getfixturevalue(who)).get(pdf_url(ack))
    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")


def test_pdf_needs_sign_in(client, ack) -> None:
    response = client.get(pdf_url(ack))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_pdf_is_get_only(client, employee, ack) -> None:
    assert signed_in(client, employee).post(pdf_url(ack)).status_code == 405


# --- Verify -----------------------------------------------------------------------------------
def check(client: Client, reference: str):
    return client.get(VERIFY_URL, {"reference": reference})


def test_verify_page_starts_empty(client, outsider, version) -> None:
    response = signed_in(client, outsider).get(VERIFY_URL)
    assert response.status_code == 200
    assert response.context["result"] is None
    assert not response.context["form"].is_bound


def test_verify_by_record_hash_shows_only_what_is_printed(client, outsider, ack) -> None:
    response = check(signed_in(client, outsider), ack.record_hash)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.acknowledgement == ack
    assert result.genuine
    text = response.content.decode()
    assert "Genuine record" in text
    assert "Emma Jones" in text
    assert "Acceptable Use of ICT Policy and Procedure" in text
    assert "Version 1" in text
    assert f"{timezone.localtime(ack.signed_at):%-d %B %Y}" in text
    assert "Passed:</span> the record still matches its record fingerprint" in text
    assert "Passed:</span> the policy text still matches the fingerprint" in text
    # Nothing the outsider may not see on the receipt itself.
    assert "employee@example.com" not in text
    assert SIGNER_IP not in text
    assert ack.signer_employee_number not in text
    assert receipt_url(ack) not in text


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{code_lower}",
        "  {code_spaced}  ",
        "{code_compact}",
        "{code_en_dash}",
        "{hash_upper}",
        "{hash_grouped}",
    ],
)
def test_verify_tolerates_case_spaces_and_dashes(client, outsider, ack, typed) -> None:
    code = ack.receipt_code
    reference = typed.format(
        code=code,
        code_lower=code.lower(),
        code_spaced=code.replace("-", " "),
        code_compact=code.replace("-", ""),
        code_en_dash=code.replace("-", EN_DASH),
        hash_upper=ack.record_hash.upper(),
        hash_grouped=" ".join(ack.record_hash[i : i + 8] for i in range(0, 64, 8)),
    )
    response = check(signed_in(client, outsider), reference)
    assert response.context["result"].acknowledgement == ack


@pytest.mark.parametrize(
    "typed",
    ["hello", "1234", "0" * 63, "g" * 64, "ABCD-EFGH-1234-5678", "0" * 65, "<script>"],
)
def test_verify_refuses_what_is_not_a_reference(client, outsider, ack, typed) -> None:
    response = check(signed_in(client, outsider), typed)
    assert response.status_code == 200
    assert response.context["result"] is None
    assert response.context["form"].errors["reference"] == [
        "Paste the record fingerprint (64 letters and digits) or the receipt code "
        "(four groups of four, like 1A2B-3C4D-5E6F-7A8B) from the receipt."
    ]


def test_verify_empty_reference_is_a_form_error(client, outsider, version) -> None:
    response = check(signed_in(client, outsider), "")
    assert response.status_code == 200
    assert "reference" in response.context["form"].errors


def test_verify_unknown_reference(client, outsider, ack) -> None:
    response = check(signed_in(client, outsider), "0000-0000-0000-0000")
    assert response.status_code == 200
    assert not response.context["result"].found
    assert b'data-testid="verify-not-found"' in response.content


def test_verify_ambiguous_receipt_code_asks_for_the_hash(client, outsider, manager, ack) -> None:
    # A second record whose hash starts like the first: a code cannot tell them apart.
    Acknowledgement.objects.create(
        sequence=ack.sequence + 1,
        user=manager,
        version=ack.version,
        signer_email=manager.email,
        printed_name=manager.full_name,
        statement=ack.statement,
        body_sha256=ack.body_sha256,
        signed_at=ack.signed_at,
        auth_method=ack.auth_method,
        prev_hash=ack.record_hash,
        record_hash=ack.record_hash[:16] + "0" * 48,
    )
    signed_in(client, outsider)

    response = check(client, ack.receipt_code)
    assert response.context["result"].ambiguous
    assert b'data-testid="verify-ambiguous"' in response.content
    assert b"Emma Jones" not in response.content

    response = check(client, ack.record_hash)
    assert response.context["result"].acknowledgement == ack


def test_verify_shows_an_altered_record(client, outsider, ack) -> None:
    tamper(ack, "Someone Else")
    response = check(signed_in(client, outsider), ack.receipt_code)
    result = response.context["result"]
    assert result.found
    assert not result.record_intact
    assert result.text_intact
    assert not result.genuine
    text = response.content.decode()
    assert "Record found, but it does not check out" in text
    assert "Failed:</span> the record no longer matches its record fingerprint" in text


def test_verify_shows_altered_policy_text(client, outsider, ack) -> None:
    behind_the_triggers(
        "UPDATE acknowledgements_policyversion SET body = body || %s WHERE id = %s",
        ["\nExtra.\n", ack.version_id],
    )
    response = check(signed_in(client, outsider), ack.receipt_code)
    result = response.context["result"]
    assert result.record_intact
    assert not result.text_intact
    assert "Failed:</span> the stored policy text no longer matches" in response.content.decode()


@pytest.mark.parametrize("who", ["employee", "manager", "hr_user"])
def test_verify_links_to_the_receipt_for_those_who_may_see_it(client, request, ack, who) -> None:
    response = check(signed_in(client, request.getfixturevalue(who)), ack.receipt_code)
    assert f'href="{receipt_url(ack)}"' in response.content.decode()


def test_verify_is_get_only(client, outsider, ack) -> None:
    response = signed_in(client, outsider).post(VERIFY_URL, {"reference": ack.record_hash})
    assert response.status_code == 405
