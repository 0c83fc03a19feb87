"""Through a real gunicorn: a body announced too large is answered before any of it is sent.

The client states a Content-Length of a terabyte and sends nothing after the headers. Had
anything in the portal tried to read the body, the response would wait for bytes that never come;
it arrives instead, a 413, while the connection is still open with no body sent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A guard against a hung test run, not a timing assertion: a server that waited for the body
# would never answer at all.
NEVER = 60.0


class Gunicorn:
    def __init__(self, tmp_path: Path) -> None:
        self.lines: list[str] = []
        self._ready = threading.Event()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "PYTHONPATH": str(ROOT),
        }
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        listener.close()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--log-level",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(NEVER):
            self.stop()
            raise RuntimeError("gunicorn did not start:\n" + "\n".join(self.lines[-40:]))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if "Booting worker" in line:
                self._ready.set()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def send_headers(self, head: str) -> bytes:
        """Send only ``head`` (no body), keep the connection open, and read the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=NEVER) as conn:
            conn.sendall(head.encode("latin-1"))
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
            return answer


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_a_huge_announced_body_is_refused_before_it_is_sent(gunicorn: Gunicorn) -> None:
    # With a CSRF cookie and no token header, Django's CSRF check would read the form from the
    # body to find the token: without the limit, this request waits for the body.
    answer = gunicorn.send_headers(
        "POST /requests/1/attachments/ HTTP/1.1\r\n"
        "Host: localhost\r\n"
        f"Cookie: csrftoken={'a' * 32}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {10**12}\r\n"
        "\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_chunked_body_is_refused_before_it_is_sent(gunicorn: Gunicorn) -> None:
    answer = gunicorn.send_headers(
        "POST /requests/1/attachments/ HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:200]


def test_an_ordinary_request_still_gets_through(gunicorn: Gunicorn) -> None:
    answer = gunicorn.send_headers("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert not answer.startswith((b"HTTP/1.1 411", b"HTTP/1.1 413")), answer[:200]
