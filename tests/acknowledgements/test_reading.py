"""Reading policies: the list with one's standing, the current text, and any version."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Assignment, Policy, PolicyVersion
from portal.models import User
from tests.acknowledgements.factories import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)
from tests.factories import UserFactory
from tests.helpers import signed_in

NOT_FOUND = b"The page may have moved, or you may not have access to it."
LIST_URL = reverse("acknowledgements:policy_list")
DETAIL_URL = reverse("acknowledgements:policy_detail", args=[publishing.SEED_SLUG])
SIGN_URL = reverse("acknowledgements:sign", args=[publishing.SEED_SLUG])
ASK_URL = reverse("acknowledgements:ask", args=[publishing.SEED_SLUG])

OLD_51 = "and does not incur costs."
NEW_51 = "and does not incur any costs to the company."


def page_text(response) -> str:
    return response.content.decode()


def version_url(number: int, slug: str = publishing.SEED_SLUG) -> str:
    return reverse("acknowledgements:version_detail", args=[slug, number])


def new_version(
    actor: User, policy: Policy, body: str, *, material: bool = True, summary: str = "Updated."
) -> PolicyVersion:
    draft = publishing.create_draft(actor=actor, policy=policy)
    publishing.update_draft(actor=actor, version=draft, body=body, change_summary=summary)
    return publishing.publish(actor=actor, version=draft, material=material)


def publish_version_2(reviewer: User, version: PolicyVersion) -> PolicyVersion:
    """A material new version: section 5.1 reworded, a section 4.12 added."""
    body = version.body.replace(OLD_51, NEW_51).replace(
        "## 5 Summary",
        "### 4.12 Artificial Intelligence\n\nAsk IT before using AI tools.\n\n## 5 Summary",
    )
    return new_version(reviewer, version.policy, body, summary="Costs and AI tools.")


# --- The list ---------------------------------------------------------------------------------
def test_list_needs_sign_in(client, version) -> None:
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_the_due_date(client, employee, assigned) -> None:
    response = signed_in(client, employee).get(LIST_URL)
    assert response.status_code == 200
    text = page_text(response)
    assert "Acceptable Use of ICT Policy and Procedure" in text
    assert f"due by {assigned.due_date:%-d %B %Y}" in text
    assert "Read and sign" in text


def test_list_shows_overdue_since(client, employee, version) -> None:
    Assignment.objects.create(
        user=employee, version=version, reason="published", due_date=date(2024, 1, 22)
    )
    response = signed_in(client, employee).get(LIST_URL)
    assert "Overdue</span> since 23 January 2024" in page_text(response)


def test_list_shows_the_signed_date(client, employee, assigned) -> None:
    ack = AcknowledgementFactory(user=employee, version=assigned.version)
    response = signed_in(client, employee).get(LIST_URL)
    text = page_text(response)
    assert f"Signed</span> on {timezone.localtime(ack.signed_at):%-d %B %Y} (version 1)" in text
    assert "due by" not in text


def test_list_shows_only_published_policies(client, employee, version) -> None:
    PolicyVersionFactory(policy=PolicyFactory(title="Draft Social Media Policy"))
    response = signed_in(client, employee).get(LIST_URL)
    assert b"Draft Social Media Policy" not in response.content
    assert b"Acceptable Use of ICT Policy and Procedure" in response.content


def test_list_is_get_only(client, employee, version) -> None:
    assert signed_in(client, employee).post(LIST_URL).status_code == 405


# --- The current text -------------------------------------------------------------------------
def test_detail_needs_sign_in(client, version) -> None:
    response = client.get(DETAIL_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_detail_shows_the_version_facts(client, employee, version) -> None:
    response = signed_in(client, employee).get(DETAIL_URL)
    assert response.status_code == 200
    text = page_text(response)
    assert '<h1 class="h3 mb-1">Acceptable Use of ICT Policy and Procedure</h1>' in text
    facts = re.search(r'data-testid="version-facts">(.*?)</p>', text, re.S).group(1)
    assert "Version 1" in facts
    assert "Effective 1 March 2016" in facts
    assert "Next review 1 March 2018" in facts


def test_contents_link_to_stable_anchors(client, employee, version) -> None:
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    toc = re.search(r'data-testid="toc">(.*?)</ol>', text, re.S).group(1)
    for section in version.sections():
        assert f'href="#{section.anchor}"' in toc
        assert f'id="{section.anchor}"' in text
    assert 'href="#section-4-1">4.1 Personal Use of ICT</a>' in toc
    # Headings come from the template, numbered, at the level of the section.
    assert '<h3 class="h5 mt-3">4.1 Personal Use of ICT</h3>' in text
    assert '<h2 class="h4 mt-3">5 Summary of Acceptable Use of ICT</h2>' in text


def test_sections_are_rendered_from_markdown(client, employee, version) -> None:
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    # 4.1's conditions are a Markdown list.
    assert "<li>does not interfere with the performance of your duties,</li>" in text
    assert "## 4" not in text


def test_summary_section_is_highlighted(client, employee, version) -> None:
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    summary = re.search(
        r'<section class="([^"]*)"[^>]*data-testid="summary">(.*?)</section>', text, re.S
    )
    assert summary is not None
    assert "card" in summary.group(1)
    assert "border-primary" in summary.group(1)
    body = summary.group(2)
    assert "5 Summary of Acceptable Use of ICT" in body
    assert "5.6 IT Security" in body
    assert "4.11 Internet Use" not in body
    assert "6 Revision History" not in body


def test_policy_text_is_sanitised(client, employee, reviewer, version) -> None:
    hostile = version.body.replace(
        "## 2 Policy Statement",
        '<script>alert("x")</script>\n\n<img src="x" onerror="alert(1)">\n\n'
        "[Read more](javascript:alert(1))\n\n## 2 Policy Statement",
    )
    new_version(reviewer, version.policy, hostile)
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    assert "<script>alert" not in text
    assert "onerror" not in text
    assert "javascript:" not in text
    assert "Read more" in text


def test_print_stylesheet_hides_navigation_and_buttons(client, employee, version) -> None:
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    assert 'href="/static/acknowledgements/reading.css"' in text
    assert "style=" not in text  # the Content-Security-Policy allows no inline styles
    assert "<script>" not in text
    css = Path(finders.find("acknowledgements/reading.css")).read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none", print_rules).group(1)
    for selector in ("nav", "footer", ".no-print", ".btn"):
        assert selector in hidden
    # The buttons, the contents list and the call to sign are all marked as screen-only.
    assert 'class="col-lg-3 no-print"' in text


def test_someone_who_must_sign_is_asked_to(client, employee, assigned) -> None:
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    call = re.search(r'data-testid="sign-call">(.*?)Read and sign</a>', text, re.S).group(0)
    assert f'href="{SIGN_URL}"' in call
    assert "Read and sign" in call
    assert f"Due by {assigned.due_date:%-d %B %Y}" in call
    assert 'data-testid="what-changed"' not in text


def test_someone_who_signed_sees_their_receipt(client, employee, assigned) -> None:
    ack = AcknowledgementFactory(user=employee, version=assigned.version)
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    assert 'data-testid="sign-call"' not in text
    local = timezone.localtime(ack.signed_at)
    assert f"You signed this version on {local:%-d %B %Y} at {local:%H:%M}" in text
    assert reverse("acknowledgements:receipt", args=[ack.pk]) in text
    assert 'data-testid="what-changed"' not in text


def test_what_changed_since_the_version_signed(client, employee, reviewer, assigned) -> None:
    AcknowledgementFactory(user=employee, version=assigned.version)
    publish_version_2(reviewer, assigned.version)

    text = page_text(signed_in(client, employee).get(DETAIL_URL))

    changed = re.search(r'data-testid="what-changed">(.*?)</section>', text, re.S).group(1)
    assert "What changed since the version you signed" in changed
    assert "<del>costs.</del> <ins>any costs to the company.</ins>" in changed
    assert 'href="#section-5-1">5.1 Limit personal use</a>' in changed
    assert 'href="#section-4-12">4.12 Artificial Intelligence</a>' in changed
    assert "<ins>Ask IT before using AI tools.</ins>" in changed
    assert "Costs and AI tools." in changed
    # Above the full text, and the person is asked to sign the new version.
    assert text.index('data-testid="what-changed"') < text.index('data-testid="policy-text"')
    assert 'data-testid="sign-call"' in text


def test_changes_are_visible_without_colour(version) -> None:
    css = Path(finders.find("acknowledgements/reading.css")).read_text(encoding="utf-8")
    ins_rule = re.search(r"\.what-changed ins,[^{]*\{([^}]*)\}", css).group(1)
    del_rule = re.search(r"\.what-changed del,[^{]*\{([^}]*)\}", css).group(1)
    assert "text-decoration: underline" in ins_rule
    assert "text-decoration: line-through" in del_rule


def test_no_changes_shown_after_signing_the_new_version(
    client, employee, reviewer, assigned
) -> None:
    AcknowledgementFactory(user=employee, version=assigned.version)
    AcknowledgementFactory(user=employee, version=publish_version_2(reviewer, assigned.version))
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    assert 'data-testid="what-changed"' not in text
    assert "You signed this version on" in text


def test_minor_version_needs_no_new_signature(client, employee, reviewer, assigned) -> None:
    AcknowledgementFactory(user=employee, version=assigned.version)
    body = assigned.version.body.replace(OLD_51, NEW_51)
    new_version(reviewer, assigned.version.policy, body, material=False, summary="Wording.")
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    assert 'data-testid="sign-call"' not in text
    assert "does not need to be signed again" in text
    assert "<del>costs.</del> <ins>any costs to the company.</ins>" in text


def test_ask_your_line_manager(client, employee, reviewer, assigned) -> None:
    AcknowledgementFactory(user=employee, version=assigned.version)
    publish_version_2(reviewer, assigned.version)
    text = page_text(signed_in(client, employee).get(DETAIL_URL))
    form = re.search(r'<form class="ask-form[^"]*" method="get" action="([^"]+)"', text)
    assert form.group(1) == ASK_URL
    assert '<option value="4.1">' in text
    assert f'href="{ASK_URL}?section=5.1"' in text


def test_no_ask_link_without_a_line_manager(client, manager, version) -> None:
    assert manager.line_manager_id is None
    text = page_text(signed_in(client, manager).get(DETAIL_URL))
    assert ASK_URL not in text


@pytest.mark.parametrize("who", ["hr_user", "it_user", "reviewer", "outsider"])
def test_everyone_can_read_the_policy(client, request, version, who) -> None:
    response = signed_in(client, request.getfixturevalue(who)).get(DETAIL_URL)
    assert response.status_code == 200
    assert b"4.1 Personal Use of ICT" in response.content


def test_unknown_policy_is_not_found(client, employee, version) -> None:
    response = signed_in(client, employee).get(
        reverse("acknowledgements:policy_detail", args=["no-such-policy"])
    )
    assert response.status_code == 404
    assert NOT_FOUND in response.content


def test_policy_without_a_published_version_is_not_found(client, employee, reviewer) -> None:
    draft = PolicyVersionFactory(policy=PolicyFactory(slug="social-media"))
    url = reverse("acknowledgements:policy_detail", args=[draft.policy.slug])
    assert signed_in(client, employee).get(url).status_code == 404
    assert signed_in(Client(), reviewer).get(url).status_code == 404


def test_detail_is_get_only(client, employee, version) -> None:
    assert signed_in(client, employee).post(DETAIL_URL).status_code == 405


@pytest.mark.parametrize(("others", "superseded"), [(5, 1), (30, 4)])
def test_detail_queries_do_not_grow(
    client, django_assert_max_num_queries, employee, reviewer, version, others, superseded
) -> None:
    colleagues = UserFactory.create_batch(others, line_manager=employee.line_manager)
    publishing.assign_outstanding(policy=version.policy)
    for person in [employee, *colleagues[:3]]:
        AcknowledgementFactory(user=person, version=version)
    current = version
    for n in range(superseded):
        body = current.body.replace(OLD_51, f"{OLD_51} Note {n}.")
        current = new_version(reviewer, version.policy, body)
    assert PolicyVersion.objects.filter(status="superseded").count() == superseded
    assert Assignment.objects.filter(version=current).count() > others
    signed_in(client, employee)

    # One of them counts the questions the person has asked (the page links to them).
    with django_assert_max_num_queries(15):
        response = client.get(DETAIL_URL)

    assert response.status_code == 200
    assert b'data-testid="what-changed"' in response.content
    assert b'data-testid="sign-call"' in response.content


# --- Any version ------------------------------------------------------------------------------
def test_superseded_version_can_be_read(client, employee, reviewer, version) -> None:
    publish_version_2(reviewer, version)
    response = signed_in(client, employee).get(version_url(1))
    assert response.status_code == 200
    text = page_text(response)
    assert "Version 1 (superseded)" in text
    assert "This version has been replaced." in text
    assert f'href="{DETAIL_URL}">version 2</a>' in text
    assert OLD_51 in text
    assert "4.12 Artificial Intelligence" not in text


def test_draft_is_read_by_reviewers_only(client, employee, reviewer, version) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    publishing.update_draft(
        actor=reviewer,
        version=draft,
        body=version.body.replace(OLD_51, "and is subject to a secret new rule."),
        change_summary="Draft wording.",
    )
    url = version_url(draft.number)

    response = signed_in(client, reviewer).get(url)
    assert response.status_code == 200
    assert b"secret new rule" in response.content
    assert b'data-testid="draft-notice"' in response.content

    refused = signed_in(Client(), employee).get(url)
    assert refused.status_code == 404
    assert b"secret new rule" not in refused.content


@pytest.mark.parametrize("who", ["employee", "hr_user", "it_user", "manager"])
def test_draft_is_not_found_for_other_roles(client, request, reviewer, version, who) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    response = signed_in(client, request.getfixturevalue(who)).get(version_url(draft.number))
    assert response.status_code == 404
    assert NOT_FOUND in response.content


def test_unknown_version_is_not_found(client, employee, version) -> None:
    assert signed_in(client, employee).get(version_url(9)).status_code == 404
    assert client.get(version_url(1, slug="no-such-policy")).status_code == 404


def test_version_detail_needs_sign_in(client, version) -> None:
    response = client.get(version_url(1))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_version_detail_is_get_only(client, employee, version) -> None:
    assert signed_in(client, employee).post(version_url(1)).status_code == 405
