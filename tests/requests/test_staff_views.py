"""The pages for starters, leavers and temporary workers: who may open them, and bad input.

Per view: it works for those allowed; a notice the viewer may not know about is a 404; a page
of a role they lack is a 403; the wrong method is a 405. Bad input shows a clear message on the
page and saves nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing
from portal.models import AuditEvent, Notification, User
from requests.staff.models import StaffChange, StaffChangeTask
from tests.factories import UserFactory
from tests.requests.staff import give, leaver_details, starter_details, temporary_details, tick

Kind = StaffChange.Kind
Task = StaffChangeTask.Kind
LIST_URL = reverse("requests:staff_changes")
KIND_URL = reverse("requests:staff_change_kind")
BOARD_URL = reverse("requests:staff_board")


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_url(kind: str) -> str:
    return reverse("requests:staff_change_new", args=[kind])


def url(name: str, notice: StaffChange, *args: int) -> str:
    return reverse(f"requests:{name}", args=[notice.pk, *args])


def snapshot() -> tuple[int, int, int, int, int]:
    return (
        StaffChange.objects.count(),
        StaffChangeTask.objects.filter(completed_at__isnull=False).count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
        User.objects.count(),
    )


@pytest.fixture
def soon():
    """Dates relative to the real today: the pages judge "overdue" by it."""
    today = timezone.localdate()
    return {
        "start": today + timedelta(days=14),
        "end": today + timedelta(days=40),
        "today": today,
    }


@pytest.fixture
def leaver_notice(manager, employee, soon) -> StaffChange:
    return give(manager, leaver_details(employee, end_date=soon["start"]), today=soon["today"])


@pytest.fixture
def outsiders_notice(hr_user, outsider, soon) -> StaffChange:
    return give(hr_user, leaver_details(outsider, end_date=soon["start"]), today=soon["today"])


@pytest.fixture
def temporary_notice(hr_user, manager, employee, department, soon) -> StaffChange:
    details = temporary_details(department, manager, start_date=soon["start"], end_date=soon["end"])
    return give(hr_user, details, today=soon["today"])


# --- The list of notices ----------------------------------------------------------------------
def test_the_list_needs_signing_in(client: Client) -> None:
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["employee", "outsider", "reviewer"])
def test_employees_cannot_see_the_list(client: Client, request, actor) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(LIST_URL)
    assert response.status_code == 403
    assert b"Only HR, line managers and IT see notices" in response.content


def test_a_manager_lists_only_their_own_team(
    client: Client, manager, leaver_notice, outsiders_notice
) -> None:
    response = signed_in(client, manager).get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [leaver_notice]
    assert b"Emma Jones" in response.content
    assert outsiders_notice.full_name.encode() not in response.content


@pytest.mark.parametrize("actor", ["hr_user", "it_user"])
def test_hr_and_it_list_every_notice(
    client: Client, request, actor, leaver_notice, outsiders_notice
) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(LIST_URL)
    assert set(response.context["page"].object_list) == {leaver_notice, outsiders_notice}


def test_the_list_is_read_only(client: Client, hr_user) -> None:
    assert signed_in(client, hr_user).post(LIST_URL).status_code == 405


# --- Giving notice ----------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["employee", "it_user", "reviewer"])
def test_only_hr_and_managers_give_notice(client: Client, request, actor, department) -> None:
    client = signed_in(client, request.getfixturevalue(actor))
    assert client.get(KIND_URL).status_code == 403
    assert client.get(new_url(Kind.STARTER)).status_code == 403
    response = client.post(new_url(Kind.LEAVER), {"leaver": "employee@example.com"})
    assert response.status_code == 403
    assert not StaffChange.objects.exists()


def test_an_unknown_kind_of_notice_is_not_found(client: Client, hr_user) -> None:
    assert signed_in(client, hr_user).get(new_url("visitor")).status_code == 404


def test_a_manager_is_not_asked_for_a_line_manager(client: Client, manager, employee) -> None:
    form = signed_in(client, manager).get(new_url(Kind.STARTER)).context["form"]
    assert "line_manager_email" not in form.fields
    assert b"You will be their line manager." in client.get(new_url(Kind.STARTER)).content


def test_hr_gives_notice_of_a_starter(
    client: Client, hr_user, manager, employee, department, it_user, soon
) -> None:
    response = signed_in(client, hr_user).post(
        new_url(Kind.STARTER),
        {
            "first_name": "Sam",
            "last_name": "Taylor",
            "email": "sam.taylor@example.com",
            "department": department.pk,
            "line_manager_email": manager.email,
            "start_date": soon["start"].strftime("%d/%m/%Y"),
            "systems": "Care records",
        },
    )
    notice = StaffChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("staff_change", notice)
    assert messages_of(response) == [
        f"{notice.reference} has gone to the IT Department. You will be told when their "
        "checklist is done."
    ]
    assert (notice.kind, notice.start_date, notice.line_manager) == (
        Kind.STARTER,
        soon["start"],
        manager,
    )
    assert Notification.objects.filter(recipient=it_user, kind="staff-change-new").exists()


def _post_refused(client: Client, kind: str, data: dict) -> str:
    before = snapshot()
    response = client.post(new_url(kind), data)
    assert response.status_code == 200
    assert snapshot() == before, "a refused notice must save nothing"
    return response.content.decode()


def test_bad_dates_are_explained_on_the_form(
    client: Client, hr_user, manager, employee, department, soon
) -> None:
    client = signed_in(client, hr_user)
    base = {
        "first_name": "Tara",
        "last_name": "Agency",
        "email": "tara@example.com",
        "department": department.pk,
        "line_manager_email": manager.email,
        "start_date": soon["start"].isoformat(),
    }
    html = _post_refused(client, Kind.TEMPORARY, base)
    assert "A temporary worker needs an access end date" in html
    html = _post_refused(
        client, Kind.TEMPORARY, {**base, "end_date": (soon["start"] - timedelta(1)).isoformat()}
    )
    assert "The access end date cannot be before the start date." in html
    html = _post_refused(client, Kind.TEMPORARY, {**base, "end_date": "31/02/2026"})
    assert "Enter a real date, for example 17/03/2026." in html
    html = _post_refused(client, Kind.STARTER, {**base, "start_date": ""})
    assert "Give the date they start." in html
    html = _post_refused(client, Kind.STARTER, {**base, "line_manager_email": "x@example.com"})
    assert "No active member of staff has the email address x@example.com." in html
    # What was typed is kept, so it can be corrected.
    assert 'value="Tara"' in html


def test_a_leaver_who_is_not_active_staff_is_explained(client: Client, hr_user, soon) -> None:
    html = _post_refused(
        signed_in(client, hr_user),
        Kind.LEAVER,
        {"leaver": "ghost@example.com", "end_date": soon["start"].isoformat()},
    )
    assert "No active member of staff has the email address or employee number" in html
    assert "“ghost@example.com”" in html


def test_a_manager_cannot_give_notice_for_someone_elses_report(
    client: Client, manager, employee, outsider, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.LEAVER,
        {"leaver": outsider.email, "end_date": soon["start"].isoformat()},
    )
    assert "None of your direct reports has the email address or employee number" in html
    assert outsider.full_name not in html


def test_a_managers_notice_naming_another_teams_account_is_explained(
    client: Client, manager, employee, it_user, department, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.TEMPORARY,
        {
            "first_name": "Ivan", "last_name": "Tech", "email": it_user.email,
            "department": department.pk, "start_date": soon["start"].isoformat(),
            "end_date": soon["end"].isoformat(),
        },
    )  # fmt: skip
    assert "This email address belongs to an existing account that you do not manage." in html
    assert 'value="Ivan"' in html  # what was typed is kept


def test_a_duplicate_notice_is_explained(
    client: Client, manager, employee, leaver_notice, soon
) -> None:
    html = _post_refused(
        signed_in(client, manager),
        Kind.LEAVER,
        {"leaver": employee.email, "end_date": soon["start"].isoformat()},
    )
    assert (
        f"There is already an open leaver notice for Emma Jones ({leaver_notice.reference})" in html
    )


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


# --- IT's board -------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "reviewer"])
def test_only_it_opens_the_board(client: Client, request, actor) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(BOARD_URL)
    assert response.status_code == 403
    assert b"Only the IT Department works the starters and leavers board." in response.content


def test_the_board_is_read_only(client: Client, it_user) -> None:
    assert signed_in(client, it_user).post(BOARD_URL).status_code == 405


def test_the_board_marks_overdue_tasks(
    client: Client, it_user, hr_user, manager, employee, department, soon
) -> None:
    past = soon["today"] - timedelta(days=3)
    late = give(manager, leaver_details(employee, end_date=past), today=past)
    response = signed_in(client, it_user).get(BOARD_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-pk="{late.pk}" class="table-danger"' in html
    assert 'data-testid="overdue"' in html


@pytest.mark.parametrize("count", [2, 20])
def test_the_board_takes_the_same_queries_for_any_number(
    client: Client, it_user, hr_user, manager, employee, department, soon, count: int
) -> None:
    for n in range(count):
        give(
            hr_user,
            starter_details(
                department, manager, email=f"s{n}@example.com", employee_number=f"S{n}",
                start_date=soon["start"],
            ),
            today=soon["today"],
        )  # fmt: skip
    client = signed_in(client, it_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD_URL)
    assert len(response.context["page"].object_list) == count
    # The same for 2 or 20 notices: the session and the menu, then the count, rows and tasks.
    assert len(queries.captured_queries) == 12


def test_the_board_filters_by_kind(client: Client, it_user, leaver_notice, temporary_notice):
    response = signed_in(client, it_user).get(BOARD_URL, {"kind": "temporary"})
    assert list(response.context["page"].object_list) == [temporary_notice]
    response = client.get(BOARD_URL, {"kind": "nonsense", "state": "open"})
    assert set(response.context["page"].object_list) == {leaver_notice, temporary_notice}


def test_unknown_users_are_not_listed(client: Client, db) -> None:
    stranger = UserFactory()
    assert signed_in(client, stranger).get(BOARD_URL).status_code == 403


# --- IT's home page ---------------------------------------------------------------------------
def test_it_is_told_of_overdue_and_coming_tasks_on_the_home_page(
    client: Client, it_user, hr_user, manager, employee, department, soon
) -> None:
    past = soon["today"] - timedelta(days=3)
    give(manager, leaver_details(employee, end_date=past), today=past)  # revoke overdue
    give(
        hr_user,
        starter_details(department, manager, start_date=soon["today"] + timedelta(days=5)),
        today=soon["today"],
    )
    todo = signed_in(client, it_user).get(reverse("home")).context["todo"]
    mine = [item for item in todo if item.url == BOARD_URL]
    assert len(mine) == 1
    assert mine[0].urgent
    # Revocation overdue; equipment back within 5 working days of 3 days ago, and the
    # starter's account and equipment before their start in 5 days, all due within the week.
    assert mine[0].title == "Starters and leavers: 4 tasks to do"
    assert mine[0].detail.startswith("1 overdue, 3 due within a week.")


@pytest.mark.parametrize("actor", ["hr_user", "manager", "employee"])
def test_only_it_has_the_starters_and_leavers_item(client: Client, request, actor, leaver_notice):
    todo = signed_in(client, request.getfixturevalue(actor)).get(reverse("home")).context["todo"]
    assert not [item for item in todo if item.url == BOARD_URL]


# --- The Django admin -------------------------------------------------------------------------
def test_the_admin_shows_notices_read_only(client: Client, superuser, leaver_notice) -> None:
    client = signed_in(client, superuser)
    listing = client.get(reverse("admin:requests_staffchange_changelist"))
    assert listing.status_code == 200
    assert leaver_notice.reference.encode() in listing.content
    page = client.get(reverse("admin:requests_staffchange_change", args=[leaver_notice.pk]))
    assert page.status_code == 200
    assert b"Access revoked" in page.content
    assert client.get(reverse("admin:requests_staffchange_add")).status_code == 403
    before = snapshot()
    client.post(
        reverse("admin:requests_staffchange_delete", args=[leaver_notice.pk]), {"post": "yes"}
    )
    assert snapshot()[0] == before[0]


# --- Linking a notice to an existing account --------------------------------------------------
@pytest.fixture
def linkable(hr_user, manager, employee, department, soon) -> tuple[StaffChange, User]:
    """HR's temporary notice for someone already in the directory, with other details there."""
    UserFactory(email="other.boss@example.com")
    person = UserFactory(
        email="tara.agency@example.com", first_name="Tara", last_name="Agency-Smith",
        line_manager=User.objects.get(email="other.boss@example.com"),
    )  # fmt: skip
    details = temporary_details(department, manager, start_date=soon["start"], end_date=soon["end"])
    return give(hr_user, details, today=soon["today"]), person


