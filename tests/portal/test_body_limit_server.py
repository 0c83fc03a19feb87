"""Through a real gunicorn: a body announced too large is answered before any of it is sent.

The client states a Content-Length of a terabyte and sends nothing after the headers. Had
anything in the portal tried to read the body, the response would wait for bytes that never come;
it arrives instead, a 413, while the connection is still open with no body sent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import free_port
from tests.integration.web import Gunicorn

# A guard against a hung test run, not a timing assertion: a server that waited for the body
# would never answer at all.
NEVER = 60.0


@dataclass
class Server:
    port: int

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
def gunicorn(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    # Its own SQLite file: the limit answers before any page touches the database.
    server = Gunicorn(
        port,
        workers=1,
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
    )
    try:
        yield Server(port)
    finally:
        server.stop()


def test_a_huge_announced_body_is_refused_before_it_is_sent(gunicorn: Server) -> None:
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


def test_a_chunked_body_is_refused_before_it_is_sent(gunicorn: Server) -> None:
    answer = gunicorn.send_headers(
        "POST /requests/1/attachments/ HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:200]


def test_an_ordinary_request_still_gets_through(gunicorn: Server) -> None:
    answer = gunicorn.send_headers("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert not answer.startswith((b"HTTP/1.1 411", b"HTTP/1.1 413")), answer[:200]
