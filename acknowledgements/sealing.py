"""Seals on signature records: an Ed25519 signature by a key the database never holds.

The hash chain shows that a record was changed or removed, but anyone who can write to the
table can append a record and compute a chain hash that fits. A seal cannot be made that way:
the private key lives in a file named by ``PORTAL_SEALING_KEY_FILE`` (``make_sealing_key``
writes one), outside the database, and only the web server that records signatures reads it.

What is sealed is the record hash, which covers every field of the record and the previous
record's hash, together with the key's id, in this exact message (UTF-8, no trailing newline)::

    acceptable-use-portal seal v1
    <key id>
    <record hash>

A key's id is the first 16 hex digits of the SHA-256 of its 32-byte raw public key. Keys
retired after a rotation keep verifying the records they sealed before it: their public keys (PEM
files) go in the folder named by ``PORTAL_SEALING_PUBLIC_KEYS_DIR``. A retired key vouches for
nothing sealed after a newer key's first record (``chain.verify``, ``receipts.key_order_problem``),
so an old private key that was kept cannot append records. Everything below the "offline" line
works from a receipt's evidence and public keys alone, with no database.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "Ed25519"
MESSAGE_HEADER = "acceptable-use-portal seal v1"
KEY_FILE_SETTING = "PORTAL_SEALING_KEY_FILE"
PUBLIC_KEYS_SETTING = "PORTAL_SEALING_PUBLIC_KEYS_DIR"

# The fields of a record that its record hash covers, in the evidence a receipt carries.
HASHED_FIELDS = (
    "sequence",
    "user_id",
    "version_id",
    "signer_email",
    "signer_employee_number",
    "printed_name",
    "statement",
    "body_sha256",
    "signed_at",
    "ip_address",
    "user_agent",
    "auth_method",
    "prev_hash",
)


# --- Keys ---------------------------------------------------------------------------------------
def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A key that seals (the current one) or sealed (a retired one), as the Verify page shows it."""

    key_id: str
    key: Ed25519PublicKey
    current: bool = False

    algorithm = ALGORITHM

    @property
    def base64(self) -> str:
        return base64.b64encode(_raw(self.key)).decode("ascii")

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


@dataclass(frozen=True)
class SealingKey:
    key_id: str
    private_key: Ed25519PrivateKey


def write_private_key(path: Path) -> SealingKey:
    """Make a new key and write it to ``path`` (PKCS#8 PEM), readable by its owner only.

    Refuses to overwrite: a lost key cannot seal again, and an overwritten one would be lost.
    """
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise FileExistsError(path)
    # Written whole under another name, then linked into place: a process that finds the file
    # (the demo's web server, worker and beat all start at once) never reads half a key, and a
    # key that appeared meanwhile is never replaced (the link fails).
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".sealing-key-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        os.link(partial, path)
    finally:
        os.unlink(partial)
    return SealingKey(key_id_of(private_key.public_key()), private_key)


def read_private_key(path: Path) -> SealingKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{KEY_FILE_SETTING} names {path}, which cannot be read ({exc.strerror}). "
            "Make a key with: python manage.py make_sealing_key PATH"
        ) from None
    try:
        private_key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        private_key = None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ImproperlyConfigured(
            f"{KEY_FILE_SETTING} names {path}, which is not an unencrypted Ed25519 private key "
            "in PEM form (python manage.py make_sealing_key PATH makes one)."
        )
    return SealingKey(key_id_of(private_key.public_key()), private_key)


@functools.cache
def _load_key(path: str, make: bool) -> SealingKey:
    key_path = Path(path)
    if make and not key_path.exists():
        try:
            return write_private_key(key_path)
        except FileExistsError:
            pass  # another process of the demo made it first
    return read_private_key(key_path)


@functools.cache
def _load_retired(folder: str) -> tuple[PublicKey, ...]:
    if not folder:
        return ()
    found = []
    try:
        files = sorted(Path(folder).glob("*.pem"))
    except OSError as exc:
        raise ImproperlyConfigured(f"{PUBLIC_KEYS_SETTING}: cannot read {folder}: {exc}") from None
    for file in files:
        try:
            key = serialization.load_pem_public_key(file.read_bytes())
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"{PUBLIC_KEYS_SETTING}: cannot read {file}: {exc}"
            ) from None
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured(
                f"{PUBLIC_KEYS_SETTING}: {file} is not an Ed25519 public key."
            )
        found.append(PublicKey(key_id_of(key), key))
    return tuple(found)


