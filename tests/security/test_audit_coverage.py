"""Every auditable event leaves exactly one audit row, and no row or log line holds a password.

The events are read from the code (each ``audit.record`` / ``audit.event`` call), so a new kind
of event fails ``test_every_audited_action_has_a_flow`` until it has a flow in ``FLOWS``
(``tests/security/audit_flows.py``): the steps a person takes in the portal (or the command that
does it) to cause it once.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from portal.models import AuditEvent, Notification
from tests.factories import PASSWORD
from tests.security import audit_flows
from tests.security.audit_flows import (
    FLOWS,
    NEW_PASSWORD,
    PASSWORD_FLOWS,
    RESET_PASSWORD,
    WRONG_PASSWORD,
    _permission_denied,
    audited_actions,
    signed_in,
)
from tests.security.world import World

# Recorded by what sets up an empty database; tested on its own below.
ON_AN_EMPTY_DATABASE = {"policy.created"}


def test_every_audited_action_has_a_flow() -> None:
    actions = audited_actions()
    assert {"auth.login", "request.approve", "policy.signed"} <= actions  # the reading works
    missing = actions - set(FLOWS) - ON_AN_EMPTY_DATABASE
    assert not missing, f"Add a flow to FLOWS in {audit_flows.__file__} for: {sorted(missing)}"
    assert set(FLOWS) | ON_AN_EMPTY_DATABASE <= actions, "flows for actions no code records"


@pytest.mark.parametrize("action", sorted(FLOWS))
def test_the_event_is_recorded_exactly_once(world: World, action: str) -> None:
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    FLOWS[action](world)
    rows = AuditEvent.objects.filter(pk__gt=before, action=action)
    assert rows.count() == 1, list(rows.values("action", "object_repr", "data"))


def test_loading_the_seed_policy_is_recorded_once(db) -> None:
    call_command("load_policy", stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="policy.created").count() == 1


def test_a_refusal_is_recorded_with_who_and_where(world: World) -> None:
    _permission_denied(world)
    event = AuditEvent.objects.get(action="auth.permission_denied")
    assert event.actor == world.team.employee
    assert event.ip_address == "127.0.0.1"
    assert event.data == {
        "method": "GET",
        "path": reverse("audit_log"),
        "reason": "Only IT and HR can read the audit log.",
    }


# --- No password anywhere -------------------------------------------------------------------
def test_no_audit_row_log_line_or_message_holds_a_password(world: World, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    # A wrong password at signing as well as the right one.
    manager = world.team.line_manager
    signed_in(world, manager).post(
        reverse("acknowledgements:sign", args=[world.slug]),
        {
            "version": world.version.number,
            "printed_name": manager.full_name,
            "password": WRONG_PASSWORD,
            "agree": "on",
        },
    )
    for flow in PASSWORD_FLOWS:
        flow(world)
        world.team.employee.set_password(PASSWORD)  # the next flow signs in with it again
        world.team.employee.save()

    secrets = (PASSWORD, NEW_PASSWORD, RESET_PASSWORD, WRONG_PASSWORD)
    assert caplog.records, "the flows log something, so the check below has lines to read"
    for record in caplog.records:
        line = f"{record.getMessage()} {record.args!r}"
        assert not any(secret in line for secret in secrets), line
    for event in AuditEvent.objects.all():
        text = json.dumps([event.action, event.object_repr, event.data])
        assert not any(secret in text for secret in secrets), text
    for notification in Notification.objects.all():
        text = f"{notification.subject} {notification.body_text} {notification.body_html}"
        assert not any(secret in text for secret in secrets), notification.kind
    for message in mail.outbox:
        assert not any(secret in str(message.message()) for secret in secrets), message.subject
