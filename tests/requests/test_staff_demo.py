"""The demo gives IT's starters and leavers board something to show, and can be run again."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from portal.models import Notification
from requests.staff import selectors as staff_selectors
from requests.staff.models import StaffChange


def test_seed_demo_adds_notices_once(db) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "5 starter, leaver and mover notices for IT" in out.getvalue()
    kinds = sorted(StaffChange.objects.values_list("kind", flat=True))
    assert kinds == ["leaver", "leaver", "mover", "starter", "temporary"]
    mover = StaffChange.objects.get(kind="mover")
    assert mover.move_pending and mover.department.name == "Community Support"
    # The role accounts the demo signs in with are never among the leavers.
    assert not StaffChange.objects.filter(email__in=["employee@example.com"]).exists()
    assert staff_selectors.board().count() == 5
    assert Notification.objects.filter(kind="staff-change-new").count() == 5  # IT, per notice

    call_command("seed_demo", stdout=StringIO())
    assert StaffChange.objects.count() == 5
