"""The demo's IT requests, one in each state, and a register with licences and renewals, so the
queue, a request's page and the register all have something to show. Seeded through the real
services (so each has its history, audit and notices); kept if already there."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from portal.models import Department, User
from requests import catalogue, workflow
from requests.models import AuthorisationRequest, CatalogueItem, Kind

State = AuthorisationRequest.State
# (item, kind, one-off cost, the steps after submitting, by whom: "it" or "manager")
REQUESTS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Adobe Acrobat Pro", Kind.SOFTWARE, "179.99", ()),  # awaiting the budget holder
    ("Notepad++", Kind.SOFTWARE, "0", ()),  # awaiting IT
    ("Second monitor", Kind.HARDWARE, "0", (("it", "more_info", "Which desk is it for?"),)),
    ("Visio", Kind.SOFTWARE, "0", (("it", "approve", ""),)),
    ("Dropbox Basic", Kind.DOWNLOAD, "0", (("it", "reject", "Use OneDrive: policy 4.8."),)),
    (
        "Latitude docking station",
        Kind.HARDWARE,
        "0",
        (("it", "approve", ""), ("it", "fulfil", "Issued with asset tag CT-0451.")),
    ),
    ("Canva Pro", Kind.SUBSCRIPTION, "0", (("employee", "withdraw", ""),)),
)
# name, kind, vendor, licences, renewal in days from today (None: none), paying department
REGISTER: tuple[tuple[str, str, str, int | None, int | None, str | None], ...] = (
    ("Microsoft 365 Business Standard", Kind.SUBSCRIPTION, "Microsoft", 45, 21, "Residential Care"),
    ("Sage 50 Accounts", Kind.SOFTWARE, "Sage", 3, 150, "Finance"),
    ("Care record app", Kind.SOFTWARE, "Person Centred Software", 60, 300, "Residential Care"),
    ("Latitude 5440", Kind.HARDWARE, "Dell", None, None, None),
)


@transaction.atomic
def seed_demo() -> dict[str, int]:
    today = timezone.localdate()
    people = {
        "employee": User.objects.get(email="employee@example.com"),
        "manager": User.objects.get(email="manager@example.com"),
        "it": User.objects.get(email="it@example.com"),
    }
    made = sum(_request(people, *row) for row in REQUESTS)
    made += _it_members_own(people["it"])
    items = sum(_item(people["it"], today, *row) for row in REGISTER)
    return {"requests": made, "items": items}


def _request(
    people: dict[str, User],
    item: str,
    kind: str,
    cost: str,
    steps: tuple[tuple[str, str, str], ...],
) -> int:
    employee = people["employee"]
    if AuthorisationRequest.objects.filter(requester=employee, item=item).exists():
        return 0
    request = workflow.submit(
        requester=employee,
        request=AuthorisationRequest(
            kind=kind,
            item=item,
            vendor="",
            quantity=1,
            cost_one_off=Decimal(cost),
            justification="To keep care records and the rota up to date.",
        ),
    )
    for actor, action, note in steps:
        request = workflow.perform(
            actor=people[actor], request=request, action=action, note=note,
            add_to_register=action == "approve",
        )  # fmt: skip
    return 1


def _it_members_own(it: User) -> int:
    """IT's own request: its page says who decides it (another member of IT, or an
    administrator where the company allows it)."""
    if AuthorisationRequest.objects.filter(requester=it).exists():
        return 0
    workflow.submit(
        requester=it,
        request=AuthorisationRequest(
            kind=Kind.SOFTWARE,
            item="Wireshark",
            vendor="Wireshark Foundation",
            justification="To diagnose the Wi-Fi drop-outs in the care home.",
        ),
    )
    return 1


def _item(
    it: User,
    today: date,
    name: str,
    kind: str,
    vendor: str,
    licences: int | None,
    renews_in: int | None,
    department: str | None,
) -> int:
    if CatalogueItem.objects.filter(name=name).exists():
        return 0
    catalogue.save_item(
        actor=it,
        item=CatalogueItem(
            name=name,
            kind=kind,
            vendor=vendor,
            licence_count=licences,
            renewal_date=today + timedelta(days=renews_in) if renews_in is not None else None,
            department=Department.objects.filter(name=department).first() if department else None,
        ),
    )
    return 1
