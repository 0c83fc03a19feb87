"""The audit trail is append-only, and never stores secrets."""

from __future__ import annotations

import psycopg2.errors
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from portal import audit
from portal.models import AuditEvent
from tests.helpers import refused_sql


@pytest.fixture
def event(employee) -> AuditEvent:
    return audit.record(actor=employee, action="test.recorded", obj=employee)


def test_record_describes_the_object(event, employee) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == employee
    assert stored.object_type == "portal.user"
    assert stored.object_id == str(employee.pk)
    assert stored.object_repr == str(employee)


def test_record_keeps_the_client_address(employee) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10")
    event = audit.record(actor=employee, action="test.recorded", request=request)
    assert AuditEvent.objects.get(pk=event.pk).ip_address == "192.0.2.10"


def test_saving_an_existing_event_is_refused(event) -> None:
    event.action = "test.rewritten"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.recorded"


def test_deleting_an_event_is_refused(event) -> None:
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event) -> None:
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.recorded"


def test_bulk_update_is_refused(event) -> None:
    event.action = "test.rewritten"
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.recorded"


def test_queryset_delete_is_refused(event) -> None:
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_secrets_are_scrubbed_at_any_depth(employee) -> None:
    event = audit.record(
        actor=employee,
        action="test.recorded",
        data={
            "email": "employee@example.com",
            "new_password": "hunter2-hunter2",
            "API_Token": "abc123",
            "client_secret": "s3cret",
            "details": {"reset_token": "t0ken", "kept": 1, "deeper": {"Password": "x"}},
            "rows": [{"line": 2, "password": "in-a-list"}],
        },
    )
    assert AuditEvent.objects.get(pk=event.pk).data == {
        "email": "employee@example.com",
        "details": {"kept": 1, "deeper": {}},
        "rows": [{"line": 2}],
    }


# --- In the database itself (PostgreSQL) ------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE portal_auditevent SET action = 'test.rewritten' WHERE id = %s", "UPDATE"),
        ("DELETE FROM portal_auditevent WHERE id = %s", "DELETE"),
    ],
    ids=["update", "delete"],
)
def test_raw_changes_to_an_event_are_refused_by_the_database(postgres, event, sql, operation):
    error = refused_sql(sql, [event.pk])

    assert isinstance(error.__cause__, psycopg2.errors.InsufficientPrivilege)
    assert f"audit events are append-only: {operation} refused" in str(error)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.recorded"


@pytest.mark.parametrize("switch", ["RESET", "SET LOCAL"])
def test_raw_truncate_is_refused_unless_the_owner_resets_a_test_database(postgres, event, switch):
    # The test connections set the switch so that transactional tests can empty the database;
    # without it, even the owner's TRUNCATE is refused.
    statement = {
        "RESET": "RESET portal.test_database_reset",
        "SET LOCAL": "SET LOCAL portal.test_database_reset = 'off'",
    }[switch]
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
        # The foreign-key checks pending in this transaction would refuse TRUNCATE first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE portal_auditevent")

    assert "audit events are append-only: TRUNCATE refused" in str(refused.value)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_owner_empties_the_log_while_resetting_a_test_database(postgres, event):
    with connection.cursor() as cursor:
        savepoint = transaction.savepoint()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE portal_auditevent")
        assert not AuditEvent.objects.exists()
        transaction.savepoint_rollback(savepoint)

    assert AuditEvent.objects.filter(pk=event.pk).exists()
