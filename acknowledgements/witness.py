"""The daily witness: the signature chain's head, sent outside the portal every day.

A seal shows that the key holder made a record, not that history was left alone: someone who
holds the key (and the database) could rewrite the chain and seal it again. Once a day the head
of the chain (its sequence, record hash and seal) goes to the addresses in
``PORTAL_WITNESS_EMAILS`` (an auditor's mailbox) and to the log. The e-mail's body is the
witness file itself: saved as it is, ``verify_acknowledgements --witness FILE`` fails if the
record at that sequence no longer has that hash, so a rewrite of anything up to that day shows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from acknowledgements.models import Acknowledgement
from portal import outbox, scheduling

log = logging.getLogger(__name__)

KIND = "signature-witness"
HEADER = "Acceptable Use Portal: signature chain witness"
_LINE = re.compile(r"^\s*([a-z_]+)\s*:\s*(\S*)\s*$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


class InvalidWitness(ValueError):
    """The file is not a witness that the daily job sent."""


@dataclass(frozen=True)
class Witness:
    day: date
    sequence: int
    record_hash: str
    seal_key_id: str = ""
    seal: str = ""

    def text(self) -> str:
        return (
            f"{HEADER}\n"
            f"date: {self.day.isoformat()}\n"
            f"sequence: {self.sequence}\n"
            f"record_hash: {self.record_hash}\n"
            f"seal_key_id: {self.seal_key_id}\n"
            f"seal: {self.seal}\n"
        )


def parse(text: str) -> Witness:
    """Read a witness; lines other than ``name: value`` (mail headers, say) are passed over."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            values.setdefault(match[1], match[2])
    try:
        witness = Witness(
            day=date.fromisoformat(values["date"]),
            sequence=int(values["sequence"]),
            record_hash=values["record_hash"].lower(),
            seal_key_id=values.get("seal_key_id", ""),
            seal=values.get("seal", ""),
        )
    except (KeyError, ValueError):
        raise InvalidWitness(
            "This is not a signature chain witness: it needs the lines date, sequence and "
            "record_hash, as in the daily witness e-mail."
        ) from None
    if not _HASH.match(witness.record_hash) or witness.sequence < 1:
        raise InvalidWitness("The witness's record_hash or sequence is not well formed.")
    return witness


def head(day: date) -> Witness | None:
    """The chain's newest record as a witness for ``day``; None before the first signature."""
    record = (
        Acknowledgement.objects.order_by("-sequence")
        .only("sequence", "record_hash", "seal", "seal_key_id")
        .first()
    )
    if record is None:
        return None
    return Witness(day, record.sequence, record.record_hash, record.seal_key_id, record.seal)


def problem(witness: Witness) -> str | None:
    """What about the chain contradicts ``witness``, or None when the record is still there."""
    stored = (
        Acknowledgement.objects.filter(sequence=witness.sequence)
        .values_list("record_hash", flat=True)
        .first()
    )
    if stored is None:
        return (
            f"the witness of {witness.day:%d/%m/%Y} names record sequence {witness.sequence}, "
            "which is gone: records up to it were removed"
        )
    if stored != witness.record_hash:
        return (
            f"the witness of {witness.day:%d/%m/%Y} gives record sequence {witness.sequence} the "
            f"hash {witness.record_hash}, but it now has {stored}: the chain was rewritten"
        )
    return None


def daily_job(now: datetime) -> scheduling.JobResult:
    """Send today's witness of the chain's head to the witnesses and the log, once a day."""
    day = scheduling.local_date(now)
    witness = head(day)
    if witness is None:
        log.info("Signature chain witness for %s: no signatures yet", day.isoformat())
        return scheduling.JobResult(summary="No signatures yet: nothing to witness.")
    text = witness.text()
    log.info("Signature chain witness\n%s", text)
    keys = {
        f"witness:{day.isoformat()}:{address.lower()}": address
        for address in settings.WITNESS_EMAILS
    }
    # A repeated run finds the day's notices claimed, and sends nothing (not even a newer head).
    fresh = outbox.unclaimed(keys)
    for key in sorted(fresh):
        outbox.notify_address(
            address=keys[key],
            kind=KIND,
            dedupe_key=key,
            context={"witness": witness, "witness_text": text},
        )
    return scheduling.JobResult(
        found=1,
        notices=len(fresh),
        summary=f"Witnessed record {witness.sequence} in the log and to {len(keys)} address(es).",
    )
