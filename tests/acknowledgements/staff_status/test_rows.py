"""What each row of the list shows: the columns, the status in words and the reminder button."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Assignment
from tests.acknowledgements.factories import AcknowledgementFactory
from tests.acknowledgements.staff_status.helpers import list_url, person_url, remind_url
from tests.helpers import signed_in


# --- What each row shows ----------------------------------------------------------------------
def test_each_row_shows_the_columns_and_links_to_the_person(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    html = response.content.decode()
    for heading in ("Name", "Employee number", "Department", "Line manager", "Status", "Signed"):
        assert f'<th scope="col">{heading}</th>' in html
    rows = {person.pk: person for person in response.context["page"].rows}
    dana = rows[team.due.pk]
    assert (dana.status, dana.status_label) == ("due", "Due")
    assert "Dunn, Dana" in html
    assert "RC-0042" in html
    assert person_url(team.due) in html
    assert f"{dana.due_date:%-d %B %Y}" in html
    signed = rows[team.signed.pk]
    assert signed.signed_at is not None
    assert f"{timezone.localtime(signed.signed_at):%-d %B %Y}" in html


def test_status_is_shown_in_words_with_a_badge(client: Client, policy, team, manager) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    statuses = {p.pk: (p.status, p.status_label) for p in response.context["page"].rows}
    assert statuses == {
        team.signed.pk: ("signed", "Signed"),
        team.due.pk: ("due", "Due"),
        team.overdue.pk: ("overdue", "Overdue"),
        team.unassigned.pk: ("unassigned", "Not yet assigned"),
    }
    html = response.content.decode()
    assert (
        'class="badge text-bg-danger" data-testid="status" data-status="overdue">Overdue<' in html
    )
    assert 'data-status="unassigned">Not yet assigned<' in html


def test_a_manager_gets_a_reminder_button_for_each_unsigned_report(
    client: Client, policy, team, manager
) -> None:
    response = signed_in(client, manager).get(list_url(policy))
    may_remind = {p.pk for p in response.context["page"].rows if p.may_remind}
    assert may_remind == {team.due.pk, team.overdue.pk}
    html = response.content.decode()
    assert html.count('data-testid="remind"') == 2
    assert remind_url(policy, team.overdue) in html
    assert remind_url(policy, team.signed) not in html


def test_hr_who_manages_nobody_gets_no_reminder_buttons(
    client: Client, policy, team, hr_user
) -> None:
    response = signed_in(client, hr_user).get(list_url(policy))
    assert b'data-testid="remind"' not in response.content


def test_someone_who_signed_a_later_minor_version_too_is_listed_once(
    client: Client, policy, version, team, reviewer, manager
) -> None:
    draft = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer, version=draft, body=draft.body, change_summary="A typing error fixed."
    )
    minor = publishing.publish(actor=reviewer, version=draft, material=False)
    AcknowledgementFactory(user=team.signed, version=minor)  # signed version 1 already
    # The extra signature does not make a second requirement: one per person per policy.
    assert Assignment.objects.filter(user=team.signed, acknowledgement__isnull=False).count() == 1

    rows = signed_in(client, manager).get(list_url(policy)).context["page"].rows
    mine = [p for p in rows if p.pk == team.signed.pk]
    assert len(mine) == 1
    assert (mine[0].status, mine[0].version_number) == ("signed", 1)
