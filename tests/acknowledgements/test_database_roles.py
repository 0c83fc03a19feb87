"""Least privilege in PostgreSQL: the owner migrates, the portal runs as a role that can only
read and add signatures and audit events.

Each test makes a fresh owner and running role (roles belong to the whole cluster, so their
names are unique to the run and they are dropped afterwards), gives the owner the test
database's tables, grants the running role with ``grant_runtime_role`` as the owner, and then
talks to the database as one or the other through a second connection. The rows they work on
must be committed for a second connection to see them, hence transactional tests.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import psycopg2.errors
import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from acknowledgements import chain, publishing, sealing
from acknowledgements.models import Acknowledgement, PolicyVersion
from portal import audit, db_roles
from portal.models import AuditEvent, Notification
from tests.acknowledgements.helpers import sign
from tests.helpers import execute
from tests.helpers import refused_sql as refused
from tests.portal.test_settings import production_env, run

pytestmark = pytest.mark.django_db(transaction=True)

SIGNATURES = "acknowledgements_acknowledgement"
AUDIT = "portal_auditevent"
GUARD_TRIGGERS = {
    SIGNATURES: "acknowledgement_no_update_delete",
    AUDIT: "audit_event_no_update_delete",
}


@dataclass(frozen=True)
class Roles:
    owner: str
    runtime: str


@pytest.fixture
def roles(postgres, transactional_db) -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:12]
    made = Roles(owner=f"portal_test_owner_{suffix}", runtime=f"portal_test_app_{suffix}")
    (me,) = execute("SELECT current_user")[0]
    execute(f"CREATE ROLE {made.owner} LOGIN")
    execute(f"CREATE ROLE {made.runtime} LOGIN")
    try:
        # The owner takes the tables over, as if it had run migrate itself.
        execute(f"GRANT CREATE ON SCHEMA public TO {made.owner}")
        for (table,) in execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ):
            execute(f'ALTER TABLE "{table}" OWNER TO {made.owner}')
        with connected_as(made.owner):
            call_command("grant_runtime_role", made.runtime, stdout=StringIO())
        yield made
    finally:
        execute(f"REASSIGN OWNED BY {made.owner} TO {me}")
        execute(f"DROP OWNED BY {made.owner}, {made.runtime}")
        execute(f"DROP ROLE {made.runtime}")
        execute(f"DROP ROLE {made.owner}")


@contextlib.contextmanager
def connected_as(role: str) -> Iterator[object]:
    """The portal's default database connection, for the block, signed in as ``role``.

    The test server trusts local connections, so no password is needed.
    """
    original = connections[DEFAULT_DB_ALIAS]
    settings = {**original.settings_dict, "USER": role, "PASSWORD": ""}
    replacement = original.__class__(settings, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = replacement
    try:
        yield replacement
    finally:
        replacement.close()
        connections[DEFAULT_DB_ALIAS] = original


@pytest.fixture
def signed(roles, employee) -> Acknowledgement:
    """A signature and its audit events, written by the test's own (superuser) connection."""
    version = publishing.load_seed_policy()
    return sign(employee, version)


def counts() -> tuple[int, int]:
    return Acknowledgement.objects.count(), AuditEvent.objects.count()


# --- What the running role can do --------------------------------------------------------------


def test_the_portal_signs_publishes_and_audits_as_the_running_role(roles, employee, reviewer):
    version = publishing.load_seed_policy()

    with connected_as(roles.runtime):
        ack = sign(employee, version)
        draft = publishing.create_draft(actor=reviewer, policy=version.policy)
        publishing.update_draft(
            actor=reviewer,
            version=draft,
            body=draft.body + "\n\nStaff must lock their screens.\n",
            change_summary="Screens locked.",
        )
        publishing.publish(actor=reviewer, version=draft, material=True)

    assert Acknowledgement.objects.get().pk == ack.pk
    assert AuditEvent.objects.filter(action="policy.signed", actor=employee).exists()
    assert AuditEvent.objects.filter(action="policy.version_published").exists()
    assert Notification.objects.filter(kind="acknowledgement-receipt", recipient=employee).exists()
    assert PolicyVersion.objects.get(pk=version.pk).status == PolicyVersion.Status.SUPERSEDED
    assert chain.verify(
        Acknowledgement.objects.order_by("sequence"),
        {v.pk: v.body for v in PolicyVersion.objects.all()},
    ).ok


