"""A self-signed certificate for trying the stack on this machine, in the layout Let's Encrypt
uses (``fullchain.pem`` and ``privkey.pem`` in one folder), so that the proxy reads a local
certificate and a real one from the same place.

Built with ``cryptography``'s x509 builder: an ECDSA P-256 key, the host names and addresses as
subject alternative names (browsers ignore the common name), usable only to serve TLS.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERTIFICATE_FILE = "fullchain.pem"
KEY_FILE = "privkey.pem"
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 365


class CertificateExists(Exception):
    """The folder has a certificate or key already, perhaps a real one: it is left alone."""


def _subject_names(names: list[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def build(names: list[str], *, now: datetime | None = None) -> tuple[bytes, bytes]:
    """A new certificate for ``names`` (host names or addresses, the first one its common name)
    and its private key, both PEM."""
    if not names:
        raise ValueError("a certificate needs at least one host name")
    now = now or datetime.now(tz=UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_subject_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def write(directory: Path, names: list[str]) -> tuple[Path, Path]:
    """Write a new certificate for ``names`` into ``directory``; never over an existing one,
    which may be a real certificate. The key is readable by its owner only."""
    certificate_path, key_path = directory / CERTIFICATE_FILE, directory / KEY_FILE
    directory.mkdir(parents=True, exist_ok=True)
    for path in (certificate_path, key_path):
        if path.exists():
            raise CertificateExists(path)
    certificate, key = build(names)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(key)
    certificate_path.write_bytes(certificate)
    return certificate_path, key_path