def _account_task(notice: StaffChange) -> StaffChangeTask:
    return notice.tasks.get(kind=Task.TEMPORARY_ACCOUNT)


def test_ticking_shows_the_differences_and_links_nothing(client: Client, it_user, linkable):
    notice, person = linkable
    client = signed_in(client, it_user)
    before = snapshot()
    response = client.post(url("staff_change_task", notice, _account_task(notice).pk), {})
    assert response.status_code == 200
    assert snapshot() == before
    html = response.content.decode()
    assert "is already in the staff directory" in html
    rows = {row.label: row for row in response.context["preview"].differences}
    assert (rows["Name"].on_notice, rows["Name"].in_directory) == ("Tara Agency", person.full_name)
    assert "other.boss@example.com" in rows["Line manager"].in_directory
    assert "manager@example.com" in rows["Line manager"].on_notice
    assert rows["Employment type"].on_notice == "Temporary"
    assert rows["Employment type"].in_directory == "Permanent"
    assert rows["End date"].in_directory == "None"
    differing = {label for label, row in rows.items() if row.differs}
    assert {"Name", "Line manager", "Employment type", "End date"} <= differing
    assert "Email address" not in differing
    assert html.count('data-testid="differs"') == len(differing)
    assert "confirming only links the notice to it. None of its details change" in html
    assert "Stays as it is" in html and "Changes to the notice's" not in html
    # The same page from its own address.
    response = client.get(url("staff_change_link", notice))
    assert response.status_code == 200
    assert response.context["preview"].account == person


