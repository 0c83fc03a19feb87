"""HR's dashboard page: who may open it and what it shows."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from acknowledgements import compliance, publishing
from tests.acknowledgements.dashboard.helpers import SVG, Company, parse_svg
from tests.factories import DepartmentFactory, UserFactory
from tests.helpers import signed_in


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
