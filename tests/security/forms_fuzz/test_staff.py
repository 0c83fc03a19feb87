"""Hypothesis types into the staff directory import and the notices of starters (with and
without an email address), leavers, temporary workers and movers."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import strategies as st

from portal import import_jobs
from portal.models import StaffImport, User
from tests.factories import UserFactory
from tests.security.forms_fuzz.helpers import DATES, NUMBERS, TODAY, post
from tests.security.fuzzing import (
    check_outcome,
    checkbox,
    choice,
    example,
    form,
    fuzz,
    last_event,
    near,
    text,
)
from tests.security.world import World, state

# --- The staff directory -----------------------------------------------------------------------
HEADER = (
    "Employee number,First name,Last name,Email,Department,Job title,Line manager email,"
    "Employment type,Start date,End date"
)
CSV_CELL = st.one_of(
    st.sampled_from(
        [
            "E900",
            "Nia",
            "Rees",
            "nia@example.com",
            "Day Services",
            "permanent",
            "2024-01-15",
            "15/01/2024",
            "",
        ]
    ),
    text(30),
)


@fuzz(
    rows=st.lists(st.lists(CSV_CELL, min_size=8, max_size=11), max_size=4),
    header=st.sampled_from([HEADER, HEADER.lower(), "", "a,b,c"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_import_the_staff_directory(
    world: World, rows: list, header: str, encoding: str
) -> bool | None:
    lines = [header, *(",".join(cell.replace(",", " ") for cell in row) for row in rows)]
    try:
        content = "\r\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        content = "\r\n".join(lines).encode("utf-8", "replace")

    def imported() -> None:
        # The upload queued a job holding the file; the worker's run of it imports whole people.
        job = StaffImport.objects.get(data=content)
        import_jobs.run_import(job.pk)
        for user in User.objects.filter(employee_number__in=[r[0] for r in rows if r]):
            user.full_clean(exclude=["password"])  # every person imported is whole

    return post(
        world.users["hr"],
        reverse("staff_import"),
        {"file": SimpleUploadedFile("staff.csv", content, content_type="text/csv")},
        done_when="staff.import_queued",
        check_done=imported,
    )


# --- Starters, leavers and temporary workers ---------------------------------------------------
DEPARTMENT = "the team's department"  # stands for its id, which the world decides


def _with_department(world: World, data: dict) -> dict:
    if data.get("department") == DEPARTMENT:
        return {**data, "department": str(world.team.department.pk)}
    return data


def _notice_form(**extra: st.SearchStrategy) -> st.SearchStrategy[dict[str, object]]:
    return form(
        first_name=st.one_of(st.just("Sam"), text(200)),
        last_name=st.one_of(st.just("Taylor"), text(200)),
        email=choice("sam.taylor@example.com", "employee@residential.care.example"),
        employee_number=st.one_of(st.none(), text(40)),
        department=st.one_of(st.just(DEPARTMENT), st.none(), NUMBERS),
        job_title=st.one_of(st.none(), text(200)),
        start_date=DATES,
        systems=st.one_of(st.just("Care records, email"), text()),
        equipment=st.one_of(st.just("Phone"), text()),
        notes=text(),
        **extra,
    )


@fuzz(data=_notice_form())
def test_give_notice_of_a_starter(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_new", args=["starter"]),
        _with_department(world, data),
        done_when="staff_change.submitted",
    )


@fuzz(
    data=_notice_form(
        end_date=st.one_of(st.just((TODAY + timedelta(days=500)).isoformat()), DATES),
        line_manager_email=choice("manager@residential.care.example"),
    )
)
def test_give_notice_of_a_temporary_worker(world: World, data: dict) -> bool | None:
    return post(
        world.users["hr"],
        reverse("requests:staff_change_new", args=["temporary"]),
        _with_department(world, data),
        done_when="staff_change.submitted",
    )


@fuzz(data=form(end_date=DATES))
def test_extend_a_temporary_workers_access(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_extend", args=[world.team.notice.pk]),
        data,
        done_when="staff_change.extended",
    )


@fuzz(data=form(reason=text(2500)))
def test_cancel_a_notice(world: World, data: dict) -> bool | None:
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_cancel", args=[world.team.notice.pk]),
        data,
        done_when="staff_change.cancelled",
    )


@fuzz(data=form(note=text(2500)))
def test_tick_off_a_checklist_task(world: World, data: dict) -> bool | None:
    notice = world.team.notice
    task = notice.tasks.order_by("pk")[0]
    return post(
        world.users["it"],
        reverse("requests:staff_change_task", args=[notice.pk, task.pk]),
        data,
        done_when="staff_change.task_completed",
    )


RETURNER = "the returner's account"


@fuzz(
    data=near(
        {"account": RETURNER, "reactivate": "yes", "same_person": "on", "note": "Checked."},
        account=st.one_of(NUMBERS, st.just(RETURNER)),
        reactivate=choice("yes", "no"),
        same_person=checkbox(),
        note=text(2500),
    )
)
def test_confirm_a_link_to_an_existing_account(world: World, data: dict) -> bool | None:
    notice = world.team.notice
    with example(world.users["it"]) as client:
        # Someone returning, who last reported to the manager who gave the notice.
        returner = UserFactory(
            email=notice.email,
            employee_number=None,
            is_active=False,
            line_manager=notice.submitted_by,
        )
        if data.get("account") == RETURNER:
            data = {**data, "account": str(returner.pk)}
        before, since = state(), last_event()
        response = client.post(reverse("requests:staff_change_link", args=[notice.pk]), data)
        return check_outcome(response, before=before, since=since, done_when="user.linked")


SOON = (TODAY + timedelta(days=14)).strftime("%d/%m/%Y")


@fuzz(
    data=near(
        {
            "first_name": "Sam",
            "last_name": "Taylor",
            "email": "",
            "employee_number": "N0042",
            "department": DEPARTMENT,
            "start_date": SOON,
            "line_manager_email": "manager@residential.care.example",
        },
        first_name=text(200),
        email=st.sampled_from(["", " ", "sam@example.com"]),
        employee_number=choice("N0042", "employee@residential.care.example", ""),
        department=st.one_of(st.just(DEPARTMENT), NUMBERS),
        start_date=DATES,
        line_manager_email=choice("manager@residential.care.example", ""),
    )
)
def test_give_notice_of_a_starter_without_email(world: World, data: dict) -> bool | None:
    return post(
        world.users["hr"],
        reverse("requests:staff_change_new", args=["starter"]),
        _with_department(world, data),
        done_when="staff_change.submitted",
    )


OTHER_DEPARTMENT = "the other team's department"


@fuzz(
    data=near(
        {
            "mover": "employee@residential.care.example",
            "effective_date": SOON,
            "department": OTHER_DEPARTMENT,
            "new_line_manager": "manager@community.support.example",
            "job_title": "Team Leader",
        },
        mover=choice("employee@residential.care.example", "employee@community.support.example"),
        effective_date=DATES,
        department=st.one_of(st.just(OTHER_DEPARTMENT), NUMBERS),
        new_line_manager=choice(
            "manager@community.support.example",
            "manager@residential.care.example",
            "employee@residential.care.example",
        ),
        job_title=st.one_of(st.just("Team Leader"), text(200)),
        systems=text(),
        equipment=text(),
        notes=text(),
    )
)
def test_give_notice_of_a_mover(world: World, data: dict) -> bool | None:
    if data.get("department") == OTHER_DEPARTMENT:
        data = {**data, "department": str(world.strangers.department.pk)}
    return post(
        world.team.line_manager,
        reverse("requests:staff_change_new", args=["mover"]),
        data,
        done_when="staff_change.submitted",
    )
