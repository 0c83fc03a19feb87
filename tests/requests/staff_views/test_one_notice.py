"""One notice's page: who may see it, ticking off its tasks and sending the invitation."""

from __future__ import annotations

import pytest
from django.test import Client

from acknowledgements import publishing
from portal.models import Notification
from tests.helpers import messages_of, signed_in
from tests.requests.staff import give, starter_details, tick
from tests.requests.staff_views.helpers import Task, snapshot, url


# --- One notice -------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["it_user", "hr_user", "manager"])
def test_it_hr_and_the_manager_open_the_notice(client: Client, request, actor, leaver_notice):
    response = signed_in(client, request.getfixturevalue(actor)).get(
        url("staff_change", leaver_notice)
    )
    assert response.status_code == 200
    assert leaver_notice.reference.encode() in response.content


@pytest.mark.parametrize("actor", ["employee", "outsider", "reviewer"])
def test_anyone_else_gets_not_found(client: Client, request, actor, leaver_notice) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(
        url("staff_change", leaver_notice)
    )
    assert response.status_code == 404


def test_another_manager_gets_not_found(client: Client, outsider, leaver_notice) -> None:
    other_manager = outsider.line_manager
    assert (
        signed_in(client, other_manager).get(url("staff_change", leaver_notice)).status_code == 404
    )


def test_the_notice_page_is_read_only(client: Client, it_user, leaver_notice) -> None:
    assert signed_in(client, it_user).post(url("staff_change", leaver_notice)).status_code == 405


def test_only_it_sees_tick_boxes(client: Client, it_user, manager, leaver_notice) -> None:
    assert (
        b'data-testid="tick-access_revoked"'
        in signed_in(client, it_user).get(url("staff_change", leaver_notice)).content
    )
    assert (
        b'data-testid="tick-access_revoked"'
        not in signed_in(Client(), manager).get(url("staff_change", leaver_notice)).content
    )


def test_a_leavers_page_lists_what_to_take_back(client: Client, it_user, leaver_notice) -> None:
    response = signed_in(client, it_user).get(url("staff_change", leaver_notice))
    assert response.context["holdings"] is not None
    assert b"What IT needs to take back" in response.content
    assert b"On their last day. The portal account ends by itself" in response.content


# --- Ticking off tasks ------------------------------------------------------------------------
def test_it_ticks_off_a_task(client: Client, it_user, leaver_notice) -> None:
    task = leaver_notice.tasks.get(kind=Task.ACCESS_REVOKED)
    response = signed_in(client, it_user).post(
        url("staff_change_task", leaver_notice, task.pk), {"note": "Email and rota removed."}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["“Access revoked” is ticked off."]
    task.refresh_from_db()
    assert (task.completed_by, task.note) == (it_user, "Email and rota removed.")


@pytest.mark.parametrize("actor", ["hr_user", "manager"])
def test_hr_and_managers_cannot_tick(client: Client, request, actor, leaver_notice) -> None:
    task = leaver_notice.tasks.get(kind=Task.ACCESS_REVOKED)
    response = signed_in(client, request.getfixturevalue(actor)).post(
        url("staff_change_task", leaver_notice, task.pk)
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert not task.is_done


def test_an_employee_cannot_tick_a_notice_they_cannot_see(
    client: Client, employee, leaver_notice
) -> None:
    task = leaver_notice.tasks.first()
    response = signed_in(client, employee).post(url("staff_change_task", leaver_notice, task.pk))
    assert response.status_code == 404


def test_a_task_of_another_notice_is_not_found(
    client: Client, it_user, leaver_notice, outsiders_notice
) -> None:
    other_task = outsiders_notice.tasks.first()
    response = signed_in(client, it_user).post(
        url("staff_change_task", leaver_notice, other_task.pk)
    )
    assert response.status_code == 404


def test_ticking_is_post_only(client: Client, it_user, leaver_notice) -> None:
    task = leaver_notice.tasks.first()
    response = signed_in(client, it_user).get(url("staff_change_task", leaver_notice, task.pk))
    assert response.status_code == 405


def test_the_policy_task_without_a_signature_is_explained_on_the_page(
    client: Client, hr_user, manager, employee, department, it_user, soon
) -> None:
    publishing.load_seed_policy()
    notice = give(hr_user, starter_details(department, manager, start_date=soon["start"]))
    tick(it_user, notice, Task.ACCOUNT_CREATED)
    task = notice.tasks.get(kind=Task.POLICY_SIGNED)
    client = signed_in(client, it_user)
    before = snapshot()
    response = client.post(
        url("staff_change_task", notice, task.pk), {"note": "Ready", "override_reason": ""}
    )
    assert response.status_code == 200
    assert "Sam Taylor has not signed the policy yet" in response.content.decode()
    assert snapshot() == before
    response = client.post(
        url("staff_change_task", notice, task.pk), {"override_reason": "Signed on paper."}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.override_reason == "Signed on paper."


# --- Invitations ------------------------------------------------------------------------------
def test_it_sends_the_invitation_again(
    client: Client, hr_user, manager, employee, department, it_user, soon
) -> None:
    notice = give(hr_user, starter_details(department, manager, start_date=soon["start"]))
    tick(it_user, notice, Task.ACCOUNT_CREATED)
    assert signed_in(Client(), hr_user).post(url("staff_change_invite", notice)).status_code == 403
    response = signed_in(client, it_user).post(url("staff_change_invite", notice))
    assert response.status_code == 302
    assert messages_of(response) == ["A new invitation has gone to sam.taylor@example.com."]
    assert Notification.objects.filter(kind="sign-in-invitation").count() == 2