def current_key() -> SealingKey:
    """The key that seals new records (read once per process)."""
    from django.conf import settings

    return _load_key(str(settings.SEALING_KEY_FILE), settings.SEALING_KEY_MAKE)


def public_keys() -> dict[str, PublicKey]:
    """Every key a record may be sealed with, by id: the current one first, then retired ones."""
    from django.conf import settings

    current = current_key()
    keys = {current.key_id: PublicKey(current.key_id, current.private_key.public_key(), True)}
    for retired in _load_retired(str(settings.SEALING_PUBLIC_KEYS_DIR or "")):
        keys.setdefault(retired.key_id, retired)
    return keys


def check_keys(**kwargs: object) -> list[checks.CheckMessage]:
    """System check: the sealing key and the retired public keys can be read (``migrate`` and
    ``check`` run it, so a deployment with a bad key stops before it serves)."""
    try:
        public_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="acknowledgements.E001")]
    return []


def seal(record_hash: str) -> tuple[str, str]:
    """(seal, key id) for a record hash: microseconds, no query."""
    key = current_key()
    signature = key.private_key.sign(message(key.key_id, record_hash))
    return base64.b64encode(signature).decode("ascii"), key.key_id


# --- Offline: needs a record's fields and public keys, never the database ----------------------
def message(key_id: str, record_hash: str) -> bytes:
    return f"{MESSAGE_HEADER}\n{key_id}\n{record_hash}".encode()


def seal_problem(
    record_hash: str, seal_b64: str, key_id: str, keys: Mapping[str, Ed25519PublicKey]
) -> str | None:
    """Why the seal does not vouch for ``record_hash``, or None when it does."""
    if not seal_b64 or not key_id:
        return "it carries no seal"
    key = keys.get(key_id)
    if key is None:
        return f"it is sealed with a key that is not one of the portal's ({key_id})"
    try:
        signature = base64.b64decode(seal_b64, validate=True)
        key.verify(signature, message(key_id, record_hash))
    except (InvalidSignature, binascii.Error, ValueError):
        return f"its seal is not a valid seal of its record hash by key {key_id}"
    return None


def canonical_json(evidence: Mapping[str, object]) -> bytes:
    """The exact bytes a record hash is the SHA-256 of."""
    return json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@dataclass(frozen=True)
class ReceiptCheck:
    record_hash_ok: bool
    seal_problem: str | None

    @property
    def ok(self) -> bool:
        return self.record_hash_ok and self.seal_problem is None


def public_key_from_text(text: str | bytes) -> Ed25519PublicKey:
    """A public key as the Verify page publishes it: PEM, or base64 of the 32 raw bytes."""
    data = text.encode("ascii") if isinstance(text, str) else text
    if b"BEGIN PUBLIC KEY" in data:
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))


def verify_receipt_evidence(
    evidence_json: str | bytes, public_keys: Mapping[str, str | bytes | Ed25519PublicKey]
) -> ReceiptCheck:
    """Check the evidence a receipt PDF carries, with only the portal's public keys.

    The record hash is recomputed from the fields it covers, then the seal is checked against
    it. ``public_keys`` maps key ids to keys (PEM or base64 text, as the Verify page shows them).
    """
    evidence = json.loads(evidence_json)
    fields = {name: evidence[name] for name in HASHED_FIELDS}
    record_hash = hashlib.sha256(canonical_json(fields)).hexdigest()
    keys = {
        key_id: key if isinstance(key, Ed25519PublicKey) else public_key_from_text(key)
        for key_id, key in public_keys.items()
    }
    return ReceiptCheck(
        record_hash_ok=record_hash == evidence["record_hash"],
        seal_problem=seal_problem(
            evidence["record_hash"], evidence.get("seal", ""), evidence.get("seal_key_id", ""), keys
        ),
    )
