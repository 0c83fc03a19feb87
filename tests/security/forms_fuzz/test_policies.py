"""Hypothesis types into the policy forms: signing, reviewers' drafts, questions, personal use and
the annual review."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import strategies as st

from acknowledgements import chain, documents, grants, publishing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion, Question
from portal.models import Notification, User
from tests.factories import PASSWORD, UserFactory
from tests.security.forms_fuzz.helpers import AXES_TABLES, DATES, NUMBERS, get, post
from tests.security.fuzzing import checkbox, choice, example, form, fuzz, near, text
from tests.security.world import World


# --- Signing and reading policies ------------------------------------------------------------
@fuzz(
    data=near(
        {"version": "1", "printed_name": "FULL NAME", "password": PASSWORD, "agree": "on"},
        version=choice("1", "2"),
        printed_name=choice("FULL NAME"),
        password=choice(PASSWORD),
        agree=checkbox(),
    )
)
def test_sign_the_policy(world: World, data: dict) -> bool | None:
    manager = world.team.line_manager  # has not signed yet
    if data.get("printed_name") == "FULL NAME":
        data["printed_name"] = manager.full_name

    def signed() -> None:
        ack = Acknowledgement.objects.get(user=manager, version=world.version)
        assert Assignment.objects.filter(acknowledgement=ack).count() == 1
        assert Notification.objects.filter(dedupe_key=f"receipt:{ack.pk}").exists()
        records = Acknowledgement.objects.order_by("sequence")
        bodies = dict(PolicyVersion.objects.values_list("pk", "body"))
        assert chain.verify(records.iterator(), bodies).ok

    # A wrong password counts towards the sign-in lockout, as on the sign-in page.
    return post(
        manager,
        reverse("acknowledgements:sign", args=[world.slug]),
        data,
        done_when="policy.signed",
        check_done=signed,
        ignore=AXES_TABLES,
    )


@fuzz(params=form(reference=text(250)))
def test_verify_a_receipt(world: World, params: dict) -> bool | None:
    get(world.team.employee, reverse("acknowledgements:verify"), params)


@fuzz(params=form(code=text(250), reference=text(250)))
def test_check_a_receipt_signed_out(world: World, params: dict) -> bool | None:
    """The public page, as a receipt's QR code opens it (``?code=``) or as typed."""
    get(None, reverse("acknowledgements:verify"), params)


# --- Policy reviewers --------------------------------------------------------------------------
@fuzz(data=form(body=st.one_of(text(2000), st.just("SEED")), change_summary=text(500)))
def test_edit_a_draft(world: World, data: dict) -> bool | None:
    if data.get("body") == "SEED":
        data["body"] = world.version.body + "\n\nOne more sentence.\n"

    def saved() -> None:
        draft = PolicyVersion.objects.get(pk=world.draft.pk)
        assert draft.body == documents.canonical_text(data["body"])
        assert draft.change_summary == data.get("change_summary", "").strip()

    return post(
        world.users["reviewer"],
        reverse("acknowledgements:edit_draft", args=[world.slug, world.draft.number]),
        data,
        done_when="policy.draft_updated",
        check_done=saved,
    )


@fuzz(data=form(change=choice("material", "minor")))
def test_publish_a_version(world: World, data: dict) -> bool | None:
    # A material change changes the text (the same text cannot be published as one).
    publishing.update_draft(
        actor=world.users["reviewer"],
        version=world.draft,
        body=world.version.body + "\n\nOne more sentence.\n",
        change_summary=world.draft.change_summary,
    )

    def published() -> None:
        draft = PolicyVersion.objects.get(pk=world.draft.pk)
        assert draft.status == PolicyVersion.Status.PUBLISHED
        assert PolicyVersion.objects.get(pk=world.version.pk).status == "superseded"
        if data["change"] == "material":
            active = User.objects.filter(is_active=True).count()
            assert draft.assignments.count() == active

    return post(
        world.users["reviewer"],
        reverse("acknowledgements:publish", args=[world.slug, world.draft.number]),
        data,
        done_when="policy.version_published",
        check_done=published,
    )


@fuzz(data=form(reason=text(4500), confirm=checkbox()))
def test_ask_everyone_to_confirm_again(world: World, data: dict) -> bool | None:
    def asked() -> None:
        again = publishing.current_version(world.version.policy)
        assert again.reconfirmation and again.body_sha256 == world.version.body_sha256
        assert again.change_summary == data["reason"].strip()

    return post(
        world.users["reviewer"],
        reverse("acknowledgements:reconfirm", args=[world.slug]),
        data,
        done_when="policy.reconfirmation_requested",
        check_done=asked,
    )


