"""The project as a whole: its dependencies, and the production stack in docker-compose.yml."""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery.app.utils import find_app
from django.core.management import call_command, get_commands
from django.urls import resolve
from packaging.requirements import Requirement

from tests.conftest import ROOT, missing_service

COMPOSE = Path("/usr/bin/docker-compose")
COMPOSE_FILE = ROOT / "docker-compose.yml"
SHELL_SEPARATORS = re.compile(r"&&|\|\||;")


# --- Dependencies -----------------------------------------------------------------------------
def applies_without_extras(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


def test_nothing_installed_needs_the_requests_library() -> None:
    # The portal's own ``requests`` app would shadow it on the path.
    needing = sorted(
        f"{dist.metadata['Name']} ({line})"
        for dist in distributions()
        for line in dist.requires or []
        if (req := Requirement(line)).name.lower() == "requests" and applies_without_extras(req)
    )
    assert needing == []


def test_extras_only_requirements_are_ignored() -> None:
    assert not applies_without_extras(Requirement('requests; extra == "dev"'))
    assert applies_without_extras(Requirement('requests; python_version >= "3"'))


# --- docker-compose.yml -----------------------------------------------------------------------
# The secrets the stack reads from the environment (.env); each run makes up its own.
SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(45),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    "PORTAL_DB_OWNER_PASSWORD": secrets.token_urlsafe(24),
    "PORTAL_DB_APP_PASSWORD": secrets.token_urlsafe(24),
    # The test run's own key file stands in for the one mounted in production.
    "PORTAL_SEALING_KEY_PATH": os.environ["PORTAL_SEALING_KEY_FILE"],
}


def compose(
    *args: str, without: str = "", env_file: Path | None = None, **environment: str
) -> subprocess.CompletedProcess[str]:
    """docker-compose on this repository's file. The secrets come from the environment, unless
    ``env_file`` is given: then everything comes from that file, as from a .env beside the stack."""
    if not COMPOSE.exists():
        missing_service(f"needs docker-compose at {COMPOSE}: apt-get install docker-compose")
    assert COMPOSE_FILE.exists(), "docker-compose.yml is missing"
    secrets_in_env = {} if env_file else {k: v for k, v in SECRETS.items() if k != without}
    env = {"PATH": "/usr/bin:/bin", **secrets_in_env, **environment}
    env_file_args = ["--env-file", str(env_file)] if env_file else []
    return subprocess.run(
        [str(COMPOSE), "-f", str(COMPOSE_FILE), *env_file_args, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def compose_config(env_file: Path | None = None, **environment: str) -> dict:
    """The file as docker-compose resolves it: anchors merged, variables filled in."""
    shebang = COMPOSE.read_bytes().split(b"\n", 1)[0].decode(errors="replace")
    if not (shebang.startswith("#!") and "python" in shebang):
        result = compose("config", "--format", "json", env_file=env_file, **environment)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    # docker-compose 1.x is a Python program: the interpreter it runs on has its YAML parser.
    result = compose("config", env_file=env_file, **environment)
    assert result.returncode == 0, result.stderr
    to_json = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    converted = subprocess.run(
        [*shlex.split(shebang[2:]), "-c", to_json],
        input=result.stdout,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert converted.returncode == 0, converted.stderr
    return json.loads(converted.stdout)


def project_services(config: dict) -> dict[str, dict]:
    """Services built from this repository (the others run published images)."""
    return {name: spec for name, spec in config["services"].items() if "build" in spec}


def simple_commands(command: str | list[str]) -> list[list[str]]:
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] in (["sh", "-c"], ["bash", "-c"]):
        return [shlex.split(part) for part in SHELL_SEPARATORS.split(argv[2]) if part.strip()]
    return [argv]


def check_command(argv: list[str]) -> None:
    if argv[0] == "exec":
        argv = argv[1:]
    program, *args = argv
    if program in {"python", "python3"} and args[:1] == ["manage.py"]:
        assert args[1] in get_commands(), f"no management command {args[1]!r}"
    elif program == "celery":
        app_name = next(
            value
            for flag, value in zip(args, [*args[1:], ""], strict=True)
            if flag in {"-A", "--app"}
        )
        assert find_app(app_name) is importlib.import_module("portal.celery").app
        subcommand = args[args.index(app_name) + 1]
        assert subcommand in {"worker", "beat"}, f"unexpected celery command {subcommand!r}"
    elif program == "gunicorn":
        target = next(arg for arg in args if not arg.startswith("-"))
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute or "application"))
    else:
        raise AssertionError(f"docker-compose.yml runs {argv!r}, which this test does not know")


def test_compose_file_is_valid() -> None:
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_every_compose_command_exists_in_the_project() -> None:
    services = project_services(compose_config())
    assert {"web", "worker", "beat"} <= set(services)
    for name, spec in services.items():
        assert "command" in spec, f"service {name} has no command"
        for argv in simple_commands(spec["command"]):
            check_command(argv)


