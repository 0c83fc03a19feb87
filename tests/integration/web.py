"""The portal served by real gunicorn processes, for the tests of limits that must hold across
web processes and hosts.

``application`` is the portal's WSGI application with one addition: each answer names the
process that gave it (``X-Test-Worker``), so a test can show that several processes served it.
``Gunicorn`` starts ``gunicorn --workers N`` on a local port with the test settings, pointed at
the test database, and waits until it answers. ``Nginx`` puts a real nginx in front of it, as the
compose stack's reverse proxy does, serving plain HTTP or, given a certificate, HTTPS.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.processes import (
    READY_DEADLINE,
    ROOT,
    LoggedProcess,
    portal_environment,
    stop_process,
)

WORKER_HEADER = "X-Test-Worker"
# A server is up once it answers the liveness form of /healthz: the database alone, whatever the
# worker and beat are doing (portal.healthz).
LIVENESS = "/healthz?check=database"


def application(environ, start_response):  # type: ignore[no-untyped-def]
    from portal.wsgi import application as portal

    def start(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        return start_response(status, [*headers, (WORKER_HEADER, str(os.getpid()))], exc_info)

    return portal(environ, start)


class Gunicorn(LoggedProcess):
    """``gunicorn --workers N`` serving the portal on ``port``: one host of several."""

    def __init__(self, port: int, *, workers: int = 2, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(
            [
                sys.executable,
                "-m",
                "gunicorn",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{port}",
                "tests.integration.web:application",
            ],
            # Notices are queued to an in-memory broker nobody reads.
            portal_environment("", **env),
        )
        self._wait_until_answering(workers)

    def _wait_until_answering(self, workers: int) -> None:
        give_up = time.monotonic() + READY_DEADLINE
        while True:
            booted = sum("Booting worker" in line for line in self.lines)
            if booted >= workers:
                try:
                    if httpx.get(f"{self.url}{LIVENESS}", timeout=5).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            if self.process.poll() is not None or time.monotonic() > give_up:
                self.stop()
                raise RuntimeError("gunicorn did not start:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.2)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


NGINX_CONFIG = """
daemon off;
master_process off;
pid {home}/nginx.pid;
error_log {home}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
{servers}
}}
"""

PLAIN_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""

STACK_TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"


def _nginx() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx_version() -> tuple[int, ...]:
    shown = subprocess.run([_nginx(), "-v"], capture_output=True, text=True, check=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", shown)
    assert found, shown
    return tuple(int(part) for part in found.groups())


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the stack's nginx template no longer has {old!r} once"
    return text.replace(old, new)


def stack_servers(
    *, http_port: int, https_port: int, upstream: str, tls: Path, acme: Path, base_url: str
) -> str:
    """The compose stack's own server blocks (deploy/nginx/templates/), filled in as the nginx
    image fills them from the environment, with what only a container has moved onto this
    machine: the ports, gunicorn's address, the certificate's folder and the ACME webroot."""
    text = STACK_TEMPLATE.read_text()
    for name, value in {"PORTAL_BASE_URL": base_url, "PORTAL_MAX_BODY_MB": "11"}.items():
        assert f"${{{name}}}" in text, f"the stack's nginx template no longer reads {name}"
        text = text.replace(f"${{{name}}}", value)  # as the image's envsubst does
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace_once(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace_once(text, "http://web:8000", upstream)
    text = _replace_once(text, "root /var/www/acme;", f"root {acme};")
    text = text.replace("/etc/nginx/tls/", f"{tls}/")
    if _nginx_version() < (1, 25, 1):
        # Debian 12's nginx predates the http2 directive (the stack's image has it); HTTP/2 is
        # not what these tests are about.
        text = _replace_once(text, "http2 on;", "")
    return text


class Nginx:
    """nginx passing every request to ``upstream``, one process, config in ``home``.

    By default a plain HTTP server on ``port``. ``servers`` replaces it with other server blocks
    (``stack_servers``), whose HTTPS side is on ``port`` with the certificate in ``tls``, a
    folder holding ``fullchain.pem``; ``trust`` is then a client context that verifies it.
    """

    def __init__(
        self,
        port: int,
        upstream: str,
        home: Path,
        *,
        tls: Path | None = None,
        servers: str | None = None,
    ) -> None:
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.trust: ssl.SSLContext | bool = True
        if tls is not None:
            self.trust = ssl.create_default_context(cafile=str(tls / "fullchain.pem"))
        servers = servers or PLAIN_SERVER.format(port=port, upstream=upstream)
        config = home / "nginx.conf"
        config.write_text(NGINX_CONFIG.format(home=home, servers=servers))
        self.error_log = home / "error.log"
        self.process = subprocess.Popen(
            [_nginx(), "-p", str(home), "-c", str(config), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        give_up = time.monotonic() + READY_DEADLINE
        while True:
            try:
                answer = httpx.get(f"{self.url}{LIVENESS}", timeout=5, verify=self.trust)
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > give_up:
                self.stop()
                log = self.error_log.read_text() if self.error_log.exists() else ""
                raise RuntimeError("nginx did not start:\n" + log)
            time.sleep(0.2)

    def stop(self) -> None:
        stop_process(self.process)


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET the form (for its CSRF cookie and token), then POST ``data`` to it with the Origin a
    browser sends (over HTTPS, Django's CSRF check wants the Origin or the Referer)."""
    page = client.get(path)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, f"no CSRF token on {path}"
    origin = f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"
    return client.post(
        path, data={"csrfmiddlewaretoken": token.group(1), **data}, headers={"Origin": origin}
    )
