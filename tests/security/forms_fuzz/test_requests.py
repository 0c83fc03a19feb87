"""Hypothesis types into the IT request forms and the register."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from hypothesis import strategies as st

from portal.models import AuditEvent
from requests import workflow
from requests.models import AuthorisationRequest, CatalogueItem, Comment
from tests.security.forms_fuzz.helpers import DATES, NUMBERS, get, post
from tests.security.fuzzing import checkbox, choice, example, form, fuzz, last_event, near, text
from tests.security.world import World

AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "12.50", "£1,299.99", "-5", "0.001", "100000000"]),
    text(20),
)


# --- IT requests -----------------------------------------------------------------------------
REQUEST_FIELDS = {
    "item": choice("Notepad++", "Microsoft Teams"),
    "vendor": text(),
    "version_or_model": text(),
    "link": choice("https://example.com/download", "ftp://example.com", "example.com"),
    "quantity": NUMBERS,
    "cost_one_off": AMOUNTS,
    "cost_recurring": AMOUNTS,
    "recurring_period": choice("", "monthly", "yearly"),
    "licence_type": text(),
    "justification": choice("For the rota."),
    "device": text(),
    "needed_by": DATES,
}
# Valid for every kind: each form takes the fields it has.
VALID_REQUEST = {
    "item": "Notepad++",
    "justification": "For the rota.",
    "quantity": "1",
    "link": "https://example.com/download",
    "cost_recurring": "9.99",
    "recurring_period": "monthly",
}
KINDS = ("software", "hardware", "download", "subscription")


@fuzz(
    kind=st.one_of(st.sampled_from(KINDS), st.from_regex(r"[a-z0-9._~-]{1,20}", fullmatch=True)),
    data=near(VALID_REQUEST, **REQUEST_FIELDS),
)
def test_make_a_request(world: World, kind: str, data: dict) -> bool | None:
    employee = world.team.employee

    def filed() -> None:
        ar = AuthorisationRequest.objects.filter(requester=employee).latest("pk")
        assert ar.item == data["item"].strip()
        assert ar.events.filter(action="submitted").count() == 1
        assert ar.state in {"awaiting_budget", "awaiting_it"}
        assert (ar.state == "awaiting_budget") == (ar.has_cost and ar.budget_approved_at is None)

    if kind not in KINDS:
        with example(employee) as client:
            assert client.post(reverse("requests:new", args=[kind]), data).status_code == 404
        return
    return post(
        employee,
        reverse("requests:new", args=[kind]),
        data,
        done_when="request.submitted",
        check_done=filed,
    )


@fuzz(data=near(VALID_REQUEST, **REQUEST_FIELDS))
def test_change_a_request_when_asked(world: World, data: dict) -> bool | None:
    employee = world.team.employee
    ar = world.team.request
    if ar.state != "more_info":
        ar = workflow.perform(
            actor=world.team.budget_holder, request=ar, action="budget_more_info", note="Which?"
        )
        world.team.request = ar

    def resubmitted() -> None:
        fresh = AuthorisationRequest.objects.get(pk=ar.pk)
        assert fresh.state != "more_info"
        assert fresh.item == data["item"].strip()
        assert fresh.events.filter(action="resubmit").count() == 1

    return post(
        employee,
        reverse("requests:edit", args=[ar.pk]),
        data,
        done_when="request.resubmit",
        check_done=resubmitted,
    )


@fuzz(
    who=st.sampled_from(["budget_holder", "employee", "it"]),
    data=form(
        action=choice(*workflow.TRANSITIONS),
        note=text(),
        conditions=text(),
        add_to_register=checkbox(),
    ),
)
def test_take_a_step_on_a_request(world: World, who: str, data: dict) -> bool | None:
    user = world.team.budget_holder if who == "budget_holder" else world.users[who]
    ar = world.team.request
    before_state = ar.state

    def moved() -> None:
        fresh = AuthorisationRequest.objects.get(pk=ar.pk)
        assert fresh.state != before_state
        assert fresh.events.filter(action=data["action"]).count() == 1

    return post(
        user,
        reverse("requests:act", args=[ar.pk]),
        data,
        done_when=f"request.{data.get('action')}",
        check_done=moved,
    )


@fuzz(who=st.sampled_from(["employee", "it"]), data=form(body=text(5100), internal=checkbox()))
def test_comment_on_a_request(world: World, who: str, data: dict) -> bool | None:
    user = world.users[who]

    def added() -> None:
        comment = Comment.objects.filter(author=user).latest("pk")
        assert comment.body == data["body"].strip()
        ticked = forms.CheckboxInput().value_from_datadict(data, {}, "internal")
        assert comment.internal == (who == "it" and ticked)

    return post(
        user,
        reverse("requests:comment", args=[world.team.request.pk]),
        data,
        done_when="request.commented",
        check_done=added,
    )


@fuzz(
    params=form(
        state=choice("", "awaiting_it", "all", "open"),
        kind=choice("", "software"),
        department=NUMBERS,
        assignee=choice("", "me", "none"),
        older_than=NUMBERS,
        after=text(80),
        q=text(80),
        withdrawn=checkbox(),
        page=NUMBERS,
    )
)
def test_search_the_queue_and_the_register(world: World, params: dict) -> bool | None:
    it = world.users["it"]
    get(it, reverse("requests:queue"), params)
    get(it, reverse("requests:register"), params)
    get(world.team.employee, reverse("requests:new", args=["software"]), params)


@fuzz(
    params=form(
        state=choice("", "awaiting_it", "all", "open"),
        kind=choice("", "software"),
        department=NUMBERS,
        assignee=choice("", "me", "nobody"),
        older_than=NUMBERS,
        q=text(120),
    )
)
def test_export_the_queue(world: World, params: dict) -> bool | None:
    with example(world.users["it"]) as client:
        since = last_event()
        response = client.get(reverse("requests:queue_export"), params)
        assert response.status_code == 200, response.status_code
        b"".join(response.streaming_content)
        recorded = AuditEvent.objects.filter(pk__gt=since).values_list("action", flat=True)
        assert list(recorded) == ["request.queue_exported"]


ITEM_FIELDS = {
    "name": choice("Zoom", "Microsoft Teams"),
    "kind": choice("software", "hardware", "download", "subscription"),
    "vendor": text(),
    "versions": text(),
    "notes": text(1000),
    "active": checkbox(),
}
# A licensed item filled in correctly, then its licences, renewal, payer or kind changed.
VALID_LICENSED = {
    "name": "Zoom Workplace",
    "kind": "subscription",
    "licence_count": "12",
    "renewal_date": "2027-03-31",
    "active": "on",
}
LICENCE_FIELDS = {
    "kind": choice("software", "hardware", "download", "subscription"),
    "licence_count": NUMBERS,
    "renewal_date": DATES,
    "department": NUMBERS,
}


@fuzz(data=form(**ITEM_FIELDS))
def test_add_to_the_register(world: World, data: dict) -> bool | None:
    def added() -> None:
        item = CatalogueItem.objects.latest("pk")
        assert item.name == " ".join(data["name"].split())

    return post(
        world.users["it"],
        reverse("requests:register_add"),
        data,
        done_when="catalogue.item_added",
        check_done=added,
    )


@fuzz(data=form(**ITEM_FIELDS))
def test_change_a_register_entry(world: World, data: dict) -> bool | None:
    def changed() -> None:
        item = CatalogueItem.objects.get(pk=world.item.pk)
        assert item.name == " ".join(data["name"].split())

    return post(
        world.users["it"],
        reverse("requests:register_edit", args=[world.item.pk]),
        data,
        done_when="catalogue.item_changed",
        check_done=changed,
    )


@fuzz(data=near(VALID_LICENSED, **LICENCE_FIELDS))
def test_record_licences_and_a_renewal(world: World, data: dict) -> bool | None:
    def added() -> None:
        item = CatalogueItem.objects.latest("pk")
        # Only software and subscriptions carry licences or a renewal (the fields can be left
        # out, which makes any kind valid).
        licensed = item.licence_count is not None or item.renewal_date is not None
        assert item.kind in CatalogueItem.RENEWED_KINDS or not licensed
        assert item.licence_count is None or item.licence_count >= 1

    return post(
        world.users["it"],
        reverse("requests:register_add"),
        data,
        done_when="catalogue.item_added",
        check_done=added,
    )
