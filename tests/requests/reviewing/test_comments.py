"""Comments on a request: who sees which, and who is told."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent, Notification, User
from requests import comments
from requests.models import AuthorisationRequest, Comment
from tests.helpers import signed_in
from tests.requests.factories import CommentFactory
from tests.requests.reviewing.helpers import MAY_NOT_SEE, detail_url


# --- Comments on the page -------------------------------------------------------------------------
@pytest.fixture
def two_comments(ar, employee, it_user) -> tuple[Comment, Comment]:
    public = CommentFactory(request=ar, author=it_user, body="We will install it on Friday.")
    internal = CommentFactory(
        request=ar, author=it_user, body="Licence pool nearly empty: check first.", internal=True
    )
    return public, internal


@pytest.mark.parametrize("actor", ["employee", "manager"])
def test_internal_comments_are_not_in_the_page_for_others(
    client: Client, two_comments, ar, actor, request
) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(ar))
    html = response.content.decode()
    assert "We will install it on Friday." in html
    assert "Licence pool nearly empty" not in html
    assert "Internal to IT" not in html  # neither the badge nor the checkbox
    assert [c.pk for c in response.context["comments"]] == [two_comments[0].pk]


def test_it_reads_internal_comments_and_may_write_them(
    client: Client, two_comments, ar, it_user
) -> None:
    response = signed_in(client, it_user).get(detail_url(ar))
    html = response.content.decode()
    assert "We will install it on Friday." in html
    assert "Licence pool nearly empty: check first." in html
    assert 'name="internal"' in html


# --- Commenting -----------------------------------------------------------------------------------
def comment(client: Client, ar: AuthorisationRequest, body: str, **extra: str):
    return client.post(reverse("requests:comment", args=[ar.pk]), {"body": body, **extra})


def comment_notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="request-comment"))


def test_it_comment_is_shown_and_the_requester_is_told(
    client: Client, ar, employee, it_user
) -> None:
    response = comment(signed_in(client, it_user), ar, "  Which laptop should it go on?  ")
    added = Comment.objects.get()
    assert (added.author, added.body, added.internal) == (
        it_user, "Which laptop should it go on?", False,
    )  # fmt: skip
    assert response.url == f"{detail_url(ar)}#comment-{added.pk}"
    (notice,) = comment_notices(employee)
    assert notice.dedupe_key == f"request-comment:{added.pk}:{employee.pk}"
    assert "Which laptop should it go on?" in notice.body_text
    assert ar.reference in notice.subject
    assert AuditEvent.objects.filter(action="request.commented", object_id=str(ar.pk)).exists()
    page = signed_in(client, employee).get(detail_url(ar)).content.decode()
    assert "Which laptop should it go on?" in page


def test_budget_holder_comment_tells_the_requester(client: Client, ar, employee, manager) -> None:
    comment(signed_in(client, manager), ar, "Is there a cheaper plan?")
    assert len(comment_notices(employee)) == 1


def test_internal_comment_is_hidden_and_tells_nobody(
    client: Client, ar, employee, manager, it_user
) -> None:
    comment(signed_in(client, it_user), ar, "Check the licence pool first.", internal="on")
    added = Comment.objects.get()
    assert added.internal is True
    assert not Notification.objects.filter(kind="request-comment").exists()
    for person in (employee, manager):
        page = signed_in(client, person).get(detail_url(ar)).content.decode()
        assert "Check the licence pool first." not in page


def test_requester_comment_tells_the_assignee(client: Client, ar, employee, it_user) -> None:
    AuthorisationRequest.objects.filter(pk=ar.pk).update(assignee=it_user)
    comment(signed_in(client, employee), ar, "It is for the laptop CT-0042.")
    (notice,) = comment_notices(it_user)
    assert "It is for the laptop CT-0042." in notice.body_text
    assert comment_notices(employee) == []


def test_requester_comment_on_an_unassigned_request_tells_nobody(
    client: Client, ar, employee, it_user
) -> None:
    comment(signed_in(client, employee), ar, "It is for the laptop CT-0042.")
    assert Comment.objects.filter(request=ar).count() == 1
    assert not Notification.objects.filter(kind="request-comment").exists()


def test_requester_cannot_make_a_comment_internal(client: Client, ar, employee) -> None:
    comment(signed_in(client, employee), ar, "Hidden?", internal="on")
    assert Comment.objects.get().internal is False


def test_only_it_may_write_internal_comments_in_the_service(ar, employee, manager) -> None:
    for person in (employee, manager):
        with pytest.raises(comments.CommentRefused, match="Only the IT Department"):
            comments.add_comment(author=person, request=ar, body="Hidden?", internal=True)
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused(client: Client, ar, it_user) -> None:
    response = comment(signed_in(client, it_user), ar, "   ")
    assert response.status_code == 200
    assert b"Write something before sending the comment." in response.content
    assert not Comment.objects.exists()
    with pytest.raises(comments.CommentRefused, match="Write something"):
        comments.add_comment(author=it_user, request=ar, body="\n\t ", internal=False)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("actor", MAY_NOT_SEE)
def test_commenting_on_a_request_one_cannot_see_is_not_found(
    client: Client, ar, actor, request
) -> None:
    response = comment(signed_in(client, request.getfixturevalue(actor)), ar, "Hello")
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_commenting_needs_a_post(client: Client, ar, employee) -> None:
    response = signed_in(client, employee).get(reverse("requests:comment", args=[ar.pk]))
    assert response.status_code == 405


def test_anonymous_commenting_goes_to_sign_in(client: Client, ar) -> None:
    response = comment(client, ar, "Hello")
    assert response.url.startswith(reverse("login"))
    assert not Comment.objects.exists()
