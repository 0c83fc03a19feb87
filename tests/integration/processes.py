"""Real Celery workers and beats in processes of their own, a private Redis and a real SMTP
server, for the integration tests.

A worker thread (``run_worker`` in conftest) cannot be killed the way a server dies; a process
can. ``LoggedProcess`` runs a command and keeps its output (the web servers and the OpenID
provider of other tests are ones too); ``CeleryProcess`` is ``celery -A portal`` with the test
settings, pointed at the test database and the test Redis: ``WorkerProcess`` starts a worker and
waits until it says it is ready, ``BeatProcess`` a beat with a schedule file of its own.
``PrivateRedis`` is a redis-server of the test's own on a free port, which the test may stop and
start again (never the shared one). ``SmtpSink`` is an aiosmtpd server on a local port that
keeps every message it accepts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
READY_DEADLINE = 60.0
LOCK_TAKEN = "Beat lock taken by"


def test_database_url() -> str:
    """The database the test run is using (the test copy, not the configured name)."""
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def stop_process(process: subprocess.Popen) -> None:
    """End ``process``: politely (SIGTERM), then for certain (SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def portal_environment(redis_url: str, **env: str) -> dict[str, str]:
    """The environment of a portal process: the test settings, the test database, ``redis_url``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
        **env,
    }


class LoggedProcess:
    """``command`` in its own process, its output (stdout and stderr) kept line by line;
    ``signalled`` is set once a line contains ``signal_line``."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        *,
        cwd: Path = ROOT,
        signal_line: str | None = None,
    ) -> None:
        self.lines: list[str] = []
        self.signalled = threading.Event()
        self._signal_line = signal_line
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.append(line.rstrip())
            if self._signal_line is not None and self._signal_line in line:
                self.signalled.set()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish, acknowledge or clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        return "\n".join(self.lines)


class CeleryProcess(LoggedProcess):
    """``celery -A portal <arguments>`` with the test settings, the test database and
    ``redis_url``."""

    def __init__(self, arguments: list[str], redis_url: str, signal_line: str, **env: str) -> None:
        super().__init__(
            [sys.executable, "-m", "celery", "-A", "portal", *arguments, "--loglevel=INFO"],
            portal_environment(redis_url, PORTAL_LOG_LEVEL="INFO", **env),
            signal_line=signal_line,
        )


class WorkerProcess(CeleryProcess):
    """``celery worker``, started and ready: one task at a time (solo pool), like production's
    ``acks_late`` settings, so a message it holds when killed goes back to the queue."""

    def __init__(self, name: str, redis_url: str, **env: str) -> None:
        self.name = name
        arguments = [
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            f"--hostname={name}@%h",
        ]
        super().__init__(arguments, redis_url, " ready.", **env)
        if not self.signalled.wait(READY_DEADLINE):
            self.stop()
            raise RuntimeError(f"worker {name} did not start:\n" + "\n".join(self.lines[-40:]))


class BeatProcess(CeleryProcess):
    """``celery beat`` with its own schedule file."""

    def __init__(self, redis_url: str, schedule: Path, **env: str) -> None:
        super().__init__(["beat", f"--schedule={schedule}"], redis_url, LOCK_TAKEN, **env)

    def wait_until_locked(self) -> None:
        assert self.signalled.wait(READY_DEADLINE), "beat did not take the lock:\n" + self.log()

    def wait_for_exit(self) -> int:
        status = self.process.wait(timeout=READY_DEADLINE)
        self.reader.join(timeout=READY_DEADLINE)
        return status


class PrivateRedis:
    """A redis-server of the test's own on ``port``, its data in ``home``: stopped and started
    again as a real outage would, keeping what it held (append-only file, as the compose
    stack's Redis does)."""

    def __init__(self, port: int, home: Path) -> None:
        self.port = port
        self.home = home
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.home),
                "--save",
                "",
                "--appendonly",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.answers, deadline=READY_DEADLINE, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


class _Keeper:
    def __init__(self, stall_at: int | None) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.offered = 0
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.offered += 1
            stall = self.offered == self.stall_at
        if stall:
            # Hold this message unanswered: until the server says 250, it is not delivered.
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 Not accepted: try again later"
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on ``port`` that accepts and keeps every message; with ``stall_at``,
    it leaves that message (the first is 1) unanswered until the sink stops."""

    def __init__(self, port: int, stall_at: int | None = None) -> None:
        self.keeper = _Keeper(stall_at)
        self.controller = Controller(self.keeper, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.keeper.release.set()
        self.controller.stop()

    @property
    def stalled(self) -> bool:
        return self.keeper.stalled.is_set()

    @property
    def messages(self) -> list[Message]:
        with self.keeper.lock:
            return list(self.keeper.messages)


def wait_for(condition, *, deadline: float, what: str, every: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail after ``deadline`` seconds."""
    give_up = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > give_up:
            raise AssertionError(f"Timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(every)
