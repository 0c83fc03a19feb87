"""The receipt PDF as archival evidence: PDF/A-3B, its record attached, a QR code to check it,
and `manage.py verify_receipt` reading a receipt back against the portal's records.

veraPDF does not run here, so the structural rules of PDF/A-3B the receipt relies on are written
out as tests, read with pypdf."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
import segno
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from acknowledgements import chain, receipt_files, receipts
from acknowledgements.models import Acknowledgement
from portal import product
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.test_commands import raw, tampering

VERIFY = "https://portal.example/verify/"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDF = "{http://ns.adobe.com/pdf/1.3/}"


@pytest.fixture
def ack(employee, version) -> Acknowledgement:
    return AcknowledgementFactory(user=employee, version=version)


@pytest.fixture
def pdf(ack) -> bytes:
    return receipts.build_pdf(ack, verify_url=VERIFY)


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def xmp_value(pdf: bytes, name: str) -> str | None:
    """An XMP property, written as an element or as an attribute of its description."""
    catalog = read(pdf).trailer["/Root"]
    # The metadata of a PDF this test has just made.
    root = ET.fromstring(catalog["/Metadata"].get_object().get_data())  # noqa: S314
    for description in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        if name in description.attrib:
            return description.attrib[name]
        element = description.find(name)
        if element is not None:
            return element.text
    return None


def fonts_of(reader: pypdf.PdfReader) -> list[pypdf.generic.DictionaryObject]:
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            found += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    return found


def verify_receipt(path: Path) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_receipt", str(path), stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue() + err.getvalue()


def saved(tmp_path: Path, content: bytes, name: str = "receipt.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# --- PDF/A-3B ----------------------------------------------------------------------------------
def test_the_receipt_says_in_its_xmp_that_it_is_pdf_a_3b(pdf) -> None:
    assert pdf.startswith(b"%PDF-1.7")
    assert xmp_value(pdf, f"{PDFAID}part") == "3"
    assert xmp_value(pdf, f"{PDFAID}conformance") == "B"


def test_its_output_intent_is_pdf_a_with_an_srgb_icc_profile(pdf) -> None:
    (intent,) = read(pdf).trailer["/Root"]["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    icc = profile.get_data()
    # An ICC profile: its signature at byte 36, an RGB colour space at byte 16.
    assert (icc[36:40], icc[16:20]) == (b"acsp", b"RGB ")


def test_every_font_is_embedded(pdf) -> None:
    fonts = fonts_of(read(pdf))
    assert len(fonts) == 3  # sans, sans bold, mono
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]


def test_it_is_not_encrypted_and_has_a_file_id(pdf) -> None:
    reader = read(pdf)
    assert not reader.is_encrypted
    assert "/Encrypt" not in reader.trailer
    first, second = reader.trailer["/ID"]
    assert len(first) == len(second) == 16


def test_the_record_is_an_associated_file_listed_in_the_catalog(pdf) -> None:
    catalog = read(pdf).trailer["/Root"]
    name, spec = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    assert name == receipts.EVIDENCE_FILENAME
    assert spec.get_object()["/AFRelationship"] == "/Data"
    assert spec.get_object()["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"
    assert [entry.idnum for entry in catalog["/AF"]] == [spec.idnum]


def test_info_and_xmp_agree_on_producer_and_creation_date(pdf, ack) -> None:
    info = read(pdf).metadata
    assert info["/Producer"] == product.producer() == f"Acceptable Use Portal {product.version()}"
    assert xmp_value(pdf, f"{PDF}Producer") == product.producer()
    signed = ack.signed_at.astimezone(UTC).replace(microsecond=0)
    assert info.creation_date.astimezone(UTC) == signed
    assert xmp_value(pdf, f"{XMP}CreateDate") == signed.isoformat()


# --- The record it carries ----------------------------------------------------------------------
def test_the_attached_record_is_the_portals_record(pdf, ack) -> None:
    record = json.loads(receipt_files.attached_record(pdf))
    assert record == receipts.receipt_evidence(ack)
    assert (record["record_hash"], record["prev_hash"]) == (ack.record_hash, ack.prev_hash)
    assert (record["seal"], record["seal_key_id"]) == (ack.seal, ack.seal_key_id)
    assert record["printed_name"] == ack.printed_name


# --- The QR code -----------------------------------------------------------------------------
# No QR decoder on PyPI runs without native libraries, so the code drawn is read back square by
# square and compared with segno's encoding of the address.
_SQUARE = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re f\b")


def drawn_qr(pdf: bytes) -> list[list[bool]]:
    """The QR code drawn on a receipt (one filled square per dark module), row by row."""
    squares = []
    for page in read(pdf).pages:
        squares += [
            tuple(map(float, found)) for found in _SQUARE.findall(page.get_contents().get_data())
        ]
    assert squares, "no QR code drawn"
    size = squares[0][2]
    left, top = min(x for x, *_ in squares), max(y for _, y, *_ in squares)
    dark = {(round((top - y) / size), round((x - left) / size)) for x, y, *_ in squares}
    modules = max(max(row, column) for row, column in dark) + 1
    return [[(row, column) in dark for column in range(modules)] for row in range(modules)]


def segno_modules(url: str) -> list[list[bool]]:
    return [[bool(dark) for dark in row] for row in segno.make(url, error="m", micro=False).matrix]


def test_the_qr_code_is_the_verify_page_for_the_receipt_code(client, ack) -> None:
    url = receipts.check_url(ack, VERIFY)
    assert url == f"{VERIFY}?code={ack.receipt_code}"

    assert drawn_qr(receipts.build_pdf(ack, verify_url=VERIFY)) == segno_modules(url)
    # The address it carries opens the Verify page on this record.
    assert urlsplit(url).path == reverse("acknowledgements:verify")
    response = client.get(urlsplit(url).path, {"code": ack.receipt_code})
    assert response.context["result"].acknowledgement == ack


def test_the_downloaded_receipt_carries_the_portals_own_verify_address(client, employee, ack):
    client.force_login(employee)
    pdf = client.get(reverse("acknowledgements:receipt_pdf", args=[ack.pk])).content

    verify = f"{settings.PORTAL_BASE_URL}{reverse('acknowledgements:verify')}"
    assert drawn_qr(pdf) == segno_modules(f"{verify}?code={ack.receipt_code}")


def test_a_receipt_without_a_verify_address_has_no_qr_code(ack) -> None:
    assert not re.search(rb"re f\b", receipts.build_pdf(ack, compress=False))


# --- verify_receipt ----------------------------------------------------------------------------
def test_an_untouched_receipt_is_genuine(tmp_path, pdf, ack) -> None:
    status, said = verify_receipt(saved(tmp_path, pdf))
    assert status == 0
    assert said.startswith("Genuine:")
    assert ack.receipt_code in said


def test_a_receipt_with_one_byte_of_its_record_changed_is_altered(tmp_path, ack) -> None:
    content = receipts.build_pdf(ack, verify_url=VERIFY, compress=False)
    name = json.dumps(ack.printed_name).encode()
    assert content.count(name) == 1  # the page text is drawn in glyphs, not letters
    changed = content.replace(name, name[:-2] + b"X" + name[-1:])

    status, said = verify_receipt(saved(tmp_path, changed))

    assert status == 3
    assert said.startswith("Altered:")
    assert "no longer hashes" in said


def test_a_receipt_whose_seal_differs_from_the_portals_is_altered(tmp_path, ack) -> None:
    content = receipts.build_pdf(ack, compress=False)
    seal = ack.seal.encode()
    forged = seal[:10] + (b"A" if seal[10:11] != b"A" else b"B") + seal[11:]

    status, said = verify_receipt(saved(tmp_path, content.replace(seal, forged)))

    assert status == 3
    assert "differs from the portal's in: seal" in said


def test_a_receipt_of_a_record_the_portal_does_not_hold_is_unknown(tmp_path, employee, version):
    with transaction.atomic():
        gone = AcknowledgementFactory(user=employee, version=version)
        content = receipts.build_pdf(gone)
        transaction.set_rollback(True)
    assert not Acknowledgement.objects.exists()

    status, said = verify_receipt(saved(tmp_path, content))

    assert status == 4
    assert said.startswith("Unknown:")
    assert "no record with its fingerprint" in said


def test_a_file_that_is_not_a_pdf_is_unknown_without_a_traceback(tmp_path, db) -> None:
    status, said = verify_receipt(saved(tmp_path, b"Dear HR,\nplease find attached.", "note.pdf"))
    assert status == 4
    assert said.startswith("Unknown:") and "not a readable PDF" in said
    assert "Traceback" not in said


def test_a_pdf_that_is_not_a_receipt_is_unknown(tmp_path, db) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    other = io.BytesIO()
    writer.write(other)

    status, said = verify_receipt(saved(tmp_path, other.getvalue()))

    assert status == 4
    assert "not one of the portal's receipts" in said


def test_a_missing_file_is_a_clear_error(tmp_path, db) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("verify_receipt", str(tmp_path / "nowhere.pdf"))


def test_embedding_the_fonts_adds_nothing_to_the_log(ack, caplog) -> None:
    with caplog.at_level("INFO"):
        receipts.build_pdf(ack, verify_url=VERIFY)
    assert not [record for record in caplog.records if record.name.startswith("fontTools")]


def test_a_receipt_unlike_a_record_changed_since_is_altered(tmp_path, ack, pdf) -> None:
    with tampering():
        raw(
            "UPDATE acknowledgements_acknowledgement SET printed_name = %s WHERE id = %s",
            ["Somebody Else", ack.pk],
        )

    status, said = verify_receipt(saved(tmp_path, pdf))

    assert status == 3
    assert "differs from the portal's in: printed_name" in said


def test_a_receipt_drawn_from_a_forged_record_is_altered(tmp_path, ack) -> None:
    # Someone with the database, but not the sealing key, rewrites a record, recomputes its
    # hash and draws a receipt from it: the receipt matches the record, whose seal gives it away.
    forged = Acknowledgement.objects.get(pk=ack.pk)
    forged.printed_name = "Somebody Else"
    with tampering():
        raw(
            "UPDATE acknowledgements_acknowledgement"
            " SET printed_name = %s, record_hash = %s WHERE id = %s",
            [forged.printed_name, chain.hash_of(forged), ack.pk],
        )
    content = receipts.build_pdf(Acknowledgement.objects.get(pk=ack.pk))

    status, said = verify_receipt(saved(tmp_path, content))

    assert status == 3
    assert "the portal's record fails its checks" in said
    assert "not a valid seal" in said
