"""The compose stack's web server in front of gunicorn: TLS from mounted files, plain HTTP only
for the ACME challenge and a redirect, one body limit with the portal's, the portal reachable
only through it, and the browser's Host and address passed on.

tests/integration/test_behind_tls.py runs the same template through a real nginx."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings

from portal import local_certificate
from tests.portal.test_project import ROOT, compose_config

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"


def directives(text: str) -> list[str]:
    """The template's directives, one per line, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def test_only_the_proxy_is_published_and_it_has_the_portals_body_limit() -> None:
    services = compose_config()["services"]
    web, proxy = services["web"], services["proxy"]

    assert not web.get("ports"), "gunicorn must be reached only through the proxy"
    # Published on this machine only by default (PORTAL_BIND): HTTP and HTTPS.
    assert proxy["ports"] == ["127.0.0.1:80:80/tcp", "127.0.0.1:443:443/tcp"]
    assert proxy["environment"]["PORTAL_MAX_BODY_MB"] == web["environment"]["PORTAL_MAX_BODY_MB"]
    # The compose default is the portal's own default.
    default_mb = int(web["environment"]["PORTAL_MAX_BODY_MB"])
    assert default_mb * 1024 * 1024 == settings.MAX_REQUEST_BODY_BYTES
    assert any("/etc/nginx/templates" in str(volume) for volume in proxy["volumes"])


def test_the_proxys_ports_move_with_env() -> None:
    proxy = compose_config(PORTAL_HTTP_PORT="8080", PORTAL_HTTPS_PORT="8443")["services"]["proxy"]

    assert proxy["ports"] == ["127.0.0.1:8080:80/tcp", "127.0.0.1:8443:443/tcp"]


def test_the_certificate_and_the_acme_webroot_are_mounted_read_only() -> None:
    proxy = compose_config(
        PORTAL_TLS_DIR="/etc/portal-tls", PORTAL_ACME_WEBROOT="/var/www/portal-acme"
    )["services"]["proxy"]

    assert "/etc/portal-tls:/etc/nginx/tls:ro" in proxy["volumes"]
    assert "/var/www/portal-acme:/var/www/acme:ro" in proxy["volumes"]


def test_the_default_stack_serves_localhost_over_https_with_the_local_certificate() -> None:
    services = compose_config()["services"]
    web, proxy = services["web"]["environment"], services["proxy"]

    assert web["DJANGO_HTTPS"] == "1"
    assert web["PORTAL_BASE_URL"] == proxy["environment"]["PORTAL_BASE_URL"]
    base = urlsplit(web["PORTAL_BASE_URL"])
    assert (base.scheme, base.hostname, base.port) == ("https", "localhost", None)
    assert base.hostname in web["DJANGO_ALLOWED_HOSTS"].split(",")
    # Where the compose file's comment and docs/operations.md have make_local_certificate write.
    assert f"{ROOT}/secrets/tls:/etc/nginx/tls:ro" in proxy["volumes"]
    assert base.hostname in local_certificate.DEFAULT_NAMES


def test_https_is_served_with_modern_settings_and_no_hsts_of_its_own() -> None:
    lines = directives(TEMPLATE.read_text())

    assert "listen 443 ssl;" in lines
    assert "ssl_certificate /etc/nginx/tls/fullchain.pem;" in lines
    assert "ssl_certificate_key /etc/nginx/tls/privkey.pem;" in lines
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in lines
    ciphers = next(line for line in lines if line.startswith("ssl_ciphers "))
    for cipher in ciphers.removeprefix("ssl_ciphers ").rstrip(";").split(":"):
        assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher
    assert "ssl_session_tickets off;" in lines
    # HSTS has one home: the portal (DJANGO_HSTS_SECONDS).
    assert not any("strict-transport-security" in line.lower() for line in lines)


def test_plain_http_serves_the_acme_challenge_and_redirects_the_rest() -> None:
    text = TEMPLATE.read_text()
    http = text[: text.index("listen 443")]

    assert "listen 80;" in http
    assert re.search(r"location /\.well-known/acme-challenge/ \{\s*root /var/www/acme;", http), (
        "certbot's webroot"
    )
    assert "return 301 ${PORTAL_BASE_URL}$request_uri;" in http
    assert "proxy_pass" not in http, "nothing reaches the portal unencrypted"


def test_the_proxy_refuses_large_bodies_and_passes_host_and_address() -> None:
    text = TEMPLATE.read_text()
    assert re.search(r"client_max_body_size \$\{PORTAL_MAX_BODY_MB\}m;", text)
    assert "proxy_pass http://web:8000;" in text
    for header in (
        "Host $http_host",
        "X-Real-IP $remote_addr",
        "X-Forwarded-For $remote_addr",
        "X-Forwarded-Proto https",
    ):
        assert f"proxy_set_header {header};" in text
