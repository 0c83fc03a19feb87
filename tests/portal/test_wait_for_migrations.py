"""``manage.py wait_for_migrations``, run as workers and beat run it: in a process of its own,
against a real PostgreSQL database that is empty, then migrated while it waits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 300.0


def server_url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
    }


def run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


@pytest.fixture
def empty_database(postgres: None) -> Iterator[str]:
    """A new database on the test server with no tables: nothing migrated yet."""
    name = f"{connection.settings_dict['NAME']}_unmigrated"
    admin = psycopg2.connect(server_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server_url(name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


def test_it_gives_up_naming_the_unapplied_migrations(empty_database: str) -> None:
    result = run("wait_for_migrations", "--timeout", "1", database_url=empty_database)

    assert result.returncode == 1
    assert "Gave up after 1 seconds waiting for" in result.stderr
    assert "unapplied migration(s): contenttypes.0001_initial" in result.stderr


def test_it_gives_up_on_a_database_that_does_not_answer(postgres: None) -> None:
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/portal"

    result = run("wait_for_migrations", "--timeout", "1", database_url=nowhere)

    assert result.returncode == 1
    assert "Gave up after 1 seconds waiting for the database" in result.stderr


def test_it_waits_until_migrate_has_run_then_exits_0(empty_database: str) -> None:
    waiter = subprocess.Popen(
        [sys.executable, "manage.py", "wait_for_migrations", "--timeout", str(DEADLINE)],
        cwd=ROOT,
        env=environment(empty_database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        waiting = threading.Event()
        said: list[str] = []

        def read_stderr() -> None:
            for line in waiter.stderr:
                said.append(line)
                if "Waiting for" in line and "unapplied migration" in line:
                    waiting.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        assert waiting.wait(DEADLINE), "".join(said)
        assert waiter.poll() is None

        migrated = run("migrate", "--noinput", database_url=empty_database)
        assert migrated.returncode == 0, migrated.stderr

        assert waiter.wait(timeout=DEADLINE) == 0, "".join(said)
        assert "Every migration is applied." in waiter.stdout.read()
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait(timeout=30)


def test_it_returns_at_once_on_a_migrated_database(postgres: None) -> None:
    result = run(
        "wait_for_migrations",
        "--timeout",
        "0",
        database_url=server_url(connection.settings_dict["NAME"]),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Every migration is applied."
