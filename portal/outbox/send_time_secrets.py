"""The per-kind send-time secrets: one-time links that are made when an e-mail is sent and
never stored.

A message whose e-mail carries a one-time secret (a link to choose a password) never stores
it: its template writes ``SECRET_PLACEHOLDER``, and the function registered in
``SEND_TIME_SECRETS`` for its kind (by the apps' ``ready()``) makes the secret when the e-mail
is sent. The row, and so the inbox, only hold the placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as escape_html

from portal.models import User

SECRET_PLACEHOLDER = "[one-time link: sent by e-mail only]"  # noqa: S105  # nosec B105
SEND_TIME_SECRETS: dict[str, Callable[[User], str]] = {}


def with_secret(
    *, kind: str, recipient_id: int | None, address: str, body_text: str, body_html: str
) -> tuple[str, str]:
    """The bodies to send: with the kind's secret, made now, in place of the placeholder (the
    bodies as they are for a kind without one).

    Raises ``ValueError`` if the account's address is no longer ``address``, the one the
    message was picked up for: a link made now would open the account as it is now, and must
    not go to the address it had.
    """
    make_secret = SEND_TIME_SECRETS.get(kind)
    if make_secret is None:
        return body_text, body_html
    user = User.objects.get(pk=recipient_id)
    if user.email != address:
        raise ValueError("The account's e-mail address changed; the link was not made.")
    secret = make_secret(user)
    return (
        body_text.replace(SECRET_PLACEHOLDER, secret),
        body_html.replace(SECRET_PLACEHOLDER, escape_html(secret)),
    )
