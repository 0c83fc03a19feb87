"""Sealed signature records: forgeries by whoever can write to the database are caught, receipts
check out offline with only the public key, and the daily witness shows a rewritten history."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from io import StringIO
from pathlib import Path

import pypdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from acknowledgements import chain, publishing, receipts, sealing, signing, witness
from acknowledgements.models import Acknowledgement
from portal import outbox, scheduling
from portal.models import Notification
from tests.acknowledgements.helpers import sign, verify
from tests.acknowledgements.test_commands import tampering
from tests.factories import UserFactory
from tests.pdfs import extracted_text

VERIFY_URL = reverse("acknowledgements:verify")
AUDITOR = "auditor@audit.example"


@pytest.fixture
def signed(db: None) -> list[Acknowledgement]:
    version = publishing.load_seed_policy()
    return [sign(UserFactory(), version) for _ in range(3)]


def check_page(client, reference: str):
    client.force_login(UserFactory())
    return client.get(VERIFY_URL, {"reference": reference})


# --- Every record is sealed ---------------------------------------------------------------------
def test_each_signature_is_sealed_by_the_current_key(signed):
    key = sealing.current_key()
    public = key.private_key.public_key()

    for ack in signed:
        assert ack.seal_key_id == key.key_id
        public.verify(base64.b64decode(ack.seal), sealing.message(key.key_id, ack.record_hash))
    stored = Acknowledgement.objects.get(pk=signed[0].pk)
    assert (stored.seal, stored.seal_key_id) == (signed[0].seal, signed[0].seal_key_id)
    assert "every record sealed by a portal key" in verify()


# --- Forgeries (the database role's rights, no key) -------------------------------------------
def forge(*, seal: str, seal_key_id: str, prev_hash: str | None = None) -> Acknowledgement:
    """Append a record with raw SQL, as anyone with the portal's database role could: a
    consistent chain hash over the newest record, and whatever seal the forger can make."""
    last = Acknowledgement.objects.order_by("-sequence").first()
    victim = UserFactory(first_name="Vic", last_name="Tim")
    fields = {
        "sequence": last.sequence + 1,
        "user_id": victim.pk,
        "version_id": last.version_id,
        "signer_email": victim.email,
        "signer_employee_number": "",
        "printed_name": victim.full_name,
        "statement": last.statement,
        "body_sha256": last.body_sha256,
        "signed_at": timezone.now(),
        "ip_address": "192.0.2.66",
        "user_agent": "curl/8.0",
        "auth_method": signing.AUTH_METHOD,
        "prev_hash": last.record_hash if prev_hash is None else prev_hash,
    }
    record_hash = chain.record_hash(**fields)
    seal_value = seal(record_hash) if callable(seal) else seal
    columns = [*fields, "record_hash", "seal", "seal_key_id"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO acknowledgements_acknowledgement ({', '.join(columns)})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
            [*fields.values(), record_hash, seal_value, seal_key_id],
        )
        pk = cursor.fetchone()[0]
    return Acknowledgement.objects.get(pk=pk)


def _other_key_seal(record_hash: str) -> str:
    other = Ed25519PrivateKey.generate()
    key_id = sealing.key_id_of(other.public_key())
    return base64.b64encode(other.sign(sealing.message(key_id, record_hash))).decode()


def _other_key_claiming_the_portals(record_hash: str) -> str:
    key_id = sealing.current_key().key_id
    return base64.b64encode(
        Ed25519PrivateKey.generate().sign(sealing.message(key_id, record_hash))
    ).decode()


FORGERIES = {
    "no seal": ("", lambda: "", "it carries no seal"),
    "random seal": (
        base64.b64encode(os.urandom(64)).decode(),
        lambda: sealing.current_key().key_id,
        "its seal is not a valid seal of its record hash",
    ),
    "another key's seal": (
        _other_key_seal,
        lambda: "0123456789abcdef",
        "it is sealed with a key that is not one of the portal's (0123456789abcdef)",
    ),
    "another key claiming the portal's id": (
        _other_key_claiming_the_portals,
        lambda: sealing.current_key().key_id,
        "its seal is not a valid seal of its record hash",
    ),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_record_is_caught_by_verify_acknowledgements(signed, forgery):
    seal, key_id, reason = FORGERIES[forgery]
    forged = forge(seal=seal, seal_key_id=key_id())

    with pytest.raises(CommandError) as broken:
        verify()

    message = str(broken.value)
    assert f"record {forged.pk} (sequence 4)" in message
    assert reason in message
    assert "3 of 4 records verified before it" in message


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_record_is_not_genuine_on_the_verify_page(client, signed, forgery):
    seal, key_id, reason = FORGERIES[forgery]
    forged = forge(seal=seal, seal_key_id=key_id())

    response = check_page(client, forged.record_hash)

    result = response.context["result"]
    assert result.acknowledgement == forged
    assert result.in_chain and result.record_intact and result.text_intact
    assert not result.sealed
    assert not result.genuine
    text = response.content.decode()
    assert "Genuine record" not in text
    assert "Record found, but it does not check out" in text
    assert f"Failed:</span> the record's seal does not vouch for it: {escape(reason)}" in text


def test_a_sealed_record_outside_the_chain_is_not_genuine(client, signed):
    # Sealed by the portal's key (a record from a copy of the database, say) but not following
    # the record before it here.
    forged = forge(seal=lambda h: sealing.seal(h)[0], seal_key_id=sealing.current_key().key_id)
    outside = forge(
        seal=lambda h: sealing.seal(h)[0],
        seal_key_id=sealing.current_key().key_id,
        prev_hash="1" * 64,
    )

    response = check_page(client, outside.record_hash)

    result = response.context["result"]
    assert result.sealed and result.record_intact and result.text_intact
    assert not result.in_chain
    assert not result.genuine
    text = response.content.decode()
    assert "Genuine record" not in text
    assert (
        "Failed:</span> the record is not in its place in the chain of signature records: "
        "it does not follow the record before it in the chain"
    ) in text
    # The record it claims to follow is not followed by it: that one fails too.
    assert check_page(client, forged.record_hash).context["result"].chain_problem == (
        "the record after it in the chain does not follow it"
    )
    with pytest.raises(CommandError, match=f"record {outside.pk} \\(sequence 5\\)"):
        verify()


def test_a_first_record_that_does_not_start_the_chain_is_not_genuine(client, db):
    # Sealed and hashing to its fingerprint, but claiming to follow a record that never was.
    version = publishing.load_seed_policy()
    user = UserFactory()
    ack = Acknowledgement(
        sequence=1,
        user=user,
        version=version,
        signer_email=user.email,
        printed_name=user.full_name,
        statement=signing.statement_for(version),
        body_sha256=version.body_sha256,
        signed_at=timezone.now(),
        auth_method=signing.AUTH_METHOD,
        prev_hash="2" * 64,
    )
    ack.record_hash = chain.hash_of(ack)
    ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
    ack.save()

    result = check_page(client, ack.record_hash).context["result"]

    assert result.record_intact and result.sealed and result.text_intact
    assert result.chain_problem == "it claims to be the first record but does not start the chain"
    assert not result.genuine


def test_a_genuine_record_passes_every_check_on_the_page(client, signed):
    response = check_page(client, signed[1].receipt_code)

    result = response.context["result"]
    assert result.genuine
    text = response.content.decode()
    assert "Genuine record" in text
    assert "Passed:</span> the record holds its place in the chain" in text
    assert (
        f"Passed:</span> the record carries a valid seal by the portal's key "
        f"<code>{signed[1].seal_key_id}</code>"
    ) in text


def test_the_verify_page_publishes_the_public_keys(client, signed, tmp_path, settings):
    retired = Ed25519PrivateKey.generate().public_key()
    retired_key = sealing.PublicKey(sealing.key_id_of(retired), retired)
    (tmp_path / "old.pem").write_text(retired_key.pem)
    settings.SEALING_PUBLIC_KEYS_DIR = str(tmp_path)
    current = sealing.public_keys()[sealing.current_key().key_id]

    response = check_page(client, "")

    text = response.content.decode()
    assert current.base64 in text
    assert current.pem.strip() in text
    assert f"<code>{current.key_id}</code> (sealing new records)" in text
    assert f"<code>{retired_key.key_id}</code> (retired)" in text
    assert f"{timezone.localtime(signed[0].signed_at):%-d %B %Y}" in text
    assert "Not used yet" in text  # the retired key sealed nothing here


def test_records_sealed_by_a_retired_key_still_verify(signed, tmp_path, settings):
    old = sealing.public_keys()[sealing.current_key().key_id]
    (tmp_path / "retired").mkdir()
    (tmp_path / "retired" / f"{old.key_id}.pem").write_text(old.pem)
    sealing.write_private_key(tmp_path / "new.pem")
    settings.SEALING_KEY_FILE = str(tmp_path / "new.pem")

    with pytest.raises(CommandError, match="not one of the portal's"):
        verify()  # the old key is not known yet

    settings.SEALING_PUBLIC_KEYS_DIR = str(tmp_path / "retired")
    newer = sign(UserFactory(), signed[0].version)
    assert newer.seal_key_id != old.key_id
    assert "All 4 acknowledgements verified" in verify()


# --- Keys are used in turn: a retired key seals nothing after its successor's first record ------
def rotate(tmp_path: Path, settings, name: str = "new") -> sealing.SealingKey:
    """Retire the current key as the README says (its public key into the retired folder, a new
    key file), returning the retired key, private part included, as a leaked copy would be."""
    old = sealing.current_key()
    retired = tmp_path / "retired"
    retired.mkdir(exist_ok=True)
    (retired / f"{old.key_id}.pem").write_text(
        sealing.PublicKey(old.key_id, old.private_key.public_key()).pem
    )
    sealing.write_private_key(tmp_path / f"{name}.pem")
    settings.SEALING_KEY_FILE = str(tmp_path / f"{name}.pem")
    settings.SEALING_PUBLIC_KEYS_DIR = str(retired)
    return old


def sealed_by(key: sealing.SealingKey):
    def make(record_hash: str) -> str:
        signature = key.private_key.sign(sealing.message(key.key_id, record_hash))
        return base64.b64encode(signature).decode()

    return make


def test_a_record_appended_with_a_retired_key_is_caught(client, signed, tmp_path, settings):
    old = rotate(tmp_path, settings)
    newer = sign(UserFactory(), signed[0].version)
    # Whoever kept the old private key appends a record with a chain hash that fits.
    forged = forge(seal=sealed_by(old), seal_key_id=old.key_id)
    reason = (
        f"it is sealed with key {old.key_id}, retired when key {newer.seal_key_id} sealed "
        "record sequence 4; a retired key seals no later record"
    )

    with pytest.raises(CommandError) as broken:
        verify()

    message = str(broken.value)
    assert f"record {forged.pk} (sequence 5)" in message
    assert reason in message
    assert "4 of 5 records verified before it" in message
    response = check_page(client, forged.record_hash)
    result = response.context["result"]
    assert result.in_chain and result.record_intact and result.text_intact
    assert result.seal_problem == reason
    assert not result.genuine
    text = response.content.decode()
    assert "Genuine record" not in text
    assert f"Failed:</span> the record's seal does not vouch for it: {escape(reason)}" in text
    # What the old key sealed before the rotation, and what the new one sealed, still hold.
    for ack in (*signed, newer):
        assert check_page(client, ack.receipt_code).context["result"].genuine


def test_records_sealed_in_turn_by_two_keys_verify(client, db, tmp_path, settings):
    version = publishing.load_seed_policy()
    first = [sign(UserFactory(), version) for _ in range(2)]
    rotate(tmp_path, settings)
    second = [sign(UserFactory(), version) for _ in range(2)]

    assert first[0].seal_key_id == first[1].seal_key_id != second[0].seal_key_id
    assert second[0].seal_key_id == second[1].seal_key_id
    assert "All 4 acknowledgements verified" in verify()
    for ack in (*first, *second):
        assert check_page(client, ack.record_hash).context["result"].genuine


def test_a_key_used_again_after_its_successor_breaks_the_chain(client, db, tmp_path, settings):
    # A, B, A: the old key file put back in place after the rotation.
    version = publishing.load_seed_policy()
    old_file = settings.SEALING_KEY_FILE
    first = sign(UserFactory(), version)
    rotate(tmp_path, settings)
    second = sign(UserFactory(), version)
    # Both keys known: the old one sealing again, the newer one among the retired.
    keys = sealing.public_keys()
    (tmp_path / "both").mkdir()
    for key in keys.values():
        (tmp_path / "both" / f"{key.key_id}.pem").write_text(key.pem)
    settings.SEALING_PUBLIC_KEYS_DIR = str(tmp_path / "both")
    settings.SEALING_KEY_FILE = old_file
    third = sign(UserFactory(), version)
    assert third.seal_key_id == first.seal_key_id != second.seal_key_id
    reason = (
        f"it is sealed with key {first.seal_key_id}, retired when key {second.seal_key_id} "
        "sealed record sequence 2; a retired key seals no later record"
    )

    with pytest.raises(CommandError) as broken:
        verify()

    assert f"record {third.pk} (sequence 3): {reason}" in str(broken.value)
    assert "2 of 3 records verified before it" in str(broken.value)
    assert check_page(client, third.record_hash).context["result"].seal_problem == reason
    assert check_page(client, first.record_hash).context["result"].genuine
    assert check_page(client, second.record_hash).context["result"].genuine


@pytest.mark.parametrize("after_rotation", [1, 6])
def test_the_key_order_check_costs_one_query_whatever_the_chain(
    signed, tmp_path, settings, django_assert_num_queries, after_rotation
):
    old = rotate(tmp_path, settings)
    for _ in range(after_rotation):
        sign(UserFactory(), signed[0].version)
    forged = forge(seal=sealed_by(old), seal_key_id=old.key_id)

    # The record, its neighbours, the key order.
    with django_assert_num_queries(3):
        result = receipts.verify_reference(forged.record_hash)

    assert result.seal_problem and "retired when key" in result.seal_problem


# --- The receipt carries its seal, and checks out offline ---------------------------------------
@pytest.fixture(scope="module")
def receipt_pdf(django_db_setup, django_db_blocker) -> tuple[bytes, dict[str, str], str]:
    """A signed receipt's PDF and the public keys as the Verify page publishes them, made with
    the database; the tests that use them have no database access at all."""
    with django_db_blocker.unblock(), transaction.atomic():
        ack = sign(UserFactory(), publishing.load_seed_policy())
        pdf = receipts.build_pdf(ack)
        keys = {key.key.key_id: key.key.pem for key in receipts.published_keys()}
        record_hash = ack.record_hash
        transaction.set_rollback(True)
    return pdf, keys, record_hash


def attached_evidence(pdf: bytes) -> bytes:
    attachments = pypdf.PdfReader(io.BytesIO(pdf)).attachments
    return attachments[receipts.EVIDENCE_FILENAME][0]


def test_a_receipt_pdf_verifies_offline_with_only_the_public_key(receipt_pdf):
    pdf, keys, record_hash = receipt_pdf
    evidence = attached_evidence(pdf)

    check = sealing.verify_receipt_evidence(evidence, keys)

    assert check.ok, check
    assert json.loads(evidence)["record_hash"] == record_hash
    # Only the public key is needed: the base64 form published beside the PEM does as well.
    only_public = {
        key_id: base64.b64encode(sealing.public_key_from_text(pem).public_bytes_raw()).decode()
        for key_id, pem in keys.items()
    }
    assert sealing.verify_receipt_evidence(evidence, only_public).ok


def test_an_altered_receipt_fails_offline(receipt_pdf):
    pdf, keys, _ = receipt_pdf
    evidence = json.loads(attached_evidence(pdf))
    evidence["printed_name"] = "Someone Else"

    altered = sealing.verify_receipt_evidence(json.dumps(evidence), keys)
    assert not altered.record_hash_ok
    # A forger who recomputes the record hash cannot make the seal for it.
    fields = {name: evidence[name] for name in sealing.HASHED_FIELDS}
    evidence["record_hash"] = chain.hashlib.sha256(sealing.canonical_json(fields)).hexdigest()
    rehashed = sealing.verify_receipt_evidence(json.dumps(evidence), keys)
    assert rehashed.record_hash_ok
    assert rehashed.seal_problem and "not a valid seal" in rehashed.seal_problem
    assert not sealing.verify_receipt_evidence(json.dumps(evidence), {}).ok


def test_the_receipt_page_pdf_and_email_show_the_seal(client, db):
    user = UserFactory()
    ack = sign(user, publishing.load_seed_policy())
    client.force_login(user)

    page = client.get(reverse("acknowledgements:receipt", args=[ack.pk])).content.decode()
    pdf = extracted_text(receipts.build_pdf(ack, compress=False))
    email = Notification.objects.get(dedupe_key=f"receipt:{ack.pk}")

    for shown in (ack.seal, ack.seal_key_id):
        assert shown in page
        assert shown in pdf
        assert shown in email.body_text
        assert shown in email.body_html


# --- The daily witness -------------------------------------------------------------------------
def witness_mails() -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [AUDITOR]]


def run_witness_job(day_hour: str = "2026-03-02T04:00:00+00:00") -> None:
    scheduling.run_job("signature-witness", now=timezone.datetime.fromisoformat(day_hour))
    outbox.sweep()


def test_the_witness_goes_to_the_auditor_and_the_log_once_a_day(signed, settings, caplog):
    settings.WITNESS_EMAILS = [AUDITOR]

    with caplog.at_level("INFO", logger="acknowledgements.witness"):
        run_witness_job()
        run_witness_job("2026-03-02T09:00:00+00:00")

    assert len(witness_mails()) == 1
    message = witness_mails()[0]
    head = signed[-1]
    assert message.body == (
        f"{witness.HEADER}\n"
        "date: 2026-03-02\n"
        f"sequence: {head.sequence}\n"
        f"record_hash: {head.record_hash}\n"
        f"seal_key_id: {head.seal_key_id}\n"
        f"seal: {head.seal}\n"
    )
    assert message.body in caplog.text
    assert not Notification.objects.filter(kind=witness.KIND, recipient__isnull=False).exists()

    run_witness_job("2026-03-03T04:00:00+00:00")
    assert len(witness_mails()) == 2


def test_the_witness_job_with_no_signatures_yet(db, settings):
    settings.WITNESS_EMAILS = [AUDITOR]
    run_witness_job()
    assert not Notification.objects.exists()


def saved_witness(tmp_path: Path) -> Path:
    """The witness e-mail's body, saved as a file by the auditor."""
    path = tmp_path / "witness.txt"
    path.write_text(witness_mails()[-1].body)
    return path


