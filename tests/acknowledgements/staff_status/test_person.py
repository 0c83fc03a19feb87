"""One person's record: who may read it and what it shows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from acknowledgements import grants, publishing, questions
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.staff_status.helpers import bulk_staff, person_url
from tests.helpers import signed_in


# --- One person's record ----------------------------------------------------------------------
def test_the_person_page_needs_signing_in(client: Client, employee) -> None:
    response = client.get(person_url(employee))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("hr_user", 200),
        ("manager", 200),
        ("employee", 404),  # their own: they have their receipts and personal-use pages
        ("outsider", 404),
        ("other_manager", 404),
        ("it_user", 404),
        ("reviewer", 404),
    ],
)
def test_who_may_read_a_persons_record(client: Client, team, actor, status, request) -> None:
    viewer = team.other_manager if actor == "other_manager" else request.getfixturevalue(actor)
    response = signed_in(client, viewer).get(person_url(team.signed))
    assert response.status_code == status


def test_a_missing_person_is_404(client: Client, hr_user) -> None:
    assert (
        signed_in(client, hr_user)
        .get(reverse("acknowledgements:person", args=[999999]))
        .status_code
        == 404
    )


def test_the_person_page_is_read_only(client: Client, team, hr_user) -> None:
    assert signed_in(client, hr_user).post(person_url(team.signed)).status_code == 405


def test_the_person_page_shows_everything_about_their_acknowledgements(
    client: Client, policy, version, team, manager, reviewer
) -> None:
    dana = team.due
    question = questions.asks_question(
        asker=dana, version=version, section="4.1", text="May I check my own email at lunch?"
    )
    questions.answer_question(
        manager=manager,
        question=question,
        answer="Yes, occasionally, at your manager's discretion.",
    )
    grants.grant_personal_use(
        manager=manager, employee=dana, email=True, internet=False, telephone=False,
        expires_on=None, note="",
    )  # fmt: skip
    grants.revoke_personal_use(manager=manager, employee=dana, note="Team rota changed.")
    ack = AcknowledgementFactory(user=dana, version=version)
    # A material version 2: Dana's signature of version 1 no longer counts.
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer,
        version=draft,
        body=draft.body + "\n\nSection 4 rewritten.\n",
        change_summary="Section 4 rewritten.",
    )
    publishing.publish(actor=reviewer, version=draft, material=True)

    response = signed_in(client, manager).get(person_url(dana))
    assert response.status_code == 200
    record = response.context["record"]
    assert [(r.assignment.version.number, r.status) for r in record.assignments] == [
        (2, "due"),
        (1, "signed"),
    ]
    assert [(s.policy, s.status) for s in record.standings] == [(policy, "due")]
    assert record.acknowledgements == [ack]
    assert record.questions == [question]
    assert [row.state for row in record.grant_history] == ["revoked"]
    html = response.content.decode()
    assert reverse("acknowledgements:receipt", args=[ack.pk]) in html
    assert ack.receipt_code in html
    assert "May I check my own email at lunch?" in html
    assert "at your manager&#x27;s discretion" in html
    assert "New version published" in html
    assert "Revoked" in html
    assert "RC-0042" in html


def test_an_unsigned_assignment_a_later_material_version_replaced_is_marked_so(
    client: Client, policy, team, hr_user, reviewer
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer,
        version=draft,
        body=draft.body + "\n\nSection 4 rewritten.\n",
        change_summary="Section 4 rewritten.",
    )
    publishing.publish(actor=reviewer, version=draft, material=True)
    response = signed_in(client, hr_user).get(person_url(team.overdue))
    statuses = [
        (r.assignment.version.number, r.status) for r in response.context["record"].assignments
    ]
    assert statuses == [(2, "due"), (1, "replaced")]
    assert b"Replaced by a later version" in response.content


def test_hr_can_read_a_leavers_record(client: Client, team, hr_user) -> None:
    response = signed_in(client, hr_user).get(person_url(team.leaver))
    assert response.status_code == 200
    assert b"left the company" in response.content


@pytest.mark.parametrize("count", [10, 1000])
def test_the_person_page_costs_the_same_however_big_the_company(
    client: Client, policy, version, team, manager, count, django_assert_max_num_queries
) -> None:
    bulk_staff(count, line_manager=manager)
    publishing.assign_outstanding(policy=policy)
    questions.asks_question(asker=team.due, version=version, section="", text="What is ICT?")
    client = signed_in(client, manager)
    # A fixed number per published policy, plus the session, the menu and the inbox count.
    with django_assert_max_num_queries(21):
        response = client.get(person_url(team.due))
    assert response.status_code == 200
