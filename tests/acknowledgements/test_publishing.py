"""Policy texts and versions: the seed policy, drafting, publishing and who is asked to sign."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from acknowledgements import changes, documents, publishing, signing
from acknowledgements.models import (
    Assignment,
    Policy,
    PolicyVersion,
    PublishedVersionChanged,
)
from portal.models import AuditEvent, User
from tests.factories import PASSWORD, UserFactory

TODAY = date(2025, 3, 10)


def _draft(reviewer: User, policy: Policy, *, edit: str = "", summary: str = "") -> PolicyVersion:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    body = draft.body.replace("## 1 Purpose", "## 1 Purpose\n\n" + edit) if edit else draft.body
    return publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary=summary)


# --- The seed policy ---------------------------------------------------------------------------
def test_load_seed_policy_creates_version_1_once(db: None) -> None:
    first = publishing.load_seed_policy()
    again = publishing.load_seed_policy()

    assert again.pk == first.pk
    assert Policy.objects.count() == 1
    assert PolicyVersion.objects.count() == 1
    assert first.policy.slug == publishing.SEED_SLUG
    assert first.number == 1
    assert first.status == PolicyVersion.Status.PUBLISHED
    assert first.effective_date == date(2016, 3, 1)
    assert first.next_review_date == date(2018, 3, 1)
    assert first.body_sha256 == documents.body_sha256(first.body)
    assert AuditEvent.objects.filter(action="policy.version_published").count() == 1


def test_seed_body_has_the_policys_numbered_sections(seed: PolicyVersion) -> None:
    numbers = [section.number for section in documents.sections(seed.body)]

    assert [n for n in numbers if "." not in n] == ["1", "2", "3", "4", "5", "6"]
    assert [n for n in numbers if n.startswith("4.")] == [f"4.{i}" for i in range(1, 12)]
    assert [n for n in numbers if n.startswith("5.")] == [f"5.{i}" for i in range(1, 8)]
    titles = {s.number: s.title for s in seed.sections()}
    assert titles["4.1"] == "Personal Use of ICT"
    assert titles["5.6"] == "IT Security"


# --- Canonical text and hashing ------------------------------------------------------------------
def test_canonical_text_makes_editor_variants_hash_the_same() -> None:
    body = "## 1 Café policy\n\nStaff must lock their screens.\n"
    variants = [
        body.replace("\n", "\r\n"),
        body.replace("\n", "   \n"),
        unicodedata.normalize("NFD", body),
        "\n\n" + body + "\n\n\n",
    ]
    assert unicodedata.normalize("NFD", body) != body  # the NFD variant really differs

    assert {documents.body_sha256(v) for v in variants} == {documents.body_sha256(body)}
    assert documents.canonical_text(variants[0]) == body
    assert documents.body_sha256(body.replace("lock", "unlock")) != documents.body_sha256(body)


# --- Published versions are immutable ----------------------------------------------------------
def test_a_published_versions_text_cannot_change(seed: PolicyVersion) -> None:
    original = seed.body
    seed.body = original + "\nOne more sentence.\n"

    with pytest.raises(PublishedVersionChanged, match="body"):
        seed.save()

    seed.refresh_from_db()
    assert seed.body == original


def test_a_published_version_can_be_superseded(seed: PolicyVersion) -> None:
    seed.status = PolicyVersion.Status.SUPERSEDED
    seed.save()

    seed.refresh_from_db()
    assert seed.status == PolicyVersion.Status.SUPERSEDED
    seed.material_change = False
    with pytest.raises(PublishedVersionChanged, match="material_change"):
        seed.save()


# --- Drafts ------------------------------------------------------------------------------------
def test_create_draft_copies_the_current_text_and_is_created_once(
    seed: PolicyVersion, reviewer: User
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=seed.policy)
    again = publishing.create_draft(actor=reviewer, policy=seed.policy)

    assert again.pk == draft.pk
    assert draft.number == 2
    assert draft.status == PolicyVersion.Status.DRAFT
    assert draft.body == seed.body
    assert draft.body_sha256 == seed.body_sha256
    assert draft.created_by == reviewer
    assert seed.policy.versions.filter(status=PolicyVersion.Status.DRAFT).count() == 1
    assert AuditEvent.objects.filter(action="policy.draft_created").count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Just some words, with no numbered headings at all.\n", "numbered sections"),
        (
            "## 1 Purpose\n\nOne.\n\n## 2 Scope\n\nTwo.\n\n## 1 Purpose again\n\nThree.\n",
            "twice: 1",
        ),
    ],
    ids=["no-sections", "duplicate-numbers"],
)
def test_update_draft_refuses_a_body_without_usable_sections(
    seed: PolicyVersion, reviewer: User, body: str, message: str
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=seed.policy)

    with pytest.raises(ValidationError, match=message):
        publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary="x")

    draft.refresh_from_db()
    assert draft.body == seed.body
    assert draft.change_summary == ""


def test_update_draft_stores_canonical_text(seed: PolicyVersion, reviewer: User) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=seed.policy)
    body = "## 1 Purpose  \r\n\r\nNew words.\r\n"

    publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary=" Tidied. ")

    draft.refresh_from_db()
    assert draft.body == "## 1 Purpose\n\nNew words.\n"
    assert draft.change_summary == "Tidied."
    assert draft.body_sha256 == documents.body_sha256(body)


def test_update_draft_refuses_a_published_version(seed: PolicyVersion, reviewer: User) -> None:
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        publishing.update_draft(
            actor=reviewer, version=seed, body="## 1 Purpose\n\nNew.\n", change_summary=""
        )
    seed.refresh_from_db()
    assert seed.body == publishing.seed_body()


# --- Publishing --------------------------------------------------------------------------------
def test_material_publication_supersedes_and_asks_every_active_person_to_sign(
    seed: PolicyVersion, reviewer: User, employee: User, manager: User
) -> None:
    leaver = UserFactory(is_active=False)
    draft = _draft(reviewer, seed.policy, edit="Passwords change every year.")

    published = publishing.publish(actor=reviewer, version=draft, material=True, today=TODAY)

    seed.refresh_from_db()
    assert seed.status == PolicyVersion.Status.SUPERSEDED
    assert published.status == PolicyVersion.Status.PUBLISHED
    assert published.material_change is True
    assert published.effective_date == TODAY
    assert published.next_review_date == date(2026, 3, 10)
    assert published.published_by == reviewer
    assignments = Assignment.objects.filter(version=published)
    assert set(assignments.values_list("user_id", flat=True)) == {
        reviewer.pk,
        employee.pk,
        manager.pk,
    }
    assert not Assignment.objects.filter(user=leaver).exists()
    assert {a.due_date for a in assignments} == {TODAY + timedelta(days=21)}
    assert {a.reason for a in assignments} == {Assignment.Reason.PUBLISHED}
    event = AuditEvent.objects.get(action="policy.version_published", object_id=str(published.pk))
    assert event.data == {"material": True, "assigned": 3}


def test_people_who_join_after_publication_are_new_starters_due_a_week_after_starting(
    seed: PolicyVersion, reviewer: User
) -> None:
    published = publishing.publish(
        actor=reviewer,
        version=_draft(reviewer, seed.policy, edit="New."),
        material=True,
        today=TODAY,
    )
    joined = published.published_at + timedelta(hours=1)
    starts_later = UserFactory(date_joined=joined, start_date=TODAY + timedelta(days=10))
    started_already = UserFactory(date_joined=joined, start_date=TODAY - timedelta(days=30))

    assert publishing.assign_outstanding(policy=seed.policy, today=TODAY) == 2

    later = Assignment.objects.get(user=starts_later)
    already = Assignment.objects.get(user=started_already)
    assert later.version == already.version == published
    assert later.reason == already.reason == Assignment.Reason.NEW_STARTER
    assert later.due_date == TODAY + timedelta(days=17)
    assert already.due_date == TODAY + timedelta(days=7)


def test_next_review_date_is_clamped_to_the_end_of_a_shorter_month(
    seed: PolicyVersion, reviewer: User
) -> None:
    published = publishing.publish(
        actor=reviewer,
        version=_draft(reviewer, seed.policy, edit="New."),
        material=True,
        today=date(2024, 2, 29),
    )
    assert published.next_review_date == date(2025, 2, 28)


def _sign(user: User, version: PolicyVersion) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10")
    signing.sign(
        user=user, version=version, printed_name=user.full_name, password=PASSWORD, request=request
    )


def test_minor_publication_moves_unsigned_assignments_and_creates_none(
    seed: PolicyVersion, reviewer: User, employee: User, manager: User
) -> None:
    publishing.assign_outstanding(policy=seed.policy, today=date(2025, 3, 1))
    _sign(employee, seed)
    joined_since = UserFactory()  # active, but never given an assignment
    before = Assignment.objects.count()
    due = Assignment.objects.get(user=manager).due_date
    draft = _draft(reviewer, seed.policy, edit="Typo fixed.", summary="Fixed a typo in 1.")

    published = publishing.publish(actor=reviewer, version=draft, material=False, today=TODAY)

    assert published.material_change is False
    assert published.change_summary == "Fixed a typo in 1."
    seed.refresh_from_db()
    assert seed.status == PolicyVersion.Status.SUPERSEDED
    assert Assignment.objects.count() == before
    moved = Assignment.objects.get(user=manager)
    assert moved.version == published
    assert moved.due_date == due
    signed = Assignment.objects.get(user=employee)
    assert signed.version == seed
    assert signed.acknowledgement is not None
    assert not Assignment.objects.filter(user=joined_since).exists()


def test_minor_publication_needs_a_change_summary(seed: PolicyVersion, reviewer: User) -> None:
    draft = _draft(reviewer, seed.policy, edit="Typo fixed.")

    with pytest.raises(ValidationError, match="Say what changed"):
        publishing.publish(actor=reviewer, version=draft, material=False, today=TODAY)

    draft.refresh_from_db()
    seed.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT
    assert seed.status == PolicyVersion.Status.PUBLISHED


def test_a_version_is_published_only_once(seed: PolicyVersion, reviewer: User) -> None:
    draft = _draft(reviewer, seed.policy, edit="New.")
    publishing.publish(actor=reviewer, version=draft, material=True, today=TODAY)
    assigned = Assignment.objects.count()

    with pytest.raises(ValidationError, match="already been published"):
        publishing.publish(actor=reviewer, version=draft, material=True, today=TODAY)

    assert Assignment.objects.count() == assigned


# --- Assigning outstanding signatures ----------------------------------------------------------
def test_assign_outstanding_is_idempotent(seed: PolicyVersion, employee: User) -> None:
    UserFactory.create_batch(3)

    first = publishing.assign_outstanding(policy=seed.policy, today=TODAY)
    second = publishing.assign_outstanding(policy=seed.policy, today=TODAY)

    assert first == 5  # employee, manager and three more
    assert second == 0
    assert Assignment.objects.filter(version=seed).count() == 5


@pytest.mark.parametrize("people", [3, 40])
def test_assign_outstanding_query_count_does_not_grow(
    seed: PolicyVersion, django_assert_max_num_queries, people: int
) -> None:
    UserFactory.create_batch(people)

    with django_assert_max_num_queries(4):
        assigned = publishing.assign_outstanding(policy=seed.policy, today=TODAY)

    assert assigned == people
    assert Assignment.objects.filter(version=seed).count() == people


# --- Changes between versions ------------------------------------------------------------------
OLD = (
    "## 1 Purpose\n\nKeep data safe.\n\n"
    "## 2 Scope\n\nAll staff.\n\n"
    "## 3 Email\n\nUse email for work.\n\n"
    "## 5 Fax\n\nFaxes are logged.\n"
)
NEW = (
    "## 1 Purpose\n\nKeep data safe.\n\n"
    "## 2 Who this covers\n\nAll staff.\n\n"
    "## 3 Email\n\nUse email for work only.\n\n"
    "## 4 Messaging\n\nUse the approved app.\n"
)


def test_section_changes_finds_added_removed_renamed_and_changed_sections() -> None:
    found = {change.number: change for change in changes.section_changes(OLD, NEW)}

    assert {number: change.kind for number, change in found.items()} == {
        "2": "renamed",
        "3": "changed",
        "4": "added",
        "5": "removed",
    }
    assert (found["2"].old_text, found["2"].new_text) == ("Scope", "Who this covers")
    assert found["4"].new_text == "Use the approved app."
    assert found["5"].old_text == "Faxes are logged."
    assert found["3"].word_diff() == "Use email for <del>work.</del> <ins>work only.</ins>"


def test_identical_bodies_have_no_changes() -> None:
    assert changes.section_changes(OLD, OLD.replace("\n", "\r\n")) == []


def test_word_diff_escapes_the_policy_text() -> None:
    old = "## 1 Purpose\n\nUse <b>email</b> carefully.\n"
    new = "## 1 Purpose\n\nUse <script>alert('x')</script> email carefully.\n"
    (change,) = changes.section_changes(old, new)

    html = change.word_diff()

    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<ins>" in html
    assert "<del>" in html


def test_render_markdown_strips_scripts_and_event_handlers() -> None:
    text = (
        "Read **this**.\n\n"
        "<script>alert('x')</script>\n\n"
        '<a href="https://example.com/" onclick="steal()">a link</a> '
        '<img src="x" onerror="alert(1)">\n\n'
        "[bad](javascript:alert(1))\n"
    )

    html = documents.render_markdown(text)

    assert "<strong>this</strong>" in html
    assert "a link" in html
    for dangerous in ("<script", "alert(", "onclick", "onerror", "javascript:", "<img"):
        assert dangerous not in html
