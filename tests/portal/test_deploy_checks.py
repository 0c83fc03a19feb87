"""The portal's own deployment checks: each warns when its condition holds, and only then.

The checks run through Django's check framework with the deployment checks included, as
`manage.py check --deploy` runs them; ``databases=[]`` leaves out the check that asks the
database for its role's rights (tests/acknowledgements/test_database_roles.py tries that one).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import checks

from tests.portal.test_settings import clean_env, run

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def portal_warnings() -> dict[str, checks.CheckMessage]:
    messages = checks.run_checks(include_deployment_checks=True, databases=[])
    return {message.id: message for message in messages if message.id.startswith("portal.")}


@pytest.fixture
def database_engine(monkeypatch: pytest.MonkeyPatch):
    def use(engine: str) -> None:
        monkeypatch.setitem(django_settings.DATABASES["default"], "ENGINE", engine)

    return use


def test_sqlite_is_warned_of(database_engine) -> None:
    database_engine("django.db.backends.sqlite3")
    warning = portal_warnings()["portal.W005"]
    assert "SQLite" in warning.msg
    assert "DATABASE_URL" in warning.hint

    database_engine("django.db.backends.postgresql")
    assert "portal.W005" not in portal_warnings()


@pytest.mark.parametrize("broker", ["filesystem://", "memory://"])
def test_a_broker_other_than_redis_is_warned_of(settings, broker: str) -> None:
    settings.CELERY_BROKER_URL = broker
    warning = portal_warnings()["portal.W006"]
    assert f"the {broker.removesuffix('://')} broker, not Redis" in warning.msg
    assert "REDIS_URL" in warning.hint


@pytest.mark.parametrize("broker", ["redis://redis:6379/0", "rediss://redis.example:6380/0"])
def test_redis_is_not_warned_of(settings, broker: str) -> None:
    settings.CELERY_BROKER_URL = broker
    assert "portal.W006" not in portal_warnings()


@pytest.mark.parametrize("backend", ["console", "locmem", "filebased", "dummy"])
def test_mail_that_goes_nowhere_is_warned_of(settings, backend: str) -> None:
    settings.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
    warning = portal_warnings()["portal.W007"]
    assert f"E-mail goes to {backend}, not a mail server" in warning.msg
    assert "EMAIL_URL" in warning.hint

    settings.EMAIL_BACKEND = SMTP
    assert "portal.W007" not in portal_warnings()


def test_https_without_a_trusted_proxy_is_warned_of(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.PORTAL_TRUSTED_PROXIES = ()
    warning = portal_warnings()["portal.W004"]
    assert "PORTAL_TRUSTED_PROXIES is empty" in warning.msg
    assert "PORTAL_TRUSTED_PROXIES" in warning.hint

    settings.PORTAL_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.2"),)
    assert "portal.W004" not in portal_warnings()

    settings.SECURE_SSL_REDIRECT = False
    settings.PORTAL_TRUSTED_PROXIES = ()
    assert "portal.W004" not in portal_warnings()


def test_no_sealing_key_of_its_own_is_warned_of(settings, tmp_path: Path) -> None:
    settings.SEALING_KEY_MAKE = True
    settings.SEALING_KEY_FILE = str(tmp_path / "sealing-key.pem")
    warning = portal_warnings()["portal.W008"]
    assert "PORTAL_SEALING_KEY_FILE is not set" in warning.msg
    assert str(tmp_path / "sealing-key.pem") in warning.msg
    assert "make_sealing_key" in warning.hint

    settings.SEALING_KEY_MAKE = False
    assert "portal.W008" not in portal_warnings()


def test_the_demo_settings_are_reported_by_check_deploy(tmp_path: Path) -> None:
    # A fresh checkout with debug on: SQLite, the folder broker, console mail, its own key.
    result = run(["manage.py", "check", "--deploy"], clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    for check_id in ("portal.W005", "portal.W006", "portal.W007", "portal.W008"):
        assert check_id in result.stderr, check_id


def test_a_logo_that_is_no_static_file_is_an_error_on_every_start(settings) -> None:
    settings.ORG_LOGO = "portal/no-such-logo.svg"
    [error] = [m for m in checks.run_checks() if m.id == "portal.E002"]
    assert error.level == checks.ERROR
    assert "PORTAL_ORG_LOGO is 'portal/no-such-logo.svg'" in error.msg

    settings.ORG_LOGO = "portal/favicon.svg"
    assert "portal.E002" not in portal_warnings()
    settings.ORG_LOGO = ""
    assert "portal.E002" not in portal_warnings()
