"""IT queue and request page at scale: 50,000 requests on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \
        .venv/bin/python bench/requests_queue.py [--requests 50000]

Seeds the data once (bulk inserts; re-runs reuse it), then measures server time through Django's
test client (median of 5, after one warm-up), queries and peak Python memory. Target: every page
<= 50 ms with a query count that does not depend on the data, the queue's search included.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta
from decimal import Decimal

from _setup import analyse, measure, prepare_database

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from portal import permissions
from portal.models import Department, User
from requests.models import AuthorisationRequest, Comment, Kind, RequestEvent

State = AuthorisationRequest.State
STATES = [
    (State.AWAITING_IT, 20),
    (State.AWAITING_BUDGET_HOLDER, 5),
    (State.MORE_INFO, 3),
    (State.APPROVED, 10),
    (State.REJECTED, 7),
    (State.FULFILLED, 50),
    (State.WITHDRAWN, 5),
]


def seed(total: int) -> None:
    have = AuthorisationRequest.objects.count()
    if have >= total:
        return
    rng = random.Random(7)
    departments = [
        Department.objects.get_or_create(name=f"Bench Care Region {i}")[0] for i in range(20)
    ]
    staff = list(User.objects.filter(email__startswith="bench.staff"))
    unusable = make_password(None)
    if not staff:
        User.objects.bulk_create(
            [
                User(
                    email=f"bench.staff{i}@example.com",
                    first_name="Bench",
                    last_name=f"Staff {i}",
                    department=departments[i % len(departments)],
                    password=unusable,
                )
                for i in range(2000)
            ],
            batch_size=1000,
        )
        staff = list(User.objects.filter(email__startswith="bench.staff"))
    it_user, _ = User.objects.get_or_create(
        email="bench.it@example.com", defaults={"first_name": "Bench", "last_name": "IT"}
    )
    it_user.set_password("bench-password-123")
    it_user.save()
    it_user.groups.add(Group.objects.get(name=permissions.IT_GROUP))
    states = [s for s, weight in STATES for _ in range(weight)]
    kinds = list(Kind.values)
    start = timezone.now() - timedelta(days=730)
    batch: list[AuthorisationRequest] = []
    for i in range(have, total):
        requester = staff[rng.randrange(len(staff))]
        cost = Decimal(rng.choice([0, 0, 0, 19, 120, 899]))
        batch.append(
            AuthorisationRequest(
                requester=requester,
                department_id=requester.department_id,
                kind=rng.choice(kinds),
                item=f"Item {i % 3000}",
                vendor="Vendor",
                justification="Needed for care records.",
                cost_one_off=cost,
                state=rng.choice(states),
                submitted_at=start + timedelta(minutes=21 * i),
                updated_at=start + timedelta(minutes=21 * i),
            )
        )
        if len(batch) == 5000:
            _flush(batch)
            batch = []
    if batch:
        _flush(batch)


def _flush(batch: list[AuthorisationRequest]) -> None:
    created = AuthorisationRequest.objects.bulk_create(batch)
    RequestEvent.objects.bulk_create(
        [
            RequestEvent(
                request=r, actor_id=r.requester_id, action="submitted", to_state=r.state,
                created_at=r.submitted_at,
            )
            for r in created
        ],
        batch_size=5000,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50_000)
    args = parser.parse_args()
    prepare_database()
    seed(args.requests)
    analyse()
    it_user = User.objects.get(email="bench.it@example.com")
    client = Client()
    client.force_login(it_user)

    open_ids = AuthorisationRequest.objects.filter(state=State.AWAITING_IT).order_by(
        "submitted_at", "pk"
    )
    deep = open_ids.values_list("submitted_at", "pk")[open_ids.count() - 60]
    after = f"{deep[0].isoformat()},{deep[1]}"
    busy = AuthorisationRequest.objects.order_by("pk")[100]
    if not Comment.objects.filter(request=busy).exists():
        Comment.objects.bulk_create(
            [Comment(request=busy, author=it_user, body=f"Note {n}") for n in range(20)]
        )

    busiest = (
        AuthorisationRequest.objects.values("requester")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    busiest_person = User.objects.get(pk=busiest["requester"])
    requester_client = Client()
    requester_client.force_login(busiest_person)

    def get(url: str, as_client: Client = client, **params: str):
        def call():
            response = as_client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    def export(**params: str):
        def call():
            response = client.get("/it/queue/export/", params)
            assert response.status_code == 200, response.status_code
            b"".join(response.streaming_content)
            return response

        return call

    total = AuthorisationRequest.objects.count()
    results = [
        measure("IT queue, page 1", get("/it/queue/")),
        measure("IT queue, last page (keyset)", get("/it/queue/", after=after)),
        measure("IT queue, all open, page 1", get("/it/queue/", state="open")),
        # The search: a requester's name (few rows), an item shared by many, a reference, and a
        # word nothing matches (every row of the state is read and refused).
        measure(
            "IT queue, search a requester's name",
            get("/it/queue/", q=f"staff {busiest_person.last_name.split()[-1]}", state="all"),
        ),
        measure(
            "IT queue, search an item (all states)", get("/it/queue/", q="item 12", state="all")
        ),
        measure("IT queue, search a reference", get("/it/queue/", q=busy.reference, state="all")),
        measure("IT queue, search matching nothing", get("/it/queue/", q="zzzz", state="all")),
        measure("IT queue, CSV of a search (all states)", export(q="item 12", state="all")),
        measure("request page (20 comments)", get(f"/requests/{busy.pk}/")),
        measure(f"my requests ({busiest['n']} of them)", get("/requests/", requester_client)),
    ]
    print(f"{total:,} requests, {User.objects.count():,} people")
    print("| page | median server time | queries | peak Python memory |")
    print("|---|---|---|---|")
    for result in results:
        print(result.line())


if __name__ == "__main__":
    main()
