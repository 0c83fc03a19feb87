"""A receipt PDF read back: the signature record it carries, checked against the database.

A receipt is genuine when the record attached to it (``receipts.EVIDENCE_FILENAME``) still hashes
to its record fingerprint, is the record the portal holds under that fingerprint field for field,
and that record passes every check the Verify page makes (``receipts.verify_reference``: its
place in the chain, its hash, its seal, the policy text it names). It is altered when the
attached record is unreadable, does not hash to its fingerprint, or differs from the portal's; and
unknown when the file is not a receipt at all or names no record the portal holds.
"""

from __future__ import annotations

import enum
import io
import json
from dataclasses import dataclass, field

import pypdf

from acknowledgements import receipts, sealing
from acknowledgements.models import Acknowledgement


class Verdict(enum.Enum):
    GENUINE = "genuine"
    ALTERED = "altered"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class FileCheck:
    verdict: Verdict
    reason: str
    acknowledgement: Acknowledgement | None = None
    differences: list[str] = field(default_factory=list)  # fields unlike the portal's record


class NotAReceipt(ValueError):
    """The file is not a PDF, or carries no signature record."""


def attached_record(pdf: bytes) -> bytes:
    """The signature record a receipt PDF carries, as the bytes attached."""
    try:
        attachments = pypdf.PdfReader(io.BytesIO(pdf)).attachments
        attached = attachments.get(receipts.EVIDENCE_FILENAME)
    except Exception as exc:
        # A damaged or foreign file can fail anywhere in the parser, with many kinds of error.
        raise NotAReceipt(f"the file is not a readable PDF ({type(exc).__name__})") from exc
    if not attached:
        raise NotAReceipt(
            f"the PDF carries no signature record ({receipts.EVIDENCE_FILENAME}): "
            "it is not one of the portal's receipts"
        )
    return attached[0]


def _read(record: bytes) -> dict[str, object] | None:
    try:
        evidence = json.loads(record)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(evidence, dict) or any(
        name not in evidence for name in (*sealing.HASHED_FIELDS, "record_hash")
    ):
        return None
    return evidence


def check_pdf(pdf: bytes) -> FileCheck:
    """Check a receipt PDF's attached record against the portal's records."""
    try:
        record = attached_record(pdf)
    except NotAReceipt as exc:
        return FileCheck(Verdict.UNKNOWN, str(exc))
    evidence = _read(record)
    if evidence is None:
        return FileCheck(Verdict.ALTERED, "its signature record is not a readable record")
    record_hash = str(evidence["record_hash"])
    if not sealing.verify_receipt_evidence(record, {}).record_hash_ok:
        return FileCheck(
            Verdict.ALTERED,
            "its signature record no longer hashes to the record fingerprint it gives",
        )
    result = receipts.verify_reference(record_hash)
    ack = result.acknowledgement
    if ack is None:
        return FileCheck(Verdict.UNKNOWN, "the portal holds no record with its fingerprint")
    held = receipts.receipt_evidence(ack)
    differences = sorted(
        name for name in held.keys() | evidence.keys() if held.get(name) != evidence.get(name)
    )
    if differences:
        return FileCheck(
            Verdict.ALTERED,
            "its signature record differs from the portal's in: " + ", ".join(differences),
            ack,
            differences,
        )
    if not result.genuine:
        problem = (
            result.chain_problem
            or result.seal_problem
            or (
                "its record no longer hashes to its fingerprint" if not result.record_intact else ""
            )
            or "the policy text it names has changed since it was signed"
        )
        return FileCheck(Verdict.ALTERED, f"the portal's record fails its checks: {problem}", ack)
    return FileCheck(
        Verdict.GENUINE, "it matches the portal's record, which passes every check", ack
    )
