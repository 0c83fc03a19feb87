"""Personal use at the line manager's discretion (policy 4.1 and 5.1): granting, replacing,
revoking, the history, HR's register, and the team page that links to it all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from acknowledgements import grants, publishing, signing
from acknowledgements.models import Assignment, PersonalUseGrant, PolicyVersion
from portal.models import AuditEvent, Notification, User
from tests.acknowledgements.factories import PersonalUseGrantFactory
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.helpers import signed_in

NOT_FOUND = b"The page may have moved, or you may not have access to it."
FORBIDDEN = b"You do not have access to this page"
POLICY_41 = (
    "Occasional and reasonable personal use of email, Internet access and the telephone/fax "
    "network is permitted at your manager\N{RIGHT SINGLE QUOTATION MARK}s discretion"
)
POLICY_51 = (
    "does not interfere with staff productivity or responsibilities, and does not incur costs"
)


def page_url(person: User) -> str:
    return reverse("acknowledgements:team_personal_use", args=[person.pk])


def revoke_url(person: User) -> str:
    return reverse("acknowledgements:revoke_personal_use", args=[person.pk])


def grant(manager: User, employee: User, **overrides: object) -> PersonalUseGrant:
    values = {
        "email": True,
        "internet": False,
        "telephone": False,
        "expires_on": None,
        "note": "",
    } | overrides
    return grants.grant_personal_use(manager=manager, employee=employee, **values)


# --- The manager's page for one report --------------------------------------------------------
def test_pages_need_sign_in(client, employee) -> None:
    for url in (
        page_url(employee),
        reverse("acknowledgements:my_personal_use"),
        reverse("acknowledgements:all_personal_use"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(revoke_url(employee))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_manager_sees_the_conditions_in_the_policys_words(
    client, manager, employee, version
) -> None:
    response = signed_in(client, manager).get(page_url(employee))
    assert response.status_code == 200
    content = response.content.decode()
    assert POLICY_41 in content
    assert "does not involve personal commercial activity" in content
    assert POLICY_51 in content
    assert "None: business use only." in content
    assert response.context["form"] is not None


def test_the_conditions_are_shown_before_any_policy_is_loaded(client, manager, employee) -> None:
    response = signed_in(client, manager).get(page_url(employee))
    assert response.status_code == 200
    assert POLICY_41 in response.content.decode()


def test_a_manager_grants_personal_use_to_their_report(client, manager, employee) -> None:
    expires = timezone.localdate() + timedelta(days=90)
    response = signed_in(client, manager).post(
        page_url(employee),
        {"email": "on", "telephone": "on", "expires_on": expires.isoformat(), "note": "Lunchtimes"},
    )

    assert response.status_code == 302
    assert response["Location"] == page_url(employee)
    current = PersonalUseGrant.objects.get()
    assert (current.email, current.internet, current.telephone) == (True, False, True)
    assert current.employee == employee
    assert current.granted_by == manager
    assert current.expires_on == expires
    assert current.note == "Lunchtimes"
    assert current.is_current()
    notice = Notification.objects.get(kind="personal-use-granted")
    assert notice.recipient == employee
    assert notice.dedupe_key == f"personal-use-granted:{current.pk}"
    assert notice.link == reverse("acknowledgements:my_personal_use")
    assert "email, telephone and fax" in notice.body_text
    assert "does not incur costs" in notice.body_text
    assert AuditEvent.objects.filter(
        action="personal_use.granted", actor=manager, object_id=str(current.pk)
    ).exists()


def test_a_manager_revokes_the_grant(client, manager, employee) -> None:
    current = grant(manager, employee, internet=True)

    response = signed_in(client, manager).post(revoke_url(employee), {"note": "Too much use"})

    assert response.status_code == 302
    assert response["Location"] == page_url(employee)
    current.refresh_from_db()
    assert current.revoked_at is not None
    assert current.revoked_by == manager
    assert current.revocation_note == "Too much use"
    assert not current.is_current()
    notice = Notification.objects.get(kind="personal-use-revoked")
    assert notice.recipient == employee
    assert "Too much use" in notice.body_text
    assert "business use only" in notice.body_text
    assert AuditEvent.objects.filter(action="personal_use.revoked", actor=manager).count() == 1

    page = client.get(page_url(employee))
    assert b"None: business use only." in page.content
    rows = page.context["history"]
    assert [row.state for row in rows] == ["revoked"]
    assert b"Too much use" in page.content


def test_granting_again_replaces_the_grant_and_keeps_the_history(client, manager, employee) -> None:
    first = grant(manager, employee, note="Email only for now")
    response = signed_in(client, manager).post(
        page_url(employee), {"email": "on", "internet": "on", "note": "And the Internet"}
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revoked_by == manager
    second = PersonalUseGrant.objects.get(revoked_at__isnull=True)
    assert second.facilities == ["email", "Internet"]
    assert PersonalUseGrant.objects.filter(employee=employee).count() == 2

    page = client.get(page_url(employee))
    history = page.context["history"]
    assert [(row.grant, row.state) for row in history] == [(second, "current"), (first, "replaced")]
    assert page.content.count(b'data-testid="history-row"') == 2
    assert b"Email only for now" in page.content
    assert b"And the Internet" in page.content
    assert Notification.objects.filter(recipient=employee, kind="personal-use-granted").count() == 2
    replaced = AuditEvent.objects.get(action="personal_use.revoked")
    assert replaced.data == {"employee": employee.pk, "replaced": True}


def test_the_form_starts_from_the_current_grant(client, manager, employee) -> None:
    grant(manager, employee, email=False, internet=True)
    page = signed_in(client, manager).get(page_url(employee))
    assert page.context["form"].initial == {
        "email": False,
        "internet": True,
        "telephone": False,
        "expires_on": None,
        "note": "",
    }
    # The revoke form sits on the same page; its field ids must not clash with the grant form's.
    assert page.content.count(b'id="id_note"') == 1
    assert page.content.count(b'id="id_revoke_note"') == 1


def test_changing_the_grant_keeps_its_end_date_and_note(client, manager, employee) -> None:
    ends = timezone.localdate() + timedelta(days=30)
    grant(manager, employee, expires_on=ends, note="Agreed at supervision")
    page = signed_in(client, manager).get(page_url(employee))
    assert f'value="{ends.isoformat()}"'.encode() in page.content
    assert b"Agreed at supervision</textarea>" in page.content

    # The manager ticks the Internet too and sends the form as it was filled in for them.
    form = page.context["form"]
    posted = {"email": "on", "internet": "on"}
    posted |= {"expires_on": form["expires_on"].value().isoformat(), "note": form["note"].value()}
    assert client.post(page_url(employee), posted).status_code == 302

    current = grants.current_grant_for(employee)
    assert current.facilities == ["email", "Internet"]
    assert current.expires_on == ends
    assert current.note == "Agreed at supervision"


def test_the_manager_can_clear_the_end_date_and_note(client, manager, employee) -> None:
    grant(manager, employee, expires_on=timezone.localdate() + timedelta(days=30), note="Trial")
    posted = {"email": "on", "expires_on": "", "note": ""}
    assert signed_in(client, manager).post(page_url(employee), posted).status_code == 302
    current = grants.current_grant_for(employee)
    assert (current.expires_on, current.note) == (None, "")


def test_a_grant_must_allow_something(client, manager, employee) -> None:
    response = signed_in(client, manager).post(page_url(employee), {"note": "Nothing ticked"})
    assert response.status_code == 200
    assert "Choose at least one" in " ".join(response.context["form"].non_field_errors())
    assert not PersonalUseGrant.objects.exists()
    with pytest.raises(grants.ValidationError):
        grant(manager, employee, email=False)
    assert not PersonalUseGrant.objects.exists()


def test_an_expiry_date_in_the_past_is_refused(client, manager, employee) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    response = signed_in(client, manager).post(
        page_url(employee), {"email": "on", "expires_on": yesterday.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"] == [
        "The expiry date cannot be in the past."
    ]
    assert not PersonalUseGrant.objects.exists()
    with pytest.raises(grants.ValidationError):
        grant(manager, employee, expires_on=yesterday)


def test_nothing_to_revoke_is_a_clear_message(client, manager, employee) -> None:
    response = signed_in(client, manager).post(revoke_url(employee), follow=True)
    assert response.status_code == 200
    assert b"nothing to revoke" in response.content
    assert not AuditEvent.objects.filter(action="personal_use.revoked").exists()
    assert not Notification.objects.filter(kind="personal-use-revoked").exists()


def test_an_expired_grant_is_not_current_and_shows_as_expired(client, manager, employee) -> None:
    ended = timezone.localdate() - timedelta(days=3)
    old = PersonalUseGrantFactory(employee=employee, expires_on=ended)

    assert not old.is_current()
    assert grants.current_grant_for(employee) is None
    response = signed_in(client, employee).get(reverse("acknowledgements:my_personal_use"))
    assert b"None: business use only." in response.content
    assert [row.state for row in response.context["history"]] == ["expired"]
    assert b"Expired on" in response.content

    # Granting again closes the expired row; the history still says it expired.
    grant(manager, employee)
    states = [row.state for row in grants.history_for(employee)]
    assert states == ["current", "expired"]


def test_the_manager_of_someone_else_gets_not_found(client, employee, outsider) -> None:
    other_manager = outsider.line_manager
    signed_in(client, other_manager)
    assert client.get(page_url(employee)).status_code == 404
    response = client.post(page_url(employee), {"email": "on"})
    assert response.status_code == 404
    assert NOT_FOUND in response.content
    assert client.post(revoke_url(employee)).status_code == 404
    assert not PersonalUseGrant.objects.exists()


def test_a_person_who_does_not_exist_looks_the_same(client, employee, outsider) -> None:
    signed_in(client, outsider.line_manager)
    missing = client.get(reverse("acknowledgements:team_personal_use", args=[999999]))
    hidden = client.get(page_url(employee))
    assert missing.status_code == hidden.status_code == 404

    def main(response) -> bytes:  # the page without its per-response CSRF token
        return response.content.split(b'<main id="main"', 1)[1]

    assert main(missing) == main(hidden)


def test_a_manager_cannot_grant_themselves_personal_use(client, manager, employee) -> None:
    signed_in(client, manager)
    assert client.get(page_url(manager)).status_code == 404
    assert client.post(page_url(manager), {"email": "on"}).status_code == 404
    with pytest.raises(grants.GrantError, match="not your own"):
        grant(manager, manager)
    assert not PersonalUseGrant.objects.exists()


def test_the_service_refuses_anyone_but_the_line_manager(employee, outsider, hr_user) -> None:
    for person in (outsider.line_manager, hr_user, outsider):
        with pytest.raises(grants.GrantError, match="own line manager"):
            grant(person, employee)
    assert not PersonalUseGrant.objects.exists()


@pytest.mark.parametrize("actor", ["employee", "outsider", "it_user", "reviewer"])
def test_others_get_not_found(client, request, employee, manager, actor: str) -> None:
    colleague = UserFactory(line_manager=manager)
    response = signed_in(client, request.getfixturevalue(actor)).get(page_url(colleague))
    assert response.status_code == 404


def test_an_employee_has_no_manager_page_for_themselves(client, employee) -> None:
    assert signed_in(client, employee).get(page_url(employee)).status_code == 404


def test_hr_reads_the_history_but_cannot_grant_or_revoke(
    client, hr_user, manager, employee
) -> None:
    current = grant(manager, employee, note="Agreed at supervision")
    signed_in(client, hr_user)

    page = client.get(page_url(employee))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert page.context["revoke_form"] is None
    assert b'data-testid="read-only"' in page.content
    assert b"Agreed at supervision" in page.content

    posted = client.post(page_url(employee), {"internet": "on"})
    assert posted.status_code == 403
    assert FORBIDDEN in posted.content
    assert b"only the person&#x27;s own line manager" in posted.content
    assert client.post(revoke_url(employee)).status_code == 403
    current.refresh_from_db()
    assert current.revoked_at is None
    assert PersonalUseGrant.objects.count() == 1


def test_team_member_page_answers_only_get_and_post(client, manager, employee) -> None:
    assert signed_in(client, manager).put(page_url(employee)).status_code == 405


def test_revoke_is_post_only(client, manager, employee) -> None:
    grant(manager, employee)
    assert signed_in(client, manager).get(revoke_url(employee)).status_code == 405
    assert grants.current_grant_for(employee) is not None


# --- The employee's own page ------------------------------------------------------------------
def test_my_page_without_a_grant_says_business_use_only(client, employee) -> None:
    response = signed_in(client, employee).get(reverse("acknowledgements:my_personal_use"))
    assert response.status_code == 200
    assert b"None: business use only." in response.content
    assert POLICY_41 in response.content.decode()
    assert b"No personal use has ever been granted." in response.content


def test_my_page_shows_my_grant_and_history_only(client, manager, employee, outsider) -> None:
    grant(manager, employee, telephone=True, note="Calls home at lunchtime")
    PersonalUseGrantFactory(employee=outsider, note="The outsider's own note")

    response = signed_in(client, employee).get(reverse("acknowledgements:my_personal_use"))

    assert response.status_code == 200
    assert response.context["current"].employee == employee
    assert b"email, telephone and fax" in response.content
    assert b"Calls home at lunchtime" in response.content
    assert b"own note" not in response.content
    assert len(response.context["history"]) == 1


def test_my_page_is_get_only(client, employee) -> None:
    url = reverse("acknowledgements:my_personal_use")
    assert signed_in(client, employee).post(url).status_code == 405


# --- HR's register ----------------------------------------------------------------------------
def test_hr_sees_every_current_grant(client, hr_user, manager, employee, outsider) -> None:
    current = grant(manager, employee, internet=True)
    theirs = PersonalUseGrantFactory(employee=outsider, telephone=True)
    revoked_person = UserFactory(line_manager=manager)
    grant(manager, revoked_person)
    grants.revoke_personal_use(manager=manager, employee=revoked_person, note="")
    expired_person = UserFactory(line_manager=manager)
    PersonalUseGrantFactory(
        employee=expired_person, expires_on=timezone.localdate() - timedelta(days=1)
    )

    response = signed_in(client, hr_user).get(reverse("acknowledgements:all_personal_use"))

    assert response.status_code == 200
    assert set(response.context["page"].object_list) == {current, theirs}
    assert page_url(employee).encode() in response.content
    assert page_url(outsider).encode() in response.content


def test_the_register_filters_by_department(client, hr_user, manager, employee, outsider) -> None:
    grant(manager, employee)
    theirs = PersonalUseGrantFactory(employee=outsider)
    department = outsider.department

    response = signed_in(client, hr_user).get(
        reverse("acknowledgements:all_personal_use"), {"department": department.pk}
    )

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [theirs]
    assert response.context["department"] == department
    ignored = client.get(reverse("acknowledgements:all_personal_use"), {"department": "nonsense"})
    assert ignored.status_code == 200
    assert ignored.context["page"].paginator.count == 2


def test_the_register_is_paginated(client, hr_user, manager) -> None:
    for _ in range(51):
        PersonalUseGrantFactory(employee=UserFactory(line_manager=manager))
    signed_in(client, hr_user)
    first = client.get(reverse("acknowledgements:all_personal_use"))
    second = client.get(reverse("acknowledgements:all_personal_use"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert b"Page 1 of 2" in first.content


@pytest.mark.parametrize("actor", ["employee", "manager", "it_user", "reviewer", "superuser"])
def test_the_register_is_for_hr_only(client, request, actor: str) -> None:
    user = request.getfixturevalue(actor)
    response = signed_in(client, user).get(reverse("acknowledgements:all_personal_use"))
    assert response.status_code == 403
    assert b"Only HR can read the personal-use register." in response.content


def test_the_register_is_get_only(client, hr_user) -> None:
    url = reverse("acknowledgements:all_personal_use")
    assert signed_in(client, hr_user).post(url).status_code == 405


def test_the_register_query_count_does_not_grow(
    client, hr_user, django_assert_max_num_queries
) -> None:
    def add_grants(count: int) -> None:
        for n in range(count):
            boss = UserFactory()
            department = DepartmentFactory(name=f"Team {n % 3}")
            person = UserFactory(line_manager=boss, department=department)
            PersonalUseGrantFactory(employee=person, internet=bool(n % 2))

    signed_in(client, hr_user).get(reverse("home"))  # the session's first save is not the page's
    add_grants(2)
    with django_assert_max_num_queries(12):
        small = client.get(reverse("acknowledgements:all_personal_use"))
    add_grants(20)
    with django_assert_max_num_queries(12):
        large = client.get(reverse("acknowledgements:all_personal_use"))
    assert small.context["page"].paginator.count == 2
    assert large.context["page"].paginator.count == 22


# --- The team page ----------------------------------------------------------------------------
def sign(user: User, version: PolicyVersion) -> None:
    signing.sign(
        user=user,
        version=version,
        printed_name=user.full_name,
        password=PASSWORD,
        request=RequestFactory().post("/", REMOTE_ADDR="192.0.2.10"),
    )


def test_the_team_page_shows_signatures_and_personal_use(client, manager, employee, version):
    publishing.assign_outstanding(policy=version.policy)
    sign(employee, version)
    late = UserFactory(line_manager=manager, first_name="Lola", last_name="Late")
    due = UserFactory(line_manager=manager, first_name="Dan", last_name="Due")
    publishing.assign_outstanding(policy=version.policy, user_ids=[late.pk, due.pk])
    Assignment.objects.filter(user=late).update(due_date=timezone.localdate() - timedelta(days=2))
    grant(manager, employee, internet=True)

    response = signed_in(client, manager).get(reverse("team"))

    assert response.status_code == 200
    by_person = {p.pk: p for p in response.context["reports"]}
    assert [s.state for s in by_person[employee.pk].signatures] == ["signed"]
    assert [s.state for s in by_person[late.pk].signatures] == ["overdue"]
    assert [s.state for s in by_person[due.pk].signatures] == ["due"]
    assert by_person[employee.pk].personal_use.facilities == ["email", "Internet"]
    assert by_person[due.pk].personal_use is None
    content = response.content.decode()
    assert "Overdue" in content
    assert "Business use only" in content
    for person in (employee, late, due):
        assert page_url(person) in content


def test_a_minor_version_does_not_undo_a_signature(client, manager, employee, version, reviewer):
    publishing.assign_outstanding(policy=version.policy)
    sign(employee, version)
    draft = publishing.create_draft(actor=reviewer, policy=version.policy)
    publishing.update_draft(
        actor=reviewer,
        version=draft,
        body=draft.body + "\nA clarification.\n",
        change_summary="Wording",
    )
    publishing.publish(actor=reviewer, version=draft, material=False)

    response = signed_in(client, manager).get(reverse("team"))

    (person,) = response.context["reports"]
    (status,) = person.signatures
    assert status.version.number == 2
    assert status.state == "signed"


def test_the_team_page_query_count_does_not_grow(
    client, manager, version, django_assert_max_num_queries
) -> None:
    def add_reports(count: int) -> None:
        for n in range(count):
            person = UserFactory(line_manager=manager)
            publishing.assign_outstanding(policy=version.policy, user_ids=[person.pk])
            if n % 2:
                sign(person, version)
            if n % 3:
                PersonalUseGrantFactory(employee=person)

    signed_in(client, manager).get(reverse("home"))  # the session's first save is not the page's
    add_reports(2)
    with django_assert_max_num_queries(14):
        small = client.get(reverse("team"))
    add_reports(15)
    with django_assert_max_num_queries(14):
        large = client.get(reverse("team"))
    assert len(small.context["reports"]) == 2
    assert len(large.context["reports"]) == 17
    assert large.content.count(b'data-testid="team-row"') == 17
