"""A whole company at scale, for benchmarks and for trying the status pages with real volumes.

``seed_company(employees=100_000)`` writes, with bulk inserts only, in one transaction:

* the people (``people``): about 60 departments under one chief executive, about 400 senior
  managers, line managers with about 12 staff each, a few percent leavers;
* the seed policy (``acknowledgements``), every active person assigned to it: about 70% signed
  in a valid hash chain, about 10% overdue and the rest due within three weeks;
* one authorisation request per five people (``requests``), in every state, each with its latest
  history row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bench.seeding import acknowledgements as policy
from bench.seeding import requests as it_requests
from bench.seeding.people import Company, Plan, SeedRefused
from portal import audit
from portal.models import User


@dataclass
class Result:
    employees: int = 0
    departments: int = 0
    line_managers: int = 0
    leavers: int = 0
    assigned: int = 0
    signed: int = 0
    overdue: int = 0
    due: int = 0
    requests: int = 0


def existing_people() -> int:
    return User.objects.count()


@transaction.atomic
def seed_company(
    *, employees: int, force_add: bool = False, seed: int = 2016, handful: int = 10
) -> Result:
    """Add a company of ``employees`` people, its signatures and requests, in one transaction.

    Refuses (``SeedRefused``) when the database already holds more than ``handful`` people,
    unless ``force_add``: the seed is for an empty database, and running it twice by mistake
    would double the company.
    """
    plan = Plan.for_employees(employees)
    have = existing_people()
    if have > handful and not force_add:
        raise SeedRefused(
            f"The database already has {have:,} people; this seed builds a whole company and is "
            f"meant for an empty database. Nothing was changed. Use --force-add to add "
            f"{employees:,} more people anyway."
        )
    now = timezone.now()
    # Made-up people, not secrets: a seeded generator makes the same company every time.
    rng = random.Random(seed)
    version = policy.seed_policy(now)
    company = Company(plan=plan, rng=rng, now=now)
    departments, leavers = company.build_people(version.published_at)
    policy.policy_reviewers(version)
    signatures = policy.sign_and_assign(company, version)
    result = Result(
        employees=len(company.people),
        departments=len(departments),
        line_managers=1 + len(departments) + plan.senior_managers + plan.line_managers,
        leavers=leavers,
        assigned=signatures.assigned,
        signed=signatures.signed,
        overdue=signatures.overdue,
        due=signatures.due,
        requests=it_requests.seed_requests(company, departments, employees // 5),
    )
    audit.record(
        actor=None,
        action="people.scale_seeded",
        data={
            "employees": result.employees,
            "signed": result.signed,
            "requests": result.requests,
        },
    )
    return result
