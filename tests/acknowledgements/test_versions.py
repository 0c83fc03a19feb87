"""Policy reviewers' pages: the list of policies, drafting, comparing and publishing versions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Assignment, PolicyVersion
from acknowledgements.views.versions import NOT_A_REVIEWER
from portal.models import AuditEvent, User
from tests.acknowledgements.factories import PolicyFactory, PolicyVersionFactory
from tests.helpers import signed_in

FORBIDDEN = b"You do not have access to this page"
SLUG = publishing.SEED_SLUG


@pytest.fixture
def draft(seed: PolicyVersion, reviewer: User) -> PolicyVersion:
    return publishing.create_draft(actor=reviewer, policy=seed.policy)


def _edited(draft: PolicyVersion, summary: str = "") -> PolicyVersion:
    body = draft.body.replace(
        "## 1 Purpose", "## 1 Purpose\n\nEvery member of staff signs this policy."
    )
    return publishing.update_draft(
        actor=draft.created_by, version=draft, body=body, change_summary=summary
    )


def _urls(number: int) -> dict[str, tuple[str, str]]:
    """Each page and the method that uses it."""
    return {
        "manage_index": ("get", reverse("acknowledgements:manage_index")),
        "manage_policy": ("get", reverse("acknowledgements:manage_policy", args=[SLUG])),
        "create_draft": ("post", reverse("acknowledgements:create_draft", args=[SLUG])),
        "edit_draft": ("get", reverse("acknowledgements:edit_draft", args=[SLUG, number])),
        "version_diff": ("get", reverse("acknowledgements:version_diff", args=[SLUG, number])),
        "publish": ("get", reverse("acknowledgements:publish", args=[SLUG, number])),
    }


PAGES = ["manage_index", "manage_policy", "create_draft", "edit_draft", "version_diff", "publish"]


# --- Who may use the pages -----------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_sign_in(client: Client, draft: PolicyVersion, page: str) -> None:
    method, url = _urls(draft.number)[page]

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT).count() == 1


@pytest.mark.parametrize("actor", ["employee", "manager", "hr_user", "it_user", "superuser"])
@pytest.mark.parametrize("page", PAGES)
def test_other_roles_are_refused(
    request: pytest.FixtureRequest, client: Client, draft: PolicyVersion, actor: str, page: str
) -> None:
    request.getfixturevalue("employee")  # so the manager really manages someone
    user = request.getfixturevalue(actor)
    method, url = _urls(draft.number)[page]

    response = getattr(signed_in(client, user), method)(url)

    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert NOT_A_REVIEWER.encode() in response.content
    assert PolicyVersion.objects.count() == 2  # nothing was created


@pytest.mark.parametrize(
    ("page", "method"),
    [
        ("manage_index", "post"),
        ("manage_policy", "post"),
        ("create_draft", "get"),
        ("edit_draft", "delete"),
        ("version_diff", "post"),
        ("publish", "put"),
    ],
)
def test_wrong_method(
    client: Client, reviewer: User, draft: PolicyVersion, page: str, method: str
) -> None:
    _, url = _urls(draft.number)[page]

    response = getattr(signed_in(client, reviewer), method)(url)

    assert response.status_code == 405
    assert PolicyVersion.objects.count() == 2


@pytest.mark.parametrize("page", ["edit_draft", "version_diff", "publish"])
def test_unknown_version_or_policy_is_not_found(
    client: Client, reviewer: User, draft: PolicyVersion, page: str
) -> None:
    signed_in(client, reviewer)
    assert client.get(reverse(f"acknowledgements:{page}", args=[SLUG, 99])).status_code == 404
    assert client.get(reverse(f"acknowledgements:{page}", args=["no-such", 2])).status_code == 404


@pytest.mark.parametrize("page", ["manage_policy", "create_draft"])
def test_unknown_policy_is_not_found(client: Client, reviewer: User, page: str) -> None:
    url = reverse(f"acknowledgements:{page}", args=["no-such-policy"])
    method = "post" if page == "create_draft" else "get"

    response = getattr(signed_in(client, reviewer), method)(url)

    assert response.status_code == 404
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize("page", ["edit_draft", "version_diff", "publish"])
def test_a_draft_under_another_policys_address_is_not_found(
    client: Client, reviewer: User, draft: PolicyVersion, page: str
) -> None:
    other = PolicyFactory(slug="data-protection")
    PolicyVersionFactory(policy=other, number=1, status=PolicyVersion.Status.PUBLISHED)

    url = reverse(f"acknowledgements:{page}", args=[other.slug, draft.number])
    response = signed_in(client, reviewer).get(url)

    assert response.status_code == 404


def test_post_to_another_policys_address_changes_nothing(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    other = PolicyFactory(slug="data-protection")
    signed_in(client, reviewer)

    edit = reverse("acknowledgements:edit_draft", args=[other.slug, draft.number])
    publish = reverse("acknowledgements:publish", args=[other.slug, draft.number])
    assert client.post(edit, {"body": "## 1 Hijacked\n\nNo.\n"}).status_code == 404
    assert client.post(publish, {"change": "material"}).status_code == 404

    draft.refresh_from_db()
    assert draft.is_draft
    assert "Hijacked" not in draft.body


# --- The list of policies ------------------------------------------------------------------------
def test_manage_index_shows_each_policy_with_its_versions(
    client: Client, reviewer: User, seed: PolicyVersion
) -> None:
    PolicyFactory(slug="data-protection", title="Data Protection Policy")
    publishing.create_draft(actor=reviewer, policy=seed.policy)

    response = signed_in(client, reviewer).get(reverse("acknowledgements:manage_index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert seed.policy.title in html
    assert "Data Protection Policy" in html
    assert "Version 1, effective 1 March 2016" in html
    assert reverse("acknowledgements:edit_draft", args=[SLUG, 2]) in html
    assert "1 March 2018" in html
    assert "Overdue" in html  # the seed policy's review date has long passed
    assert "None published" in html
    assert reverse("acknowledgements:manage_policy", args=["data-protection"]) in html


@pytest.mark.parametrize("policies", [1, 8])
def test_manage_index_query_count_does_not_grow(
    client: Client, reviewer: User, django_assert_max_num_queries, policies: int
) -> None:
    for _ in range(policies):
        version = PolicyVersionFactory(status=PolicyVersion.Status.PUBLISHED, published_by=reviewer)
        PolicyVersionFactory(policy=version.policy, number=version.number + 1)
    signed_in(client, reviewer)

    with django_assert_max_num_queries(11):
        response = client.get(reverse("acknowledgements:manage_index"))

    assert response.status_code == 200
    assert response.content.count(b'data-testid="policies"') == 1
    assert len(response.context["rows"]) == policies
    assert all(row["current"] and row["draft"] for row in response.context["rows"])


# --- One policy's versions -------------------------------------------------------------------
def test_manage_policy_offers_to_start_a_draft(
    client: Client, reviewer: User, seed: PolicyVersion
) -> None:
    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:manage_policy", args=[SLUG])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{reverse("acknowledgements:create_draft", args=[SLUG])}"' in html
    assert 'method="post"' in html
    assert reverse("acknowledgements:version_detail", args=[SLUG, 1]) in html
    assert "Published" in html
    assert "Material" in html
    assert "1 March 2016" in html
    assert "First release." in html


def test_manage_policy_lists_versions_and_links_to_the_draft(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    _edited(draft, summary="Staff sign on joining.")
    published = publishing.publish(actor=reviewer, version=draft, material=False)
    third = publishing.create_draft(actor=reviewer, policy=published.policy)

    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:manage_policy", args=[SLUG])
    )

    html = response.content.decode()
    assert [v.number for v in response.context["versions"]] == [3, 2, 1]
    assert "Superseded" in html
    assert "Minor" in html
    assert reviewer.full_name in html
    assert "Staff sign on joining." in html
    assert timezone.localdate().strftime("%-d %B %Y") in html
    assert reverse("acknowledgements:edit_draft", args=[SLUG, third.number]) in html
    assert reverse("acknowledgements:version_diff", args=[SLUG, third.number]) in html
    assert reverse("acknowledgements:version_detail", args=[SLUG, 2]) in html
    assert reverse("acknowledgements:create_draft", args=[SLUG]) not in html


# --- Starting a draft ----------------------------------------------------------------------------
def test_create_draft_opens_the_editor_and_never_makes_two(
    client: Client, reviewer: User, seed: PolicyVersion
) -> None:
    url = reverse("acknowledgements:create_draft", args=[SLUG])
    edit = reverse("acknowledgements:edit_draft", args=[SLUG, 2])
    signed_in(client, reviewer)

    first = client.post(url)
    second = client.post(url)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == edit
    drafts = PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT)
    assert drafts.count() == 1
    assert drafts.get().body == seed.body


# --- Editing a draft -----------------------------------------------------------------------------
def test_edit_draft_shows_the_text_in_a_monospace_editor(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:edit_draft", args=[SLUG, draft.number])
    )

    assert response.status_code == 200
    textarea = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", response.content.decode())
    assert textarea is not None
    assert "font-monospace" in textarea.group(0)
    assert response.context["form"]["body"].value() == draft.body
    assert b"4.1 Personal Use of ICT" in response.content


def test_edit_draft_saves_and_shows_the_changes(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    body = draft.body.replace("### 4.11 Internet Use", "### 4.11 Internet and Social Media Use")
    url = reverse("acknowledgements:edit_draft", args=[SLUG, draft.number])

    response = signed_in(client, reviewer).post(
        url, {"body": body, "change_summary": "Social media added to 4.11."}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "acknowledgements:version_diff", args=[SLUG, draft.number]
    )
    draft.refresh_from_db()
    assert "4.11 Internet and Social Media Use" in draft.body
    assert draft.change_summary == "Social media added to 4.11."
    assert AuditEvent.objects.filter(action="policy.draft_updated", actor=reviewer).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A policy with no numbered headings.", b"The policy needs numbered sections"),
        ("## 1 One\n\nText.\n\n## 1 One again\n\nMore.", b"Section numbers are used twice: 1."),
    ],
    ids=["no-sections", "duplicate-numbers"],
)
def test_edit_draft_shows_the_services_refusal_and_keeps_the_typed_text(
    client: Client, reviewer: User, draft: PolicyVersion, body: str, message: bytes
) -> None:
    url = reverse("acknowledgements:edit_draft", args=[SLUG, draft.number])

    response = signed_in(client, reviewer).post(
        url, {"body": body, "change_summary": "My careful summary."}
    )

    assert response.status_code == 200
    assert message in response.content
    assert response.context["form"]["body"].value() == body
    assert b"My careful summary." in response.content
    draft.refresh_from_db()
    assert draft.body == publishing.seed_body()
    assert draft.change_summary == ""


def test_edit_draft_needs_a_body(client: Client, reviewer: User, draft: PolicyVersion) -> None:
    url = reverse("acknowledgements:edit_draft", args=[SLUG, draft.number])

    response = signed_in(client, reviewer).post(url, {"body": "", "change_summary": "Kept."})

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert b"Kept." in response.content


def test_a_published_version_cannot_be_opened_for_editing(
    client: Client, reviewer: User, seed: PolicyVersion
) -> None:
    url = reverse("acknowledgements:edit_draft", args=[SLUG, seed.number])

    response = signed_in(client, reviewer).get(url, follow=True)

    assert response.redirect_chain == [
        (reverse("acknowledgements:manage_policy", args=[SLUG]), 302)
    ]
    assert b"Version 1 is published: published versions never change." in response.content


def test_saving_over_a_version_published_meanwhile_is_refused_without_losing_the_text(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    publishing.publish(actor=reviewer, version=_edited(draft), material=True)
    typed = draft.body + "\nA late edit.\n"

    response = signed_in(client, reviewer).post(
        reverse("acknowledgements:edit_draft", args=[SLUG, draft.number]),
        {"body": typed, "change_summary": ""},
    )

    assert response.status_code == 200
    assert b"Only a draft can be edited" in response.content
    assert response.context["form"]["body"].value() == typed
    draft.refresh_from_db()
    assert "A late edit." not in draft.body


# --- Comparing versions --------------------------------------------------------------------------
def test_diff_shows_each_kind_of_change_with_ins_and_del(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    body = (
        draft.body.replace("### 4.10 Email Etiquette", "### 4.10 Email Manners")
        .replace(
            "## 6 Revision History",
            "## 7 Artificial Intelligence\n\nAsk IT before using AI tools.\n\n"
            "## 6 Revision History",
        )
        .replace("### 5.7 Email & Internet", "### 5.70 Email & Internet")
    )
    body = body.replace(
        "## 1 Purpose\n", "## 1 Purpose\n\nStaff must <script>alert(1)</script> comply.\n"
    )
    publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary="")

    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:version_diff", args=[SLUG, draft.number])
    )

    assert response.status_code == 200
    html = response.content.decode()
    kinds = {change.number: change.kind for change in response.context["changes"]}
    assert kinds == {
        "1": "changed",
        "4.10": "renamed",
        "5.70": "added",
        "7": "added",
        "5.7": "removed",
    }
    assert "<ins>Staff must &lt;script&gt;alert(1)&lt;/script&gt; comply.</ins>" in html
    assert "<script>alert(1)</script>" not in html
    assert "<del>Etiquette</del> <ins>Manners</ins>" in html
    assert "Ask IT before using AI tools." in html
    assert 'id="section-5-7"' in html
    assert "Removed" in html
    assert "Renamed" in html


def test_diff_of_an_unchanged_draft_says_no_changes(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:version_diff", args=[SLUG, draft.number])
    )

    assert response.status_code == 200
    assert b"No changes" in response.content
    assert b"<ins>" not in response.content
    assert response.context["changes"] == []


def test_diff_styles_come_from_a_static_file_not_inline(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    _edited(draft)

    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:version_diff", args=[SLUG, draft.number])
    )

    html = response.content.decode()
    assert "acknowledgements/versions.css" in html
    assert "style=" not in html
    assert "<style" not in html
    css = client.get("/static/acknowledgements/versions.css")
    assert css.status_code == 200
    stylesheet = b"".join(css.streaming_content).decode()
    assert "line-through" in stylesheet
    assert "underline" in stylesheet


def test_diff_of_a_published_version_compares_with_its_predecessor(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    publishing.publish(actor=reviewer, version=_edited(draft), material=True)

    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:version_diff", args=[SLUG, 2])
    )

    assert response.status_code == 200
    assert response.context["baseline"].number == 1
    assert b"<ins>Every member of staff signs this policy.</ins>" in response.content


# --- Publishing ---------------------------------------------------------------------------------
def test_publish_page_asks_material_or_minor_and_summarises_the_changes(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    _edited(draft, summary="Everyone signs.")

    response = signed_in(client, reviewer).get(
        reverse("acknowledgements:publish", args=[SLUG, draft.number])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Material change: everyone signs again within 21 days" in html
    assert "Minor change: no re-signing; the change summary is shown" in html
    assert "Everyone signs." in html
    assert "1 reworded" in html
    assert "<ins>Every member of staff signs this policy.</ins>" in html
    draft.refresh_from_db()
    assert draft.is_draft


def test_publishing_a_material_change_asks_everyone_to_sign(
    client: Client, reviewer: User, employee: User, manager: User, draft: PolicyVersion
) -> None:
    _edited(draft)
    url = reverse("acknowledgements:publish", args=[SLUG, draft.number])

    response = signed_in(client, reviewer).post(url, {"change": "material"}, follow=True)

    assert response.redirect_chain == [
        (reverse("acknowledgements:manage_policy", args=[SLUG]), 302)
    ]
    assert b"3 people were asked to sign it within 21 days." in response.content
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.PUBLISHED
    assert draft.material_change is True
    assert draft.published_by == reviewer
    assert set(Assignment.objects.filter(version=draft).values_list("user_id", flat=True)) == {
        reviewer.pk,
        employee.pk,
        manager.pk,
    }
    assert PolicyVersion.objects.get(number=1).status == PolicyVersion.Status.SUPERSEDED


def test_publishing_a_minor_change_asks_nobody_new(
    client: Client, reviewer: User, employee: User, seed: PolicyVersion, draft: PolicyVersion
) -> None:
    publishing.assign_outstanding(policy=seed.policy)
    before = Assignment.objects.count()
    _edited(draft, summary="A sentence added to section 1.")

    response = signed_in(client, reviewer).post(
        reverse("acknowledgements:publish", args=[SLUG, draft.number]),
        {"change": "minor"},
        follow=True,
    )

    assert response.status_code == 200
    assert b"nobody signs again" in response.content
    assert (
        b"3 people who had not yet signed the previous version were asked to sign this one "
        b"instead, by the same date." in response.content
    )
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.PUBLISHED
    assert draft.material_change is False
    assert Assignment.objects.count() == before
    assert Assignment.objects.filter(version=draft).count() == before


def test_a_minor_change_without_a_summary_is_refused_with_the_reason(
    client: Client, reviewer: User, draft: PolicyVersion
) -> None:
    _edited(draft)

    response = signed_in(client, reviewer).post(
        reverse("acknowledgements:publish", args=[SLUG, draft.number]), {"change": "minor"}
    )

    assert response.status_code == 200
    assert b"Say what changed: a minor version shows its change summary." in response.content
    draft.refresh_from_db()
    assert draft.is_draft
    assert not Assignment.objects.exists()


def test_publishing_needs_a_choice(client: Client, reviewer: User, draft: PolicyVersion) -> None:
    response = signed_in(client, reviewer).post(
        reverse("acknowledgements:publish", args=[SLUG, draft.number]), {}
    )

    assert response.status_code == 200
    assert b"Choose whether this is a material or a minor change." in response.content
    draft.refresh_from_db()
    assert draft.is_draft


def test_publishing_twice_is_refused_cleanly(
    client: Client, reviewer: User, employee: User, draft: PolicyVersion
) -> None:
    _edited(draft)
    url = reverse("acknowledgements:publish", args=[SLUG, draft.number])
    signed_in(client, reviewer)
    assert client.post(url, {"change": "material"}).status_code == 302
    assigned = Assignment.objects.count()

    again = client.post(url, {"change": "minor"}, follow=True)

    assert again.redirect_chain == [(reverse("acknowledgements:manage_policy", args=[SLUG]), 302)]
    assert b"Version 2 is published: published versions never change." in again.content
    assert Assignment.objects.count() == assigned
    draft.refresh_from_db()
    assert draft.material_change is True
    published = AuditEvent.objects.filter(
        action="policy.version_published", object_id=str(draft.pk)
    )
    assert published.count() == 1
    assert client.get(url).status_code == 302
