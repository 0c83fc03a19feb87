"""The audit log in words: every action code the portal records has words, the log shows them
with the code beside them, and filters by an action (or a group of them) chosen from a list."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import audit, audit_words
from portal.models import AuditEvent
from tests.conftest import ROOT
from tests.security.audit_flows import APPS, FLOWS, audited_actions

# Events built directly (``AuditEvent(action=...)``), which the audit coverage's walk of
# ``audit.record``/``audit.event`` calls does not see.
ACTION_LITERAL = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')


def actions_in_the_code() -> set[str]:
    found = set(audited_actions()) | set(FLOWS)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= set(ACTION_LITERAL.findall(path.read_text()))
    return found


def test_every_action_in_use_has_words() -> None:
    actions = actions_in_the_code()
    assert len(actions) > 60  # the walk finds the portal's actions, not nothing
    described = audit_words.described()
    assert sorted(a for a in actions if not described.get(a, "").strip()) == []


def test_no_words_are_left_for_actions_nobody_records() -> None:
    assert sorted(set(audit_words.described()) - actions_in_the_code()) == []


def test_each_group_has_words_of_its_own() -> None:
    for group in audit_words.groups():
        assert group.words and group.words != group.prefix, group


def test_an_action_cannot_be_given_other_words() -> None:
    with pytest.raises(ValueError, match="already described"):
        audit_words.describe({"auth.login": "Logged on"})


@pytest.fixture
def events(db, hr_user, employee):
    audit.record(actor=employee, action="auth.login")
    audit.record(actor=employee, action="auth.logout")
    audit.record(actor=hr_user, action="personal_use.granted")
    return hr_user


def test_the_log_shows_words_with_the_code_beside_them(client, events) -> None:
    client.force_login(events)
    text = client.get(reverse("audit_log")).content.decode()
    assert 'Signed in <code class="text-nowrap">auth.login</code>' in text
    assert 'Personal use granted <code class="text-nowrap">personal_use.granted</code>' in text


def test_an_undescribed_code_still_shows_as_its_code(client, events) -> None:
    audit.record(actor=None, action="legacy.thing")
    client.force_login(events)
    text = client.get(reverse("audit_log")).content.decode()
    assert '<td><code class="text-nowrap">legacy.thing</code></td>' in text


def test_the_filter_offers_every_action_by_its_words(client, events) -> None:
    client.force_login(events)
    text = client.get(reverse("audit_log")).content.decode()
    assert '<option value="auth.login">Signed in (auth.login)</option>' in text
    assert '<optgroup label="Sign-in and passwords">' in text
    assert '<option value="auth.">All: Sign-in and passwords</option>' in text
    for code in audit_words.described():
        assert f'<option value="{code}">' in text


def shown(response) -> list[str]:
    return [event.action for event in response.context["page"]]


def test_filter_by_one_action(client, events) -> None:
    client.force_login(events)
    response = client.get(reverse("audit_log"), {"action": "auth.login"})
    assert set(shown(response)) == {"auth.login"}
    assert '<option value="auth.login" selected>' in response.content.decode()


def test_filter_by_a_group(client, events) -> None:
    client.force_login(events)
    response = client.get(reverse("audit_log"), {"action": "auth."})
    assert set(shown(response)) == {"auth.login", "auth.logout"}


def test_an_action_not_in_the_list_is_a_clear_message(client, events) -> None:
    client.force_login(events)
    response = client.get(reverse("audit_log"), {"action": "auth.log"})
    assert response.status_code == 200
    assert shown(response) == []
    text = response.content.decode()
    assert "Choose an action from the list; nothing is shown for auth.log." in text
    assert 'aria-describedby="action-error"' in text


def test_the_log_query_count_does_not_grow(client, events) -> None:
    client.force_login(events)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("audit_log"))
        return len(queries)

    few = count()
    for _ in range(30):
        audit.record(actor=events, action="auth.login")
    assert count() == few
    assert AuditEvent.objects.count() > 30
