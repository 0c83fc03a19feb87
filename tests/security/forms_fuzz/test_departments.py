"""Hypothesis types into HR's department forms: adding one, renaming it, and naming its budget
holder and deputy with dates."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from hypothesis import strategies as st

from portal.models import Department
from tests.security.forms_fuzz.helpers import DATES, TODAY, post
from tests.security.fuzzing import choice, form, fuzz, near, text
from tests.security.world import World


@fuzz(data=form(name=st.one_of(st.none(), text(150), st.sampled_from(["Day Services", "Finance"]))))
def test_add_a_department(world: World, data: dict) -> bool | None:
    def added() -> None:
        assert Department.objects.filter(name=" ".join(data["name"].split())).count() == 1

    return post(
        world.users["hr"], reverse("department_add"), data,
        done_when="department.created", check_done=added,
    )  # fmt: skip


def _valid(world: World) -> dict[str, str]:
    team = world.team
    return {
        "name": team.department.name,
        "budget_holder": team.budget_holder.email,
        "deputy": team.line_manager.email,
        "deputy_from": TODAY.isoformat(),
        "deputy_to": (TODAY + timedelta(days=5)).isoformat(),
    }


PEOPLE = (
    "budget@residential.care.example",
    "manager@residential.care.example",
    "employee@community.support.example",
    "admin@example.com",
    "nobody@example.com",
)


@st.composite
def _deputy_forms(draw: st.DrawFn) -> dict:
    return draw(
        near(
            {"deputy": PEOPLE[1], "deputy_from": TODAY.isoformat(),
             "deputy_to": (TODAY + timedelta(days=5)).isoformat()},
            deputy=choice(*PEOPLE), deputy_from=DATES, deputy_to=DATES,
        )
    )  # fmt: skip


@fuzz(data=_deputy_forms())
def test_name_a_deputy_with_dates(world: World, data: dict) -> bool | None:
    department = world.team.department
    sent = {
        key: value
        for key, value in _valid(world).items()
        if key in data or key in {"name", "budget_holder"}
    }
    sent.update(data)

    def named() -> None:
        department.refresh_from_db()
        assert department.deputy is not None
        assert department.deputy_from <= department.deputy_to
        assert department.deputy_id != department.budget_holder_id

    return post(
        world.users["hr"], reverse("department_edit", args=[department.pk]), sent,
        done_when="department.deputy_changed", check_done=named,
    )  # fmt: skip


@fuzz(data=near({"budget_holder": PEOPLE[1]}, budget_holder=choice(*PEOPLE)))
def test_name_a_budget_holder(world: World, data: dict) -> bool | None:
    department = world.team.department
    sent = {"name": department.name, **data}

    def named() -> None:
        department.refresh_from_db()
        assert department.budget_holder is None or department.budget_holder.is_active

    return post(
        world.users["hr"], reverse("department_edit", args=[department.pk]), sent,
        done_when="department.budget_holder_changed", check_done=named,
    )  # fmt: skip


@fuzz(
    data=near({"name": "Residential and Day Care"}, name=st.one_of(text(150), st.just("Finance")))
)
def test_rename_a_department(world: World, data: dict) -> bool | None:
    department = world.team.department
    sent = {**data, "budget_holder": world.team.budget_holder.email}

    def renamed() -> None:
        department.refresh_from_db()
        assert department.name == " ".join(data["name"].split())

    return post(
        world.users["hr"], reverse("department_edit", args=[department.pk]), sent,
        done_when="department.renamed", check_done=renamed,
    )  # fmt: skip
