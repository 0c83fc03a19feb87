"""HR reminds the overdue people a filter shows: the count first, a confirmation, at most one
reminder a day per person (shared with line managers' reminders), one audit per batch, and
nobody outside the filter or HR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acknowledgements import chasing, publishing, staff_status, tasks
from acknowledgements.models import Assignment
from portal.models import AuditEvent, Notification, User
from tests.acknowledgements.staff_status.helpers import bulk_staff, list_url
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import messages_of, signed_in


def chase_url(policy, **query: str) -> str:
    url = reverse("acknowledgements:remind_overdue", args=[policy.slug])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def reminded() -> list[int]:
    return sorted(
        Notification.objects.filter(kind=staff_status.REMINDER_KIND).values_list(
            "recipient_id", flat=True
        )
    )


def make_overdue(*people: User) -> None:
    Assignment.objects.filter(user__in=people).update(
        due_date=timezone.localdate() - timedelta(days=4)
    )


@pytest.fixture
def care(policy, team):
    """Two overdue people in Home Care (one with no line manager), one due there, and Owen
    (overdue, Day Services) elsewhere."""
    home_care = DepartmentFactory(name="Home Care")
    ann = UserFactory(first_name="Ann", last_name="Ash", department=home_care)
    bob = UserFactory(
        first_name="Bob", last_name="Birch", department=home_care, line_manager=team.signed
    )
    cat = UserFactory(first_name="Cat", last_name="Cole", department=home_care)
    publishing.assign_outstanding(policy=policy)
    make_overdue(ann, bob)
    return home_care, ann, bob, cat


def run_worker(hr_user, policy, **filters) -> int:
    """What the worker runs for HR's confirmation."""
    return tasks.remind_overdue(hr_user.pk, policy.pk, staff_status.Filters(**filters).as_data())


def test_the_list_shows_how_many_match_and_how_many_are_overdue(
    client: Client, policy, hr_user, care
) -> None:
    home_care, *_ = care
    page = signed_in(client, hr_user).get(list_url(policy), {"department": home_care.pk})
    assert page.context["matching"] == staff_status.Matching(people=3, overdue=2)
    html = page.content.decode()
    assert "3</strong> people match these filters" in html
    assert "Remind the 2 overdue" in html
    assert f"remind-overdue/?department={home_care.pk}" in html


def test_hr_sees_the_count_then_confirms_and_each_overdue_person_gets_one_reminder(
    client: Client, policy, hr_user, care, team
) -> None:
    home_care, ann, bob, _cat = care
    client = signed_in(client, hr_user)

    page = client.get(chase_url(policy, department=str(home_care.pk)))
    assert page.context["preview"] == chasing.Preview(overdue=2, reminded_today=0)
    assert "Send 2 reminders" in page.content.decode()
    assert reminded() == []  # looking sends nothing

    response = client.post(chase_url(policy), {"department": str(home_care.pk)})
    assert response.status_code == 302
    assert response.url == f"{list_url(policy)}?department={home_care.pk}"
    assert "Reminding 2 people" in messages_of(response)[0]
    event = AuditEvent.objects.get(action=chasing.REQUESTED)
    assert event.actor == hr_user
    assert event.data == {"filters": {"department": home_care.pk}, "overdue": 2, "to_send": 2}

    assert run_worker(hr_user, policy, department=home_care.pk) == 2
    assert reminded() == sorted([ann.pk, bob.pk])  # not Cat (due), not Owen (elsewhere)
    message = Notification.objects.get(recipient=ann)
    assert message.subject == f"Reminder from HR: please sign the {policy.title}"
    assert "HR asks you to read and sign" in message.body_text
    assert "is now overdue" in message.body_text
    assert message.link == reverse("acknowledgements:policy_detail", args=[policy.slug])


def test_a_second_try_the_same_day_sends_none(client: Client, policy, hr_user, care) -> None:
    home_care, *_ = care
    client = signed_in(client, hr_user)
    client.post(chase_url(policy), {"department": str(home_care.pk)})
    run_worker(hr_user, policy, department=home_care.pk)

    page = client.get(chase_url(policy, department=str(home_care.pk)))
    assert page.context["preview"] == chasing.Preview(overdue=2, reminded_today=2)
    assert "There is nobody to remind now" in page.content.decode()
    # A fresh form (its own token), not the same post again.
    data = {"department": str(home_care.pk), "form_token": "a-second-try-token-0001"}
    response = client.post(chase_url(policy), data)
    assert "have been reminded today already" in messages_of(response)[0]
    assert run_worker(hr_user, policy, department=home_care.pk) == 0  # the worker, twice
    assert len(reminded()) == 2


def test_the_next_day_they_can_be_reminded_again(policy, hr_user, care) -> None:
    home_care, *_ = care
    filters = staff_status.Filters(department=home_care.pk)
    today = timezone.localdate()
    assert chasing.remind_overdue(actor=hr_user, policy=policy, filters=filters, today=today) == 2
    tomorrow = today + timedelta(days=1)
    assert chasing.remind_overdue(actor=hr_user, policy=policy, filters=filters, today=tomorrow)
    assert len(reminded()) == 4