FORBIDDEN = {
    "update": "UPDATE {table} SET id = id",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table} CASCADE",
    "disable its guard trigger": "ALTER TABLE {table} DISABLE TRIGGER {trigger}",
    "disable every trigger": "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "drop its guard trigger": "DROP TRIGGER {trigger} ON {table}",
    "drop the table": "DROP TABLE {table} CASCADE",
    "add a trigger of its own": (
        "CREATE TRIGGER quietly_dropped BEFORE INSERT ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"
    ),
}


@pytest.mark.parametrize("statement", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_running_role_cannot_change_or_unguard_the_records(roles, signed, statement):
    before = counts()

    with connected_as(roles.runtime):
        for table, trigger in GUARD_TRIGGERS.items():
            for reset in ("on", "off"):
                # The test suite sets its switch on every new connection; it must not matter.
                execute("SET portal.test_database_reset = %s", [reset])
                error = refused(statement.format(table=table, trigger=trigger))
                assert isinstance(error.__cause__, psycopg2.errors.InsufficientPrivilege), error

    assert counts() == before
    assert execute(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(%s) ORDER BY 1",
        [list(GUARD_TRIGGERS.values())],
    ) == [("acknowledgement_no_update_delete", "O"), ("audit_event_no_update_delete", "O")]


def test_the_running_role_reads_and_adds_but_never_rewrites(roles, signed):
    with connected_as(roles.runtime):
        assert Acknowledgement.objects.get().record_hash == signed.record_hash
        audit.record(actor=None, action="test.recorded")
        error = refused("UPDATE portal_auditevent SET action = 'test.rewritten'")
        assert "permission denied" in str(error)

    assert AuditEvent.objects.filter(action="test.recorded").count() == 1
    assert not AuditEvent.objects.filter(action="test.rewritten").exists()


def test_a_published_text_cannot_be_changed_by_the_running_role(roles, signed):
    version = signed.version

    with connected_as(roles.runtime):
        for sql in (
            "UPDATE acknowledgements_policyversion SET body = body || 'More.' WHERE id = %s",
            "UPDATE acknowledgements_policyversion SET body_sha256 = repeat('0', 64) WHERE id = %s",
            "UPDATE acknowledgements_policyversion SET status = 'draft' WHERE id = %s",
            "DELETE FROM acknowledgements_policyversion WHERE id = %s",
        ):
            error = refused(sql, [version.pk])
            assert "published policy versions never change" in str(error)

    stored = PolicyVersion.objects.get(pk=version.pk)
    assert (stored.body, stored.body_sha256) == (version.body, version.body_sha256)


def test_a_forged_record_added_by_the_running_role_is_caught(roles, signed, outsider):
    """The running role may INSERT, so it can append a record at the end of the chain with a
    hash that holds; it cannot seal it, so the verify command and the Verify page both refuse
    it. (A record without a seal at all is refused by the table itself.)"""
    forged = {
        "user_id": outsider.pk,
        "version_id": signed.version_id,
        "signer_email": outsider.email,
        "signer_employee_number": "",
        "printed_name": outsider.full_name,
        "statement": signed.statement,
        "body_sha256": signed.body_sha256,
        "signed_at": signed.signed_at,
        "ip_address": None,
        "user_agent": "",
        "auth_method": signed.auth_method,
        "sequence": signed.sequence + 1,
        "prev_hash": signed.record_hash,
    }
    forged["record_hash"] = chain.record_hash(**forged)
    # Sixty-four bytes that look like an Ed25519 signature, under the portal's own key id.
    forged["seal"] = base64.b64encode(secrets.token_bytes(64)).decode()
    forged["seal_key_id"] = sealing.current_key().key_id
    columns = ", ".join(forged)
    values = ", ".join(f"%({name})s" for name in forged)

    with connected_as(roles.runtime), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SIGNATURES} ({columns}) VALUES ({values})",  # noqa: S608
            forged,
        )
        unsealed = {**forged, "sequence": signed.sequence + 2, "seal": None, "seal_key_id": None}
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute(f"INSERT INTO {SIGNATURES} ({columns}) VALUES ({values})", unsealed)  # noqa: S608

    with pytest.raises(CommandError) as broken:
        call_command("verify_acknowledgements", stdout=StringIO())
    assert f"(sequence {signed.sequence + 1})" in str(broken.value)
    assert "its seal is not a valid seal" in str(broken.value)

    page = Client()
    page.force_login(outsider)
    response = page.get(reverse("acknowledgements:verify"), {"reference": forged["record_hash"]})
    assert response.status_code == 200
    assert response.context["result"].found
    assert not response.context["result"].genuine
    assert "Genuine record" not in response.content.decode()