def test_the_tick_button_never_links_however_often_pressed(client: Client, it_user, linkable):
    notice, _person = linkable
    client = signed_in(client, it_user)
    for _ in range(2):
        client.post(url("staff_change_task", notice, _account_task(notice).pk), {"note": "Go"})
    notice.refresh_from_db()
    assert notice.person is None and not _account_task(notice).is_done


def test_it_links_only_after_confirming_on_the_page(client: Client, it_user, linkable) -> None:
    notice, person = linkable
    client = signed_in(client, it_user)
    form = {"account": person.pk, "reactivate": "no", "note": "Checked with HR."}
    before = snapshot()
    response = client.post(url("staff_change_link", notice), form)
    assert response.status_code == 200
    assert "Tick the box to confirm that the notice is about this person" in (
        response.content.decode()
    )
    assert snapshot() == before
    response = client.post(url("staff_change_link", notice), {**form, "same_person": "on"})
    assert response.status_code == 302
    assert messages_of(response) == [
        f"{notice.reference} is linked to Tara Agency-Smith's account; none of its details changed."
    ]
    notice.refresh_from_db()
    person.refresh_from_db()
    assert (notice.person, notice.account_action) == (person, "linked")
    assert (person.last_name, person.employment_type, person.end_date) == (
        "Agency-Smith",
        "permanent",
        None,
    )
    task = _account_task(notice)
    assert (task.completed_by, task.note) == (it_user, "Checked with HR.")
    page = client.get(url("staff_change", notice)).content.decode()
    assert "An active account, linked with its details unchanged" in page


