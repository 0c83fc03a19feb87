"""Plain helpers the tests of every app share (fixtures live in the conftest.py files)."""

from __future__ import annotations

import socket

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError, connection, transaction
from django.test import Client

from portal.models import User


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def execute(sql: str, params: list | None = None) -> list[tuple]:
    """Run ``sql`` on the test's own connection; the rows it returns, if any."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def refused_sql(sql: str, params: list | None = None) -> DatabaseError:
    """Run ``sql`` in a savepoint that must fail; return the error (the test stays usable)."""
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return refused.value


def free_port() -> int:
    """A local TCP port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
