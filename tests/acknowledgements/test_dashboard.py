"""HR's acknowledgement dashboard: the status rules, the breakdowns, the charts and the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from acknowledgements import chain, charts, compliance, publishing, sealing, signing
from acknowledgements.models import Acknowledgement, Assignment, Policy, PolicyVersion
from portal.models import Department, User
from tests.acknowledgements.factories import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.helpers import signed_in

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(markup: str) -> ET.Element:
    """Parse a chart the portal drew itself (fails on anything that is not well-formed XML)."""
    return ET.fromstring(markup)  # noqa: S314  (our own output, not untrusted input)


def assign(user: User, version: PolicyVersion, due: date) -> Assignment:
    return Assignment.objects.create(
        user=user, version=version, reason=Assignment.Reason.PUBLISHED, due_date=due
    )


def _publish_next(policy: Policy, *, number: int, material: bool, days_ago: int) -> PolicyVersion:
    PolicyVersion.objects.filter(policy=policy, status=PolicyVersion.Status.PUBLISHED).update(
        status=PolicyVersion.Status.SUPERSEDED
    )
    published = timezone.now() - timedelta(days=days_ago)
    return PolicyVersionFactory(
        policy=policy,
        number=number,
        material_change=material,
        status=PolicyVersion.Status.PUBLISHED,
        effective_date=timezone.localdate(published),
        published_at=published,
    )


@dataclass
class Company:
    """Eleven people who count and two who do not.

    The policy has a material version 1, a material version 2 (the baseline) and a minor
    version 3 (current). Signing version 2 or 3 counts; signing only version 1 does not.
    """

    policy: Policy
    v1: PolicyVersion
    v2: PolicyVersion
    v3: PolicyVersion
    care: Department
    finance: Department
    alice: User  # manages the Care team and Bob; in Care, no manager of her own
    bob: User  # manages part of Finance
    people: dict[str, User]


@pytest.fixture
def company(db: None) -> Company:
    today = timezone.localdate()
    care = DepartmentFactory(name="Care")
    finance = DepartmentFactory(name="Finance")
    alice = UserFactory(first_name="Alice", last_name="Archer", department=care)
    bob = UserFactory(first_name="Bob", last_name="Baker", department=finance, line_manager=alice)

    def person(name: str, department: Department | None, manager: User | None, **extra) -> User:
        return UserFactory(
            first_name=name, last_name="Test", department=department, line_manager=manager, **extra
        )

    people = {
        "signed_v3": person("SignedThree", care, alice),
        "signed_v2": person("SignedTwo", care, alice),
        "signed_v1_only": person("OldSigner", care, alice),
        "due": person("DueSoon", care, alice),
        "last_day_today": person("LastDay", care, alice, end_date=today),
        "due_today": person("DueToday", finance, bob),
        "overdue": person("Overdue", finance, bob),
        "overdue_v2": person("OverdueTwo", finance, bob),
        "no_department": person("Nowhere", None, None),
        "inactive": person("Inactive", care, alice, is_active=False),
        "leaver": person("Leaver", finance, bob, end_date=today - timedelta(days=1)),
    }
    policy = PolicyFactory(slug="acceptable-use", title="Acceptable Use of ICT Policy")
    v1 = _publish_next(policy, number=1, material=True, days_ago=400)
    AcknowledgementFactory(user=people["signed_v1_only"], version=v1)
    v2 = _publish_next(policy, number=2, material=True, days_ago=30)
    AcknowledgementFactory(user=people["signed_v2"], version=v2)
    assign(people["overdue_v2"], v2, today - timedelta(days=10))
    v3 = _publish_next(policy, number=3, material=False, days_ago=5)
    for key in ("signed_v3", "last_day_today"):
        AcknowledgementFactory(user=people[key], version=v3)
    AcknowledgementFactory(user=bob, version=v3)
    assign(people["due"], v3, today + timedelta(days=3))
    assign(people["due_today"], v3, today)
    assign(people["overdue"], v3, today - timedelta(days=1))
    assign(people["inactive"], v3, today - timedelta(days=2))
    assign(people["leaver"], v3, today - timedelta(days=2))
    return Company(policy, v1, v2, v3, care, finance, alice, bob, people)


# The status rules ---------------------------------------------------------------------------


def test_totals_follow_the_status_rules(company: Company, django_assert_max_num_queries) -> None:
    # The counting versions, the grouped count, department and manager names.
    with django_assert_max_num_queries(4):
        found = compliance.totals(company.policy, timezone.localdate())
    # Signed: version 2, version 3, the person on their last day, Bob. Not yet assigned: the
    # version-1-only signer, the person with no department, Alice. Inactive and leaver: not counted.
    assert found == compliance.Totals(
        signed=4, due=2, overdue=2, unassigned=3, total=11, percent_signed=36.4
    )


def test_statuses_per_person(company: Company) -> None:
    rows = dict(compliance.people_with_status(company.policy).values_list("first_name", "status"))
    assert rows == {
        "Alice": "unassigned",
        "Bob": "signed",
        "SignedThree": "signed",
        "SignedTwo": "signed",
        "OldSigner": "unassigned",
        "DueSoon": "due",
        "LastDay": "signed",
        "DueToday": "due",
        "Overdue": "overdue",
        "OverdueTwo": "overdue",
        "Nowhere": "unassigned",
    }


def test_requirements_are_the_current_assignments_of_active_people(company: Company) -> None:
    found = set(compliance.requirements(company.policy).values_list("user__first_name", flat=True))
    assert found == {
        "Bob",
        "SignedThree",
        "SignedTwo",
        "DueSoon",
        "LastDay",
        "DueToday",
        "Overdue",
        "OverdueTwo",
    }


def test_two_requirements_at_or_above_the_baseline_count_once(company: Company) -> None:
    # Someone who signed the baseline (version 2) and then the minor version 3 as well. Signing
    # now keeps their first requirement, but records made before hold one for each version.
    person = company.people["signed_v2"]
    ack = AcknowledgementFactory(user=person, version=company.v3)
    Assignment.objects.get_or_create(
        user=person,
        version=company.v3,
        defaults={
            "reason": Assignment.Reason.PUBLISHED,
            "due_date": timezone.localdate(),
            "acknowledgement": ack,
        },
    )
    assert Assignment.objects.filter(user=person).count() == 2
    today = timezone.localdate()
    assert compliance.totals(company.policy, today) == compliance.Totals(
        signed=4, due=2, overdue=2, unassigned=3, total=11, percent_signed=36.4
    )
    departments = compliance.breakdown(company.policy, today).departments
    assert [r.total for r in departments] == [6, 4, 1]
    rows = compliance.people_with_status(company.policy).filter(first_name="SignedTwo")
    assert list(rows.values_list("status", "version_number")) == [("signed", 3)]
    assert compliance.requirements(company.policy).count() == 8
    assert compliance.current_requirement(company.policy, person).version == company.v3


def test_a_new_material_version_makes_everyone_unassigned_until_assigned(
    company: Company,
) -> None:
    _publish_next(company.policy, number=4, material=True, days_ago=0)
    found = compliance.totals(company.policy, timezone.localdate())
    assert (found.signed, found.unassigned, found.total) == (0, 11, 11)


def test_overdue_turns_on_the_day_after_the_due_date(company: Company) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    found = compliance.totals(company.policy, tomorrow)
    # Due today becomes overdue tomorrow; the person whose last day is today drops off.
    assert (found.due, found.overdue, found.signed, found.total) == (1, 3, 3, 10)


def test_breakdown_by_department(company: Company, django_assert_num_queries) -> None:
    # The counting versions, the grouped counts with managers' names, the departments' names.
    with django_assert_num_queries(3):
        rows = compliance.breakdown(company.policy, timezone.localdate()).departments
    table = [(r.pk, r.name, r.signed, r.due, r.overdue, r.unassigned, r.total) for r in rows]
    assert table == [
        (company.care.pk, "Care", 3, 1, 0, 2, 6),
        (company.finance.pk, "Finance", 1, 1, 2, 0, 4),
        (None, "No department", 0, 0, 0, 1, 1),
    ]
    assert [r.percent_signed for r in rows] == [50.0, 25.0, 0.0]


def test_breakdown_by_manager(company: Company, django_assert_num_queries) -> None:
    with django_assert_num_queries(3):
        rows = compliance.breakdown(company.policy, timezone.localdate()).managers
    table = [(r.pk, r.name, r.signed, r.due, r.overdue, r.unassigned, r.total) for r in rows]
    assert table == [
        (company.alice.pk, "Alice Archer", 4, 1, 0, 1, 6),
        (company.bob.pk, "Bob Baker", 0, 1, 2, 0, 3),
        (None, "No line manager", 0, 0, 0, 2, 2),
    ]


def test_breakdown_rows_come_in_name_order_whatever_order_they_were_made_in(db: None) -> None:
    policy = publishing.load_seed_policy().policy
    zed = UserFactory(first_name="Zed", last_name="Young", department=DepartmentFactory(name="Z"))
    amy = UserFactory(first_name="amy", last_name="Able", department=DepartmentFactory(name="a"))
    mid = UserFactory(first_name="Mo", last_name="Mid", department=DepartmentFactory(name="M"))
    for manager in (zed, mid, amy):
        UserFactory(line_manager=manager, department=manager.department)
    found = compliance.breakdown(policy)
    managers = [r.name for r in found.managers]
    assert managers == ["amy Able", "Mo Mid", "Zed Young", "No line manager"]
    assert [r.name for r in found.departments] == ["a", "M", "Z"]
    assert compliance.sort_rows(found.managers, "name")[0] == found.managers


def test_filter_people_by_link_parameters(company: Company) -> None:
    people = compliance.people_with_status(company.policy)

    def names(**params) -> set[str]:
        return set(compliance.filter_people(people, **params).values_list("first_name", flat=True))

    assert names(department=str(company.finance.pk), status="overdue") == {
        "Overdue",
        "OverdueTwo",
    }
    assert names(manager=compliance.NONE) == {"Alice", "Nowhere"}
    assert names(department=compliance.NONE, status="unassigned") == {"Nowhere"}
    assert len(names(department="nonsense", status="nonsense")) == 11


def test_signatures_per_day_counts_the_baseline_and_later(
    company: Company, django_assert_num_queries
) -> None:
    # The counting versions, the days before today (then cached) and today.
    with django_assert_num_queries(3):
        days = compliance.signatures_per_day(company.policy)
    # Version 2 once, version 3 three times; the version 1 signature is before the baseline.
    assert days == [compliance.DayCount(day=timezone.localdate(), count=4)]


def test_signatures_per_day_counts_earlier_days_once_a_day_and_the_last_two_every_time(
    db: None, django_assert_num_queries
) -> None:
    policy = PolicyFactory()
    version = PolicyVersionFactory(
        policy=policy,
        number=1,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )
    monday, tuesday, wednesday = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
    _bulk_sign(UserFactory.create_batch(2), version, signed_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 3, 10, tzinfo=UTC))
    with django_assert_num_queries(3):  # the counting versions, earlier days, the last two
        assert compliance.signatures_per_day(policy, wednesday) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 1),
        ]

    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 4, 8, tzinfo=UTC))
    # Stamped a moment before midnight, committed after the first look today.
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 3, 23, 59, 59, tzinfo=UTC))
    # Not the future: a day that has not come yet is not today's.
    _bulk_sign([UserFactory()], version, signed_at=datetime(2026, 3, 5, 9, tzinfo=UTC))
    with django_assert_num_queries(2):  # the days before yesterday from the cache
        assert compliance.signatures_per_day(policy, wednesday) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 2),
            compliance.DayCount(wednesday, 1),
        ]

    # A new day counts the earlier days afresh.
    with django_assert_num_queries(3):
        assert compliance.signatures_per_day(policy, date(2026, 3, 5)) == [
            compliance.DayCount(monday, 2),
            compliance.DayCount(tuesday, 2),
            compliance.DayCount(wednesday, 1),
            compliance.DayCount(date(2026, 3, 5), 1),
        ]

    # A new baseline counts afresh, from its own publication.
    PolicyVersion.objects.filter(pk=version.pk).update(status=PolicyVersion.Status.SUPERSEDED)
    newer = PolicyVersionFactory(
        policy=policy,
        number=2,
        material_change=True,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2026, 3, 4, 12, tzinfo=UTC),
    )
    _bulk_sign([UserFactory()], newer, signed_at=datetime(2026, 3, 4, 13, tzinfo=UTC))
    assert compliance.signatures_per_day(policy, wednesday) == [compliance.DayCount(wednesday, 1)]


def test_signatures_per_day_uses_the_london_date(db: None) -> None:
    policy = PolicyFactory()
    version = PolicyVersionFactory(
        policy=policy,
        number=1,
        status=PolicyVersion.Status.PUBLISHED,
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    late = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    _bulk_sign([UserFactory()], version, signed_at=late)
    assert compliance.signatures_per_day(policy) == [
        compliance.DayCount(day=date(2025, 7, 1), count=1)
    ]


# Sorting ------------------------------------------------------------------------------------


def _rows() -> list[compliance.GroupRow]:
    return [
        compliance.GroupRow(pk=1, name="Care", signed=3, due=1, overdue=0, unassigned=2, total=6),
        compliance.GroupRow(
            pk=2, name="Finance", signed=1, due=1, overdue=2, unassigned=0, total=4
        ),
        compliance.GroupRow(
            pk=None, name="No department", signed=0, due=0, overdue=0, unassigned=1, total=1
        ),
    ]


@pytest.mark.parametrize(
    ("sort", "names", "applied"),
    [
        ("name", ["Care", "Finance", "No department"], "name"),
        ("-name", ["No department", "Finance", "Care"], "-name"),
        ("signed", ["No department", "Finance", "Care"], "signed"),
        ("-overdue", ["Finance", "Care", "No department"], "-overdue"),
        ("due", ["No department", "Care", "Finance"], "due"),
        ("percent", ["No department", "Finance", "Care"], "percent"),
        ("-percent", ["Care", "Finance", "No department"], "-percent"),
        ("password", ["Care", "Finance", "No department"], "name"),
        ("", ["Care", "Finance", "No department"], "name"),
    ],
)
def test_sort_rows(sort: str, names: list[str], applied: str) -> None:
    rows, used = compliance.sort_rows(_rows(), sort)
    assert [r.name for r in rows] == names
    assert used == applied


# Charts -------------------------------------------------------------------------------------


def test_bar_chart_is_valid_svg_with_one_labelled_bar_per_department() -> None:
    bars = [charts.Bar("Care & Support <Homes>", 50.0), charts.Bar("Finance", 25.0)]
    svg = parse_svg(str(charts.horizontal_bars(bars, chart_id="c", title="Signed")))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 400 ")
    assert "Care & Support <Homes>: 50%" in svg.get("aria-label")
    assert svg.find(f"{SVG}title").text == "Signed"
    groups = svg.findall(f"{SVG}g[@class='bar']")
    assert len(groups) == 2
    texts = [[t.text for t in g.iter(f"{SVG}text")] for g in groups]
    assert texts == [["Care & Support <Homes>", "50%"], ["Finance", "25%"]]
    widths = [float(g.find(f"{SVG}rect[@class='bar-value']").get("width")) for g in groups]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "Percentage signed" in [t.text for t in svg.iter(f"{SVG}text")]


def test_bar_chart_with_no_bars_says_so() -> None:
    svg = parse_svg(str(charts.horizontal_bars([], chart_id="c", title="Signed")))
    assert svg.findall(f"{SVG}g[@class='bar']") == []
    assert "No figures to show." in [t.text for t in svg.iter(f"{SVG}text")]


def test_line_chart_is_valid_svg_with_axes_and_a_summary() -> None:
    start = date(2025, 3, 1)
    points = charts.fill_days(
        [charts.Point(start, 2), charts.Point(start + timedelta(days=3), 5)],
        start,
        start + timedelta(days=4),
    )
    assert [p.count for p in points] == [2, 0, 0, 5, 0]
    svg = parse_svg(str(charts.daily_line(points, chart_id="l", title="Signatures per day")))
    assert svg.get("role") == "img"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"Signatures", "Date (UK time)", "1 Mar 2025", "5 Mar 2025"} <= set(texts)
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 5
    assert len(svg.findall(f"{SVG}circle")) == 2  # a dot on each day with signatures
    desc = svg.find(f"{SVG}desc").text
    assert desc == (
        "7 signatures from 1 March 2025 to 5 March 2025; the busiest day was 4 March 2025 with 5."
    )


def test_line_chart_without_signatures() -> None:
    svg = parse_svg(str(charts.daily_line([], chart_id="l", title="Signatures per day")))
    assert "No signatures yet." in [t.text for t in svg.iter(f"{SVG}text")]


# The page -----------------------------------------------------------------------------------


def test_dashboard_needs_sign_in(client, db: None) -> None:
    url = reverse("acknowledgements:dashboard")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["employee", "manager", "it_user", "reviewer"])
def test_dashboard_is_for_hr_only(client, request, actor: str) -> None:
    user = request.getfixturevalue(actor)
    request.getfixturevalue("employee")  # the manager's direct report
    publishing.load_seed_policy()
    response = signed_in(client, user).get(reverse("acknowledgements:dashboard"))
    assert response.status_code == 403
    assert b"for HR" in response.content


def test_dashboard_refuses_post(client, hr_user) -> None:
    response = signed_in(client, hr_user).post(reverse("acknowledgements:dashboard"))
    assert response.status_code == 405


def test_dashboard_shows_totals_breakdowns_and_charts(client, company: Company, hr_user) -> None:
    response = signed_in(client, hr_user).get(reverse("acknowledgements:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    [section] = response.context["sections"]
    assert section.version == company.v3
    # HR's own account counts too: one more person not yet assigned, in Human Resources.
    assert section.totals == compliance.Totals(
        signed=4, due=2, overdue=2, unassigned=4, total=12, percent_signed=33.3
    )
    assert "Version 3" in html
    assert f"{company.v3.effective_date.day} {company.v3.effective_date:%B %Y}" in html
    assert "33.3%" in html
    staff = reverse("acknowledgements:staff_list", args=[company.policy.slug])
    assert f'href="{staff}?department={company.care.pk}"' in html
    assert f'href="{staff}?department={company.finance.pk}&amp;status=overdue"' in html
    assert f'href="{staff}?department=none&amp;status=unassigned"' in html
    assert f'href="{staff}?manager={company.bob.pk}&amp;status=overdue"' in html
    assert f'href="{staff}?status=overdue"' in html
    assert "Alice Archer" in html and "No line manager" in html
    assert ' style="' not in html  # the CSP forbids inline styles

    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    bars = parse_svg(svgs[0])
    labels = [[t.text for t in g.iter(f"{SVG}text")] for g in bars.findall(f"{SVG}g[@class='bar']")]
    assert labels == [
        ["Care", "50%"],
        ["Finance", "25%"],
        ["Human Resources", "0%"],
        ["No department", "0%"],
    ]
    line = parse_svg(svgs[1])
    assert line.find(f"{SVG}desc").text.startswith("4 signatures from ")


def test_line_managers_are_shown_a_page_at_a_time(client, hr_user) -> None:
    version = publishing.load_seed_policy()
    care = DepartmentFactory(name="Care")
    managers = [
        UserFactory(first_name="Manager", last_name=f"M{n:02d}", department=care) for n in range(30)
    ]
    for manager in managers:
        UserFactory(department=care, line_manager=manager)
    publishing.assign_outstanding(policy=version.policy)
    client = signed_in(client, hr_user)
    url = reverse("acknowledgements:dashboard")

    first = client.get(url).context["sections"][0].managers
    # 30 managers and 'No line manager' (the managers themselves and HR), by name.
    assert first.paginator.count == 31
    assert [row.name for row in first.object_list] == [f"Manager M{n:02d}" for n in range(25)]
    html = client.get(url).content.decode()
    assert "Line managers 1\u201325 of 31" in html
    assert 'href="?managers=2" rel="next"' in html

    second = client.get(url, {"managers": "2"}).context["sections"][0].managers
    assert [row.name for row in second.object_list] == [
        *(f"Manager M{n:02d}" for n in range(25, 30)),
        "No line manager",
    ]
    # A page out of range or not a number shows a real page rather than an error.
    assert client.get(url, {"managers": "99"}).context["sections"][0].managers.number == 2
    assert client.get(url, {"managers": "x"}).context["sections"][0].managers.number == 1
    # Sorting starts again from the first page.
    assert 'href="?sort=-overdue"' in client.get(url, {"managers": "2"}).content.decode()


def _department_names(html: str) -> list[str]:
    table = html.split('id="by-department-acceptable-use"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">\s*<a [^>]*>([^<]+)</a>', table)


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        (None, ["Care", "Finance", "No department"]),
        ("-overdue", ["Finance", "Care", "No department"]),
        ("percent", ["No department", "Finance", "Care"]),
        ("-name", ["No department", "Finance", "Care"]),
        ("bogus", ["Care", "Finance", "No department"]),
    ],
)
def test_dashboard_sorts_the_breakdowns(client, company: Company, hr_user, sort, names) -> None:
    url = reverse("acknowledgements:dashboard")
    response = signed_in(client, hr_user).get(url, {"sort": sort} if sort else {})
    assert response.status_code == 200
    # HR's own department (Human Resources) joins the table with HR as its only member.
    found = [n for n in _department_names(response.content.decode()) if n != "Human Resources"]
    assert found == names


def test_dashboard_without_a_published_policy(client, hr_user) -> None:
    response = signed_in(client, hr_user).get(reverse("acknowledgements:dashboard"))
    assert response.status_code == 200
    assert "No policy has been published yet." in response.content.decode()


# Query counts at two sizes ------------------------------------------------------------------


def _bulk_sign(users: list[User], version: PolicyVersion, *, signed_at=None) -> None:
    """Signatures for many people at once, chained exactly as ``signing.sign`` chains them.

    A handful of signatures go through the real service in the tests above; building a
    thousand that way would take minutes, so here the same record is written in bulk, each
    one hashed over the previous, and linked to its assignment as the service links it.
    """
    signed_at = signed_at or timezone.now()
    last = Acknowledgement.objects.order_by("-sequence").first()
    sequence, prev = (last.sequence, last.record_hash) if last else (0, chain.GENESIS)
    records = []
    for user in users:
        sequence += 1
        ack = Acknowledgement(
            sequence=sequence,
            user=user,
            version=version,
            signer_email=user.email,
            signer_employee_number=user.employee_number or "",
            printed_name=user.full_name,
            statement=signing.statement_for(version),
            body_sha256=version.body_sha256,
            signed_at=signed_at,
            ip_address="192.0.2.10",
            user_agent="pytest",
            auth_method=signing.AUTH_METHOD,
            prev_hash=prev,
        )
        ack.record_hash = prev = chain.hash_of(ack)
        ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
        records.append(ack)
    Acknowledgement.objects.bulk_create(records, batch_size=500)
    by_user = dict(
        Acknowledgement.objects.filter(version=version, user__in=users).values_list("user_id", "pk")
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=user,
                version=version,
                reason=Assignment.Reason.PUBLISHED,
                due_date=timezone.localdate(signed_at),
                acknowledgement_id=by_user[user.pk],
            )
            for user in users
        ],
        batch_size=500,
    )


def _staff(size: int, departments: list[Department], managers: list[User]) -> list[User]:
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        [
            User(
                email=f"bulk{n}@example.com",
                first_name="Bulk",
                last_name=f"Person {n}",
                employee_number=f"B{n:06d}",
                department=departments[n % len(departments)],
                line_manager=managers[n % len(managers)],
                is_active=n % 50 != 49,  # some leavers' accounts already closed
                password=password,
            )
            for n in range(size)
        ],
        batch_size=500,
    )
    return list(User.objects.filter(email__startswith="bulk").order_by("pk"))


@pytest.mark.parametrize("size", [10, 1000])
def test_dashboard_queries_do_not_grow_with_staff(
    client, hr_user, django_assert_num_queries, size: int
) -> None:
    version = publishing.load_seed_policy()
    departments = [DepartmentFactory(name=f"Home {n}") for n in range(4)]
    managers = [UserFactory(department=departments[n]) for n in range(4)]
    staff = _staff(size, departments, managers)
    for user in staff[:2]:
        AcknowledgementFactory(user=user, version=version)  # through the real service
    _bulk_sign(staff[2 : size // 2], version)
    today = timezone.localdate()
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=user,
                version=version,
                reason=Assignment.Reason.PUBLISHED,
                due_date=today + timedelta(days=(n % 5) - 2),
            )
            for n, user in enumerate(staff[size // 2 : size - size // 10])
        ]
    )
    client = signed_in(client, hr_user)
    client.get(reverse("home"))  # the session's first save is not the page's
    url = reverse("acknowledgements:dashboard")
    # Session (read, and its idle-expiry save: three), user, groups, the menu's two checks and
    # unread count, the published versions, then for the one policy: the counting versions, the
    # grouped counts with the line managers' names, department names, the baseline version, and
    # signatures per day: the days before yesterday (cached afterwards) and the last two days.
    with django_assert_num_queries(16):
        response = client.get(url, {"sort": "-percent"})
    assert response.status_code == 200
    totals = response.context["sections"][0].totals
    active = sum(1 for user in staff if user.is_active) + len(managers) + 1  # and HR
    assert totals.total == active
    assert totals.signed == sum(1 for user in staff[: size // 2] if user.is_active)
    assert chain.verify(
        Acknowledgement.objects.order_by("sequence").iterator(), {version.pk: version.body}
    ).ok
