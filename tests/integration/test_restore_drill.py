"""The restore drill: deploy/backup/backup.sh dumps a database with real signatures in it,
deploy/backup/restore.sh brings a new database up from the dump, and the copy holds the same
people, signatures and audit events, still verifying and still append-only.

Both scripts run as real processes against the test's PostgreSQL (pg_dump and pg_restore from
the server's own major version). The rows must be committed for pg_dump to see them, hence
transactional tests. The restore runs as an owner role and grants a running role of the drill's
own (roles belong to the whole cluster: unique names, dropped afterwards).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2.sql import SQL, Composable, Identifier

from acknowledgements import publishing
from acknowledgements.models import Acknowledgement
from portal.models import AuditEvent, User
from tests.acknowledgements.helpers import sign
from tests.factories import UserFactory
from tests.helpers import execute

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup" / "backup.sh"
RESTORE = ROOT / "deploy" / "backup" / "restore.sh"
SCRIPT_DEADLINE = 180
COUNTED = {"users": User, "acknowledgements": Acknowledgement, "audit events": AuditEvent}
COUNT = SQL("SELECT count(*) FROM {}")
GUARD_TRIGGERS = {"acknowledgement_no_update_delete", "audit_event_no_update_delete"}


@dataclass(frozen=True)
class Drill:
    database: str
    owner: str
    runtime: str
    media: Path


def libpq_environment() -> dict[str, str]:
    """The test database's connection as libpq's variables, the way the scripts take it."""
    s = connection.settings_dict
    env = {
        "PGHOST": s["HOST"] or "127.0.0.1",
        "PGPORT": str(s["PORT"] or 5432),
        "PGUSER": s["USER"] or "postgres",
        "PGDATABASE": s["NAME"],
    }
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    return env


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        timeout=SCRIPT_DEADLINE,
    )


def back_up(folder: Path, **env: str) -> Path:
    result = run(
        BACKUP,
        **libpq_environment(),
        PORTAL_BACKUPS_DIR=str(folder),
        PORTAL_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        **env,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def restore(drill: Drill, backup: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run(
        RESTORE,
        *options,
        str(backup),
        drill.database,
        **libpq_environment(),
        PORTAL_DB_OWNER=drill.owner,
        PORTAL_DB_RUNTIME=drill.runtime,
        PORTAL_MEDIA_ROOT=str(drill.media),
        PORTAL_MANAGE=f"{sys.executable} {ROOT / 'manage.py'}",
    )


def in_restored(drill: Drill, sql: str | Composable, params: tuple = ()) -> list[tuple]:
    env = libpq_environment()
    with (
        psycopg2.connect(
            host=env["PGHOST"],
            port=env["PGPORT"],
            user=env["PGUSER"],
            password=env.get("PGPASSWORD"),
            dbname=drill.database,
        ) as db,
        db.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db.close()
    return rows


def counts_in_restored(drill: Drill) -> dict[str, int]:
    return {
        name: in_restored(drill, COUNT.format(Identifier(model._meta.db_table)))[0][0]
        for name, model in COUNTED.items()
    }


@pytest.fixture
def drill(postgres, tmp_path: Path) -> Iterator[Drill]:
    suffix = uuid.uuid4().hex[:12]
    made = Drill(
        database=f"portal_restore_drill_{suffix}",
        owner=f"portal_drill_owner_{suffix}",
        runtime=f"portal_drill_app_{suffix}",
        media=tmp_path / "restored-media",
    )
    execute(f"CREATE ROLE {made.owner} LOGIN")
    execute(f"CREATE ROLE {made.runtime} LOGIN")
    try:
        yield made
    finally:
        execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
        execute(f"DROP ROLE {made.runtime}")
        execute(f"DROP ROLE {made.owner}")


@pytest.fixture
def signatures(employee, manager) -> list[Acknowledgement]:
    """Real signatures, chained and sealed by the signing service, from several people."""
    version = publishing.load_seed_policy()
    colleagues = UserFactory.create_batch(3, department=employee.department, line_manager=manager)
    return [sign(person, version) for person in [employee, manager, *colleagues]]


@pytest.fixture
def uploaded_file() -> Path:
    path = Path(settings.MEDIA_ROOT) / "policies" / "attachment.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("An uploaded file the backup must carry.\n")
    return path


def test_pg_dump_matches_the_server_major_version(postgres) -> None:
    (server,) = execute("SHOW server_version_num")[0]
    client = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    major = client.stdout.split()[2].split(".")[0]
    assert int(server) // 10000 == int(major), client.stdout


def test_a_backup_restores_into_a_new_database_that_verifies(
    drill: Drill, signatures, uploaded_file: Path, tmp_path: Path
) -> None:
    expected = {name: model.objects.count() for name, model in COUNTED.items()}
    assert expected["acknowledgements"] == len(signatures)

    backup = back_up(tmp_path / "backups")
    restored = restore(drill, backup)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"All {len(signatures)} acknowledgements verified" in restored.stdout
    assert counts_in_restored(drill) == expected
    copy = drill.media / uploaded_file.relative_to(settings.MEDIA_ROOT)
    assert copy.read_text() == uploaded_file.read_text()

    checked = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify_acknowledgements"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{drill.runtime}@127.0.0.1:5432/{drill.database}",
        },
        capture_output=True,
        text=True,
        timeout=SCRIPT_DEADLINE,
    )
    assert checked.returncode == 0, checked.stderr
    head = Acknowledgement.objects.order_by("sequence").last().record_hash
    assert f"Latest record hash: {head}" in checked.stdout


def test_the_restored_database_belongs_to_the_owner_and_stays_append_only(
    drill: Drill, signatures, tmp_path: Path
) -> None:
    restored = restore(drill, back_up(tmp_path / "backups"))
    assert restored.returncode == 0, restored.stdout + restored.stderr

    owners = in_restored(
        drill, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
    )
    assert owners == [(drill.owner,)]
    triggers = in_restored(drill, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    assert {name for (name,) in triggers} >= GUARD_TRIGGERS
    rights = in_restored(
        drill,
        "SELECT has_table_privilege(%s, %s, 'INSERT'), has_table_privilege(%s, %s, 'UPDATE'),"
        " has_table_privilege(%s, %s, 'DELETE')",
        (drill.runtime, Acknowledgement._meta.db_table) * 3,
    )
    assert rights == [(True, False, False)]


def test_without_the_portal_code_restore_says_what_to_run_next(
    drill: Drill, signatures, tmp_path: Path
) -> None:
    restored = restore(drill, back_up(tmp_path / "backups"), "--no-verify")

    assert restored.returncode == 0, restored.stderr
    assert f"grant_runtime_role {drill.runtime}\n" in restored.stdout
    assert "verify_acknowledgements\n" in restored.stdout
    assert f"DATABASE_URL=postgres://{drill.owner}@" in restored.stdout
    assert counts_in_restored(drill)["acknowledgements"] == len(signatures)


def test_restore_refuses_a_database_that_already_has_tables(
    drill: Drill, signatures, tmp_path: Path
) -> None:
    backup = back_up(tmp_path / "backups")
    assert restore(drill, backup).returncode == 0
    before = counts_in_restored(drill)

    again = restore(drill, backup)

    assert again.returncode != 0
    assert f"Database {drill.database} already has" in again.stderr
    assert counts_in_restored(drill) == before


def test_restore_refuses_a_backup_that_does_not_match_its_checksums(
    drill: Drill, signatures, tmp_path: Path
) -> None:
    backup = back_up(tmp_path / "backups")
    with (backup / "database.dump").open("ab") as dump:
        dump.write(b"\0")

    result = restore(drill, backup)

    assert result.returncode != 0
    assert "does not match its SHA256SUMS" in result.stderr
    assert not execute("SELECT 1 FROM pg_database WHERE datname = %s", [drill.database])


def test_backups_keep_only_the_newest(postgres, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    older = ["2020-01-01T023000Z", "2020-01-02T023000Z", "2020-01-03T023000Z"]
    for name in older:
        (folder / name).mkdir(parents=True)

    newest = back_up(folder, PORTAL_BACKUPS_KEEP="2")

    assert sorted(p.name for p in folder.iterdir()) == [older[-1], newest.name]
    sums = dict(
        reversed(line.split("  ")) for line in (newest / "SHA256SUMS").read_text().splitlines()
    )
    assert set(sums) == {"database.dump", "media.tar"}
    for name, digest in sums.items():
        assert hashlib.sha256((newest / name).read_bytes()).hexdigest() == digest
