"""The compose stack's web server in front of gunicorn: one body limit with the portal's, the
portal reachable only through it, and the browser's Host and address passed on."""

from __future__ import annotations

import re

from django.conf import settings

from tests.portal.test_project import ROOT, compose_config

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"


def test_only_the_proxy_is_published_and_it_has_the_portals_body_limit() -> None:
    services = compose_config()["services"]
    web, proxy = services["web"], services["proxy"]

    assert not web.get("ports"), "gunicorn must be reached only through the proxy"
    # Published on this machine only by default (PORTAL_BIND), and only the proxy's port 80.
    assert proxy["ports"] == ["127.0.0.1:8000:80/tcp"]
    assert proxy["environment"]["PORTAL_MAX_BODY_MB"] == web["environment"]["PORTAL_MAX_BODY_MB"]
    # The compose default is the portal's own default.
    default_mb = int(web["environment"]["PORTAL_MAX_BODY_MB"])
    assert default_mb * 1024 * 1024 == settings.MAX_REQUEST_BODY_BYTES
    assert any("/etc/nginx/templates" in str(volume) for volume in proxy["volumes"])


def test_the_proxy_refuses_large_bodies_and_passes_host_and_address() -> None:
    text = TEMPLATE.read_text()
    assert re.search(r"client_max_body_size \$\{PORTAL_MAX_BODY_MB\}m;", text)
    assert "proxy_pass http://web:8000;" in text
    for header in (
        "Host $http_host",
        "X-Real-IP $remote_addr",
        "X-Forwarded-For $remote_addr",
        "X-Forwarded-Proto $scheme",
    ):
        assert f"proxy_set_header {header};" in text
