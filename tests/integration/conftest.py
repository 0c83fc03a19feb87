"""Fixtures for the integration tests: the portal's real Celery app and worker on real Redis.

``use_broker`` points the portal's Celery app at another broker URL and drops its pooled
connections; the original URL comes back after the test. ``run_worker`` starts a real worker
thread on the current broker. ``silent_redis`` is a TCP server that accepts connections and never
answers, as a hung Redis does; ``refused_broker_url`` points at a port where nothing listens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging, task_postrun
from django.db import connections
from django.urls import reverse
from kombu import pools

from portal.celery import app as celery_app
from portal.models import Notification
from tests.factories import PASSWORD
from tests.helpers import free_port

NEW_PASSWORD = "Lantern-orchard-winter-42"
# Long enough for a loaded machine; a healthy worker handles a message in well under a second.
DELIVERY_DEADLINE = 30.0
# A silent server gives up on a connection after this long, so that a client without a socket
# timeout makes its test fail instead of hanging the suite.
SILENT_SERVER_PATIENCE = 20.0


def reset_broker_pools() -> None:
    """Close the app's pooled broker connections, so the next publish uses the current URL."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps its pools in process-wide groups keyed by host, port and options; a closed
    # pool left there would be handed back when the URL is used again.
    pools.reset()


@pytest.fixture
def use_broker() -> Iterator[Callable[[str], None]]:
    original = celery_app.conf.broker_url

    def use(url: str) -> None:
        celery_app.conf.broker_url = url
        assert celery_app.conf.broker_url == url, "CELERY_BROKER_URL in the environment wins"
        reset_broker_pools()

    yield use
    use(original)


@pytest.fixture
def redis_broker(redis_url: str, use_broker: Callable[[str], None]) -> str:
    use_broker(redis_url)
    return redis_url


@pytest.fixture
def refused_broker_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def run_worker() -> Callable[[], contextlib.AbstractContextManager]:
    """Run a real worker thread, consuming from the broker the app points at when called."""

    def keep_pytest_logging(**kwargs: object) -> None:
        """Answering ``setup_logging`` stops the worker from reconfiguring the root logger."""

    def close_worker_connections(**kwargs: object) -> None:
        # Runs in the worker thread: its database connections must not outlive the test.
        connections.close_all()

    @contextlib.contextmanager
    def run() -> Iterator[object]:
        setup_logging.connect(keep_pytest_logging, weak=False)
        task_postrun.connect(close_worker_connections, weak=False)
        try:
            # Messages left in this Redis database by earlier runs are not this test's business.
            celery_app.control.purge()
            with start_worker(
                celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30
            ) as worker:
                yield worker
        finally:
            task_postrun.disconnect(close_worker_connections)
            setup_logging.disconnect(keep_pytest_logging)

    return run


@pytest.fixture
def wait_until_handled() -> Callable[..., Notification]:
    """Poll the database until a real worker has handled the notification, or fail."""

    def wait(pk: int, deadline: float = DELIVERY_DEADLINE) -> Notification:
        give_up_at = time.monotonic() + deadline
        while True:
            notification = Notification.objects.get(pk=pk)
            # A message a sweep has leased (``sending``) is not handled yet.
            if notification.status not in Notification.WAITING:
                return notification
            if time.monotonic() > give_up_at:
                pytest.fail(
                    f"Notification {pk} is still {notification.status} after {deadline:.0f} s "
                    f"(attempts={notification.attempts}, last_error={notification.last_error!r}):"
                    " the worker did not deliver it."
                )
            time.sleep(0.05)

    return wait


@pytest.fixture
def change_password() -> Callable:
    """Sign ``user`` in and change their password through the real view.

    Returns the response and the seconds the request took.
    """

    def change(client, user) -> tuple[object, float]:
        client.force_login(user)
        started = time.monotonic()
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        return response, time.monotonic() - started

    return change


class SilentServer:
    """Accepts TCP connections and reads from them, but never sends a byte back.

    Records who ended each connection: the client (it gave up by itself) or this server (after
    ``patience`` seconds, when the client would otherwise have waited for ever).
    """

    def __init__(self, patience: float = SILENT_SERVER_PATIENCE) -> None:
        self.patience = patience
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.accepted = 0
        self.bytes_received = 0
        self.closed_by_client = 0
        self.closed_by_server = 0
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            with self._changed:
                self.accepted += 1
                self._changed.notify_all()
            thread = threading.Thread(target=self._hold, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _hold(self, conn: socket.socket) -> None:
        give_up_at = time.monotonic() + self.patience
        conn.settimeout(0.1)
        with conn:
            while True:
                if self._stopping.is_set() or time.monotonic() > give_up_at:
                    self._record(closed_by_client=False)
                    return
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:  # reset by the client
                    data = b""
                if not data:
                    self._record(closed_by_client=True)
                    return
                with self._changed:
                    self.bytes_received += len(data)

    def _record(self, *, closed_by_client: bool) -> None:
        with self._changed:
            if closed_by_client:
                self.closed_by_client += 1
            else:
                self.closed_by_server += 1
            self._changed.notify_all()

    def wait_until_all_closed(self, timeout: float) -> bool:
        """Wait until every accepted connection has ended; True when they all have."""

        def all_closed() -> bool:
            ended = self.closed_by_client + self.closed_by_server
            return self.accepted > 0 and ended == self.accepted

        with self._changed:
            return self._changed.wait_for(all_closed, timeout=timeout)

    def close(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def silent_redis() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()