def test_a_saved_witness_verifies_while_history_is_intact(signed, settings, tmp_path):
    settings.WITNESS_EMAILS = [AUDITOR]
    run_witness_job()
    sign(UserFactory(), signed[0].version)  # signing goes on after the witness

    output = verify(witness_file=saved_witness(tmp_path))

    assert "Witness of 02/03/2026 matches (record 3)" in output


def test_a_history_rewritten_by_the_key_holder_is_caught_by_the_witness(signed, settings, tmp_path):
    settings.WITNESS_EMAILS = [AUDITOR]
    run_witness_job()
    # Someone with the key and the database rewrites the newest record and seals it again:
    # the chain and its seals hold, only the witness can tell.
    rewritten = Acknowledgement.objects.get(pk=signed[-1].pk)
    rewritten.printed_name = "Somebody Else"
    new_hash = chain.hash_of(rewritten)
    new_seal, key_id = sealing.seal(new_hash)
    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE acknowledgements_acknowledgement SET printed_name = %s, record_hash = %s,"
            " seal = %s, seal_key_id = %s WHERE id = %s",
            [rewritten.printed_name, new_hash, new_seal, key_id, rewritten.pk],
        )
    assert "All 3 acknowledgements verified" in verify()

    with pytest.raises(CommandError) as broken:
        verify(witness_file=saved_witness(tmp_path))

    assert (
        f"gives record sequence 3 the hash {signed[-1].record_hash}, but it now has {new_hash}: "
        "the chain was rewritten"
    ) in str(broken.value)


