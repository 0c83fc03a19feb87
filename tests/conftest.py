"""Shared fixtures: the named actors, and access to the real services the suite needs.

A test that needs PostgreSQL, Redis or Chromium asks for the matching fixture. Where the service
is missing it is skipped with the reason, unless PORTAL_REQUIRE_SERVICES=1 (CI), where a missing
service is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from acknowledgements import publishing
from acknowledgements.models import PolicyVersion
from portal import outbox, permissions
from tests.factories import PASSWORD, DepartmentFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES") == "1"


@receiver(connection_created, dispatch_uid="tests-allow-database-reset")
def _allow_test_database_reset(sender: object, connection: object, **kwargs: object) -> None:
    # Transactional tests empty the throwaway test database with TRUNCATE, which the signature
    # and audit tables refuse unless the session says it is resetting a test database and its
    # role has the tables' owner's rights (the suite's role owns the test database).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET portal.test_database_reset = 'on'")


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # The cache lives in the process and outlasts each test's rolled-back database, where the
    # next test may reuse the same primary keys.
    cache.clear()


@pytest.fixture(autouse=True)
def _broker_tried_afresh() -> None:
    # A broker failure is remembered until the thread's next request or task; the tests share
    # one thread, and a test is not a request.
    outbox.forget_broker_failure()


def missing_service(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (PORTAL_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        missing_service("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing_service("needs Redis: set REDIS_URL=redis://...")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_service(f"Redis at {url} is not answering: {exc}")
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PORTAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        missing_service(
            f"needs Chromium at {path}: apt-get install chromium, or set PORTAL_CHROMIUM"
        )
    return path


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def department(db: None):
    return DepartmentFactory(name="Residential Care")


@pytest.fixture
def manager(db: None, department):
    user = UserFactory(
        email="manager@example.com", first_name="Morgan", last_name="Lee", department=department
    )
    department.budget_holder = user
    department.save()
    return user


@pytest.fixture
def employee(db: None, manager, department):
    return UserFactory(
        email="employee@example.com",
        first_name="Emma",
        last_name="Jones",
        department=department,
        line_manager=manager,
    )


@pytest.fixture
def outsider(db: None):
    """An employee in another team, with another manager: sees nothing of the others."""
    other_manager = UserFactory(
        email="other.manager@example.com", department=DepartmentFactory(name="Community Support")
    )
    return UserFactory(
        email="outsider@example.com",
        line_manager=other_manager,
        department=other_manager.department,
    )


@pytest.fixture
def it_user(db: None):
    return UserFactory(
        email="it@example.com",
        groups=[permissions.IT_GROUP],
        department=DepartmentFactory(name="IT Department"),
    )


@pytest.fixture
def hr_user(db: None):
    return UserFactory(
        email="hr@example.com",
        groups=[permissions.HR_GROUP],
        department=DepartmentFactory(name="Human Resources"),
    )


@pytest.fixture
def reviewer(db: None):
    return UserFactory(email="reviewer@example.com", groups=[permissions.REVIEWERS_GROUP])


@pytest.fixture
def superuser(db: None):
    return UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def version(db: None) -> PolicyVersion:
    """The seed policy's published version 1, as the portal installs it."""
    return publishing.load_seed_policy()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, live_server):
    """A real OpenID provider process for the whole run; the portal's callback at the live
    server and at the test client's ``testserver`` are its client's redirect URIs."""
    from tests.oidc.provider import OpenIDProvider

    callback = "/accounts/oidc/callback/"
    provider = OpenIDProvider(
        tmp_path_factory.mktemp("oidc-provider"),
        redirect_uris=[live_server.url.rstrip("/") + callback, "http://testserver" + callback],
    )
    yield provider
    provider.stop()


@pytest.fixture
def oidc(settings, oidc_provider):
    """Organisation sign-in switched on, against the suite's provider; honest tokens."""
    from tests.oidc.provider import CLIENT_ID

    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_ENABLED = True
    settings.OIDC_TENANT_ID = ""
    settings.OIDC_MATCH_CLAIM = "email"
    oidc_provider.tamper("")
    yield oidc_provider
    oidc_provider.tamper("")
