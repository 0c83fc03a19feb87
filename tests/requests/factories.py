"""Factories for IT requests and the register (each class is added, never changed)."""

from __future__ import annotations

import factory

from requests.models import CatalogueItem, Kind


class CatalogueItemFactory(factory.django.DjangoModelFactory):
    """An active register entry written directly (``catalogue.save_item`` audits real ones)."""

    class Meta:
        model = CatalogueItem

    name = factory.Sequence(lambda n: f"Authorised item {n}")
    kind = Kind.SOFTWARE
    vendor = "Example Ltd"
    versions = "Current release"


class AuthorisationRequestFactory(factory.django.DjangoModelFactory):
    """A request written directly in any state (``workflow.submit`` files real ones).

    Pass ``requester``; the department and budget holder follow from the requester's department
    unless given.
    """

    class Meta:
        model = "requests.AuthorisationRequest"

    requester = factory.SubFactory("tests.factories.UserFactory")
    department = factory.LazyAttribute(lambda o: o.requester.department)
    budget_holder = factory.LazyAttribute(
        lambda o: o.department.budget_holder if o.department else None
    )
    kind = Kind.SOFTWARE
    item = factory.Sequence(lambda n: f"Requested item {n}")
    vendor = "Example Ltd"
    justification = "Needed to keep care records up to date."
    state = "awaiting_it"


class RequestEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "requests.RequestEvent"

    request = factory.SubFactory(AuthorisationRequestFactory)
    actor = factory.LazyAttribute(lambda o: o.request.requester)
    action = "submitted"
    from_state = ""
    to_state = factory.LazyAttribute(lambda o: o.request.state)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "requests.Comment"

    request = factory.SubFactory(AuthorisationRequestFactory)
    author = factory.LazyAttribute(lambda o: o.request.requester)
    body = factory.Sequence(lambda n: f"Comment number {n}.")
    internal = False
