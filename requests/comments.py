"""Comments on a request: public ones for everyone who may see it, internal ones for IT only."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from portal import audit, outbox
from portal.models import User
from requests import permissions
from requests.models import AuthorisationRequest, Comment

MAX_COMMENT_LENGTH = 5000


class CommentRefused(Exception):
    """The comment cannot be added; the message says why."""


def visible_comments(user: User, request: AuthorisationRequest) -> QuerySet[Comment]:
    """The comments ``user`` may read, oldest first; internal ones are left out in the query."""
    comments = request.comments.select_related("author").order_by("created_at", "pk")
    if not permissions.can_see_internal(user):
        comments = comments.filter(internal=False)
    return comments


def _recipients(comment: Comment, request: AuthorisationRequest) -> list[User]:
    if comment.internal:
        return []
    if comment.author_id == request.requester_id:
        # IT hears of the requester's comment through whoever has taken the request.
        return [request.assignee] if request.assignee_id else []
    return [request.requester]


@transaction.atomic
def add_comment(
    *, author: User, request: AuthorisationRequest, body: str, internal: bool = False
) -> Comment:
    """Add a comment and tell the people who should read it (never about an internal one)."""
    if not permissions.can_view(author, request):
        raise CommentRefused("You cannot comment on this request.")
    if internal and not permissions.can_see_internal(author):
        raise CommentRefused("Only the IT Department can write internal comments.")
    body = (body or "").strip()
    if not body:
        raise CommentRefused("Write something before sending the comment.")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentRefused(f"A comment can be at most {MAX_COMMENT_LENGTH} characters long.")
    comment = Comment(request=request, author=author, body=body, internal=internal)
    comment.full_clean()
    comment.save()
    audit.record(
        actor=author,
        action="request.commented",
        obj=request,
        data={"comment": comment.pk, "internal": internal},
    )
    link = reverse("requests:detail", args=[request.pk]) + f"#comment-{comment.pk}"
    for recipient in _recipients(comment, request):
        if recipient.pk == author.pk or not recipient.is_active:
            continue
        outbox.notify(
            recipient=recipient,
            kind="request-comment",
            dedupe_key=f"request-comment:{comment.pk}:{recipient.pk}",
            context={"request": request, "comment": comment, "author": author},
            link=link,
        )
    return comment
