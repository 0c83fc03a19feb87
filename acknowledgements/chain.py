"""The hash chain over all acknowledgements.

Each record's hash covers its own evidence and the previous record's hash, so a record that is
altered, removed or slipped in afterwards breaks the chain from that point on. Writers are
serialised (a transaction-level advisory lock on PostgreSQL; SQLite's write lock elsewhere).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from acknowledgements import documents

GENESIS = "0" * 64
_LOCK_KEY = 0x41555031  # "AUP1": one advisory lock for the whole chain


def lock_chain() -> None:
    """Wait for, then hold until commit, the right to append to the chain."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(
    *,
    sequence: int,
    user_id: int,
    version_id: int,
    signer_email: str,
    signer_employee_number: str,
    printed_name: str,
    statement: str,
    body_sha256: str,
    signed_at: datetime,
    ip_address: str | None,
    user_agent: str,
    auth_method: str,
    prev_hash: str,
) -> str:
    evidence = {
        "sequence": sequence,
        "user_id": user_id,
        "version_id": version_id,
        "signer_email": signer_email,
        "signer_employee_number": signer_employee_number,
        "printed_name": printed_name,
        "statement": statement,
        "body_sha256": body_sha256,
        "signed_at": _utc(signed_at),
        "ip_address": ip_address or "",
        "user_agent": user_agent,
        "auth_method": auth_method,
        "prev_hash": prev_hash,
    }
    payload = json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hash_of(ack: object) -> str:
    """Recompute a stored acknowledgement's hash from its fields."""
    return record_hash(
        sequence=ack.sequence,
        user_id=ack.user_id,
        version_id=ack.version_id,
        signer_email=ack.signer_email,
        signer_employee_number=ack.signer_employee_number,
        printed_name=ack.printed_name,
        statement=ack.statement,
        body_sha256=ack.body_sha256,
        signed_at=ack.signed_at,
        ip_address=ack.ip_address,
        user_agent=ack.user_agent,
        auth_method=ack.auth_method,
        prev_hash=ack.prev_hash,
    )


@dataclass(frozen=True)
class Break:
    sequence: int
    record_id: int
    reason: str


@dataclass
class Verification:
    checked: int = 0
    first_break: Break | None = None
    head: str = GENESIS  # the last verified record's hash

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify(records: Iterator[object], version_bodies: dict[int, str]) -> Verification:
    """Walk ``records`` in sequence order; stop at the first record that does not hold."""
    result = Verification()
    expected_prev = GENESIS
    body_hashes: dict[int, str] = {}
    for ack in records:
        reason = None
        if ack.prev_hash != expected_prev:
            reason = "its previous-record hash does not match the record before it"
        elif hash_of(ack) != ack.record_hash:
            reason = "its contents do not match its record hash"
        else:
            if ack.version_id not in body_hashes:
                body_hashes[ack.version_id] = documents.body_sha256(version_bodies[ack.version_id])
            if body_hashes[ack.version_id] != ack.body_sha256:
                reason = "the policy text it names no longer matches the hash signed"
        if reason:
            result.first_break = Break(ack.sequence, ack.pk, reason)
            return result
        result.checked += 1
        expected_prev = result.head = ack.record_hash
    return result
