"""The register of authorised items: everyone signed in reads and searches it; only IT adds to it
or changes it, and every change is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from requests.models import AuthorisationRequest, CatalogueItem, Kind
from tests.helpers import signed_in
from tests.requests.factories import (
    AuthorisationRequestFactory,
    CatalogueItemFactory,
    RequestEventFactory,
)

FORBIDDEN = b"You do not have access to this page"
IT_ONLY = b"Only the IT Department can add to or change the register of authorised items."
NOT_IT = ["employee", "manager", "outsider", "hr_user", "reviewer", "superuser"]
EVERYONE = ["it_user", *NOT_IT]


def names(response) -> list[str]:
    return [item.name for item in response.context["page"].object_list]


def item_form(**changes: object) -> dict[str, object]:
    data = {
        "name": "Zoom Workplace",
        "kind": Kind.SOFTWARE,
        "vendor": "Zoom Video Communications",
        "versions": "6.x",
        "notes": "For meetings with families who cannot use Teams.",
        "active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def register(db: None) -> dict[str, CatalogueItem]:
    return {
        "teams": CatalogueItemFactory(
            name="Microsoft Teams", vendor="Microsoft", versions="Current channel",
            notes="Installed on every laptop.",
        ),
        "excel": CatalogueItemFactory(name="Excel", vendor="Microsoft", versions="365"),
        "reader": CatalogueItemFactory(name="Acrobat Reader", vendor="Adobe", versions="DC"),
        "latitude": CatalogueItemFactory(
            name="Latitude 5440", kind=Kind.HARDWARE, vendor="Dell", versions="i5, 16 GB"
        ),
        "flash": CatalogueItemFactory(name="Flash Player", vendor="Adobe", active=False),
    }  # fmt: skip


# --- Signing in ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("route", "args"),
    [("requests:register", []), ("requests:register_add", []), ("requests:register_edit", [1])],
)
def test_anonymous_people_are_sent_to_sign_in(client, db, route: str, args: list[int]) -> None:
    url = reverse(route, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- Browsing and searching ----------------------------------------------------------------------
@pytest.mark.parametrize("actor", EVERYONE)
def test_everyone_signed_in_can_read_the_register(client, request, register, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("requests:register"))
    assert response.status_code == 200
    assert names(response) == ["Acrobat Reader", "Excel", "Latitude 5440", "Microsoft Teams"]
    page = response.content.decode()
    cells = ("Microsoft Teams", "Software", "Microsoft", "Current channel",
             "Installed on every laptop.", "Latitude 5440", "Hardware", "i5, 16 GB")  # fmt: skip
    for text in cells:
        assert f">{text}" in page


def test_the_register_is_read_only_by_get(client, employee, it_user) -> None:
    assert signed_in(client, employee).post(reverse("requests:register")).status_code == 405
    assert signed_in(client, it_user).post(reverse("requests:register")).status_code == 405


@pytest.mark.parametrize("actor", NOT_IT)
def test_others_see_no_edit_links_or_add_button(client, request, register, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(reverse("requests:register"))
    assert response.context["may_maintain"] is False
    assert b"Add an item" not in response.content
    assert reverse("requests:register_add").encode() not in response.content
    assert reverse("requests:register_edit", args=[register["teams"].pk]).encode() not in (
        response.content
    )
    assert b"Include withdrawn items" not in response.content


def test_it_sees_edit_links_and_the_add_button(client, it_user, register) -> None:
    response = signed_in(client, it_user).get(reverse("requests:register"))
    assert response.context["may_maintain"] is True
    assert b"Add an item" in response.content
    assert f'href="{reverse("requests:register_add")}"'.encode() in response.content
    for key in ("teams", "excel", "reader", "latitude"):
        url = reverse("requests:register_edit", args=[register[key].pk])
        assert f'href="{url}"'.encode() in response.content
    assert b"Include withdrawn items" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("teams", ["Microsoft Teams"]),  # by name, any case
        ("Microsoft", ["Excel", "Microsoft Teams"]),  # by vendor
        ("adobe", ["Acrobat Reader"]),  # the withdrawn Adobe item stays hidden
        ("microsoft excel", ["Excel"]),  # every word must match the name or the vendor
        ("  ", ["Acrobat Reader", "Excel", "Latitude 5440", "Microsoft Teams"]),
        ("photoshop", []),
    ],
)
def test_search_by_name_or_vendor(client, employee, register, query: str, expected) -> None:
    response = signed_in(client, employee).get(reverse("requests:register"), {"q": query})
    assert response.status_code == 200
    assert names(response) == expected
    if not expected:
        assert b"Nothing in the register matches your search." in response.content


def test_a_nul_in_the_search_separates_words_on_every_database(client, employee, register):
    # PostgreSQL refused the NUL in the query: the new-request page's register check was a 500.
    client = signed_in(client, employee)
    response = client.get(reverse("requests:new", args=["software"]), {"q": "microsoft\x00teams"})
    assert response.status_code == 200
    assert [item.name for item in response.context["matches"]] == ["Microsoft Teams"]


def test_search_by_kind(client, employee, register) -> None:
    url = reverse("requests:register")
    assert names(signed_in(client, employee).get(url, {"kind": Kind.HARDWARE})) == ["Latitude 5440"]
    assert names(client.get(url, {"kind": Kind.SUBSCRIPTION})) == []
    assert names(client.get(url, {"kind": Kind.SOFTWARE, "q": "microsoft"})) == [
        "Excel",
        "Microsoft Teams",
    ]


def test_an_unknown_kind_is_ignored_and_the_words_still_apply(client, employee, register) -> None:
    response = signed_in(client, employee).get(
        reverse("requests:register"), {"kind": "spaceship", "q": "excel"}
    )
    assert response.status_code == 200
    assert names(response) == ["Excel"]


def test_the_search_box_keeps_what_was_typed(client, employee, register) -> None:
    response = signed_in(client, employee).get(
        reverse("requests:register"), {"q": "Dell <laptop>", "kind": Kind.HARDWARE}
    )
    assert b'value="Dell &lt;laptop&gt;"' in response.content
    assert b'<option value="hardware" selected>' in response.content


def test_withdrawn_items_are_hidden_by_default(client, it_user, register) -> None:
    response = signed_in(client, it_user).get(reverse("requests:register"), {"q": "flash"})
    assert names(response) == []
    assert b"Flash Player" not in response.content


def test_it_can_include_withdrawn_items(client, it_user, register) -> None:
    response = signed_in(client, it_user).get(
        reverse("requests:register"), {"q": "adobe", "withdrawn": "on"}
    )
    assert names(response) == ["Acrobat Reader", "Flash Player"]
    assert b"Withdrawn</span>" in response.content
    assert b'name="withdrawn" value="on" id="id_withdrawn" checked' in response.content


@pytest.mark.parametrize("actor", NOT_IT)
def test_only_it_can_include_withdrawn_items(client, request, register, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(
        reverse("requests:register"), {"q": "adobe", "withdrawn": "on"}
    )
    assert names(response) == ["Acrobat Reader"]
    assert b"Flash Player" not in response.content


def test_the_register_is_paginated_by_fifty_and_pages_keep_the_search(client, employee) -> None:
    CatalogueItemFactory.create_batch(52, vendor="Contoso")
    CatalogueItemFactory(name="Other vendor's tool", vendor="Fabrikam")
    url = reverse("requests:register")
    first = signed_in(client, employee).get(url, {"q": "contoso"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 52
    assert b"Page 1 of 2" in first.content
    assert b'href="?q=contoso&amp;page=2"' in first.content
    second = client.get(url, {"q": "contoso", "page": 2})
    assert len(second.context["page"].object_list) == 2
    assert "Other vendor's tool" not in names(second)
    # A page number past the end shows the last page rather than an error.
    assert client.get(url, {"q": "contoso", "page": 99}).context["page"].number == 2


@pytest.mark.parametrize("size", [3, 45])
def test_the_register_query_count_does_not_grow(
    client, django_assert_max_num_queries, it_user, size: int
) -> None:
    CatalogueItemFactory.create_batch(size)
    CatalogueItemFactory.create_batch(2, active=False)
    signed_in(client, it_user)
    # Session and user, group names, the menu's line-manager and budget-holder checks and unread
    # count, the count and the page, and the session's idle-timeout update (three): the same for
    # any size of register.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("requests:register"), {"withdrawn": "on"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == size + 2


@pytest.mark.parametrize("size", [3, 45])
def test_the_edit_page_query_count_does_not_grow(
    client, django_assert_max_num_queries, it_user, size: int
) -> None:
    items = CatalogueItemFactory.create_batch(size)
    signed_in(client, it_user)
    # As the list, with the item instead of the count and the page, and the departments that
    # may pay for it.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("requests:register_edit", args=[items[-1].pk]))
    assert response.status_code == 200


# --- Adding ---------------------------------------------------------------------------------------
def test_it_opens_the_add_form(client, it_user) -> None:
    response = signed_in(client, it_user).get(reverse("requests:register_add"))
    assert response.status_code == 200
    assert b"Add an item to the register" in response.content
    assert response.context["form"].instance.pk is None
    assert not response.context["form"].is_bound


def test_it_adds_an_item_and_it_is_audited(client, it_user) -> None:
    response = signed_in(client, it_user).post(reverse("requests:register_add"), item_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:register")
    item = CatalogueItem.objects.get()
    assert (item.name, item.kind, item.vendor, item.versions, item.active) == (
        "Zoom Workplace", Kind.SOFTWARE, "Zoom Video Communications", "6.x", True,
    )  # fmt: skip
    assert item.notes == "For meetings with families who cannot use Teams."
    assert item.created_by == it_user
    event = AuditEvent.objects.get(action="catalogue.item_added")
    assert (event.actor, event.object_id, event.data) == (it_user, str(item.pk), {"active": True})
    page = client.get(response["Location"])
    assert "“Zoom Workplace” is now in the register of authorised items." in page.content.decode()
    assert names(page) == ["Zoom Workplace"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"kind": "spaceship"}, "kind", "Select a valid choice."),
        ({"kind": None}, "kind", "This field is required."),
        ({"vendor": "x" * 201}, "vendor", "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_saves_nothing(
    client, it_user, changes, field: str, message: str
) -> None:
    response = signed_in(client, it_user).post(
        reverse("requests:register_add"), item_form(**changes)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert any(message in error for error in form.errors[field])
    assert message.encode() in response.content
    assert b'value="6.x"' in response.content  # what was typed elsewhere is still there
    assert CatalogueItem.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="catalogue.").exists()


def test_an_empty_post_is_told_what_is_missing(client, it_user) -> None:
    response = signed_in(client, it_user).post(reverse("requests:register_add"), {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "kind"}
    assert CatalogueItem.objects.count() == 0


def test_the_same_active_item_cannot_be_added_twice(client, it_user, register) -> None:
    response = signed_in(client, it_user).post(
        reverse("requests:register_add"), item_form(name="microsoft  teams", vendor="Microsoft")
    )
    assert response.status_code == 200
    assert (
        "“microsoft teams” is already in the register as software."
        in (response.context["form"].errors["name"][0])
    )
    assert CatalogueItem.objects.filter(name__iexact="microsoft teams").count() == 1
    # As hardware, or withdrawn, it is a different entry and may be added.
    assert (
        client.post(
            reverse("requests:register_add"),
            item_form(name="Microsoft Teams", kind=Kind.HARDWARE, vendor="Microsoft"),
        ).status_code
        == 302
    )


@pytest.mark.parametrize("actor", NOT_IT)
def test_only_it_can_add(client, request, actor: str) -> None:
    signed_in(client, request.getfixturevalue(actor))
    response = client.get(reverse("requests:register_add"))
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    assert IT_ONLY in response.content
    response = client.post(reverse("requests:register_add"), item_form())
    assert response.status_code == 403
    assert CatalogueItem.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="catalogue.").exists()


def test_add_answers_only_get_and_post(client, it_user) -> None:
    signed_in(client, it_user)
    assert client.put(reverse("requests:register_add")).status_code == 405
    assert client.delete(reverse("requests:register_add")).status_code == 405


# --- Editing --------------------------------------------------------------------------------------
def test_it_opens_the_edit_form_with_the_saved_values(client, it_user, register) -> None:
    teams = register["teams"]
    response = signed_in(client, it_user).get(reverse("requests:register_edit", args=[teams.pk]))
    assert response.status_code == 200
    assert response.context["form"].instance == teams
    assert "Edit “Microsoft Teams”" in response.content.decode()
    assert b'value="Current channel"' in response.content


def test_it_edits_an_item_and_it_is_audited(client, it_user, register) -> None:
    teams = register["teams"]
    response = signed_in(client, it_user).post(
        reverse("requests:register_edit", args=[teams.pk]),
        item_form(name="Microsoft Teams", vendor="Microsoft", versions="New Teams 2.x"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:register")
    teams.refresh_from_db()
    assert teams.versions == "New Teams 2.x"
    assert teams.notes == "For meetings with families who cannot use Teams."
    assert CatalogueItem.objects.count() == len(register)
    event = AuditEvent.objects.get(action="catalogue.item_changed")
    assert (event.actor, event.object_id, event.data) == (it_user, str(teams.pk), {"active": True})
    assert (
        "Your changes to “Microsoft Teams” are saved."
        in client.get(response["Location"]).content.decode()
    )


def test_it_withdraws_an_item_by_unticking_active(client, it_user, register) -> None:
    excel = register["excel"]
    response = signed_in(client, it_user).post(
        reverse("requests:register_edit", args=[excel.pk]),
        item_form(name="Excel", vendor="Microsoft", active=None),
    )
    assert response.status_code == 302
    excel.refresh_from_db()
    assert excel.active is False
    event = AuditEvent.objects.get(action="catalogue.item_changed")
    assert event.data == {"active": False}
    page = client.get(reverse("requests:register"))
    assert "It is withdrawn from the register." in page.content.decode()
    assert "Excel" not in names(page)


def test_editing_an_item_does_not_clash_with_itself(client, it_user, register) -> None:
    teams = register["teams"]
    response = signed_in(client, it_user).post(
        reverse("requests:register_edit", args=[teams.pk]),
        item_form(name="MICROSOFT TEAMS", vendor="Microsoft"),
    )
    assert response.status_code == 302
    teams.refresh_from_db()
    assert teams.name == "MICROSOFT TEAMS"


def test_bad_edit_keeps_the_typing_and_the_saved_item(client, it_user, register) -> None:
    teams = register["teams"]
    response = signed_in(client, it_user).post(
        reverse("requests:register_edit", args=[teams.pk]),
        item_form(name="Excel", vendor="Typed vendor"),
    )
    assert response.status_code == 200
    assert "“Excel” is already in the register as software." in response.content.decode()
    assert b'value="Typed vendor"' in response.content
    assert "Edit “Microsoft Teams”" in response.content.decode()  # the heading names the saved item
    teams.refresh_from_db()
    assert (teams.name, teams.vendor) == ("Microsoft Teams", "Microsoft")
    assert not AuditEvent.objects.filter(action__startswith="catalogue.").exists()


def test_editing_an_unknown_item_is_not_found(client, it_user, register) -> None:
    missing = max(item.pk for item in register.values()) + 1
    signed_in(client, it_user)
    assert client.get(reverse("requests:register_edit", args=[missing])).status_code == 404
    assert (
        client.post(reverse("requests:register_edit", args=[missing]), item_form()).status_code
        == 404
    )
    assert CatalogueItem.objects.count() == len(register)


@pytest.mark.parametrize("actor", NOT_IT)
def test_only_it_can_edit(client, request, register, actor: str) -> None:
    teams = register["teams"]
    url = reverse("requests:register_edit", args=[teams.pk])
    signed_in(client, request.getfixturevalue(actor))
    response = client.get(url)
    assert response.status_code == 403
    assert IT_ONLY in response.content
    assert client.post(url, item_form(name="Hijacked")).status_code == 403
    teams.refresh_from_db()
    assert teams.name == "Microsoft Teams"
    assert not AuditEvent.objects.filter(action__startswith="catalogue.").exists()


def test_edit_answers_only_get_and_post(client, it_user, register) -> None:
    url = reverse("requests:register_edit", args=[register["teams"].pk])
    signed_in(client, it_user)
    assert client.put(url).status_code == 405
    assert client.patch(url).status_code == 405


# --- Django admin (superusers) --------------------------------------------------------------------
def test_the_admin_lists_and_saves_register_items_through_the_service(client, superuser) -> None:
    signed_in(client, superuser)
    CatalogueItemFactory(name="Microsoft Teams")
    listing = client.get(reverse("admin:requests_catalogueitem_changelist"))
    assert listing.status_code == 200
    assert b"Microsoft Teams" in listing.content
    response = client.post(reverse("admin:requests_catalogueitem_add"), item_form())
    assert response.status_code == 302
    item = CatalogueItem.objects.get(name="Zoom Workplace")
    assert item.created_by == superuser
    event = AuditEvent.objects.get(action="catalogue.item_added")
    assert (event.actor, event.object_id) == (superuser, str(item.pk))
    # Withdraw rather than delete: requests keep pointing at what was authorised.
    assert (
        client.get(reverse("admin:requests_catalogueitem_delete", args=[item.pk])).status_code
        == 403
    )


def test_the_admin_shows_a_request_and_its_history_read_only(client, superuser, employee) -> None:
    ar = AuthorisationRequestFactory(requester=employee, item="Notepad++")
    RequestEventFactory(request=ar, note="Sent to IT for a decision.")
    signed_in(client, superuser)
    listing = client.get(reverse("admin:requests_authorisationrequest_changelist"))
    assert listing.status_code == 200
    assert ar.reference.encode() in listing.content
    page = client.get(reverse("admin:requests_authorisationrequest_change", args=[ar.pk]))
    assert page.status_code == 200
    assert b"Sent to IT for a decision." in page.content
    assert b'name="_save"' not in page.content  # nothing to save: the workflow owns every change
    before = AuthorisationRequest.objects.filter(pk=ar.pk).values().get()
    posted = client.post(
        reverse("admin:requests_authorisationrequest_change", args=[ar.pk]), {"state": "approved"}
    )
    assert posted.status_code == 403
    assert AuthorisationRequest.objects.filter(pk=ar.pk).values().get() == before
    assert client.get(reverse("admin:requests_authorisationrequest_add")).status_code == 403


@pytest.mark.parametrize("actor", ["it_user", "employee"])
def test_the_admin_is_for_superusers_only(client, request, actor: str) -> None:
    signed_in(client, request.getfixturevalue(actor))
    response = client.get(reverse("admin:requests_catalogueitem_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
