"""Acknowledgement status at scale: 100,000 people on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \
        .venv/bin/python bench/compliance.py [--employees 100000]

Seeds the company once (``bench/seed_scale.py``; re-runs reuse it), runs VACUUM ANALYZE,
then, signed in as a member of HR, measures server time through Django's test client (median of
5, after one warm-up), queries and peak Python memory of: the dashboard, the staff list's first
page, a deep page (the person at offset 50,000, reached with the keyset cursor) and the full CSV
export, read to its last byte. Targets: dashboard <= 300 ms, a list page <= 50 ms, the export
<= 2 s with at most 20 MiB of Python memory growth.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale")

from _setup import Measure, analyse, measure, prepare_database, seed_company

from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from acknowledgements.publishing import SEED_SLUG
from bench.seeding import people
from portal import permissions
from portal.models import User

DEEP_OFFSET = 50_000
TARGETS_MS = {"dashboard": 300, "list": 50, "export": 2000}
EXPORT_MEMORY_MIB = 20


def hr_member() -> User:
    """The seeded head of Human Resources, in the HR group."""
    person = User.objects.get(
        department__name="Human Resources",
        job_title="Head of Human Resources",
        email__endswith=f"@{people.EMAIL_DOMAIN}",
    )
    person.groups.add(Group.objects.get_or_create(name=permissions.HR_GROUP)[0])
    return person


def deep_cursor(offset: int) -> str:
    """The list's ``after`` value for the person at ``offset`` in name order."""
    today = timezone.localdate()
    last, first, pk = (
        User.objects.filter(is_active=True)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("last_name", "first_name", "pk")
        .values_list("last_name", "first_name", "pk")[offset]
    )

    def escape(name: str) -> str:
        return name.replace("%", "%25").replace("|", "%7C")

    return f"{escape(last)}|{escape(first)}|{pk}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=100_000)
    args = parser.parse_args()
    prepare_database()
    seed_company(args.employees)
    analyse()
    # Loaded as gunicorn loads it in each worker, with what it does to the garbage collector.
    import portal.wsgi  # noqa: F401

    client = Client()
    client.force_login(hr_member())

    def get(url: str, **params: str):
        def call() -> HttpResponseBase:
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    exported = {}

    def export() -> None:
        response = get(reverse("acknowledgements:staff_export", args=[SEED_SLUG]))()
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        response.close()
        exported.update(size=size, rows=rows)

    staff_list = reverse("acknowledgements:staff_list", args=[SEED_SLUG])
    results: list[tuple[Measure, str]] = [
        (measure("dashboard", get(reverse("acknowledgements:dashboard"))), "dashboard"),
        (measure("staff list, page 1", get(staff_list)), "list"),
        (
            measure(
                f"staff list, page {DEEP_OFFSET // 50 + 1:,} (keyset)",
                get(staff_list, after=deep_cursor(DEEP_OFFSET)),
            ),
            "list",
        ),
        (measure("CSV export, whole file", export), "export"),
    ]
    active = User.objects.filter(is_active=True).count()
    print(
        f"{User.objects.count():,} people ({active:,} active); the export was "
        f"{exported['rows'] - 1:,} rows, {exported['size'] / 1024 / 1024:.1f} MiB."
    )
    print("| page | median server time | target | queries | peak Python memory |")
    print("|---|---|---|---|---|")
    for result, kind in results:
        target = TARGETS_MS[kind]
        verdict = "met" if result.median_ms <= target else "MISSED"
        memory = f"{result.peak_kib / 1024:.1f} MiB"
        if kind == "export":
            within = result.peak_kib / 1024 <= EXPORT_MEMORY_MIB
            memory += f" (target <= {EXPORT_MEMORY_MIB} MiB: {'met' if within else 'MISSED'})"
        print(
            f"| {result.name} | {result.median_ms:.1f} ms | <= {target} ms ({verdict}) | "
            f"{result.queries} | {memory} |"
        )


if __name__ == "__main__":
    main()
