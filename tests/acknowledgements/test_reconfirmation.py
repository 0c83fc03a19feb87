"""An unchanged draft cannot be published as a material change by mistake; asking everyone to
confirm the same text again is its own action (the count, a reason, a confirmation), and the
people asked are told that the text has not changed and why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing, reminders, todo
from acknowledgements.models import Assignment, PolicyVersion
from portal.models import AuditEvent, Notification
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.helpers import messages_of, signed_in

REASON = "The annual review found no changes; everyone confirms the policy each year."


def reconfirm_url(version: PolicyVersion) -> str:
    return reverse("acknowledgements:reconfirm", args=[version.policy.slug])


def publish_url(draft: PolicyVersion) -> str:
    return reverse("acknowledgements:publish", args=[draft.policy.slug, draft.number])


# --- An unchanged draft -------------------------------------------------------------------------
def test_an_unchanged_draft_cannot_be_published_as_a_material_change(reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    with pytest.raises(ValidationError, match="identical to the current version"):
        publishing.publish(actor=reviewer, version=draft, material=True)
    draft.refresh_from_db()
    assert draft.is_draft
    assert publishing.current_version(version.policy) == version


def test_a_whitespace_only_difference_is_still_the_same_text(reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body + "\n\n", change_summary="Tidied."
    )
    with pytest.raises(ValidationError, match="identical"):
        publishing.publish(actor=reviewer, version=draft, material=True)


def test_the_publish_page_says_so_and_refuses(client: Client, reviewer, version) -> None:
    client = signed_in(client, reviewer)
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    page = client.get(publish_url(draft)).content.decode()
    assert 'data-testid="unchanged"' in page
    assert reconfirm_url(version) in page

    response = client.post(publish_url(draft), {"change": "material"})
    assert response.status_code == 200
    assert "identical to the current version" in response.content.decode()
    assert PolicyVersion.objects.get(pk=draft.pk).is_draft
    published = AuditEvent.objects.filter(action="policy.version_published")
    assert [e.object_id for e in published] == [str(version.pk)]  # only the seed's


def test_a_changed_draft_has_no_such_warning(client: Client, reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    body = draft.body + "\n\nOne more sentence.\n"
    publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary="More.")
    page = signed_in(client, reviewer).get(publish_url(draft)).content.decode()
    assert 'data-testid="unchanged"' not in page
    publishing.publish(actor=reviewer, version=draft, material=True)


# --- The re-confirmation ------------------------------------------------------------------------
def test_the_page_shows_how_many_are_asked_before_confirming(
    client: Client, reviewer, version, employee, manager
) -> None:
    page = signed_in(client, reviewer).get(reconfirm_url(version))
    people = publishing.reconfirmation_count()
    assert page.context["people"] == people == 3  # reviewer, employee, manager
    html = page.content.decode()
    assert f"Ask {people} people to confirm again" in html
    assert not PolicyVersion.objects.filter(number=2).exists()  # looking changes nothing


def test_without_the_tick_or_a_reason_nothing_happens(client: Client, reviewer, version) -> None:
    client = signed_in(client, reviewer)
    response = client.post(reconfirm_url(version), {"reason": REASON})
    assert "Tick the box" in response.content.decode()
    response = client.post(reconfirm_url(version), {"reason": "  ", "confirm": "on"})
    assert "Say why everyone is asked again" in response.content.decode()
    assert publishing.current_version(version.policy) == version


def test_everyone_is_asked_to_confirm_the_same_text_again(
    client: Client, reviewer, version, employee, manager
) -> None:
    publishing.assign_outstanding(policy=version.policy)
    AcknowledgementFactory(user=employee, version=version)
    response = signed_in(client, reviewer).post(
        reconfirm_url(version), {"reason": REASON, "confirm": "on"}
    )
    assert response.status_code == 302
    assert "The text is unchanged; 3 people were asked" in messages_of(response)[0]

    again = publishing.current_version(version.policy)
    assert (again.number, again.reconfirmation, again.material_change) == (2, True, True)
    assert again.body_sha256 == version.body_sha256
    assert again.change_summary == REASON
    assert Assignment.objects.filter(version=again).count() == 3
    assert Assignment.objects.filter(version=again, user=employee).exists()  # signed before
    event = AuditEvent.objects.get(action="policy.reconfirmation_requested")
    assert (event.actor, event.data["assigned"]) == (reviewer, 3)
    published = AuditEvent.objects.filter(action="policy.version_published")
    assert [e.object_id for e in published] == [str(version.pk)]  # only the seed's


def test_a_double_click_asks_once(client: Client, reviewer, version) -> None:
    client = signed_in(client, reviewer)
    page = client.get(reconfirm_url(version)).content.decode()
    token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {"reason": REASON, "confirm": "on", "form_token": token}
    first, second = (
        client.post(reconfirm_url(version), data),
        client.post(reconfirm_url(version), data),
    )
    assert first.url == second.url
    assert PolicyVersion.objects.filter(policy=version.policy).count() == 2
    assert AuditEvent.objects.filter(action="policy.reconfirmation_requested").count() == 1


def test_an_open_draft_with_the_same_text_becomes_the_reconfirmation(reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    again = publishing.reconfirm(actor=reviewer, policy=version.policy, reason=REASON)
    assert again.pk == draft.pk
    assert again.reconfirmation


def test_an_open_draft_that_changes_the_text_is_published_instead(reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    body = draft.body + "\n\nOne more sentence.\n"
    publishing.update_draft(actor=reviewer, version=draft, body=body, change_summary="More.")
    with pytest.raises(ValidationError, match="changes the text"):
        publishing.reconfirm(actor=reviewer, policy=version.policy, reason=REASON)
    draft.refresh_from_db()
    assert draft.is_draft and draft.change_summary == "More."


@pytest.mark.parametrize("role", ["employee", "manager", "hr_user", "it_user"])
def test_only_policy_reviewers_ask_again(client: Client, request, version, role) -> None:
    client = signed_in(client, request.getfixturevalue(role))
    assert client.get(reconfirm_url(version)).status_code == 403
    assert (
        client.post(reconfirm_url(version), {"reason": REASON, "confirm": "on"}).status_code == 403
    )
    assert publishing.current_version(version.policy) == version


# --- What the people asked are told -------------------------------------------------------------
@pytest.fixture
def asked_again(reviewer, version, employee):
    publishing.assign_outstanding(policy=version.policy)
    AcknowledgementFactory(user=employee, version=version)
    return publishing.reconfirm(actor=reviewer, policy=version.policy, reason=REASON)


def test_the_sign_page_says_the_text_has_not_changed_and_why(
    client: Client, employee, asked_again
) -> None:
    client = signed_in(client, employee)
    sign = client.get(reverse("acknowledgements:sign", args=[asked_again.policy.slug]))
    html = sign.content.decode()
    assert 'data-testid="reconfirmation"' in html
    assert "The text has not changed." in html
    assert REASON in html
    detail = client.get(reverse("acknowledgements:policy_detail", args=[asked_again.policy.slug]))
    html = detail.content.decode()
    assert "The text has not changed" in html and REASON in html
    assert 'data-testid="what-changed"' not in html


def test_the_to_do_item_says_so(employee, asked_again) -> None:
    [item] = todo.sign_policy(employee)
    assert item.title == f"Confirm the {asked_again.policy.title}"
    assert "The text has not changed: you are asked to confirm it again." in item.detail
    assert REASON in item.detail


def test_the_notice_says_so(employee, asked_again) -> None:
    reminders.unsigned_job(timezone.now())
    notice = Notification.objects.get(recipient=employee, kind=reminders.SIGNER_KIND)
    assert "The text of the policy has not changed" in notice.body_text
    assert REASON in notice.body_text
    assert "has not changed" in notice.body_html


def test_an_ordinary_notice_says_nothing_of_the_kind(employee, version) -> None:
    publishing.assign_outstanding(policy=version.policy)
    reminders.unsigned_job(timezone.now())
    notice = Notification.objects.get(recipient=employee, kind=reminders.SIGNER_KIND)
    assert "has not changed" not in notice.body_text