# --- The owner, and the test-only switch --------------------------------------------------------


def test_only_the_owner_can_empty_the_tables_with_the_test_switch(roles, signed):
    truncate = f"TRUNCATE {SIGNATURES}, {AUDIT} CASCADE"
    # A running role given TRUNCATE by mistake still meets each table's trigger, switch or not.
    execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {roles.runtime}")
    with connected_as(roles.runtime):
        execute("SET portal.test_database_reset = 'on'")
        for table in (SIGNATURES, AUDIT):
            assert "TRUNCATE refused" in str(refused(f"TRUNCATE {table} CASCADE"))
    assert 0 not in counts()

    with connected_as(roles.owner):
        execute("RESET portal.test_database_reset")
        assert "TRUNCATE refused" in str(refused(truncate))
        execute("SET portal.test_database_reset = 'on'")
        execute(truncate)

    assert counts() == (0, 0)


def test_the_audit_log_is_append_only_for_the_owner_too(roles, signed):
    with connected_as(roles.owner):
        for sql, op in (
            ("UPDATE portal_auditevent SET action = 'x'", "UPDATE"),
            ("DELETE FROM portal_auditevent", "DELETE"),
        ):
            assert f"audit events are append-only: {op} refused" in str(refused(sql))


# --- Setting up the running role -----------------------------------------------------------------


def test_granting_again_takes_back_rights_given_by_hand(roles, signed):
    execute(f"GRANT ALL ON {SIGNATURES}, {AUDIT} TO {roles.runtime}")
    execute(f"GRANT UPDATE (printed_name) ON {SIGNATURES} TO {roles.runtime}")
    assert db_roles.record_rights(role=roles.runtime)

    with connected_as(roles.owner):
        call_command("grant_runtime_role", roles.runtime, stdout=StringIO())

    assert db_roles.record_rights(role=roles.runtime) == []
    with connected_as(roles.runtime):
        assert "permission denied" in str(
            refused("UPDATE acknowledgements_acknowledgement SET printed_name = 'Someone Else'")
        )


def test_granting_refuses_a_role_that_could_not_be_limited(roles):
    (superuser,) = execute("SELECT current_user")[0]
    with connected_as(roles.owner):
        for role, reason in (
            (roles.owner, "must run as a different role from the one that migrates"),
            (superuser, "is a superuser"),
            (f"{roles.runtime}_missing", "There is no database role"),
        ):
            with pytest.raises(CommandError, match=reason):
                call_command("grant_runtime_role", role, stdout=StringIO())
    with connected_as(roles.runtime), pytest.raises(CommandError, match="owns the portal's tables"):
        call_command("grant_runtime_role", roles.runtime, stdout=StringIO())


