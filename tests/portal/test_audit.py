"""The audit trail is append-only, and never stores secrets."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from portal import audit
from portal.models import AuditEvent


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