def test_a_managers_reminder_today_counts_as_the_days_reminder(
    policy, hr_user, manager, team
) -> None:
    staff_status.send_reminder(manager=manager, person=team.overdue, policy=policy)
    found = chasing.preview(hr_user, policy, staff_status.Filters())
    assert found == chasing.Preview(overdue=1, reminded_today=1)
    assert chasing.remind_overdue(actor=hr_user, policy=policy, filters=staff_status.Filters()) == 0
    assert reminded() == [team.overdue.pk]


def test_after_hr_reminds_a_manager_is_told_it_went_today(policy, hr_user, manager, team) -> None:
    chasing.remind_overdue(actor=hr_user, policy=policy, filters=staff_status.Filters())
    with pytest.raises(staff_status.AlreadyRemindedToday):
        staff_status.send_reminder(manager=manager, person=team.overdue, policy=policy)
    assert reminded() == [team.overdue.pk]


@pytest.mark.parametrize(
    ("filters", "who"),
    [
        ({"manager": "none"}, ["ann"]),
        ({"manager": "signed"}, ["bob"]),
        ({"status": "signed"}, []),
        ({"status": "due"}, []),
        ({"status": "overdue"}, ["ann", "bob", "owen"]),
        ({"q": "Birch"}, ["bob"]),
        ({}, ["ann", "bob", "owen"]),
    ],
)
def test_only_the_overdue_the_filter_shows_are_reminded(
    client: Client, policy, hr_user, care, team, filters, who
) -> None:
    _home, ann, bob, _cat = care
    people = {"ann": ann, "bob": bob, "owen": team.overdue}
    if filters.get("manager") == "signed":
        filters = {"department": str(_home.pk), "manager": str(team.signed.pk)}
    signed_in(client, hr_user).post(chase_url(policy), filters)
    data = chasing.filters_from_data(
        AuditEvent.objects.get(action=chasing.REQUESTED).data["filters"]
    )
    chasing.remind_overdue(actor=hr_user, policy=policy, filters=data)
    assert reminded() == sorted(people[name].pk for name in who)


@pytest.mark.parametrize("role", ["employee", "manager", "it_user", "reviewer"])
def test_nobody_but_hr_can_remind_a_group(
    client: Client, request, policy, team, care, role
) -> None:
    person = request.getfixturevalue(role)
    client = signed_in(client, person)
    assert client.get(chase_url(policy)).status_code == 403
    assert client.post(chase_url(policy), {}).status_code == 403
    # Nor by handing the worker their own id.
    assert run_worker(person, policy) == 0
    assert reminded() == []
    assert not AuditEvent.objects.filter(action=chasing.REQUESTED).exists()


def test_a_manager_does_not_see_the_button_on_their_team_list(
    client: Client, policy, manager, team
) -> None:
    html = signed_in(client, manager).get(list_url(policy)).content.decode()
    assert "remind-overdue" not in html
    assert "1</strong> of them overdue" in html


def test_a_double_click_audits_and_queues_once(client: Client, policy, hr_user, care) -> None:
    home_care, *_ = care
    client = signed_in(client, hr_user)
    page = client.get(chase_url(policy, department=str(home_care.pk))).content.decode()
    token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {"department": str(home_care.pk), "form_token": token}
    first = client.post(chase_url(policy), data)
    second = client.post(chase_url(policy), data)
    assert first.url == second.url
    assert AuditEvent.objects.filter(action=chasing.REQUESTED).count() == 1


def test_bad_filters_are_left_out_and_never_a_server_error(
    client: Client, policy, hr_user, care
) -> None:
    client = signed_in(client, hr_user)
    page = client.get(chase_url(policy, department="nonsense", started_from="31-31-2020"))
    assert page.status_code == 200
    assert page.context["preview"].overdue == 3  # the bad filters did not apply
    response = client.post(chase_url(policy), {"department": "x" * 5000, "manager": "\x00"})
    assert response.status_code == 302


def test_an_unknown_policy_is_a_404(client: Client, hr_user) -> None:
    client = signed_in(client, hr_user)
    url = reverse("acknowledgements:remind_overdue", args=["no-such-policy"])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


@pytest.mark.parametrize("count", [10, 300])
def test_counting_and_claiming_cost_the_same_at_any_size(
    client: Client, policy, hr_user, manager, count, django_assert_num_queries
) -> None:
    bulk_staff(count, prefix=f"chase{count}", line_manager=manager)
    publishing.assign_outstanding(policy=policy)
    Assignment.objects.update(due_date=timezone.localdate() - timedelta(days=2))
    filters = staff_status.Filters(manager=manager.pk)
    # The counting versions, the overdue people, the keys already claimed.
    with django_assert_num_queries(4):
        found = chasing.preview(hr_user, policy, filters)
    assert found.to_send == count
    with django_assert_num_queries(9):
        assert chasing.remind_overdue(actor=hr_user, policy=policy, filters=filters) == count
    client = signed_in(client, hr_user)
    page_queries = _queries(lambda: client.get(chase_url(policy, manager=str(manager.pk))))
    list_queries = _queries(lambda: client.get(list_url(policy)))
    assert (page_queries, list_queries) == EXPECTED_PAGE_QUERIES


# The session, the menu and the inbox count, then the page's own few: the same at any size.
EXPECTED_PAGE_QUERIES = (16, 16)
