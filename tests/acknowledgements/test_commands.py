"""manage.py verify_acknowledgements (tamper detection) and manage.py load_policy."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from acknowledgements import documents, publishing
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal.models import AuditEvent
from tests.acknowledgements.helpers import sign, verify
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def three_signatures() -> list[Acknowledgement]:
    version = publishing.load_seed_policy()
    people = [UserFactory(), UserFactory(), UserFactory()]
    publishing.assign_outstanding(policy=version.policy)
    return [sign(person, version) for person in people]


GUARDS = {
    "acknowledgements_acknowledgement": "acknowledgement_no_update_delete",
    "acknowledgements_policyversion": "policy_version_published_frozen",
}


@contextlib.contextmanager
def tampering() -> Iterator[None]:
    """Raw SQL with PostgreSQL's guard triggers switched off, as a database owner could do.

    SQLite has no trigger; there the raw SQL alone goes round the model.
    """
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE waits for nothing pending: run this transaction's deferred FK checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, trigger in GUARDS.items():
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        try:
            yield
        finally:
            if postgres:
                for table, trigger in GUARDS.items():
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- verify_acknowledgements ------------------------------------------------------------------


def test_verify_reports_an_intact_chain(db):
    three_signatures()

    assert "All 3 acknowledgements verified" in verify()


def test_verify_with_no_signatures_yet(db):
    assert "All 0 acknowledgements verified" in verify()


def test_verify_names_a_record_whose_contents_changed(db):
    second = three_signatures()[1]
    with tampering():
        raw(
            "UPDATE acknowledgements_acknowledgement SET printed_name = %s WHERE id = %s",
            ["Somebody Else", second.pk],
        )

    with pytest.raises(CommandError) as broken:
        verify()

    message = str(broken.value)
    assert f"record {second.pk} (sequence 2)" in message
    assert "its contents do not match its record hash" in message
    assert "1 of 3 records verified before it" in message


def test_verify_names_a_record_whose_time_changed(db):
    second = three_signatures()[1]
    with tampering():
        if connection.vendor == "postgresql":
            sql = (
                "UPDATE acknowledgements_acknowledgement"
                " SET signed_at = signed_at - interval '1 day' WHERE id = %s"
            )
        else:
            sql = (
                "UPDATE acknowledgements_acknowledgement"
                " SET signed_at = datetime(signed_at, '-1 day') WHERE id = %s"
            )
        raw(sql, [second.pk])

    with pytest.raises(CommandError, match=f"record {second.pk} \\(sequence 2\\)"):
        verify()


def test_verify_names_a_record_whose_hash_was_recomputed(db):
    # A careful forger recomputes the altered record's own hash: its seal, which the forger
    # cannot make without the key, gives it away (before sealing, only the next record did).
    from acknowledgements import chain

    second = three_signatures()[1]
    forged = Acknowledgement.objects.get(pk=second.pk)
    forged.printed_name = "Somebody Else"
    with tampering():
        raw(
            "UPDATE acknowledgements_acknowledgement"
            " SET printed_name = %s, record_hash = %s WHERE id = %s",
            [forged.printed_name, chain.hash_of(forged), second.pk],
        )

    with pytest.raises(CommandError) as broken:
        verify()

    assert f"record {second.pk} (sequence 2)" in str(broken.value)
    assert "its seal is not a valid seal of its record hash" in str(broken.value)


def test_verify_names_the_first_record_signed_on_altered_policy_text(db):
    first = three_signatures()[0]
    # The model and the database refuse to change a published version's text; an owner with
    # raw SQL can go round both.
    with tampering():
        raw(
            "UPDATE acknowledgements_policyversion SET body = body || %s WHERE id = %s",
            ["\nStaff may install any software they like.\n", first.version_id],
        )

    with pytest.raises(CommandError) as broken:
        verify()

    message = str(broken.value)
    assert f"record {first.pk} (sequence 1)" in message
    assert "the policy text it names no longer matches the hash signed" in message


def test_verify_ignores_changes_that_leave_the_canonical_text_alone(db):
    first = three_signatures()[0]
    with tampering():
        raw(
            "UPDATE acknowledgements_policyversion SET body = replace(body, %s, %s) WHERE id = %s",
            ["\n", "\r\n", first.version_id],
        )

    assert "All 3 acknowledgements verified" in verify()


def test_verify_names_the_record_after_a_removed_one(db):
    _, second, third = three_signatures()
    Assignment.objects.filter(acknowledgement=second).update(acknowledgement=None)
    with tampering():
        raw("DELETE FROM acknowledgements_acknowledgement WHERE id = %s", [second.pk])

    with pytest.raises(CommandError) as broken:
        verify()

    message = str(broken.value)
    assert f"record {third.pk} (sequence 3)" in message
    assert "previous-record hash does not match the record before it" in message
    assert "1 of 2 records verified before it" in message


def test_verify_prints_the_latest_record_hash(db):
    *_, third = three_signatures()

    assert f"Latest record hash: {third.record_hash}" in verify()


def test_removing_the_newest_records_is_caught_with_an_earlier_head(db):
    *_, third = three_signatures()
    Assignment.objects.filter(acknowledgement=third).update(acknowledgement=None)
    with tampering():
        raw("DELETE FROM acknowledgements_acknowledgement WHERE id = %s", [third.pk])

    assert "All 2 acknowledgements verified" in verify(), "the chain alone cannot see it"
    with pytest.raises(CommandError) as broken:
        call_command("verify_acknowledgements", expect=third.record_hash, stdout=StringIO())

    assert f"No record has the expected hash {third.record_hash}" in str(broken.value)


def test_verify_names_a_record_slipped_in_afterwards(db):
    second = three_signatures()[1]
    # A copy of a genuine record, given the next sequence number, claims the wrong place.
    copy = Acknowledgement.objects.get(pk=second.pk)
    copy.pk = None
    copy.sequence = 4
    copy.user = UserFactory()
    copy.record_hash = "f" * 64
    copy.save()

    with pytest.raises(CommandError) as broken:
        verify()

    assert f"record {copy.pk} (sequence 4)" in str(broken.value)


@pytest.mark.django_db(transaction=True)
def test_verify_as_a_process_exits_non_zero_after_tampering(postgres):
    second = three_signatures()[1]
    settings = connection.settings_dict
    # The same server and credentials as this run, and the test database this test committed to.
    user, secret = (
        quote(settings["USER"] or "", safe=""),
        quote(settings["PASSWORD"] or "", safe=""),
    )
    host = quote(settings["HOST"] or "localhost", safe="")  # a socket directory is %-encoded
    database_url = (
        f"postgres://{user}:{secret}@{host}:{settings['PORT'] or 5432}"
        f"/{quote(settings['NAME'], safe='')}"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = [sys.executable, "manage.py", "verify_acknowledgements"]

    intact = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert intact.returncode == 0, intact.stderr
    assert "All 3 acknowledgements verified" in intact.stdout

    with tampering():
        raw(
            "UPDATE acknowledgements_acknowledgement SET printed_name = %s WHERE id = %s",
            ["Somebody Else", second.pk],
        )
    broken = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert broken.returncode != 0
    assert f"record {second.pk} (sequence 2)" in broken.stderr
    assert broken.stdout == ""


# --- load_policy ------------------------------------------------------------------------------


def load_policy() -> str:
    out = StringIO()
    call_command("load_policy", stdout=out)
    return out.getvalue()


def test_load_policy_loads_version_one_and_asks_active_staff_to_sign(employee, manager):
    leaver = UserFactory(is_active=False)

    output = load_policy()

    version = PolicyVersion.objects.get()
    assert version.number == 1
    assert version.status == PolicyVersion.Status.PUBLISHED
    assert version.body_sha256 == documents.body_sha256(publishing.seed_body())
    assert set(Assignment.objects.values_list("user", flat=True)) == {employee.pk, manager.pk}
    assert not Assignment.objects.filter(user=leaver).exists()
    assert "2 people newly asked to sign it" in output
    assert version.body_sha256[:12] in output


def test_load_policy_twice_changes_nothing(employee, manager):
    load_policy()
    assignments = list(Assignment.objects.values_list("pk", "user", "version", "due_date"))

    output = load_policy()

    assert Policy.objects.count() == 1
    assert PolicyVersion.objects.count() == 1
    assert list(Assignment.objects.values_list("pk", "user", "version", "due_date")) == assignments
    assert AuditEvent.objects.filter(action="policy.version_published").count() == 1
    assert "0 people newly asked" in output


def test_load_policy_again_asks_only_new_staff(employee, manager):
    load_policy()
    starter = UserFactory()

    output = load_policy()

    assert Assignment.objects.filter(user=starter).count() == 1
    assert Assignment.objects.count() == 3
    assert "1 person newly asked to sign it" in output


OWN_POLICY = """# Acceptable Use of IT Policy

