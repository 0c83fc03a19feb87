"""make_local_certificate: a self-signed certificate for localhost in the layout the proxy reads
(PORTAL_TLS_DIR), which never overwrites a certificate already there."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command


def make(directory: Path, *names: str) -> str:
    out = StringIO()
    arguments = [argument for name in names for argument in ("--name", name)]
    call_command("make_local_certificate", str(directory), *arguments, stdout=out)
    return out.getvalue()


def certificate_in(directory: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((directory / "fullchain.pem").read_bytes())


def names_of(certificate: x509.Certificate) -> set[str]:
    alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return {str(name.value) for name in alternative.value}


def test_it_makes_a_certificate_for_localhost_and_its_key(tmp_path: Path) -> None:
    said = make(tmp_path / "tls")

    certificate = certificate_in(tmp_path / "tls")
    key = serialization.load_pem_private_key(
        (tmp_path / "tls" / "privkey.pem").read_bytes(), password=None
    )
    assert names_of(certificate) == {"localhost", "127.0.0.1", "::1"}
    assert key.public_key() == certificate.public_key()
    assert certificate.issuer == certificate.subject
    assert (
        certificate.not_valid_before_utc <= datetime.now(tz=UTC) < certificate.not_valid_after_utc
    )
    assert "fullchain.pem" in said and "privkey.pem" in said


def test_the_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    make(tmp_path)

    assert stat.S_IMODE((tmp_path / "privkey.pem").stat().st_mode) == 0o600


def test_the_certificate_serves_tls_and_vouches_for_nothing_else(tmp_path: Path) -> None:
    make(tmp_path)
    extensions = certificate_in(tmp_path).extensions

    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is False


def test_other_names_and_addresses_can_be_given(tmp_path: Path) -> None:
    make(tmp_path, "portal.riverside-care.org.uk", "192.0.2.10")
    alternative = certificate_in(tmp_path).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )

    assert alternative.value.get_values_for_type(x509.DNSName) == ["portal.riverside-care.org.uk"]
    assert alternative.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.0.2.10")
    ]


@pytest.mark.parametrize("existing", ["fullchain.pem", "privkey.pem"])
def test_an_existing_certificate_is_never_overwritten(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("the real one")

    with pytest.raises(CommandError, match="never overwritten"):
        make(tmp_path)

    assert (tmp_path / existing).read_text() == "the real one"
    assert sorted(path.name for path in tmp_path.iterdir()) == [existing]


def test_a_folder_it_cannot_write_to_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")

    with pytest.raises(CommandError, match="Cannot write"):
        make(tmp_path / "a-file" / "tls")


def test_a_file_where_the_folder_should_be_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tls").write_text("")

    with pytest.raises(CommandError, match=r"Cannot write to .*tls"):
        make(tmp_path / "tls")
