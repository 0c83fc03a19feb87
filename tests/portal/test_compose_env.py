"""The production stack is configured from .env alone: every setting the portal reads can be set
there, nothing environment-specific is written into docker-compose.yml, ports listen on this
machine only unless told otherwise, and .env and keys never enter the image."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.conftest import ROOT
from tests.portal.test_project import (
    COMPOSE_FILE,
    SECRETS,
    compose,
    compose_config,
    project_services,
    simple_commands,
)

ENV_EXAMPLE = ROOT / ".env.example"
# The modules that read settings from the environment, and the readers (portal/env.py) they use.
SETTINGS_MODULES = [ROOT / "portal" / "settings.py"]
READERS = {
    "env_str",
    "env_bool",
    "env_colour",
    "env_email",
    "env_int",
    "env_pounds",
    "env_list",
    "env_emails",
    "env_networks",
    "env_static_path",
    "env_url",
}
# Values in the portal's environment that are the same on every host: paths inside the image,
# and debug, which the production stack never turns on.
SAME_EVERYWHERE = {
    "DJANGO_DEBUG": "0",
    "PORTAL_MEDIA_ROOT": "/app/var/media",
    "PORTAL_VAR_DIR": "/app/var",
    "PORTAL_SEALING_KEY_FILE": "/run/secrets/sealing_key",
}
REFERENCE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?::?[-?])(?P<default>[^}]*))?\}")
# What is left of a value once its ${...} references are taken out: a URL's scheme and
# punctuation and fixed role names may stay; a host name, an address or a port may not.
FIXED_PART = re.compile(r"[a-z_]+://[a-z_]*:?@?:?/?|")


def names_read_by_the_portal() -> set[str]:
    names = set()
    for module in SETTINGS_MODULES:
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in READERS
            ):
                first = node.args[0]
                assert isinstance(first, ast.Constant), (
                    f"{module}:{node.lineno} reads a computed name"
                )
                names.add(first.value)
    return names


def names_in_env_example() -> set[str]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def names_the_compose_file_reads() -> set[str]:
    return {match["name"] for match in REFERENCE.finditer(COMPOSE_FILE.read_text())}


def test_the_settings_reader_finds_the_known_names() -> None:
    names = names_read_by_the_portal()

    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "PORTAL_SEALING_KEY_FILE"} <= names


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    read = names_read_by_the_portal()
    listed = names_in_env_example()

    assert sorted(read - listed) == [], "read by the portal but missing from .env.example"
    assert sorted(listed - read - names_the_compose_file_reads()) == [], (
        "in .env.example but read by neither the portal nor docker-compose.yml"
    )


def test_every_line_of_env_example_is_explained() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    unexplained = [
        line
        for number, line in enumerate(lines)
        if line
        and not line.startswith("#")
        and not any(lines[i].startswith("#") for i in range(max(number - 4, 0), number))
    ]

    assert unexplained == []


def test_every_setting_reaches_every_portal_service_from_the_environment() -> None:
    read = names_read_by_the_portal()
    for name, spec in project_services(compose_config()).items():
        assert sorted(read - set(spec["environment"])) == [], f"not passed to {name}"


def test_no_environment_specific_value_is_written_into_the_portal_environment() -> None:
    raw = raw_compose()
    portal_services = [spec for spec in raw["services"].values() if "build" in spec]
    assert len(portal_services) >= 4, "web, worker, beat and migrate"
    for environment in [raw["x-portal-env"], *(spec["environment"] for spec in portal_services)]:
        for name, value in environment.items():
            if name in SAME_EVERYWHERE:
                assert value == SAME_EVERYWHERE[name], name
                continue
            fixed = REFERENCE.sub("", str(value))
            assert REFERENCE.search(str(value)), f"{name}: {value!r} is not read from .env"
            assert FIXED_PART.fullmatch(fixed), f"{name}: {fixed!r} is written into the file"


def test_the_checker_refuses_what_the_file_used_to_hard_code() -> None:
    for value in [
        "smtp://mailpit:1025",
        "postgres://portal_app:${PORTAL_DB_APP_PASSWORD}@db:5432/portal",
        "IT Department <it-portal@northwind-care.example>",
    ]:
        assert not FIXED_PART.fullmatch(REFERENCE.sub("", value)), value


def test_published_ports_listen_on_this_machine_unless_told_otherwise() -> None:
    for bind, expected in [({}, "127.0.0.1"), ({"PORTAL_BIND": "192.0.2.10"}, "192.0.2.10")]:
        published = [
            port
            for spec in compose_config(**bind)["services"].values()
            for port in spec.get("ports", [])
        ]
        assert published, "the stack publishes no port"
        for port in published:
            assert str(port).startswith(f"{expected}:"), port


PUBLISHED_PORT = re.compile(r"\$\{PORTAL_BIND:-127\.0\.0\.1\}:\$\{[A-Z_]+:-\d+\}:\d+")


def test_every_published_port_is_read_from_env() -> None:
    for name, spec in raw_compose()["services"].items():
        for port in spec.get("ports", []):
            assert PUBLISHED_PORT.fullmatch(str(port)), f"{name}: {port}"


# --- A real deployment, by .env alone ------------------------------------------------------------
DOMAIN = "portal.riverside-care.org.uk"
RELAY = "smtp://portal%40riverside-care.org.uk:relay-pass@smtp.relay.example.net:587?tls=1"
DEPLOYMENT = {
    **SECRETS,
    "DJANGO_ALLOWED_HOSTS": DOMAIN,
    "PORTAL_BASE_URL": f"https://{DOMAIN}",
    "EMAIL_URL": RELAY,
    "DEFAULT_FROM_EMAIL": "Riverside IT <it@riverside-care.org.uk>",
    "PORTAL_DB_HOST": "pg.internal.riverside-care.org.uk",
    "PORTAL_DB_PORT": "6432",
    "PORTAL_DB_NAME": "aup",
    "REDIS_URL": "redis://:cache-pass@cache.internal.riverside-care.org.uk:6380/2",
    "PORTAL_WITNESS_EMAILS": "auditor@riverside-audit.example.org",
    "PORTAL_PASSWORD_MAX_AGE_DAYS": "0",
    "PORTAL_SELF_AUTHORITY_LIMIT": "250.00",
    "PORTAL_BIND": "192.0.2.10",
    # The certificate as certbot's deploy hook copies it, and the webroot certbot writes into.
    "PORTAL_TLS_DIR": "/etc/portal-tls",
    "PORTAL_ACME_WEBROOT": "/var/www/portal-acme",
}


def env_file_for(deployment: dict[str, str], path: Path) -> Path:
    """.env.example, copied and filled in as an IT team would."""
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={deployment[name]}" if "=" in line and name in deployment else line)
    path.write_text("\n".join(lines) + "\n")
    return path


def settings_in(environment: dict[str, str]) -> dict[str, object]:
    """The settings the portal makes of a service's environment, in a process of its own."""
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; print(json.dumps({k: str(getattr(s, k)) for k in ["
        "'ALLOWED_HOSTS', 'PORTAL_BASE_URL', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', "
        "'EMAIL_USE_TLS', 'DEFAULT_FROM_EMAIL', 'CELERY_BROKER_URL', 'PASSWORD_MAX_AGE_DAYS', "
        "'REQUEST_SELF_AUTHORITY_LIMIT', 'WITNESS_EMAILS', 'SECURE_SSL_REDIRECT']} | "
        "{'DB': f\"{db['HOST']}:{db['PORT']}/{db['NAME']}\"}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **{k: str(v) for k, v in environment.items()},
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_real_domain_and_mail_relay_are_set_by_env_alone(tmp_path: Path) -> None:
    env_file = env_file_for(DEPLOYMENT, tmp_path / ".env")
    assert compose("config", "-q", env_file=env_file).returncode == 0

    config = compose_config(env_file=env_file)
    services = project_services(config)
    web = services["web"]["environment"]
    assert web["EMAIL_URL"] == RELAY
    assert web["DJANGO_DEBUG"] == "0"
    assert config["secrets"]["sealing_key"]["file"] == SECRETS["PORTAL_SEALING_KEY_PATH"]
    proxy = config["services"]["proxy"]
    assert proxy["ports"] == ["192.0.2.10:80:80/tcp", "192.0.2.10:443:443/tcp"]
    assert proxy["environment"]["PORTAL_BASE_URL"] == f"https://{DOMAIN}"
    assert "/etc/portal-tls:/etc/nginx/tls:ro" in proxy["volumes"]
    assert "/var/www/portal-acme:/var/www/acme:ro" in proxy["volumes"]
    owner = urlsplit(services["migrate"]["environment"]["DATABASE_URL"])
    assert (owner.hostname, owner.port, owner.path) == (DEPLOYMENT["PORTAL_DB_HOST"], 6432, "/aup")

    expected = {
        "ALLOWED_HOSTS": str([DOMAIN]),
        "PORTAL_BASE_URL": f"https://{DOMAIN}",
        "EMAIL_HOST": "smtp.relay.example.net",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "portal@riverside-care.org.uk",
        "EMAIL_USE_TLS": "True",
        "DEFAULT_FROM_EMAIL": "Riverside IT <it@riverside-care.org.uk>",
        "CELERY_BROKER_URL": DEPLOYMENT["REDIS_URL"],
        "PASSWORD_MAX_AGE_DAYS": "0",
        "REQUEST_SELF_AUTHORITY_LIMIT": "250.00",
        "WITNESS_EMAILS": str(["auditor@riverside-audit.example.org"]),
        "SECURE_SSL_REDIRECT": "True",
        "DB": f"{DEPLOYMENT['PORTAL_DB_HOST']}:6432/aup",
    }
    for name in ("web", "worker", "beat", "migrate"):
        assert settings_in(services[name]["environment"]) == expected, name


def test_env_example_as_it_stands_runs_the_trial_stack(tmp_path: Path) -> None:
    # Only the secrets filled in: every empty value keeps the stack's own default.
    config = compose_config(env_file=env_file_for(SECRETS, tmp_path / ".env"))
    web = project_services(config)["web"]["environment"]

    assert web["EMAIL_URL"] == "smtp://mailpit:1025"
    assert web["REDIS_URL"] == "redis://redis:6379/0"
    assert urlsplit(web["DATABASE_URL"]).netloc.endswith("@db:5432")


# --- Worker and beat wait for migrations ----------------------------------------------------------
def test_worker_and_beat_wait_for_migrations_before_they_start() -> None:
    services = project_services(compose_config())
    for name in ("worker", "beat"):
        wait, start = simple_commands(services[name]["command"])
        assert wait[:3] == ["python", "manage.py", "wait_for_migrations"], name
        assert start[:4] == ["exec", "celery", "-A", "portal"] and start[4] == name


# --- What enters the image ------------------------------------------------------------------------
KEPT_OUT = [
    ".env",
    ".env.production",
    "secrets/sealing-key.pem",
    "deploy/tls/portal.pem",
    "var/portal.sqlite3",
    "var/media/attachment.pdf",
    ".venv/bin/python",
    ".venv-3.12/bin/python",
    ".git/config",
]
LET_IN = [".env.example", "manage.py", "portal/settings.py", "deploy/nginx/templates/x.conf"]


def test_env_and_keys_never_enter_the_image(tmp_path: Path) -> None:
    for name in KEPT_OUT + LET_IN:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    # The build context as docker itself computes it (docker-py, which docker-compose uses).
    context = subprocess.run(
        [
            "/usr/bin/python3",
            "-I",
            "-c",
            "import json, sys; from docker.utils.build import exclude_paths; "
            "print(json.dumps(sorted(exclude_paths(sys.argv[1], json.loads(sys.argv[2])))))",
            str(tmp_path),
            json.dumps([p for p in patterns if p and not p.startswith("#")]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert context.returncode == 0, context.stderr
    sent = set(json.loads(context.stdout))

    assert sorted(sent & set(KEPT_OUT)) == []
    assert set(LET_IN) <= sent
