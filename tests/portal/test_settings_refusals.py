"""With debug off the portal refuses SQLite (unless a trial) and mail that goes nowhere, and
``manage.py`` says when it runs with development settings. Each configuration is tried in a
fresh interpreter, as the web server, the workers and the command line load it."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.organisation import DEMO
from tests.portal.test_settings import clean_env, production_env, run

# What gunicorn loads, and the command line.
STARTS = (["manage.py", "check"], ["-c", "import portal.wsgi"])
NOT_POSTGRES = "DATABASE_URL must name a PostgreSQL database"
NOWHERE = "EMAIL_URL must name a mail server"
DEVELOPMENT = "DEVELOPMENT SETTINGS: DJANGO_SECRET_KEY is not set"


def test_production_refuses_sqlite_unless_told_it_is_a_trial(tmp_path: Path) -> None:
    env = production_env(tmp_path, PORTAL_TRIAL="0")
    for args in STARTS:
        result = run(args, env)
        assert result.returncode != 0, args
        assert f"ImproperlyConfigured: {NOT_POSTGRES}" in result.stderr, args
        assert "PORTAL_TRIAL=1" in result.stderr, args

    trial = run(["manage.py", "check"], production_env(tmp_path, PORTAL_TRIAL="1"))
    assert trial.returncode == 0, trial.stderr


def test_production_refuses_the_sqlite_default_too(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["PORTAL_TRIAL"], env["DATABASE_URL"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert NOT_POSTGRES in result.stderr


def test_production_starts_on_postgresql_without_the_trial_setting(tmp_path: Path) -> None:
    # Settings only: `-c import portal.wsgi` opens no connection.
    env = production_env(tmp_path, DATABASE_URL="postgres://portal_app@db.example:5432/portal")
    del env["PORTAL_TRIAL"]
    result = run(["-c", "import portal.wsgi"], env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["console://", "locmem://"])
def test_production_refuses_mail_that_goes_nowhere(tmp_path: Path, url: str) -> None:
    env = production_env(tmp_path, EMAIL_URL=url)
    for args in STARTS:
        result = run(args, env)
        assert result.returncode != 0, args
        assert f"ImproperlyConfigured: {NOWHERE}" in result.stderr, args
        assert f"{url} delivers nothing" in result.stderr, args


def test_production_refuses_the_console_default(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["EMAIL_URL"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert NOWHERE in result.stderr

    relay = run(["manage.py", "check"], {**env, "EMAIL_HOST": "relay.example"})
    assert relay.returncode == 0, relay.stderr


def test_debug_keeps_the_demo_defaults(tmp_path: Path) -> None:
    # SQLite and console mail, with no trial setting: what `make demo` runs.
    env = clean_env(tmp_path, DJANGO_DEBUG="1")
    result = run(["-c", "import portal.wsgi"], env)
    assert result.returncode == 0, result.stderr


def test_manage_py_without_a_secret_key_says_it_uses_development_settings(
    tmp_path: Path,
) -> None:
    result = run(["manage.py", "check"], clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert DEVELOPMENT in result.stderr
    assert DEVELOPMENT not in result.stdout  # never mixed into a command's output

    demo = run(["manage.py", "check"], clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert DEVELOPMENT in demo.stderr


def test_manage_py_with_production_settings_says_nothing_of_development(tmp_path: Path) -> None:
    result = run(["manage.py", "check"], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert DEVELOPMENT not in result.stderr

    # No secret key and debug off: refused, not run as development.
    refused = run(["manage.py", "check"], clean_env(tmp_path, DJANGO_DEBUG="0"))
    assert refused.returncode != 0
    assert DEVELOPMENT not in refused.stderr


def test_production_refuses_to_start_without_the_organisations_name(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["PORTAL_ORG_NAME"]
    for args in STARTS:
        result = run(args, env)
        assert result.returncode != 0, args
        assert "ImproperlyConfigured: PORTAL_ORG_NAME must be set when DJANGO_DEBUG is off" in (
            result.stderr
        ), args

    blank = run(["manage.py", "check"], {**env, "PORTAL_ORG_NAME": "  "})
    assert "PORTAL_ORG_NAME must be set" in blank.stderr


def test_production_refuses_a_brand_colour_too_light_for_the_menu(tmp_path: Path) -> None:
    result = run(["manage.py", "check"], production_env(tmp_path, PORTAL_BRAND_COLOUR="#ffcc00"))
    assert result.returncode != 0
    assert "PORTAL_BRAND_COLOUR is the background of the white menu text" in result.stderr


def test_the_demo_is_the_seed_company_and_production_only_what_it_is_told(tmp_path: Path) -> None:
    show = [
        "-c",
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.ORG_NAME, s.IT_HELPLINE_EMAIL or '-', s.HR_CONTACT_NAME, s.DEFAULT_FROM_EMAIL, "
        "sep='|')",
    ]
    demo = run(show, clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.split("|") == [
        DEMO.name,
        DEMO.it_helpline_email,
        DEMO.hr_contact_name,
        DEMO.sender + "\n",
    ]

    production = run(show, production_env(tmp_path))
    assert production.returncode == 0, production.stderr
    assert production.stdout == "Northwind Home Care|-|HR|IT Department <it-portal@localhost>\n"
