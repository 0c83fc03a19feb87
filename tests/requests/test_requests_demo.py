"""The demo fills the IT queue with a request in every state, and the register with licences and
renewals (one due within 30 days), and can be run again."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from requests import renewals
from requests.models import AuthorisationRequest, CatalogueItem

State = AuthorisationRequest.State


def test_seed_demo_adds_requests_in_every_state_and_a_register_once(db) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "8 IT requests and 4 register items" in out.getvalue()
    assert set(AuthorisationRequest.objects.values_list("state", flat=True)) == set(State.values)
    # IT's own request waits for someone else in IT.
    own = AuthorisationRequest.objects.get(requester__email="it@example.com")
    assert own.state == State.AWAITING_IT
    # Approved requests put their item in the register, authorised by them.
    visio = CatalogueItem.objects.get(name="Visio")
    assert visio.source_request.item == "Visio"

    today = timezone.localdate()
    due = list(renewals.coming_up(today).values_list("name", flat=True))
    assert due == ["Microsoft 365 Business Standard"]
    assert CatalogueItem.objects.filter(licence_count__isnull=False).count() == 3

    call_command("seed_demo", stdout=StringIO())
    assert AuthorisationRequest.objects.count() == 8
    assert CatalogueItem.objects.filter(source_request__isnull=True).count() == 4
