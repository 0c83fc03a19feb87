"""Receipts: the facts a signer keeps (page and PDF), and the lookup behind the verify page.

The PDF prints every name and title exactly as typed, in any script (fonts: ``portal.fonts``).
It is a PDF/A-3B file, the ISO standard for documents kept for the long term: every font is
embedded, its colours are declared sRGB (fpdf2's own sRGB2014 profile is its output intent), its
XMP metadata says which standard it meets, and the signature record it rests on travels inside
it as an associated file (``EVIDENCE_FILENAME``), so the receipt stays checkable from the file
alone. Its creation date is the signature's time, not the time it was drawn: the receipt is a
rendering of a record fixed at signing, and can be drawn again at any time from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db.models import Subquery
from django.utils import dateformat, timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from acknowledgements import chain, documents, sealing
from acknowledgements.models import Acknowledgement
from portal import fonts, organisation, product, qr

_RECORD_HASH = re.compile(r"^[0-9a-f]{64}$")
_RECEIPT_CODE = re.compile(r"^[0-9a-f]{16}$")
# Spaces and every kind of dash people paste from e-mails, PDFs and word processors.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


# --- The facts on a receipt -------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    code: bool = False  # a fingerprint or code: shown in a fixed-width font
    wide: bool = False  # too long to sit beside its label in the PDF: printed below it


def signed_uk(ack: Acknowledgement) -> str:
    """'3 March 2025 at 14:05:09 GMT' (or BST): the time people in the company read."""
    return dateformat.format(timezone.localtime(ack.signed_at), r"j F Y \a\t H:i:s T")


def signed_utc(ack: Acknowledgement) -> str:
    return ack.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def facts(ack: Acknowledgement) -> list[Fact]:
    """Everything a receipt states apart from the statement itself, in the order printed."""
    version = ack.version
    found = [
        Fact("Name as typed", ack.printed_name),
        Fact("Signer's email", ack.signer_email or "None (signs in with employee number)"),
    ]
    if ack.signer_employee_number:
        found.append(Fact("Employee number", ack.signer_employee_number))
    found += [
        Fact("Signed (UK time)", signed_uk(ack)),
        Fact("Signed (UTC)", signed_utc(ack)),
        Fact("Policy", version.policy.title),
        Fact("Version", version.label),
        Fact("Policy text fingerprint (SHA-256)", ack.body_sha256, code=True),
        Fact("Record fingerprint (SHA-256)", ack.record_hash, code=True),
        Fact("Receipt code", ack.receipt_code, code=True),
        Fact("IP address", ack.ip_address or "Not recorded"),
        Fact("Authentication", ack.auth_method),
    ]
    if ack.seal:
        found += [
            Fact("Sealing key (Ed25519)", ack.seal_key_id, code=True),
            Fact("Seal", ack.seal, code=True, wide=True),
        ]
    else:
        found.append(Fact("Seal", "None: signed before records were sealed"))
    return found


EVIDENCE_FILENAME = "signature-record.json"


def receipt_evidence(ack: Acknowledgement) -> dict[str, object]:
    """The sealed evidence a receipt carries: every field the record hash covers (under the
    names ``sealing.HASHED_FIELDS``), the record hash, and the seal with its key id."""
    return {
        **chain.evidence_of(ack),
        "record_hash": ack.record_hash,
        "seal": ack.seal,
        "seal_key_id": ack.seal_key_id,
        "seal_algorithm": sealing.ALGORITHM,
        "seal_message": "UTF-8 of: 'acceptable-use-portal seal v1' LF seal_key_id LF record_hash",
    }


def evidence_json(ack: Acknowledgement) -> bytes:
    """The attached file: the signature record itself, as ``receipt_evidence`` gives it."""
    return json.dumps(receipt_evidence(ack), indent=2, ensure_ascii=False).encode("utf-8")


def check_url(ack: Acknowledgement, verify_url: str) -> str:
    """The Verify page's address for this receipt, as its QR code carries it."""
    return f"{verify_url}?{urlencode({'code': ack.receipt_code})}"


def pdf_filename(ack: Acknowledgement) -> str:
    version = ack.version
    return f"receipt-{version.policy.slug}-v{version.number}-{ack.receipt_code}.pdf"


# --- PDF ----------------------------------------------------------------------------------------
PDF_STANDARD = "PDF/A-3B"
_LABEL_WIDTH = 58  # mm
_LINE = 5.5  # mm
_QR_SIZE = 32  # mm