def test_a_confirmation_for_another_account_is_shown_again(
    client: Client, it_user, employee, linkable
) -> None:
    notice, _person = linkable
    client = signed_in(client, it_user)
    before = snapshot()
    response = client.post(
        url("staff_change_link", notice),
        {"account": employee.pk, "reactivate": "no", "same_person": "on", "note": "Kept"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The staff directory has changed since this page was shown." in html
    assert snapshot() == before
    assert response.context["form"]["note"].value() == "Kept"


def test_the_link_page_without_an_existing_account_goes_back(
    client: Client, it_user, temporary_notice
) -> None:
    response = signed_in(client, it_user).get(url("staff_change_link", temporary_notice))
    assert response.status_code == 302
    assert response["Location"] == url("staff_change", temporary_notice)


@pytest.mark.parametrize(("actor", "status"), [("hr_user", 403), ("manager", 403)])
def test_only_it_links(client: Client, request, linkable, actor, status) -> None:
    notice, person = linkable
    client = signed_in(client, request.getfixturevalue(actor))
    assert client.get(url("staff_change_link", notice)).status_code == status
    response = client.post(
        url("staff_change_link", notice),
        {"account": person.pk, "reactivate": "no", "same_person": "on"},
    )
    assert response.status_code == status
    notice.refresh_from_db()
    assert notice.person is None


def test_another_manager_does_not_find_the_link_page(client: Client, outsider, linkable):
    notice, _person = linkable
    other = signed_in(client, outsider.line_manager)
    assert other.get(url("staff_change_link", notice)).status_code == 404
