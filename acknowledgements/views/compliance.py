"""HR's acknowledgement dashboard: who has signed the current version of each policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from acknowledgements import charts, compliance, permissions, publishing
from acknowledgements.models import Policy, PolicyVersion
from portal.permissions import role_required

HR_ONLY = "The acknowledgement dashboard is for HR. Line managers can see their team's status."
# A company has thousands of line managers: their table is shown a page at a time.
MANAGERS_PER_PAGE = 25

# (sort key, heading) for both breakdown tables, in the order they are shown.
COLUMNS = (
    ("name", "Name"),
    ("signed", "Signed"),
    ("due", "Due"),
    ("overdue", "Overdue"),
    ("unassigned", "Not yet assigned"),
    ("total", "Staff"),
    ("percent", "% signed"),
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort_param: str  # what clicking the heading asks for
    aria_sort: str  # "ascending", "descending" or "none"


@dataclass(frozen=True)
class Section:
    """Everything the page shows for one policy."""

    policy: Policy
    version: PolicyVersion
    baseline: PolicyVersion | None
    totals: compliance.Totals
    departments: list[compliance.GroupRow]
    managers: Page  # of compliance.GroupRow
    department_chart: SafeString
    department_summary: str
    daily_chart: SafeString
    daily_summary: str
    signing_days: list[charts.Point]  # days with at least one signature, for the table


def _columns(applied: str) -> list[Column]:
    descending = applied.startswith("-")
    current = applied.lstrip("-")
    found = []
    for key, label in COLUMNS:
        if key == current:
            aria = "descending" if descending else "ascending"
            next_sort = key if descending else f"-{key}"
        else:
            aria = "none"
            # Counts and percentages are most useful biggest first; names from A.
            next_sort = key if key == "name" else f"-{key}"
        found.append(Column(key, label, next_sort, aria))
    return found


def _signing_days(
    policy: Policy, baseline: PolicyVersion | None, today: date, counting: dict[int, int]
) -> tuple[list[charts.Point], list[charts.Point]]:
    """The days with signatures, and every day from the baseline's publication to today."""
    per_day = compliance.signatures_per_day(policy, today, counting)
    signed_days = [charts.Point(row.day, row.count) for row in per_day]
    published = baseline.published_at if baseline and baseline.published_at else None
    start = timezone.localdate(published) if published else today
    if signed_days:
        start = min(start, signed_days[0].day)
    return signed_days, charts.fill_days(signed_days, start, max(today, start))


def _section(version: PolicyVersion, sort: str, today: date, managers_page: str | None) -> Section:
    policy = version.policy
    counting = compliance.counting_numbers(policy)  # read once for both below
    found = compliance.breakdown(policy, today, counting)
    departments, _ = compliance.sort_rows(found.departments, sort)
    managers, _ = compliance.sort_rows(found.managers, sort)
    baseline = publishing.baseline_version(policy)
    signed_days, days = _signing_days(policy, baseline, today, counting)
    bars = [charts.Bar(row.name, row.percent_signed) for row in departments]
    slug = policy.slug
    return Section(
        policy=policy,
        version=version,
        baseline=baseline,
        totals=found.totals,
        departments=departments,
        managers=Paginator(managers, MANAGERS_PER_PAGE).get_page(managers_page),
        department_chart=charts.horizontal_bars(
            bars, chart_id=f"chart-departments-{slug}", title="Percentage signed by department"
        ),
        department_summary=charts.bar_summary(bars),
        daily_chart=charts.daily_line(
            days, chart_id=f"chart-daily-{slug}", title="Signatures per day"
        ),
        daily_summary=charts.line_summary(days),
        signing_days=signed_days,
    )


@require_GET
@role_required(permissions.can_view_dashboard, HR_ONLY)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    applied = compliance.parse_sort(request.GET.get("sort"))
    versions = (
        PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
        .select_related("policy")
        .defer("body")
        .order_by("policy__title")
    )
    managers_page = request.GET.get("managers")
    sections = [_section(version, applied, today, managers_page) for version in versions]
    return render(
        request,
        "acknowledgements/compliance/dashboard.html",
        {
            "sections": sections,
            "columns": _columns(applied),
            "sort": applied,
            "today": today,
        },
    )