## 1 Purpose

Northwind Home Care provides computers for work.

## 2 Passwords

Keep your password to yourself.
"""


def test_load_policy_loads_an_organisations_own_file(tmp_path, employee, manager):
    path = tmp_path / "policy.md"
    path.write_text(OWN_POLICY, encoding="utf-8")
    out = StringIO()

    call_command("load_policy", str(path), "--released", "2026-01-05", stdout=out)

    version = PolicyVersion.objects.get()
    assert version.policy.title == "Acceptable Use of IT Policy"
    assert version.body.startswith("## 1 Purpose\n\nNorthwind Home Care provides")
    assert (version.effective_date.isoformat(), version.next_review_date.isoformat()) == (
        "2026-01-05",
        "2027-01-05",
    )
    assert Assignment.objects.filter(version=version).count() == 2
    assert "2 people newly asked to sign it" in out.getvalue()


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("## 1 Purpose\n\nText.\n", [], "must start with the policy's title"),
        ("# Policy\n\nNo sections.\n", [], "numbered sections"),
        (OWN_POLICY, ["--released", "5/1/2026"], "'5/1/2026' is not a date"),
        (OWN_POLICY, ["--released", "2026-01-05", "--next-review", "2025-01-05"], "after"),
    ],
)
def test_load_policy_refuses_a_file_it_cannot_use(db, tmp_path, text, options, message):
    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        call_command("load_policy", str(path), *options, stdout=StringIO())

    assert not PolicyVersion.objects.exists()


def test_load_policy_says_when_the_file_cannot_be_read(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_policy", str(tmp_path / "missing.md"), stdout=StringIO())


def test_load_policy_does_not_ask_people_who_have_signed_again(employee, manager):
    load_policy()
    sign(employee, PolicyVersion.objects.get())

    output = load_policy()

    assert Assignment.objects.filter(user=employee).count() == 1
    assert "0 people newly asked" in output