def test_granting_reports_rights_held_through_another_role(roles):
    execute(f"GRANT pg_write_all_data TO {roles.runtime}")

    with connected_as(roles.owner), pytest.raises(CommandError) as still:
        call_command("grant_runtime_role", roles.runtime, stdout=StringIO())

    assert f"may UPDATE, DELETE {AUDIT}" in str(still.value)


# --- The deployment check ------------------------------------------------------------------------


def database_warnings() -> list[checks.CheckMessage]:
    return checks.run_checks(tags=[checks.Tags.database], include_deployment_checks=True)


def test_the_deployment_check_warns_when_the_portal_runs_as_the_owner(roles):
    with connected_as(roles.owner):
        messages = database_warnings()

    assert [m.id for m in messages] == ["portal.W001"]
    assert f"owns {SIGNATURES}" in messages[0].msg
    assert f"owns {AUDIT}" in messages[0].msg


def test_the_deployment_check_warns_when_the_portal_runs_as_a_superuser(postgres):
    messages = database_warnings()

    assert [m.id for m in messages] == ["portal.W001"]
    assert "is a superuser" in messages[0].msg


def test_the_deployment_check_is_quiet_for_the_running_role(roles):
    with connected_as(roles.runtime):
        assert database_warnings() == []


def test_deploy_check_passes_with_production_values(roles, tmp_path):
    # The whole of `check --deploy` as production runs it: PostgreSQL as the running role,
    # Redis, a mail server, a trusted proxy and a sealing key.
    database = connection.settings_dict
    env = production_env(
        tmp_path,
        DATABASE_URL=(
            f"postgres://{roles.runtime}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        REDIS_URL="redis://127.0.0.1:6379/0",
        PORTAL_TRIAL="0",
    )
    assert len(env["DJANGO_SECRET_KEY"]) == 60
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_check_warns_when_the_running_role_may_create_objects(roles):
    execute(f"GRANT CREATE ON SCHEMA public TO {roles.runtime}")
    with connected_as(roles.runtime):
        [warning] = database_warnings()
    assert warning.id == "portal.W001"
    assert f"'{roles.runtime}' may CREATE in schema public" in warning.msg


def test_the_guard_triggers_ignore_a_search_path_the_session_chooses(roles, signed):
    """Objects made in a schema the session puts first cannot stand in for the guards' own."""
    with connected_as(roles.owner):
        execute("SET search_path = pg_temp, public")
        refused(f"UPDATE {SIGNATURES} SET printed_name = 'Changed' WHERE id = %s", [signed.pk])  # noqa: S608
    assert Acknowledgement.objects.get(pk=signed.pk).printed_name == signed.printed_name
    rows = execute(
        "SELECT proname, proconfig FROM pg_catalog.pg_proc WHERE proname IN "
        "('acknowledgement_refuse_change', 'audit_event_refuse_change', "
        "'policy_version_refuse_change') ORDER BY proname"
    )
    assert rows == [
        (name, ["search_path=pg_catalog, pg_temp"])
        for name in (
            "acknowledgement_refuse_change",
            "audit_event_refuse_change",
            "policy_version_refuse_change",
        )
    ]


def test_the_deployment_check_names_tables_made_since_the_last_grant(roles):
    with connected_as(roles.owner):
        execute("CREATE TABLE portal_later (id bigint PRIMARY KEY)")

    with connected_as(roles.runtime):
        messages = database_warnings()
    assert [m.id for m in messages] == ["portal.W002"]
    assert "cannot read portal_later" in messages[0].msg

    with connected_as(roles.owner):
        call_command("grant_runtime_role", roles.runtime, stdout=StringIO())
    with connected_as(roles.runtime):
        assert database_warnings() == []


def test_the_deployment_check_says_when_it_cannot_ask_the_database(roles):
    with connected_as(f"{roles.runtime}_missing"):
        messages = database_warnings()

    assert [m.id for m in messages] == ["portal.W003"]
    assert "Could not ask the database" in messages[0].msg