class _ArchivalOutput(fonts.ClusterTextOutput):
    """The PDF/A output of ``fonts.ClusterTextOutput``, with the document information dictionary
    (Info) kept.

    fpdf2 leaves Info out of a PDF/A file and writes its facts as XMP metadata only. PDF/A-3
    allows Info when each entry agrees with its XMP counterpart, and both come from the same
    fields here (title, author, subject, creator, producer, creation date), so it is written too:
    readers that show Info alone then show the producer and date as well. fpdf2 decides on Info
    between writing the XMP metadata and the encryption dictionary (this file has none); for that
    moment only, the document is not marked as PDF/A. tests/acknowledgements/
    test_archival_receipts.py checks that Info and XMP are both there and agree.
    """

    def _add_xmp_metadata(self):
        metadata = super()._add_xmp_metadata()
        self._compliance, self.fpdf._compliance = self.fpdf._compliance, None
        return metadata

    def _add_encryption(self):
        self.fpdf._compliance = self._compliance
        return super()._add_encryption()


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, _LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section_title(pdf: FPDF, title: str) -> None:
    pdf.set_font(fonts.SANS, style="B", size=11)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _new_pdf(ack: Acknowledgement, *, compress: bool) -> FPDF:
    pdf = fonts.PortalPDF(format="A4", enforce_compliance=PDF_STANDARD)
    fonts.prepare(pdf, [ack.statement, *(fact.value for fact in facts(ack))])
    pdf.set_compression(compress)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(f"Receipt {ack.receipt_code}")
    pdf.set_author(organisation.current().name)
    pdf.set_subject(f"{ack.version.policy.title}, {ack.version.label}")
    pdf.set_lang("en-GB")
    pdf.set_creator(product.NAME)
    pdf.set_producer(product.producer())
    pdf.set_creation_date(ack.signed_at)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, ack: Acknowledgement) -> None:
    pdf.set_font(fonts.SANS, size=10)
    pdf.set_text_color(80, 80, 80)
    pdf.cell(0, _LINE, organisation.current().name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(fonts.SANS, style="B", size=16)
    pdf.cell(0, 10, "Receipt: signature of a policy", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(fonts.SANS, size=10)
    _paragraph(
        pdf,
        f"{ack.printed_name} signed the {ack.version.policy.title}, {ack.version.label}, "
        f"on {signed_uk(ack)}.",
    )


def _record_facts(pdf: FPDF, ack: Acknowledgement) -> None:
    _section_title(pdf, "The record")
    for fact in facts(ack):
        pdf.set_font(fonts.SANS, style="B", size=9)
        if fact.wide:
            pdf.cell(0, _LINE, fact.label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.cell(_LABEL_WIDTH, _LINE, fact.label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        if fact.code:
            pdf.set_font(fonts.MONO, size=8)
        else:
            pdf.set_font(fonts.SANS, size=9)
        _paragraph(pdf, fact.value)


def _how_to_check(pdf: FPDF, ack: Acknowledgement, verify_url: str) -> None:
    pdf.set_font(fonts.SANS, size=9)
    where = f" ({verify_url})" if verify_url else ""
    _paragraph(
        pdf,
        "Anyone holding this receipt can check it on the portal's Verify page"
        f"{where} with the receipt code or the record fingerprint, without a portal account. "
        "The record fingerprint covers every fact above and the record before it, so any later "
        "change to the record would show.",
    )
    if ack.seal:
        pdf.ln(2)
        _paragraph(
            pdf,
            f"The record is sealed: the seal above is an Ed25519 signature of the record "
            f"fingerprint by the portal's key {ack.seal_key_id}, whose public key is on the "
            f"Verify page. This PDF carries the sealed record as an attached file "
            f"({EVIDENCE_FILENAME}), so the receipt can be checked without the portal.",
        )


def _qr_code(pdf: FPDF, ack: Acknowledgement, verify_url: str) -> None:
    if pdf.get_y() + _QR_SIZE + _LINE + 3 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(3)
    qr.draw(pdf, check_url(ack, verify_url), x=pdf.l_margin, y=pdf.get_y(), size=_QR_SIZE)
    pdf.set_y(pdf.get_y() + _QR_SIZE + 1)
    pdf.set_font(fonts.SANS, size=8)
    pdf.cell(0, _LINE, "Scan to check this receipt", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def build_pdf(ack: Acknowledgement, *, verify_url: str = "", compress: bool = True) -> bytes:
    """The receipt as a PDF/A-3B file; with ``verify_url`` (the Verify page's absolute address)
    it carries a QR code of that page for its code. ``compress=False`` leaves the text readable
    in the file (tests)."""
    pdf = _new_pdf(ack, compress=compress)
    _heading(pdf, ack)
    pdf.ln(3)
    _section_title(pdf, "What the signature means")
    pdf.set_font(fonts.SANS, size=10)
    _paragraph(pdf, ack.statement)
    pdf.ln(3)
    _record_facts(pdf, ack)
    pdf.ln(4)
    _how_to_check(pdf, ack, verify_url)
    if verify_url:
        _qr_code(pdf, ack, verify_url)
    pdf.embed_file(
        bytes=evidence_json(ack),
        basename=EVIDENCE_FILENAME,
        desc="The signature record: the facts its fingerprint covers, and its seal",
        mime_type="application/json",
        modification_date=ack.signed_at,
        associated_file_relationship="Data",
        compress=compress,
    )
    return bytes(pdf.output(output_producer_class=_ArchivalOutput))


# --- Verification -------------------------------------------------------------------------------
class InvalidReference(ValueError):
    """What was pasted is neither a record fingerprint nor a receipt code."""


def normalise_reference(text: str) -> str:
    """Lower-case hex without spaces or dashes: 64 characters (hash) or 16 (receipt code)."""
    compact = _SEPARATORS.sub("", text or "").lower()
    if _RECORD_HASH.match(compact) or _RECEIPT_CODE.match(compact):
        return compact
    raise InvalidReference(
        "Paste the record fingerprint (64 letters and digits) or the receipt code "
        "(four groups of four, like 1A2B-3C4D-5E6F-7A8B) from the receipt."
    )


@dataclass(frozen=True)
class ReceiptVerification:
    """What the Verify page found, and each check ``verify_acknowledgements`` makes of it."""

    reference: str
    acknowledgement: Acknowledgement | None = None
    ambiguous: bool = False  # a receipt code shared by more than one record
    chain_problem: str | None = None  # why the record is not in its place in the chain
    record_intact: bool = False  # the record still hashes to its record fingerprint
    seal_problem: str | None = None  # why its seal does not vouch for it
    text_intact: bool = False  # the policy text still hashes to the fingerprint signed

    @property
    def found(self) -> bool:
        return self.acknowledgement is not None

    @property
    def in_chain(self) -> bool:
        return self.found and self.chain_problem is None

    @property
    def sealed(self) -> bool:
        return self.found and self.seal_problem is None

    @property
    def genuine(self) -> bool:
        return self.in_chain and self.record_intact and self.sealed and self.text_intact


def chain_problem(ack: Acknowledgement) -> str | None:
    """Whether ``ack`` holds its place: it follows the record before it (or starts the chain),
    and the record after it, if any, follows it. One query."""
    neighbours = {
        sequence: (record_hash, prev_hash)
        for sequence, record_hash, prev_hash in Acknowledgement.objects.filter(
            sequence__in=[ack.sequence - 1, ack.sequence + 1]
        ).values_list("sequence", "record_hash", "prev_hash")
    }
    if ack.sequence == 1:
        if ack.prev_hash != chain.GENESIS:
            return "it claims to be the first record but does not start the chain"
    elif ack.sequence - 1 not in neighbours:
        return f"the record before it (number {ack.sequence - 1}) is missing"
    elif neighbours[ack.sequence - 1][0] != ack.prev_hash:
        return "it does not follow the record before it in the chain"
    following = neighbours.get(ack.sequence + 1)
    if following is not None and following[1] != ack.record_hash:
        return "the record after it in the chain does not follow it"
    return None


def key_order_problem(ack: Acknowledgement, key_ids: Iterable[str]) -> str | None:
    """Whether ``ack``'s key had been retired before it: another of the portal's keys (``key_ids``)
    sealed a record between the first record ``ack``'s key sealed and ``ack``. At most one query
    (none while the portal has a single key), served by ``acknowledgement_seal_key_idx`` whatever
    the chain's length."""
    others = [key_id for key_id in key_ids if key_id != ack.seal_key_id]
    first_sealed = (
        Acknowledgement.objects.filter(seal_key_id=ack.seal_key_id)
        .order_by("sequence")
        .values("sequence")[:1]
    )
    successor = (
        Acknowledgement.objects.filter(
            seal_key_id__in=others,
            sequence__gt=Subquery(first_sealed),
            sequence__lt=ack.sequence,
        )
        .order_by("sequence")
        .values_list("sequence", "seal_key_id")
        .first()
    )
    if successor is None:
        return None
    return chain.retired_key_problem(ack.seal_key_id, *successor)


def verify_reference(reference: str) -> ReceiptVerification:
    """Look a normalised reference up and re-check the record it names."""
    records = Acknowledgement.objects.select_related("user", "version__policy")
    if len(reference) == 64:
        candidates = list(records.filter(record_hash=reference)[:2])
    else:
        candidates = list(records.filter(record_hash__startswith=reference)[:2])
    if len(candidates) > 1:
        return ReceiptVerification(reference, ambiguous=True)
    if not candidates:
        return ReceiptVerification(reference)
    ack = candidates[0]
    keys = {key_id: public.key for key_id, public in sealing.public_keys().items()}
    return ReceiptVerification(
        reference,
        acknowledgement=ack,
        chain_problem=chain_problem(ack),
        record_intact=chain.hash_of(ack) == ack.record_hash,
        seal_problem=chain.seal_problem(ack, keys) or key_order_problem(ack, keys),
        text_intact=documents.body_sha256(ack.version.body) == ack.body_sha256,
    )


@dataclass(frozen=True)
class PublishedKey:
    key: sealing.PublicKey
    first_used: datetime | None  # when the first record it seals was signed


def published_keys() -> list[PublishedKey]:
    """The portal's sealing keys, current first, as the Verify page publishes them."""
    found = []
    for key_id, public in sealing.public_keys().items():
        first = (
            Acknowledgement.objects.filter(seal_key_id=key_id)
            .order_by("sequence")
            .values_list("signed_at", flat=True)
            .first()
        )
        found.append(PublishedKey(public, first))
    return found