def test_the_portal_runs_as_the_runtime_role_and_only_migrations_as_the_owner() -> None:
    config = compose_config()
    services = project_services(config)
    running = urlsplit(services["web"]["environment"]["DATABASE_URL"])
    assert (running.username, running.password) == (
        "portal_app",
        SECRETS["PORTAL_DB_APP_PASSWORD"],
    )
    for name in ("web", "worker", "beat"):
        spec = services[name]
        assert spec["environment"]["DATABASE_URL"] == running.geturl()
        assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert not any("migrate" in argv for argv in simple_commands(spec["command"]))

    migrate = services["migrate"]
    owner = urlsplit(migrate["environment"]["DATABASE_URL"])
    assert (owner.username, owner.password) == ("portal_owner", SECRETS["PORTAL_DB_OWNER_PASSWORD"])
    assert (owner.hostname, owner.port, owner.path) == (
        running.hostname,
        running.port,
        running.path,
    )
    assert simple_commands(migrate["command"]) == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "manage.py", "grant_runtime_role", "portal_app"],
    ]
    assert migrate["restart"] == "no"

    db = config["services"]["db"]
    assert db["environment"]["POSTGRES_USER"] not in {"portal_owner", "portal_app"}
    assert db["environment"]["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]
    init = ROOT / "deploy" / "postgres"
    assert f"{init}:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    script = (init / "10-portal-roles.sh").read_text()
    for role, password in (("portal_owner", "owner_password"), ("portal_app", "app_password")):
        assert f"CREATE ROLE {role} LOGIN PASSWORD :'{password}';" in script


@pytest.mark.parametrize(
    "variable", ["POSTGRES_PASSWORD", "PORTAL_DB_OWNER_PASSWORD", "PORTAL_DB_APP_PASSWORD"]
)
def test_the_stack_refuses_to_start_without_a_database_password(variable: str) -> None:
    result = compose("config", "-q", without=variable)

    assert result.returncode != 0
    assert f"set {variable}" in result.stderr


def test_compose_health_checks_ask_real_urls() -> None:
    for spec in project_services(compose_config()).values():
        for url in re.findall(
            r"https?://[^'\"\s]+", " ".join(spec.get("healthcheck", {}).get("test", []))
        ):
            assert resolve(urlsplit(url).path).url_name == "healthz"


def test_web_worker_and_beat_each_have_a_health_check_of_their_own() -> None:
    services = project_services(compose_config())
    web, worker, beat = (
        services[name]["healthcheck"]["test"] for name in ("web", "worker", "beat")
    )
    # web: the liveness form of /healthz, so that a stopped worker does not take the proxy down.
    assert "/healthz?check=database'" in web[-1]
    # worker: that worker itself answers a ping (compose writes $HOSTNAME as $$HOSTNAME).
    assert worker[0] == "CMD-SHELL"
    argv = shlex.split(worker[1])
    assert find_app(argv[2]) is importlib.import_module("portal.celery").app
    assert argv[:2] + argv[3:5] == ["celery", "-A", "inspect", "ping"]
    assert argv[argv.index("-d") + 1] in {"celery@$$HOSTNAME", "celery@$HOSTNAME"}
    # beat: the portal's own check of the sweep beat sends.
    assert beat == ["CMD", "python", "manage.py", "healthcheck", "--check", "beat"]
    assert "healthcheck" in get_commands()


def test_the_backup_service_dumps_the_database_nightly_into_its_own_volume() -> None:
    config = compose_config()
    backup, db = config["services"]["backup"], config["services"]["db"]
    # pg_dump must be of the server's major version: the same image as the database.
    assert backup["image"] == db["image"]
    env = backup["environment"]
    assert (env["PGHOST"], env["PGDATABASE"], env["PGUSER"], env["PGPASSWORD"]) == (
        "db",
        db["environment"]["POSTGRES_DB"],
        db["environment"]["POSTGRES_USER"],
        SECRETS["POSTGRES_PASSWORD"],
    )
    assert env["PORTAL_BACKUPS_KEEP"] == "14"
    assert backup["depends_on"]["db"]["condition"] == "service_healthy"

    scripts = ROOT / "deploy" / "backup"
    assert f"{scripts}:/opt/portal-backup:ro" in backup["volumes"]
    (program,) = backup["command"]
    assert (scripts / Path(program).relative_to("/opt/portal-backup")).is_file()
    assert f"backups:{env['PORTAL_BACKUPS_DIR']}:rw" in backup["volumes"]
    assert f"media:{env['PORTAL_MEDIA_ROOT']}:ro" in backup["volumes"]
    web_media = next(v for v in config["services"]["web"]["volumes"] if v.startswith("media:"))
    assert web_media.split(":")[1] == config["services"]["web"]["environment"]["PORTAL_MEDIA_ROOT"]
    assert "backups" in config["volumes"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "sh -c 'python manage.py migrate && exec gunicorn portal.wsgi'",
            [["python", "manage.py", "migrate"], ["exec", "gunicorn", "portal.wsgi"]],
        ),
        (["celery", "-A", "portal", "beat"], [["celery", "-A", "portal", "beat"]]),
    ],
)
def test_commands_are_split_as_the_shell_would(command, expected) -> None:
    assert simple_commands(command) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "manage.py", "no_such_command"],
        ["celery", "-A", "elsewhere", "worker"],
        ["celery", "-A", "portal", "flower"],
        ["gunicorn", "portal.no_such_module:application"],
        ["uwsgi", "--ini", "portal.ini"],
    ],
)
def test_unknown_commands_are_caught(argv: list[str]) -> None:
    with pytest.raises((AssertionError, ImportError)):
        check_command(argv)


def test_every_model_change_has_its_migration(db) -> None:
    # makemigrations --check exits non-zero when a model differs from its migrations.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
