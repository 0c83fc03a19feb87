"""Production settings: the deployment checks pass, and the policy's values are in place.

``portal.settings`` reads the environment when imported, so each configuration is tried in a
fresh interpreter.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib.auth.hashers import Argon2PasswordHasher

from acknowledgements.sealing import write_private_key
from portal import settings as production
from tests.conftest import ROOT

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
_OWN_PREFIXES = ("DJANGO_", "PORTAL_", "CELERY_", "EMAIL_")
_OWN_NAMES = {"DATABASE_URL", "REDIS_URL", "DEFAULT_FROM_EMAIL"}


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The current environment without any portal setting, plus ``values``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_OWN_PREFIXES) and key not in _OWN_NAMES
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    )
    env.update(values)
    return env


def production_env(tmp_path: Path, **values: str) -> dict[str, str]:
    key_file = tmp_path / "sealing-key.pem"
    if not key_file.exists():
        write_private_key(key_file)
    return clean_env(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(45),  # 60 characters
        DJANGO_ALLOWED_HOSTS="portal.example",
        PORTAL_BASE_URL="https://portal.example",
        **{
            "PORTAL_SEALING_KEY_FILE": str(key_file),
            "PORTAL_ORG_NAME": "Northwind Home Care",
            "PORTAL_TRUSTED_PROXIES": "10.0.0.2",
            # The SQLite file of clean_env: a trial, which the portal starts only when told.
            "PORTAL_TRIAL": "1",
            "EMAIL_URL": "smtp://mail.example:587?tls=1",
            **values,
        },
    )


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run(["manage.py", "check"], clean_env(tmp_path, DJANGO_DEBUG="0"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_sealing_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["PORTAL_SEALING_KEY_FILE"]
    for args in (["manage.py", "check"], ["-c", "import portal.wsgi"]):
        result = run(args, env)
        assert result.returncode != 0, args
        assert "PORTAL_SEALING_KEY_FILE must be set when DJANGO_DEBUG is off" in result.stderr


def test_production_refuses_a_sealing_key_file_it_cannot_read(tmp_path: Path) -> None:
    env = production_env(tmp_path, PORTAL_SEALING_KEY_FILE=str(tmp_path / "missing.pem"))
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "PORTAL_SEALING_KEY_FILE names" in result.stderr
    assert "make_sealing_key" in result.stderr


def test_the_demo_makes_its_own_sealing_key(tmp_path: Path) -> None:
    script = (
        "import django\n"
        "django.setup()\n"
        "from acknowledgements import sealing\n"
        "print(sealing.current_key().key_id)\n"
    )
    result = run(["-c", script], clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "sealing-key.pem").exists()
    again = run(["-c", script], clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert again.stdout == result.stdout  # made once, then kept


def test_witness_addresses_must_be_addresses(tmp_path: Path) -> None:
    env = production_env(tmp_path, PORTAL_WITNESS_EMAILS="auditor@audit.example, not-an-address")
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "PORTAL_WITNESS_EMAILS must be e-mail addresses" in result.stderr


def test_the_command_line_works_in_a_fresh_checkout(tmp_path: Path) -> None:
    # No portal setting at all, as a newcomer's shell: development defaults.
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], clean_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_web_server_and_workers_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    # What gunicorn and `celery -A portal worker` load first; Celery reads settings lazily.
    for script in ("import portal.wsgi", "import portal.celery as c; c.app.conf.broker_url"):
        result = run(["-c", script], clean_env(tmp_path))
        assert result.returncode != 0, script
        assert "DJANGO_SECRET_KEY must be set" in result.stderr, script


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="too-short")
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 50 characters" in result.stderr


def redis_settings(tmp_path: Path, redis_url: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import json\n"
        "from portal import settings as s\n"
        "print(json.dumps({'broker': s.CELERY_BROKER_URL,\n"
        "    'options': s.CELERY_BROKER_TRANSPORT_OPTIONS,\n"
        "    'max_retry_delay': s.OUTBOX_MAX_RETRY_DELAY}))\n"
    )
    return run(["-c", script], production_env(tmp_path, REDIS_URL=redis_url))


def test_redis_broker_redelivers_only_after_the_longest_retry_delay(tmp_path: Path) -> None:
    result = redis_settings(tmp_path, "redis://redis.example:6379/0")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["broker"] == "redis://redis.example:6379/0"
    options = values["options"]
    # A retry waiting longer than the visibility timeout would be delivered twice.
    assert values["max_retry_delay"] < options["visibility_timeout"]
    # A request never hangs on a broker that is down.
    assert options["socket_connect_timeout"] <= 1
    assert options["max_retries"] == 0


def test_redis_url_with_another_scheme_is_refused(tmp_path: Path) -> None:
    result = redis_settings(tmp_path, "http://redis.example:6379/0")
    assert result.returncode != 0
    assert "REDIS_URL must start with one of redis://, rediss://" in result.stderr


def test_argon2_hashes_new_passwords() -> None:
    assert production.PASSWORD_HASHERS[0] == ARGON2
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("a long passphrase", hasher.salt())  # argon2-cffi is installed
    assert hasher.verify("a long passphrase", encoded)


def test_locale_is_british() -> None:
    assert production.TIME_ZONE == "Europe/London"
    assert production.LANGUAGE_CODE == "en-gb"
    assert production.USE_TZ is True


def test_sessions_expire_after_eight_idle_hours() -> None:
    assert production.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert production.SESSION_SAVE_EVERY_REQUEST is True


def test_celery_settings() -> None:
    assert production.CELERY_TASK_SERIALIZER == "json"
    assert production.CELERY_RESULT_SERIALIZER == "json"
    assert production.CELERY_ACCEPT_CONTENT == ["json"]
    assert production.CELERY_TASK_ACKS_LATE is True
    assert production.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert 0 < production.CELERY_TASK_SOFT_TIME_LIMIT < production.CELERY_TASK_TIME_LIMIT
    assert isinstance(production.CELERY_DB_REUSE_MAX, int)
    assert production.CELERY_DB_REUSE_MAX > 0
    assert production.CELERY_TIMEZONE == "Europe/London"


def test_celery_app_reads_the_settings() -> None:
    from celery.fixups.django import DjangoWorkerFixup

    from portal.celery import app

    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit == production.CELERY_TASK_TIME_LIMIT
    assert DjangoWorkerFixup(app).db_reuse_max == production.CELERY_DB_REUSE_MAX
