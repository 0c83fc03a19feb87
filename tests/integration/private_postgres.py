"""A PostgreSQL server of the test's own, which the test may stop and start at will.

The shared server runs everyone else's tests and is never stopped: a test that restarts the
database does it to a cluster made for it with ``initdb`` in a temporary folder, listening on a
free local port with trust authentication, and removed at the end. The server binaries come
from the newest ``/usr/lib/postgresql/<version>/bin``; PostgreSQL refuses to run as root, so
when the tests run as root the cluster belongs to the ``postgres`` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
COMMAND_DEADLINE = 120


def server_binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = server_binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="portal-private-pg-"))
        self.data = self.folder / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None
        try:
            if self.owner:
                entry = pwd.getpwnam(self.owner)
                os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _run(self, program: str, *args: str) -> str:
        command = [str(self.bin / program), *args]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_DEADLINE, cwd=self.folder
        )
        if done.returncode:
            raise RuntimeError(f"{program} failed:\n{done.stdout}\n{done.stderr}\n{self.log()}")
        return done.stdout

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a restart does: every connection is ended, open work rolled back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        # Not ``pg_ctl restart``: it starts the server without the log file, writing to
        # pg_ctl's output, which the server would then hold open.
        self.stop()
        self.start()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str):
        connection = psycopg2.connect(self.url(database))
        connection.autocommit = True
        return connection

    def create_portal_database(self, name: str) -> str:
        """A database with every migration applied (by ``manage.py migrate``); its URL."""
        admin = self.connect("postgres")
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()
        url = self.url(name)
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity=0"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=COMMAND_DEADLINE,
        )
        if done.returncode:
            raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")
        return url

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text() if path.exists() else ""

    def remove(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
