"""Plain helpers the tests of every app share (fixtures live in the conftest.py files)."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.test import Client

from portal.models import User


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]
