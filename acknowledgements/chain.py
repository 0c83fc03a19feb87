"""The hash chain over all acknowledgements.

Each record's hash covers its own evidence and the previous record's hash, so a record that is
altered, removed or slipped in afterwards breaks the chain from that point on. Each record is
also sealed (``sealing``) with a key the database never holds, so a record appended with a
chain hash that fits is still caught: it has no valid seal. Keys are used in turn: once a record
sealed by another key follows a key's records, that key is retired and seals nothing later, so
an old private key (kept from a backup, or by someone who has left) cannot append records after a
rotation. Writers are serialised (a transaction-level advisory lock on PostgreSQL; SQLite's write
lock elsewhere).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from acknowledgements import documents, sealing

GENESIS = "0" * 64
_LOCK_KEY = 0x41555031  # "AUP1": one advisory lock for the whole chain


def lock_chain() -> None:
    """Wait for, then hold until commit, the right to append to the chain."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def evidence(
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
) -> dict[str, object]:
    """The facts a record hash covers, as they are hashed (``sealing.HASHED_FIELDS``)."""
    return {
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


def record_hash(**fields: object) -> str:
    return hashlib.sha256(sealing.canonical_json(evidence(**fields))).hexdigest()


def evidence_of(ack: object) -> dict[str, object]:
    """A stored acknowledgement's hashed facts, read from its fields."""
    return evidence(
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


def hash_of(ack: object) -> str:
    """Recompute a stored acknowledgement's hash from its fields."""
    return hashlib.sha256(sealing.canonical_json(evidence_of(ack))).hexdigest()


def seal_problem(ack: object, keys: Mapping[str, object]) -> str | None:
    return sealing.seal_problem(ack.record_hash, ack.seal, ack.seal_key_id, keys)


def retired_key_problem(key_id: str, retired_at: int, successor: str) -> str:
    """Why a record sealed by ``key_id`` after ``successor`` took over at ``retired_at`` fails."""
    return (
        f"it is sealed with key {key_id}, retired when key {successor} sealed record sequence "
        f"{retired_at}; a retired key seals no later record"
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


def verify(
    records: Iterator[object],
    version_bodies: dict[int, str],
    keys: Mapping[str, object] | None = None,
) -> Verification:
    """Walk ``records`` in sequence order; stop at the first record that does not hold.

    Each record must follow the one before it, hash to its record hash, carry a valid seal by
    one of ``keys`` (id -> Ed25519 public key; default the portal's) that no other key has
    taken over from earlier in the chain, and name policy text that still hashes to what was
    signed.
    """
    if keys is None:
        keys = {key_id: public.key for key_id, public in sealing.public_keys().items()}
    result = Verification()
    expected_prev = GENESIS
    body_hashes: dict[int, str] = {}
    # Each key retired so far: the sequence and key of the record that took over from it.
    retired: dict[str, tuple[int, str]] = {}
    previous_key = None
    for ack in records:
        reason = None
        if ack.prev_hash != expected_prev:
            reason = "its previous-record hash does not match the record before it"
        elif hash_of(ack) != ack.record_hash:
            reason = "its contents do not match its record hash"
        elif problem := seal_problem(ack, keys):
            reason = problem
        elif ack.seal_key_id in retired:
            reason = retired_key_problem(ack.seal_key_id, *retired[ack.seal_key_id])
        else:
            if ack.version_id not in body_hashes:
                body_hashes[ack.version_id] = documents.body_sha256(version_bodies[ack.version_id])
            if body_hashes[ack.version_id] != ack.body_sha256:
                reason = "the policy text it names no longer matches the hash signed"
        if reason:
            result.first_break = Break(ack.sequence, ack.pk, reason)
            return result
        if previous_key is not None and previous_key != ack.seal_key_id:
            retired[previous_key] = (ack.sequence, ack.seal_key_id)
        previous_key = ack.seal_key_id
        result.checked += 1
        expected_prev = result.head = ack.record_hash
    return result
