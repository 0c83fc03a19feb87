"""The register of authorised items: matching requests to it, and IT's upkeep of it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal import audit
from portal.models import User
from requests.models import CatalogueItem


def search(text: str = "", *, kind: str = "", active_only: bool = True) -> QuerySet[CatalogueItem]:
    items = CatalogueItem.objects.all()
    if active_only:
        items = items.filter(active=True)
    if kind:
        items = items.filter(kind=kind)
    # PostgreSQL refuses a NUL in a query; no name holds one, so it separates words.
    for word in text.replace("\x00", " ").split()[:5]:
        items = items.filter(Q(name__icontains=word) | Q(vendor__icontains=word))
    return items.select_related("department").order_by("name", "pk")


def exact_match(*, item: str, kind: str) -> CatalogueItem | None:
    """The active register entry for exactly this item and kind, if IT has authorised it."""
    return (
        CatalogueItem.objects.filter(active=True, kind=kind, name__iexact=item.strip())
        .order_by("pk")
        .first()
    )


def _licence_terms(item: CatalogueItem) -> dict[str, object]:
    """The licences, renewal date and paying department, those that are given."""
    terms = {
        "licence_count": item.licence_count,
        "renewal_date": item.renewal_date,
        "department": item.department_id,
    }
    return {name: value for name, value in terms.items() if value is not None}


@transaction.atomic
def save_item(*, actor: User, item: CatalogueItem) -> CatalogueItem:
    created = item.pk is None
    item.updated_at = timezone.now()
    if created:
        item.created_by = actor
    item.full_clean()
    item.save()
    audit.record(
        actor=actor,
        action="catalogue.item_added" if created else "catalogue.item_changed",
        obj=item,
        data={"active": item.active, **_licence_terms(item)},
    )
    return item
