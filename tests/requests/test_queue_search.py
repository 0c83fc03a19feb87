"""The IT queue's free-text search and its CSV export: what matches, who may export, what the
file holds (every page, the filters kept, formulas made inert), and what each costs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import csv_cells
from portal.models import AuditEvent
from requests import queue
from requests.models import AuthorisationRequest, Kind
from tests.factories import UserFactory
from tests.helpers import signed_in
from tests.portal.test_settings import clean_env, run
from tests.requests.factories import AuthorisationRequestFactory

State = AuthorisationRequest.State
QUEUE_URL = reverse("requests:queue")
EXPORT_URL = reverse("requests:queue_export")


@pytest.fixture
def found(employee, outsider, it_user) -> dict[str, AuthorisationRequest]:
    def make(item: str, days_ago: int, **fields: object) -> AuthorisationRequest:
        fields.setdefault("requester", employee)
        fields.setdefault("state", State.AWAITING_IT)
        return AuthorisationRequestFactory(
            item=item, submitted_at=timezone.now() - timedelta(days=days_ago), **fields
        )

    return {
        "acrobat": make("Adobe Acrobat Pro", 5, vendor="Adobe"),
        "laptop": make("Latitude laptop", 4, kind=Kind.HARDWARE, version_or_model="5440"),
        "outsider": make("Zoom Pro", 3, requester=outsider),
        "done": make("Adobe Photoshop", 2, state=State.FULFILLED),
    }


def searched(client: Client, found, **params: object) -> list[str]:
    response = client.get(QUEUE_URL, params)
    assert response.status_code == 200
    names = {ar.pk: key for key, ar in found.items()}
    return sorted(names[row.pk] for row in response.context["page"].rows)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acrobat", ["acrobat"]),  # the item, any case
        ("ADOBE", ["acrobat"]),  # the vendor; the fulfilled one is outside the state filter
        ("5440", ["laptop"]),  # the version or model
        ("emma", ["acrobat", "laptop"]),  # the requester's first name
        ("jones", ["acrobat", "laptop"]),  # and last name
        ("outsider@example", ["outsider"]),  # and e-mail address
        ("emma laptop", ["laptop"]),  # every word must match
        ("nothing-like-this", []),
    ],
)
def test_search_finds_by_item_vendor_model_and_requester(
    client: Client, it_user, found, q, expected
) -> None:
    signed_in(client, it_user)
    assert searched(client, found, q=q) == expected


def test_search_by_reference_or_number(client: Client, it_user, found) -> None:
    signed_in(client, it_user)
    laptop = found["laptop"]
    assert searched(client, found, q=laptop.reference) == ["laptop"]
    assert searched(client, found, q=laptop.reference.lower()) == ["laptop"]
    assert searched(client, found, q=str(laptop.pk), state="all") == ["laptop"]


def test_search_keeps_to_the_state_filter_and_counts_follow_it(
    client: Client, it_user, found
) -> None:
    signed_in(client, it_user)
    assert searched(client, found, q="adobe", state="all") == ["acrobat", "done"]
    response = client.get(QUEUE_URL, {"q": "adobe"})
    counts = {value: n for value, _label, n in response.context["counts"]}
    assert counts[State.AWAITING_IT] == 1
    assert counts[State.FULFILLED] == 1
    assert counts[queue.EVERYTHING] == 2
    assert "Requests matching “adobe”" in response.content.decode()


def test_a_nul_is_no_search(client: Client, it_user, found) -> None:
    signed_in(client, it_user)
    everything = searched(client, found, state="all")
    assert searched(client, found, q="\x00", state="all") == everything
    assert searched(client, found, q="zoom\x00pro", state="all") == everything


@pytest.mark.parametrize("q", ["%", "_", "' OR 1=1 --", "AR-", "9" * 40, "x" * 5000])
def test_awkward_searches_are_answered_not_refused(client: Client, it_user, found, q) -> None:
    signed_in(client, it_user)
    response = client.get(QUEUE_URL, {"q": q, "state": "all"})
    assert response.status_code == 200
    assert searched(client, found, q=q, state="all") == []


def test_a_percent_sign_is_a_character_not_a_wildcard(client: Client, it_user, employee) -> None:
    wanted = AuthorisationRequestFactory(requester=employee, item="Discount 50% plan")
    AuthorisationRequestFactory(requester=employee, item="Discount plan")
    signed_in(client, it_user)
    response = client.get(QUEUE_URL, {"q": "50%", "state": "all"})
    assert [row.pk for row in response.context["page"].rows] == [wanted.pk]


# --- The export -------------------------------------------------------------------------------
def read_csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(csv_cells.BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(csv_cells.BOM), newline="")))


def test_export_holds_what_the_filters_show(client: Client, it_user, found) -> None:
    signed_in(client, it_user)
    response = client.get(EXPORT_URL, {"q": "adobe", "state": "all"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="it-requests-{timezone.localdate().isoformat()}.csv"'
    )
    assert "no-cache" in response["Cache-Control"]
    rows = read_csv(response)
    assert [row["Reference"] for row in rows] == [
        found["acrobat"].reference,
        found["done"].reference,
    ]
    first = rows[0]
    assert first["Item"] == "Adobe Acrobat Pro"
    assert first["Kind"] == "Software"
    assert first["State"] == "Awaiting IT"
    assert first["Requester email"] == "employee@example.com"
    assert first["Department"] == found["acrobat"].department.name
    assert first["Submitted at (UTC)"] == found["acrobat"].submitted_at.astimezone(UTC).isoformat()


def test_export_takes_every_page_not_only_the_first(client: Client, it_user, employee) -> None:
    made = AuthorisationRequestFactory.create_batch(
        queue.PAGE_SIZE + 7, requester=employee, state=State.AWAITING_IT
    )
    signed_in(client, it_user)
    rows = read_csv(client.get(EXPORT_URL))
    assert sorted(row["Reference"] for row in rows) == sorted(ar.reference for ar in made)


def test_a_reference_past_six_digits_is_written_whole() -> None:
    assert AuthorisationRequest(pk=1_234_567).reference == "AR-1234567"


def test_export_is_audited_with_its_filters(client: Client, it_user, found) -> None:
    signed_in(client, it_user)
    read_csv(client.get(EXPORT_URL, {"q": "adobe", "kind": "software"}))
    event = AuditEvent.objects.get(action="request.queue_exported")
    assert event.actor == it_user
    assert event.data["filters"] == {"state": State.AWAITING_IT, "kind": "software", "q": "adobe"}


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", " \u200b=1+1", ";=cmd"],
)
def test_export_makes_formulas_inert(client: Client, it_user, employee, hostile) -> None:
    requester = UserFactory(first_name=hostile, last_name=hostile, email="evil@example.com")
    AuthorisationRequestFactory(
        requester=requester, item=hostile, vendor=hostile, version_or_model=hostile
    )
    signed_in(client, it_user)
    rows = read_csv(client.get(EXPORT_URL, {"state": "all"}))
    assert len(rows) == 1
    for column in ("Item", "Vendor", "Version or model", "Requester first name"):
        assert rows[0][column] == "'" + hostile, column
        assert rows[0][column] == csv_cells.inert(hostile)


@pytest.mark.parametrize("actor", ["employee", "manager", "outsider", "hr_user", "superuser"])
def test_only_it_may_export(client: Client, found, actor, request) -> None:
    user = request.getfixturevalue(actor)
    response = signed_in(client, user).get(EXPORT_URL, {"state": "all"})
    assert response.status_code == 403
    assert b"Adobe" not in response.content
    assert not AuditEvent.objects.filter(action="request.queue_exported").exists()


def test_a_former_member_of_it_may_not_export(client: Client, found) -> None:
    former = UserFactory(email="it.former@example.com", groups=["IT"])
    signed_in(client, former)
    former.groups.clear()
    response = client.get(EXPORT_URL, {"state": "all"})
    assert response.status_code == 403
    assert b"Adobe" not in response.content


def test_export_needs_signing_in(client: Client, found) -> None:
    response = client.get(EXPORT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_export_is_read_only(client: Client, it_user) -> None:
    assert signed_in(client, it_user).post(EXPORT_URL).status_code == 405


# --- What they cost ---------------------------------------------------------------------------
# The same at any number of requests: the session and its user, the filters' choices, one page
# and one count; the export adds its audit record and one read in its own transaction. A search
# adds one query a word (the people it names), shared by the page and its counts.
PLAIN_QUERIES = 13
SEARCH_QUERIES = PLAIN_QUERIES + 2  # "adobe reader"
EXPORT_QUERIES = PLAIN_QUERIES + 1  # "adobe"


def make_many(employee, count: int) -> None:
    AuthorisationRequestFactory.create_batch(
        count, requester=employee, item="Adobe Reader", state=State.AWAITING_IT
    )


@pytest.mark.parametrize("count", [10, 120])
def test_search_costs_the_same_at_any_size(
    client: Client, employee, it_user, count, django_assert_num_queries
) -> None:
    make_many(employee, count)
    signed_in(client, it_user)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(QUEUE_URL, {"q": "adobe reader", "kind": "software"})
    assert len(response.context["page"].rows) == min(count, queue.PAGE_SIZE)


@pytest.mark.parametrize("count", [10, 120])
def test_export_costs_the_same_at_any_size(
    client: Client, employee, it_user, count, django_assert_num_queries
) -> None:
    make_many(employee, count)
    signed_in(client, it_user)
    with django_assert_num_queries(EXPORT_QUERIES):
        rows = read_csv(client.get(EXPORT_URL, {"q": "adobe"}))
    assert len(rows) == count


SQLITE_SEARCH = """
from django.utils import timezone
from portal.models import User
from requests import queue
from requests.models import AuthorisationRequest
it = User.objects.create_user(email="it@example.com", password=None)
emma = User.objects.create_user(email="e@example.com", password=None, first_name="Emma")
other = User.objects.create_user(email="o@example.com", password=None, first_name="Kim")
for person, item in [(emma, "Adobe Acrobat"), (emma, "Zoom"), (other, "Adobe Reader")]:
    AuthorisationRequest.objects.create(requester=person, item=item, justification="x")
found = queue.page(queue.Filters(q="emma adobe", state="all"), it).rows
print(sorted(r.item for r in found))
"""


def test_the_search_means_the_same_on_the_embedded_database(tmp_path) -> None:
    """The development default is SQLite: its migrations skip the trigram index, and a search
    by requester matches through its own branch."""
    env = clean_env(tmp_path, DJANGO_DEBUG="1")
    migrated = run(["manage.py", "migrate", "--no-input"], env)
    assert migrated.returncode == 0, migrated.stderr
    searched = run(["manage.py", "shell", "-c", SQLITE_SEARCH], env)
    assert searched.returncode == 0, searched.stderr
    assert searched.stdout.strip().splitlines()[-1] == "['Adobe Acrobat']"