# --- Questions and personal use ----------------------------------------------------------------
@fuzz(data=form(section=choice("", "5", "4.1", "99"), text=text(2500)))
def test_ask_a_question(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def asked() -> None:
        question = Question.objects.filter(asked_by=employee).latest("pk")
        assert question.text == data["text"].strip()
        assert Notification.objects.filter(recipient=world.team.line_manager).exists()

    return post(
        employee,
        reverse("acknowledgements:ask", args=[world.slug]),
        data,
        done_when="policy.question_asked",
        check_done=asked,
    )


@fuzz(data=form(answer=text(2500)))
def test_answer_a_question(world: World, data: dict) -> bool | None:
    def answered() -> None:
        question = Question.objects.get(pk=world.team.question.pk)
        assert question.answered_at is not None
        assert question.answer == data["answer"].strip()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:question", args=[world.team.question.pk]),
        data,
        done_when="policy.question_answered",
        check_done=answered,
    )


@fuzz(
    data=form(
        email=checkbox(), internet=checkbox(), telephone=checkbox(), expires_on=DATES, note=text()
    )
)
def test_grant_personal_use(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def granted() -> None:
        grant = grants.current_grant_for(employee)
        assert grant is not None
        assert grant.granted_by == world.team.line_manager
        assert grant.note == data.get("note", "").strip()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:team_personal_use", args=[employee.pk]),
        data,
        done_when="personal_use.granted",
        check_done=granted,
    )


@fuzz(data=form(note=text()))
def test_revoke_personal_use(world: World, data: dict) -> bool | None:
    employee = world.team.employee

    def revoked() -> None:
        assert grants.current_grant_for(employee) is None

    return post(
        world.team.line_manager,
        reverse("acknowledgements:revoke_personal_use", args=[employee.pk]),
        data,
        done_when="personal_use.revoked",
        check_done=revoked,
    )


# Whatever comes back, the reminder goes: the return address is only where to go afterwards.
@fuzz(data=form(back=st.one_of(text(), st.just("status=overdue&page=2"))), can_refuse=False)
def test_remind_a_report(world: World, data: dict) -> bool | None:
    report = User.objects.filter(email="unsigned.report@example.com").first() or UserFactory(
        email="unsigned.report@example.com",
        line_manager=world.team.line_manager,
        department=world.team.department,
    )
    publishing.assign_outstanding(policy=world.version.policy)

    def reminded() -> None:
        assert Notification.objects.filter(recipient=report, kind="policy-reminder").exists()

    return post(
        world.team.line_manager,
        reverse("acknowledgements:remind", args=[world.slug, report.pk]),
        data,
        done_when="policy.reminder_sent",
        check_done=reminded,
    )


@fuzz(
    params=form(
        q=text(80),
        status=choice("", "signed", "due", "overdue", "unassigned"),
        version=NUMBERS,
        department=NUMBERS,
        manager=NUMBERS,
        employment_type=choice("", "permanent", "contractor"),
        started_from=DATES,
        started_to=DATES,
        after=text(80),
        sort=text(20),
    )
)
def test_filter_and_export_signature_status(world: World, params: dict) -> bool | None:
    hr = world.users["hr"]
    get(hr, reverse("acknowledgements:staff_list", args=[world.slug]), params)
    with example(hr) as client:
        export = client.get(reverse("acknowledgements:staff_export", args=[world.slug]), params)
        assert export.status_code == 200
        b"".join(export.streaming_content)


@fuzz(
    data=form(
        q=text(80),
        status=choice("", "signed", "due", "overdue", "unassigned"),
        department=NUMBERS,
        manager=st.one_of(NUMBERS, st.just("none")),
        started_from=DATES,
        started_to=DATES,
    ),
    can_refuse=False,
)
def test_remind_the_overdue_people_of_a_group(world: World, data: dict) -> bool | None:
    hr = world.users["hr"]
    url = reverse("acknowledgements:remind_overdue", args=[world.slug])
    get(hr, url, data)
    return post(hr, url, data, done_when="policy.overdue_reminders_requested")


@fuzz(params=form(sort=text(30), page=NUMBERS, department=NUMBERS, action=text(80)))
def test_lists_with_query_strings(world: World, params: dict) -> bool | None:
    hr = world.users["hr"]
    for name in (
        "acknowledgements:dashboard",
        "acknowledgements:all_personal_use",
        "audit_log",
        "inbox",
        "requests:mine",
    ):
        get(hr, reverse(name), params)


# --- The annual review ---------------------------------------------------------------------------
@fuzz(data=form(outcome=choice("no_change", "changes_needed"), notes=text(5000)))
def test_record_a_review_outcome(world: World, data: dict) -> bool | None:
    return post(
        world.users["reviewer"],
        reverse("acknowledgements:review", args=[world.review.pk]),
        data,
        done_when="policy.review_outcome",
    )