def test_a_witness_of_a_removed_record_fails(signed, settings, tmp_path):
    settings.WITNESS_EMAILS = [AUDITOR]
    run_witness_job()
    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE acknowledgements_assignment SET acknowledgement_id = NULL"
            " WHERE acknowledgement_id = %s",
            [signed[-1].pk],
        )
        cursor.execute(
            "DELETE FROM acknowledgements_acknowledgement WHERE id = %s", [signed[-1].pk]
        )

    with pytest.raises(CommandError, match="names record sequence 3, which is gone"):
        verify(witness_file=saved_witness(tmp_path))


def test_a_file_that_is_not_a_witness_is_refused_clearly(signed, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Dear auditor,\nnothing to see here\n")

    with pytest.raises(CommandError, match="is not a signature chain witness"):
        verify(witness_file=path)
    with pytest.raises(CommandError, match="Cannot read the witness file"):
        verify(witness_file=tmp_path / "missing.txt")


# --- Keys ----------------------------------------------------------------------------------------
def test_make_sealing_key_writes_a_private_key_only_its_owner_can_read(tmp_path):
    path = tmp_path / "keys" / "sealing.pem"
    out = StringIO()

    call_command("make_sealing_key", str(path), stdout=out)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = sealing.read_private_key(path)
    public = sealing.PublicKey(key.key_id, key.private_key.public_key())
    assert f"Sealing key {key.key_id} written to {path}" in out.getvalue()
    assert public.pem in out.getvalue()
    with pytest.raises(CommandError, match="exists already"):
        call_command("make_sealing_key", str(path), stdout=StringIO())
    assert sealing.read_private_key(path).key_id == key.key_id


def test_a_key_file_that_is_not_a_key_is_refused_naming_the_variable(tmp_path, settings):
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    settings.SEALING_KEY_FILE = str(bad)

    errors = sealing.check_keys()

    assert len(errors) == 1
    assert "PORTAL_SEALING_KEY_FILE" in errors[0].msg
    assert "not an unencrypted Ed25519 private key" in errors[0].msg
