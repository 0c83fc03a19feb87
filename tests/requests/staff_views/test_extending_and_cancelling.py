"""Extending and cancelling a notice through the pages."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from requests.staff.models import StaffChange
from tests.helpers import signed_in
from tests.requests.staff_views.helpers import snapshot, url


# --- Extending and cancelling -----------------------------------------------------------------
def test_the_manager_extends_a_temporary_workers_access(
    client: Client, manager, temporary_notice, soon
) -> None:
    new_end = soon["end"] + timedelta(days=14)
    response = signed_in(client, manager).post(
        url("staff_change_extend", temporary_notice), {"end_date": new_end.isoformat()}
    )
    assert response.status_code == 302
    temporary_notice.refresh_from_db()
    assert temporary_notice.end_date == new_end


def test_an_extension_to_an_earlier_date_is_explained(
    client: Client, manager, temporary_notice, soon
) -> None:
    client = signed_in(client, manager)
    before = snapshot()
    response = client.post(
        url("staff_change_extend", temporary_notice),
        {"end_date": (soon["end"] - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200
    assert "Choose a date after the current access end date" in response.content.decode()
    assert snapshot() == before
    response = client.post(url("staff_change_extend", temporary_notice), {"end_date": "soon"})
    assert "Enter a real date" in response.content.decode()


def test_it_cannot_extend(client: Client, it_user, temporary_notice, soon) -> None:
    response = signed_in(client, it_user).post(
        url("staff_change_extend", temporary_notice), {"end_date": soon["end"].isoformat()}
    )
    assert response.status_code == 403


def test_another_manager_cannot_extend(client: Client, outsider, temporary_notice, soon):
    response = signed_in(client, outsider.line_manager).post(
        url("staff_change_extend", temporary_notice), {"end_date": soon["end"].isoformat()}
    )
    assert response.status_code == 404


def test_cancelling_needs_a_reason(client: Client, manager, leaver_notice) -> None:
    response = signed_in(client, manager).post(url("staff_change_cancel", leaver_notice), {})
    assert response.status_code == 200
    assert "Say why the notice is cancelled" in response.content.decode()
    response = client.post(url("staff_change_cancel", leaver_notice), {"reason": "Staying."})
    assert response.status_code == 302
    leaver_notice.refresh_from_db()
    assert leaver_notice.state == StaffChange.State.CANCELLED
