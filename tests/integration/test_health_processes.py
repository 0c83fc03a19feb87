"""/healthz with every part real and separate: gunicorn, a Celery worker and beat in processes of
their own, on a redis-server of the test's own (stopped and started again here; never the shared
one) and the test database.

Each part is stopped in turn: /healthz fails within a minute, naming it, and recovers once it is
back. Beat sends the outbox sweep every ``SWEEP_SECONDS`` here, and counts as down after
``BEAT_WINDOW`` seconds without one, so that its silence shows within the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port
from tests.integration import processes
from tests.integration.processes import ROOT, BeatProcess, PrivateRedis, WorkerProcess, wait_for
from tests.integration.web import Gunicorn
from tests.portal.test_project import compose_config, project_services

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP_SECONDS = 2
BEAT_WINDOW = 8
WITHIN_A_MINUTE = 60.0
PROCESS_ENV = {
    "PORTAL_TEST_SWEEP_SECONDS": str(SWEEP_SECONDS),
    "PORTAL_HEALTH_BEAT_WINDOW_SECONDS": str(BEAT_WINDOW),
    "PORTAL_HEALTH_WORKER_TIMEOUT_SECONDS": "2",
}


@dataclass
class Stack:
    home: Path
    redis: PrivateRedis
    web: Gunicorn
    worker: WorkerProcess | None = None
    beat: BeatProcess | None = None
    beats: int = 0
    stopped: list[object] = field(default_factory=list)

    def start_worker(self) -> None:
        # Named as the compose stack's worker is: celery@ its host name.
        self.worker = WorkerProcess("celery", self.redis.url, **PROCESS_ENV)
        self.stopped.append(self.worker)

    def start_beat(self) -> None:
        self.beats += 1
        self.beat = BeatProcess(self.redis.url, self.home / f"beat-{self.beats}", **PROCESS_ENV)
        self.stopped.append(self.beat)
        self.beat.wait_until_locked()

    def health(self) -> tuple[int, dict]:
        try:
            answer = httpx.get(f"{self.web.url}/healthz", timeout=30)
        except httpx.TransportError as exc:
            return 0, {"error": str(exc)}
        return answer.status_code, answer.json()

    def wait_until_healthy(self) -> dict:
        def healthy() -> dict | None:
            status, body = self.health()
            return body if status == 200 else None

        return wait_for(healthy, deadline=WITHIN_A_MINUTE, what="/healthz to answer 200", every=0.5)

    def wait_until_down(self, part: str) -> dict:
        def down() -> dict | None:
            status, body = self.health()
            if status == 503 and not body["checks"][part]["ok"]:
                return body
            return None

        return wait_for(
            down, deadline=WITHIN_A_MINUTE, what=f"/healthz to fail on {part}", every=0.5
        )


@pytest.fixture
def stack(django_db_setup: None, tmp_path: Path) -> Iterator[Stack]:
    redis_server = PrivateRedis(free_port(), tmp_path).start()
    web = None
    stack = None
    try:
        web = Gunicorn(free_port(), workers=1, REDIS_URL=redis_server.url, **PROCESS_ENV)
        stack = Stack(home=tmp_path, redis=redis_server, web=web)
        stack.start_worker()
        stack.start_beat()
        stack.wait_until_healthy()
        yield stack
    finally:
        for process in reversed(stack.stopped if stack else []):
            process.stop()
        if web is not None:
            web.stop()
        redis_server.stop()


def test_a_healthy_stack_answers_200_with_every_check_ok(stack: Stack) -> None:
    status, body = stack.health()

    assert status == 200
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
        "beat": True,
        "sweep": True,
    }


def test_a_stopped_worker_fails_healthz_until_it_is_back(stack: Stack) -> None:
    stack.worker.stop()

    body = stack.wait_until_down("worker")
    assert body["checks"]["worker"]["detail"] == "no worker answered within 2 s"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]

    stack.start_worker()
    assert stack.wait_until_healthy()["checks"]["worker"]["ok"]


def test_a_stopped_beat_fails_healthz_after_its_window_until_it_is_back(stack: Stack) -> None:
    stack.beat.stop()

    body = stack.wait_until_down("beat")
    assert "expected within 8 s" in body["checks"]["beat"]["detail"]
    assert body["checks"]["worker"]["ok"]

    stack.start_beat()
    assert stack.wait_until_healthy()["checks"]["beat"]["ok"]


def test_redis_down_fails_healthz_until_it_is_back(stack: Stack) -> None:
    stack.redis.stop()

    body = stack.wait_until_down("broker")
    assert body["checks"]["broker"]["detail"] == "Redis does not answer"
    assert not body["checks"]["worker"]["ok"]
    assert str(stack.redis.port) not in str(body)  # no address in the report

    stack.redis.start()
    assert stack.wait_until_healthy()["status"] == "ok"


def run_health_check(test: list[str], stack: Stack) -> subprocess.CompletedProcess[str]:
    """A compose health check's command, run here as the container would run it."""
    shell = test[0] == "CMD-SHELL"
    argv = ["sh", "-c", test[1].replace("$$", "$")] if shell else test[1:]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOSTNAME": socket.gethostname(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": processes.test_database_url(),
        "REDIS_URL": stack.redis.url,
        "PYTHONPATH": str(ROOT),
        **PROCESS_ENV,
    }
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_compose_health_checks_of_worker_and_beat_pass_and_fail_for_real(
    stack: Stack,
) -> None:
    checks = {
        name: spec["healthcheck"]["test"]
        for name, spec in project_services(compose_config()).items()
        if name in ("worker", "beat")
    }
    worker, beat = (run_health_check(checks[name], stack) for name in ("worker", "beat"))
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert beat.returncode == 0, beat.stdout + beat.stderr
    assert "beat: ok" in beat.stdout

    stack.worker.stop()
    stack.beat.stop()

    assert run_health_check(checks["worker"], stack).returncode != 0

    def beat_down() -> subprocess.CompletedProcess[str] | None:
        run = run_health_check(checks["beat"], stack)
        return run if run.returncode == 1 else None

    down = wait_for(beat_down, deadline=WITHIN_A_MINUTE, what="the beat health check to fail")
    assert "beat: DOWN" in down.stdout
